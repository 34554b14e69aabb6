"""Each customer's lifetime value as the segments run publishes it, from the same order lines
the other segment models read: the store's CLV model (clv.py, chosen by validation inside the
history) fitted on every purchase day before the cutoff, forecasting over a horizon in days.

Rules on top of clv_summary's: the calibration ends on the last calendar day (UTC) before the
cutoff moment that has begun, so purchases earlier that day count; a customer with no purchase
day (every line a return, or every day netting negative) is not in the model's table and is
published with 0 purchases, 0 probability of being alive and 0 value, since the model has
nothing to say about someone who never kept anything.

Scale: the model is chosen and fitted on at most MAX_FIT_CUSTOMERS customers drawn with a
fixed seed (its parameters describe the population, which a sample of that size pins down),
then applied to every customer; below that, on everyone."""

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from apps.segments.ml.clv import ClvModel, customer_value_table
from apps.segments.ml.clv_summary import purchase_days, summary_from_purchase_days

WEEK_DAYS = 7.0
MAX_FIT_CUSTOMERS = 100_000


@dataclass
class LifetimeValue:
    """table: indexed by customer_id, predicted_purchases, probability_alive, predicted_value
    (expected spend over the horizon). metrics: the chosen model, why, its parameters."""

    table: pd.DataFrame
    metrics: dict = field(default_factory=dict)


def customer_lifetime_value(lines: pd.DataFrame, *, as_of: dt.datetime, horizon_days: int = 90) -> LifetimeValue:
    columns = ["predicted_purchases", "probability_alive", "predicted_value"]
    before = lines[lines["placed_at"] < pd.Timestamp(as_of)]
    days = purchase_days(before, customer_col="customer_id", date_col="placed_at", value_col="amount")
    if days.empty:
        empty = pd.DataFrame({name: pd.Series(dtype=float) for name in columns}).rename_axis("customer_id")
        return LifetimeValue(table=empty, metrics={"model": None, "reason": "no purchases before the cutoff"})
    calibration_end = pd.Timestamp(as_of) - pd.Timedelta(microseconds=1)
    customers = days["customer_id"].unique()
    fit_days = days
    if len(customers) > MAX_FIT_CUSTOMERS:
        sample = np.random.default_rng(0).choice(customers, MAX_FIT_CUSTOMERS, replace=False)
        fit_days = days[days["customer_id"].isin(sample)]
    model = ClvModel(time_unit_days=WEEK_DAYS).fit(fit_days, calibration_end=calibration_end)
    summary = (
        model.summary_
        if fit_days is days
        else summary_from_purchase_days(days, calibration_end=calibration_end, time_unit_days=WEEK_DAYS)
    )
    table = customer_value_table(summary, horizon=horizon_days / WEEK_DAYS, model=model)
    table = table.set_index("customer_id")[columns]
    return LifetimeValue(
        table=table,
        metrics={
            "model": model.selected_,
            "reason": model.selection_reason_,
            "horizon_days": horizon_days,
            "params": model.params_,
            "validation": model.validation_,
            "fit_seconds": round(model.fit_seconds_, 3),
            "fitted_on_customers": int(min(len(customers), MAX_FIT_CUSTOMERS)),
            "predicted_purchases": round(float(table["predicted_purchases"].sum()), 1),
            "predicted_value": round(float(table["predicted_value"].sum()), 2),
        },
    )
