"""Staff pages for segments: the active run's profiles with charts and movement since the
previous run, every customer's scores (filter, search, CSV), saved segments that promotions
target, and each customer's segment history on the customer page."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from apps.core.admin_export import CsvExportMixin, csv_download, resolve_field
from apps.core.charts import Series, heat, horizontal_bars
from apps.core.training.selectors import active_run_id
from apps.customers.admin import CustomerAdmin
from apps.customers.models import Customer
from apps.segments import selectors
from apps.segments.ml.rfm import SEGMENT_LABELS
from apps.segments.models import CustomerSegment, SavedSegment, SegmentProfiles

MEMBER_CSV_FIELDS = ("customer__external_id", "customer__source", *CustomerSegment.SCORE_FIELDS)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SegmentProfiles)
class SegmentProfilesAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The marketer's page: who the customers are, what they are worth, who is slipping."""

    def changelist_view(self, request, extra_context=None):
        run_id = active_run_id(kind=selectors.KIND)
        context = {
            **self.admin_site.each_context(request),
            "title": "Segment profiles",
            "opts": self.model._meta,
            "run_id": run_id,
        }
        if run_id is not None:
            context.update(self._profiles_context(request, run_id))
        return TemplateResponse(request, "admin/segments/profiles.html", context)

    def _profiles_context(self, request, run_id: int) -> dict:
        profiles = selectors.segment_profiles(run_id=run_id)
        clusters = selectors.cluster_profiles(run_id=run_id)
        runs = selectors.comparable_runs()
        from_run = _int_or_none(request.GET.get("from_run")) or selectors.previous_run_id(run_id=run_id)
        to_run = _int_or_none(request.GET.get("to_run")) or run_id
        kept = {run.pk for run in runs}
        movement = slipping = None
        if from_run in kept and to_run in kept and from_run != to_run:
            movement = selectors.segment_movement(from_run_id=from_run, to_run_id=to_run)
            slipping = selectors.valuable_customers_slipping(from_run_id=from_run, to_run_id=to_run)
        elif request.GET.get("from_run") or request.GET.get("to_run"):
            messages.warning(request, "Choose two different runs whose results are kept.")
        labels = [row["label"] for row in profiles]
        return {
            "profiles": profiles,
            "clusters": clusters,
            "share_chart": horizontal_bars(
                labels,
                [
                    Series("customers", [row["customer_share"] for row in profiles], "{:.1%}"),
                    Series("revenue", [row["revenue_share"] for row in profiles], "{:.1%}"),
                ],
                title="Share of customers and of revenue per segment",
            ),
            "value_chart": horizontal_bars(
                labels,
                [Series("mean lifetime value", [float(row["mean_predicted_value"] or 0) for row in profiles])],
                title="Mean predicted lifetime value per segment",
            ),
            "runs": runs,
            "from_run": from_run,
            "to_run": to_run,
            "movement_rows": _movement_rows(movement) if movement else None,
            "movement_labels": [SEGMENT_LABELS[name] for name in movement["segments"]] if movement else [],
            "slipping": slipping,
        }


def _movement_rows(movement: dict) -> list[dict]:
    largest = max((count for row in movement["matrix"] for count in row), default=0)
    return [
        {
            "label": SEGMENT_LABELS[name],
            "cells": [{"count": count, "colour": heat(count, largest)} for count in movement["matrix"][i]],
            "gone": movement["gone"][name],
            "arrived": movement["arrived"][name],
        }
        for i, name in enumerate(movement["segments"])
    ]


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@admin.register(CustomerSegment)
class CustomerSegmentAdmin(CsvExportMixin, ReadOnlyMixin, admin.ModelAdmin):
    """Every customer's scores in the active run: filter by segment or cluster, export."""

    list_display = [
        "customer",
        "segment_label",
        "r",
        "f",
        "m",
        "cluster",
        "monetary",
        "predicted_value",
        "probability_alive",
    ]
    list_filter = ["segment", "cluster"]
    search_fields = ["customer__external_id"]
    list_select_related = ["customer"]
    ordering = ["-predicted_value", "customer_id"]
    csv_fields = MEMBER_CSV_FIELDS

    def get_queryset(self, request):
        return selectors.customer_segments_current().select_related("customer")

    @admin.display(description="segment", ordering="segment")
    def segment_label(self, obj):
        return SEGMENT_LABELS.get(obj.segment, obj.segment)


@admin.register(SavedSegment)
class SavedSegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "members", "rfm_segments", "clusters", "min_predicted_value", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["created_by", "created_at"]
    actions = ["export_members"]

    @admin.display(description="customers in the active run")
    def members(self, obj):
        return selectors.saved_segment_members(obj).count()

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Export the members of the selected segments as CSV")
    def export_members(self, request, queryset):
        def rows():
            for saved in queryset.order_by("name"):
                members = selectors.saved_segment_members(saved).select_related("customer").order_by("customer_id")
                for row in members.iterator(chunk_size=2000):
                    yield (saved.name, *(resolve_field(row, field) for field in MEMBER_CSV_FIELDS))

        return csv_download(header=("saved_segment", *MEMBER_CSV_FIELDS), rows=rows(), name="saved-segments")


class SegmentHistoryInline(ReadOnlyMixin, admin.TabularInline):
    """The customer's segment, cluster and lifetime value in every kept run."""

    model = CustomerSegment
    extra = 0
    fields = ["run", "segment", "r", "f", "m", "cluster", "predicted_purchases", "probability_alive", "predicted_value"]
    readonly_fields = fields
    ordering = ["-run_id"]
    verbose_name_plural = "segments and lifetime value, by training run"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(run__results_pruned=False).select_related("run")


class CustomerWithSegmentsAdmin(CustomerAdmin):
    # Registered from here, so the customers app needs to know nothing of segments.
    inlines = [*CustomerAdmin.inlines, SegmentHistoryInline]


admin.site.unregister(Customer)
admin.site.register(Customer, CustomerWithSegmentsAdmin)
