"""The segments kind on the training platform: RFM scores for every customer who bought."""

import datetime as dt
from decimal import Decimal

from apps.core.training.trainer import Trainer, TrainingOutcome
from apps.orders.selectors import purchase_events
from apps.segments.ml.rfm import SEGMENTS, rfm_table
from apps.segments.models import CustomerRfm

PUBLISH_BATCH = 2_000


class RfmTrainer(Trainer):
    kind = "segments"
    result_models = (CustomerRfm,)

    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        report(5, "Reading purchases")
        events = purchase_events(before=cutoff)
        as_of = cutoff or (
            events["placed_at"].max() + dt.timedelta(days=1) if not events.empty else dt.datetime.now(dt.UTC)
        )
        report(40, f"Scoring {events['customer_id'].nunique():,} customers")
        table = rfm_table(events, as_of=as_of)
        counts = table["segment"].value_counts().to_dict()
        customers = len(table)
        expected = int(events["customer_id"].nunique())
        metrics = {
            "customers": customers,
            "as_of": as_of.isoformat(),
            "segment_counts": {name: int(counts.get(name, 0)) for name in SEGMENTS},
            "median_recency_days": float(table["recency_days"].median()) if customers else None,
            "median_frequency": float(table["frequency"].median()) if customers else None,
        }
        non_empty = sum(1 for name in SEGMENTS if counts.get(name, 0))
        # The gate: every buying customer is scored, and the scores separate them.
        if customers == 0:
            passed, reason = False, "No purchases before the cutoff: nothing to segment."
        elif customers != expected:
            passed, reason = False, f"Scored {customers} of {expected} customers."
        elif non_empty < 2:
            passed, reason = False, "All customers fell into one segment."
        else:
            passed, reason = True, f"All {customers:,} buying customers scored into {non_empty} segments."
        return TrainingOutcome(metrics=metrics, gate_passed=passed, gate_reason=reason, results=table)

    def publish(self, *, run, outcome) -> None:
        rows = [
            CustomerRfm(
                run=run,
                customer_id=int(row.customer_id),
                recency_days=int(row.recency_days),
                frequency=int(row.frequency),
                monetary=Decimal(str(round(float(row.monetary), 3))),
                r=int(row.r),
                f=int(row.f),
                m=int(row.m),
                segment=row.segment,
            )
            for row in outcome.results.itertuples(index=False)
        ]
        CustomerRfm.objects.bulk_create(rows, batch_size=PUBLISH_BATCH)
