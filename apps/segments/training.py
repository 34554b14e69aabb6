"""The segments kind on the training platform: for every customer with an order line before
the cutoff, RFM scores and named segment, a behavioural cluster (k-means or deep clustering,
whichever measures better), and lifetime value over a horizon (expected purchases,
probability of being alive, expected spend). Clusters are published with their description."""

import datetime as dt
import math
import time
from decimal import Decimal

import numpy as np
import pandas as pd

from apps.core.training.device import torch_device
from apps.core.training.trainer import Trainer, TrainingOutcome
from apps.orders.selectors import customer_order_lines
from apps.segments.ml.features import customer_features, model_matrix
from apps.segments.ml.lifetime_value import customer_lifetime_value
from apps.segments.ml.rfm import SEGMENTS, rfm_table
from apps.segments.ml.selection import choose_segmentation
from apps.segments.models import CustomerSegment, SegmentCluster

DEFAULTS = {
    # None: k chosen by silhouette over 2..10; a number fixes it (staff's choice).
    "clusters": None,
    "deep_clustering": True,
    "clv_horizon_days": 90,
    "random_state": 0,
}
PUBLISH_BATCH = 5_000
CENT = Decimal("0.01")


class SegmentsTrainer(Trainer):
    kind = "segments"
    serving_without_run = (
        "Customer pages, the segments API and segment-targeted promotions find no scores; segment-eligible "
        "promotions reach nobody."
    )
    result_models = (CustomerSegment, SegmentCluster)

    def fit(self, *, cutoff, parameters, report) -> TrainingOutcome:
        params = {**DEFAULTS, **parameters}
        seconds: dict[str, float] = {}
        report(3, "Reading order lines")
        lines = customer_order_lines(before=cutoff)
        as_of = cutoff or _day_after(lines)
        customers_seen = int(lines["customer_id"].nunique())

        started = time.perf_counter()
        features = customer_features(lines, as_of=as_of)
        rfm = rfm_table(features.reset_index())
        seconds["rfm"] = time.perf_counter() - started
        if rfm.empty:
            return TrainingOutcome(
                metrics={"customers": 0, "as_of": as_of.isoformat()},
                gate_passed=False,
                gate_reason="No customer orders before the cutoff: nothing to segment.",
                results=rfm.iloc[0:0],
                extra={"clusters": []},
            )

        report(10, f"Clustering {len(features):,} customers")
        started = time.perf_counter()
        matrix, _ = model_matrix(features)
        choice = choose_segmentation(
            matrix,
            features,
            k=params["clusters"],
            random_state=params["random_state"],
            deep=params["deep_clustering"],
            device=torch_device() if params["deep_clustering"] else "cpu",
            report=lambda percent, message: report(10 + int(0.6 * percent), message),
        )
        seconds["clustering"] = time.perf_counter() - started

        report(72, "Lifetime value")
        started = time.perf_counter()
        value = customer_lifetime_value(lines, as_of=as_of, horizon_days=params["clv_horizon_days"])
        seconds["clv"] = time.perf_counter() - started

        table = rfm.set_index("customer_id")
        table["cluster"] = pd.Series(choice.labels, index=choice.customer_ids).reindex(table.index)
        table = table.join(value.table, how="left")
        table[["predicted_purchases", "probability_alive", "predicted_value"]] = table[
            ["predicted_purchases", "probability_alive", "predicted_value"]
        ].fillna(0.0)
        table = table.reset_index()

        counts = table["segment"].value_counts().to_dict()
        metrics = {
            "customers": len(table),
            "as_of": as_of.isoformat(),
            "segment_counts": {name: int(counts.get(name, 0)) for name in SEGMENTS},
            "clustering": {
                "method": choice.method,
                "k": choice.k,
                "reason": choice.reason,
                "methods": choice.metrics,
                "silhouette_by_k": {str(k): v for k, v in choice.silhouette_by_k.items()},
            },
            "clv": value.metrics,
            "seconds": {name: round(value_s, 3) for name, value_s in seconds.items()},
        }
        passed, reason = _gate(table, customers_seen, counts)
        clusters = [
            {
                "number": int(description.label),
                "name": description.name[:120],
                "description": description.sentence[:500],
                "customers": int(description.size),
                "profile": {name: _finite(mean) for name, mean in description.means.items()},
            }
            for description in choice.descriptions
        ]
        return TrainingOutcome(
            metrics=metrics, gate_passed=passed, gate_reason=reason, results=table, extra={"clusters": clusters}
        )

    def publish(self, *, run, outcome) -> None:
        rows = [
            CustomerSegment(
                run=run,
                customer_id=int(row.customer_id),
                recency_days=int(row.recency_days),
                frequency=int(row.frequency),
                monetary=Decimal(str(round(float(row.monetary), 3))),
                r=int(row.r),
                f=int(row.f),
                m=int(row.m),
                segment=row.segment,
                cluster=None if pd.isna(row.cluster) else int(row.cluster),
                predicted_purchases=float(row.predicted_purchases),
                probability_alive=float(row.probability_alive),
                predicted_value=Decimal(str(float(row.predicted_value))).quantize(CENT),
            )
            for row in outcome.results.itertuples(index=False)
        ]
        CustomerSegment.objects.bulk_create(rows, batch_size=PUBLISH_BATCH)
        SegmentCluster.objects.bulk_create(SegmentCluster(run=run, **cluster) for cluster in outcome.extra["clusters"])


def _day_after(lines: pd.DataFrame) -> dt.datetime:
    if lines.empty:
        return dt.datetime.now(dt.UTC)
    return (lines["placed_at"].max() + pd.Timedelta(days=1)).to_pydatetime()


def _gate(table: pd.DataFrame, customers_seen: int, counts: dict) -> tuple[bool, str]:
    """Every customer with an order line is scored, the scores separate them, nothing is NaN."""
    numeric = table[["monetary", "predicted_purchases", "probability_alive", "predicted_value"]].to_numpy(float)
    non_empty = sum(1 for name in SEGMENTS if counts.get(name, 0))
    if len(table) != customers_seen:
        return False, f"Scored {len(table)} of {customers_seen} customers."
    if not np.isfinite(numeric).all():
        return False, "Some scores are not finite numbers."
    if non_empty < 2:
        return False, "All customers fell into one segment."
    return True, f"All {len(table):,} customers scored into {non_empty} segments."


def _finite(value) -> float:
    value = float(value)
    return round(value, 4) if math.isfinite(value) else 0.0
