"""Segments runs written by hand: a few customers whose profiles, movement and audiences can
be worked out on paper."""

from decimal import Decimal

import pytest
from django.utils import timezone

from apps.core.models import TrainingRun
from apps.customers.models import Customer
from apps.segments.models import CustomerSegment, SegmentCluster

# customer: (segment, monetary, predicted_value, probability_alive, cluster) in the earlier run
EARLIER = {
    "A": ("champions", "500.000", "900.00", 0.95, 0),
    "B": ("loyal", "300.000", "400.00", 0.90, 0),
    "C": ("lost", "20.000", "1.00", 0.10, 1),
    "D": ("new", "40.000", "60.00", 0.80, 1),
    "E": ("hibernating", "10.000", "2.00", 0.20, 1),
}
# ... and in the later, active run (E is gone, F arrived)
LATER = {
    "A": ("at_risk", "520.000", "300.00", 0.40, 0),
    "B": ("loyal", "350.000", "420.00", 0.92, 0),
    "C": ("lost", "20.000", "0.50", 0.05, 1),
    "D": ("potential_loyalists", "90.000", "120.00", 0.85, 0),
    "F": ("new", "-15.000", "0.00", 1.00, 1),
}


def _run(rows: dict, *, active: bool, customers: dict) -> TrainingRun:
    run = TrainingRun.objects.create(
        kind="segments",
        status=TrainingRun.Status.SUCCEEDED,
        cutoff_key=f"hand-{len(customers)}-{active}",
        is_active=active,
        finished_at=timezone.now(),
    )
    for external_id, (segment, monetary, value, alive, cluster) in rows.items():
        CustomerSegment.objects.create(
            run=run,
            customer=customers[external_id],
            recency_days=10,
            frequency=2,
            monetary=Decimal(monetary),
            r=3,
            f=3,
            m=3,
            segment=segment,
            cluster=cluster,
            predicted_purchases=1.5,
            probability_alive=alive,
            predicted_value=Decimal(value),
        )
    SegmentCluster.objects.create(run=run, number=0, name="Big spenders", description="Spend 5x", customers=2)
    SegmentCluster.objects.create(run=run, number=1, name="Occasional", description="Rarely buy", customers=3)
    return run


@pytest.fixture
def two_runs(db):
    customers = {external_id: Customer.objects.create(external_id=external_id) for external_id in "ABCDEF"}
    earlier = _run(EARLIER, active=False, customers=customers)
    later = _run(LATER, active=True, customers=customers)
    return earlier, later, customers
