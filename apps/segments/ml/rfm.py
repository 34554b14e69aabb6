"""RFM: each customer's recency, frequency and monetary value, scored 1-5 by quintile,
and a named segment from the recency and frequency scores. Pure pandas, no Django."""

import datetime as dt

import numpy as np
import pandas as pd

SCORES = 5

# (segment, rule on r and f scores); the first rule that matches names the customer.
SEGMENT_RULES = (
    ("champions", lambda r, f: (r >= 4) & (f >= 4)),
    ("loyal", lambda r, f: (r >= 3) & (f >= 3)),
    ("promising", lambda r, f: (r >= 4) & (f <= 2)),
    ("at_risk", lambda r, f: (r <= 2) & (f >= 4)),
    ("hibernating", lambda r, f: (r <= 2) & (f <= 2)),
)
FALLBACK_SEGMENT = "needs_attention"
SEGMENTS = tuple(name for name, _ in SEGMENT_RULES) + (FALLBACK_SEGMENT,)


def quintile_scores(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Scores 1..5 in equal-sized groups of the ranking; ties are broken by order of
    appearance, so every score holds the same number of customers (within one)."""
    ranks = values.rank(method="first", ascending=higher_is_better).to_numpy()
    scores = np.ceil(ranks * SCORES / len(values)).astype(int)
    return pd.Series(np.clip(scores, 1, SCORES), index=values.index)


def rfm_table(events: pd.DataFrame, *, as_of: dt.datetime) -> pd.DataFrame:
    """events: customer_id, order_id, placed_at, amount. Returns one row per customer:
    recency_days, frequency (orders), monetary (spend), r, f, m scores and segment."""
    if events.empty:
        return pd.DataFrame(columns=["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "segment"])
    grouped = events.groupby("customer_id", sort=True)
    table = pd.DataFrame(
        {
            "last_at": grouped["placed_at"].max(),
            "frequency": grouped["order_id"].nunique(),
            "monetary": grouped["amount"].sum().round(3),
        }
    )
    table["recency_days"] = (pd.Timestamp(as_of) - table["last_at"]).dt.days
    table["r"] = quintile_scores(-table["recency_days"])
    table["f"] = quintile_scores(table["frequency"])
    table["m"] = quintile_scores(table["monetary"])
    segment = pd.Series(FALLBACK_SEGMENT, index=table.index, dtype=object)
    unassigned = pd.Series(True, index=table.index)
    for name, rule in SEGMENT_RULES:
        hit = rule(table["r"], table["f"]) & unassigned
        segment[hit] = name
        unassigned &= ~hit
    table["segment"] = segment
    return table.reset_index()[["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "segment"]]
