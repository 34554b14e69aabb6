"""Reads of segmentation results. Readers see the active segments run only, so a run still
writing is never seen; history and movement compare runs whose results are kept."""

from decimal import Decimal

from django.db.models import Avg, Count, F, Q, Sum

from apps.core.models import TrainingRun
from apps.core.training.selectors import active_run_id
from apps.segments.ml.rfm import SEGMENT_LABELS, SEGMENTS, SLIPPING
from apps.segments.models import CustomerSegment, SavedSegment, SegmentCluster

KIND = "segments"


def customer_segments_current():
    """Rows of the active segments run only: a run still writing is never seen."""
    return CustomerSegment.objects.filter(run_id=active_run_id(kind=KIND))


def segment_sizes() -> dict[str, int]:
    rows = customer_segments_current().values("segment").annotate(customers=Count("id"))
    return {row["segment"]: row["customers"] for row in rows}


def segment_profiles(*, run_id: int | None = None) -> list[dict]:
    """Per RFM segment of a run (the active one by default), in the map's order: size and
    share of customers, revenue and its share, mean R/F/M scores and raw values, lifetime
    value. Segments nobody is in are left out."""
    run_id = active_run_id(kind=KIND) if run_id is None else run_id
    rows = CustomerSegment.objects.filter(run_id=run_id).values("segment")
    stats = {
        row["segment"]: row
        for row in rows.annotate(
            customers=Count("id"),
            revenue=Sum("monetary"),
            mean_r=Avg("r"),
            mean_f=Avg("f"),
            mean_m=Avg("m"),
            mean_recency_days=Avg("recency_days"),
            mean_frequency=Avg("frequency"),
            mean_monetary=Avg("monetary"),
            total_predicted_value=Sum("predicted_value"),
            mean_predicted_value=Avg("predicted_value"),
            mean_probability_alive=Avg("probability_alive"),
        )
    }
    customers = sum(row["customers"] for row in stats.values())
    # Revenue shares of what customers kept: a segment that returned more than it bought adds nothing.
    positive_revenue = sum(max(row["revenue"] or 0, 0) for row in stats.values()) or Decimal(1)
    return [
        {
            **stats[name],
            "label": SEGMENT_LABELS[name],
            "customer_share": stats[name]["customers"] / customers,
            "revenue_share": float(max(stats[name]["revenue"] or 0, 0) / positive_revenue),
        }
        for name in SEGMENTS
        if name in stats
    ]


def cluster_profiles(*, run_id: int | None = None) -> list[dict]:
    run_id = active_run_id(kind=KIND) if run_id is None else run_id
    revenue = dict(
        CustomerSegment.objects.filter(run_id=run_id)
        .values("cluster")
        .annotate(revenue=Sum("monetary"))
        .values_list("cluster", "revenue")
    )
    clusters = list(SegmentCluster.objects.filter(run_id=run_id).order_by("number"))
    customers = sum(cluster.customers for cluster in clusters) or 1
    return [
        {
            "number": cluster.number,
            "name": cluster.name,
            "description": cluster.description,
            "customers": cluster.customers,
            "customer_share": cluster.customers / customers,
            "revenue": revenue.get(cluster.number) or Decimal(0),
            "profile": cluster.profile,
        }
        for cluster in clusters
    ]


def comparable_runs() -> list[TrainingRun]:
    """Succeeded segments runs whose rows are kept, newest first."""
    return list(
        TrainingRun.objects.filter(kind=KIND, status=TrainingRun.Status.SUCCEEDED, results_pruned=False).order_by(
            "-created_at", "-id"
        )
    )


def previous_run_id(*, run_id: int) -> int | None:
    """The newest kept run older than `run_id`: what movement is measured against."""
    run = TrainingRun.objects.get(pk=run_id)
    earlier = [r for r in comparable_runs() if (r.created_at, r.pk) < (run.created_at, run.pk)]
    return earlier[0].pk if earlier else None


