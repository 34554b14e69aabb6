import json

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from rest_framework_api_key.admin import APIKeyModelAdmin

from apps.core.models import IntegrationKey, TrainingRun
from apps.core.training.registry import UnknownKind, trainer_for, trainer_kinds
from apps.core.training.services import training_run_activate, training_run_cancel, training_run_request


@admin.register(IntegrationKey)
class IntegrationKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "scope", "last_used_at"]
    list_filter = [*APIKeyModelAdmin.list_filter, "scope"]


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "progress_bar",
        "is_active",
        "gate_verdict",
        "headline_metric",
        "trigger",
        "created_at",
        "duration_seconds",
        "worker_host",
    ]
    list_filter = ["kind", "status", "is_active", "trigger"]
    readonly_fields = [f.name for f in TrainingRun._meta.fields if f.name not in ("metrics", "parameters")] + [
        "metrics_pretty",
        "parameters_pretty",
    ]
    exclude = ["metrics", "parameters"]
    actions = ["activate_run", "cancel_runs"]
    change_list_template = "admin/core/trainingrun/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "retrain_kinds": trainer_kinds(),
            "not_served": _kinds_without_active_run(),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        retrain = self.admin_site.admin_view(require_POST(self.retrain_view))
        return [path("retrain/<str:kind>/", retrain, name="core_trainingrun_retrain"), *super().get_urls()]

    def retrain_view(self, request, kind):
        """ "Retrain now": queued after the request's transaction commits; joins a run already queued."""
        try:
            run, created = training_run_request(kind=kind, trigger=TrainingRun.Trigger.STAFF, user=request.user)
        except UnknownKind as exc:
            messages.error(request, str(exc))
        else:
            verb = "Queued" if created else "Joined the unfinished"
            messages.info(request, f"{verb} {kind} run {run.pk}.")
        return redirect(reverse("admin:core_trainingrun_changelist") + f"?kind={kind}")

    @admin.action(description="Activate the selected run (roll back or promote)")
    def activate_run(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one run to activate.", messages.ERROR)
            return
        try:
            run = training_run_activate(run_id=queryset.get().pk)
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, f"{run.kind} run {run.pk} is now active.")

    @admin.action(description="Cancel the selected queued or running runs")
    def cancel_runs(self, request, queryset):
        cancelled = sum(training_run_cancel(run_id=run.pk) for run in queryset)
        self.message_user(request, f"Cancelled {cancelled} run(s).")

    @admin.display(description="progress")
    def progress_bar(self, run):
        if run.status == TrainingRun.Status.FAILED:
            return format_html('<span title="{}" style="color:#ba2121">failed: {}</span>', run.error, run.error[:60])
        return format_html(
            '<progress value="{}" max="100"></progress> {}% {}', run.progress, run.progress, run.progress_message
        )

    @admin.display(description="quality gate")
    def gate_verdict(self, run):
        if run.gate_passed is None:
            return "-"
        return format_html("{} {}", "passed:" if run.gate_passed else "refused:", run.gate_reason)

    @admin.display(description="metric")
    def headline_metric(self, run):
        metrics = run.metrics or {}
        models = metrics.get("models", {})
        if metrics.get("served") in models and "popularity" in models:
            served, popular = models[metrics["served"]]["test"], models["popularity"]["test"]
            return (
                f"NDCG@10 all {served['all']['ndcg@10']} / new {served['new']['ndcg@10']} "
                f"(popularity {popular['all']['ndcg@10']} / {popular['new']['ndcg@10']})"
            )
        if "customers" in metrics:
            return f"{metrics['customers']:,} customers"
        return "-"

    @admin.display(description="metrics")
    def metrics_pretty(self, run):
        models = (run.metrics or {}).get("models")
        table = ""
        if models:
            # Every model of the run side by side with the popularity baseline, on the test weeks.
            rows = format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        family,
                        m["model"],
                        m["test"]["all"]["ndcg@10"],
                        m["test"]["new"]["ndcg@10"],
                        m["test"]["all"]["recall@20"],
                        m["test"]["all"]["coverage@10"],
                        m["fit_seconds"],
                    )
                    for family, m in models.items()
                ),
            )
            table = format_html(
                "<table><thead><tr><th>family</th><th>model</th><th>NDCG@10 all</th><th>NDCG@10 new</th>"
                "<th>Recall@20 all</th><th>coverage@10</th><th>fit s</th></tr></thead><tbody>{}</tbody></table>",
                rows,
            )
        return format_html("{}<pre>{}</pre>", table, json.dumps(run.metrics, indent=2, sort_keys=True))

    @admin.display(description="parameters")
    def parameters_pretty(self, run):
        return format_html("<pre>{}</pre>", json.dumps(run.parameters, indent=2, sort_keys=True))


def _kinds_without_active_run() -> list[dict]:
    """Each kind with no active run: why (its latest run's state or verdict) and what readers get meanwhile."""
    active = set(TrainingRun.objects.filter(is_active=True).values_list("kind", flat=True))
    notes = []
    for kind in trainer_kinds():
        if kind in active:
            continue
        latest = TrainingRun.objects.filter(kind=kind).order_by("-created_at", "-pk").first()
        if latest is None:
            why = "no run yet"
        elif latest.gate_passed is False:
            why = f"run {latest.pk} was refused: {latest.gate_reason}"
        else:
            why = f"run {latest.pk} is {latest.get_status_display().lower()}"
            if latest.error:
                why += f": {latest.error[:120]}"
        notes.append({"kind": kind, "why": why, "meanwhile": trainer_for(kind).serving_without_run})
    return notes
