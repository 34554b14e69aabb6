from django.contrib import admin
from django.db.models import Count, Q
from django.template.response import TemplateResponse

from apps.core.models import TrainingRun
from apps.recommendations.models import WidgetEvent


@admin.register(WidgetEvent)
class WidgetPerformanceAdmin(admin.ModelAdmin):
    """Click-through rate of the storefront widget per training run and list."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        rows = (
            WidgetEvent.objects.values("run_id", "list_name")
            .annotate(
                impressions=Count("id", filter=Q(kind=WidgetEvent.Kind.IMPRESSION)),
                clicks=Count("id", filter=Q(kind=WidgetEvent.Kind.CLICK)),
            )
            .order_by("-run_id", "list_name")
        )
        runs = {run.pk: run for run in TrainingRun.objects.filter(pk__in={row["run_id"] for row in rows})}
        table = [
            {
                **row,
                "run": runs.get(row["run_id"]),
                "model": (runs[row["run_id"]].metrics or {}).get("served_model", "") if row["run_id"] in runs else "",
                "ctr": (100.0 * row["clicks"] / row["impressions"]) if row["impressions"] else None,
            }
            for row in rows
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Widget performance",
            "rows": table,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/recommendations/widget_performance.html", context)