def segment_movement(*, from_run_id: int, to_run_id: int) -> dict:
    """How many customers moved from each segment to each other between two runs:
    matrix[i][j] counts customers in SEGMENTS[i] before and SEGMENTS[j] after. Customers
    in only one of the runs are counted as arrived (first purchase since) or gone."""
    before = CustomerSegment.objects.filter(run_id=from_run_id)
    after = CustomerSegment.objects.filter(run_id=to_run_id)
    pairs = (
        after.filter(customer__segment_scores__run_id=from_run_id)
        .values("segment", previous=F("customer__segment_scores__segment"))
        .annotate(customers=Count("id"))
    )
    index = {name: i for i, name in enumerate(SEGMENTS)}
    matrix = [[0] * len(SEGMENTS) for _ in SEGMENTS]
    for row in pairs:
        matrix[index[row["previous"]]][index[row["segment"]]] += row["customers"]
    arrived = dict(
        after.exclude(customer__segment_scores__run_id=from_run_id)
        .values("segment")
        .annotate(customers=Count("id"))
        .values_list("segment", "customers")
    )
    gone = dict(
        before.exclude(customer__segment_scores__run_id=to_run_id)
        .values("segment")
        .annotate(customers=Count("id"))
        .values_list("segment", "customers")
    )
    return {
        "from_run": from_run_id,
        "to_run": to_run_id,
        "segments": list(SEGMENTS),
        "matrix": matrix,
        "arrived": {name: arrived.get(name, 0) for name in SEGMENTS},
        "gone": {name: gone.get(name, 0) for name in SEGMENTS},
    }


def valuable_customers_slipping(*, from_run_id: int, to_run_id: int, top_share: float = 0.2, limit: int = 200):
    """Customers who were among the `top_share` most valuable of the earlier run (by
    predicted lifetime value, then by net spend) and who moved from a healthy segment into
    "at risk" or worse. Most valuable first."""
    before = CustomerSegment.objects.filter(run_id=from_run_id)
    ranked = before.order_by("-predicted_value", "-monetary", "customer_id")
    cut = int(before.count() * top_share)
    if cut == 0:
        return []
    threshold = ranked.values_list("predicted_value", "monetary")[cut - 1]
    valuable = before.filter(
        Q(predicted_value__gt=threshold[0]) | Q(predicted_value=threshold[0], monetary__gte=threshold[1])
    ).exclude(segment__in=SLIPPING)
    previous = {row.customer_id: row for row in valuable}
    moved = (
        CustomerSegment.objects.filter(run_id=to_run_id, customer_id__in=previous, segment__in=SLIPPING)
        .select_related("customer")
        .order_by("customer_id")
    )
    rows = [
        {
            "customer": row.customer,
            "before": previous[row.customer_id],
            "after": row,
        }
        for row in moved
    ]
    rows.sort(key=lambda item: (-item["before"].predicted_value, -item["before"].monetary, item["customer"].pk))
    return rows[:limit]


def saved_segment_members(saved: SavedSegment, *, run_id: int | None = None):
    """The active run's rows of the customers a saved segment selects."""
    run_id = active_run_id(kind=KIND) if run_id is None else run_id
    rows = CustomerSegment.objects.filter(run_id=run_id)
    if saved.rfm_segments:
        rows = rows.filter(segment__in=saved.rfm_segments)
    if saved.clusters:
        rows = rows.filter(cluster__in=saved.clusters)
    if saved.min_predicted_value is not None:
        rows = rows.filter(predicted_value__gte=saved.min_predicted_value)
    if saved.min_probability_alive is not None:
        rows = rows.filter(probability_alive__gte=saved.min_probability_alive)
    if saved.max_probability_alive is not None:
        rows = rows.filter(probability_alive__lte=saved.max_probability_alive)
    return rows


def customer_segment_history(*, customer_id: int):
    """A customer's rows in every kept run, newest first."""
    return (
        CustomerSegment.objects.filter(customer_id=customer_id, run__results_pruned=False)
        .select_related("run")
        .order_by("-run__created_at", "-run_id")
    )
