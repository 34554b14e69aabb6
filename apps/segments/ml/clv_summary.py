"""Per-customer frequency, recency, age and spend from a transaction log, in the form the
buy-till-you-die models (BG/NBD, Pareto/NBD) and the Gamma-Gamma spend model expect. Pure
pandas, no Django.

Time is counted in whole days, then divided by `time_unit_days` (7: weeks, as in Fader, Hardie
& Lee 2005; 1: days). All lines of one customer on one calendar day form one purchase, whose
value is the day's net value. Rules:

- frequency: purchase days after the first one (repeat purchases); one purchase gives 0.
- recency: last purchase day minus first purchase day; 0 for one purchase.
- T: calibration end minus first purchase day. The calibration period includes the
  calibration-end day: a purchase that day counts, with recency = T (T = 0 for a customer
  whose first purchase is that day).
- monetary_value: mean net value of the repeat purchase days; 0 when there are none.
- Returns: a day whose net value is negative (returns outweigh purchases) is not a purchase
  and is dropped; a day netting exactly 0 (free items, a purchase returned the same day) is a
  purchase worth 0. Returns on a later day do not lower the earlier day's value.
- Customers whose first purchase is after the calibration end are not in the table: the
  models know nothing of them (score them as new customers).
- Days are calendar days in UTC for time-zone-aware dates (the cut-offs too), and as written
  for naive ones.
- With `observation_end`, frequency_holdout counts each customer's purchase days in
  (calibration_end, observation_end] and duration_holdout is that window's length.
"""

import numpy as np
import pandas as pd

SUMMARY_COLUMNS = ["customer_id", "frequency", "recency", "T", "monetary_value"]
HOLDOUT_COLUMNS = ["frequency_holdout", "duration_holdout"]


def purchase_days(
    transactions: pd.DataFrame, *, customer_col: str, date_col: str, value_col: str | None = None
) -> pd.DataFrame:
    """One row per customer and purchase day: customer_id, day (midnight, naive), value.
    Negative-net days are dropped; without a value column every value is 0."""
    dates = pd.to_datetime(transactions[date_col])
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
    values = transactions[value_col].astype(float) if value_col else pd.Series(0.0, index=transactions.index)
    frame = pd.DataFrame(
        {"customer_id": transactions[customer_col].to_numpy(), "day": dates.dt.normalize(), "value": values}
    )
    days = frame.groupby(["customer_id", "day"], sort=True, observed=True)["value"].sum().reset_index()
    return days[days["value"] >= 0].reset_index(drop=True)


def customer_summary(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "placed_at",
    value_col: str | None = None,
    calibration_end,
    observation_end=None,
    time_unit_days: float = 7.0,
) -> pd.DataFrame:
    """One row per customer who bought on or before `calibration_end` (see the module's rules):
    customer_id, frequency, recency, T, monetary_value, and frequency_holdout,
    duration_holdout when `observation_end` is given. Sorted by customer_id."""
    if time_unit_days <= 0:
        raise ValueError("time_unit_days must be positive")
    days = purchase_days(transactions, customer_col=customer_col, date_col=date_col, value_col=value_col)
    return summary_from_purchase_days(
        days, calibration_end=calibration_end, observation_end=observation_end, time_unit_days=time_unit_days
    )


def summary_from_purchase_days(
    days: pd.DataFrame, *, calibration_end, observation_end=None, time_unit_days: float = 7.0
) -> pd.DataFrame:
    """customer_summary on the output of purchase_days (so several cut-offs can share one pass)."""
    calibration_end = naive_day(calibration_end)
    columns = SUMMARY_COLUMNS + (HOLDOUT_COLUMNS if observation_end is not None else [])
    calibration = days[days["day"] <= calibration_end]
    if calibration.empty:
        return pd.DataFrame({name: pd.Series(dtype=float) for name in columns}).astype({"customer_id": object})
    grouped = calibration.groupby("customer_id", sort=True)
    first = grouped["day"].min()
    purchases = grouped.size()
    total = grouped["value"].sum()
    # days are sorted by customer then day, so the first row of each customer is the first purchase
    first_value = grouped["value"].first()
    repeats = (purchases - 1).to_numpy()
    table = pd.DataFrame(
        {
            "customer_id": first.index.to_numpy(),
            "frequency": repeats.astype(float),
            "recency": (grouped["day"].max() - first).dt.days.to_numpy() / time_unit_days,
            "T": (calibration_end - first).dt.days.to_numpy() / time_unit_days,
            "monetary_value": np.where(repeats > 0, (total - first_value).to_numpy() / np.maximum(repeats, 1), 0.0),
        }
    )
    if observation_end is not None:
        observation_end = naive_day(observation_end)
        if observation_end < calibration_end:
            raise ValueError("observation_end is before calibration_end")
        holdout = days[(days["day"] > calibration_end) & (days["day"] <= observation_end)]
        counts = holdout.groupby("customer_id").size()
        table["frequency_holdout"] = counts.reindex(table["customer_id"], fill_value=0).to_numpy().astype(float)
        table["duration_holdout"] = (observation_end - calibration_end).days / time_unit_days
    return table[columns]


def naive_day(moment) -> pd.Timestamp:
    """Midnight of the moment's calendar day, naive (UTC for an aware moment)."""
    moment = pd.Timestamp(moment)
    if moment.tzinfo is not None:
        moment = moment.tz_convert("UTC").tz_localize(None)
    return moment.normalize()
