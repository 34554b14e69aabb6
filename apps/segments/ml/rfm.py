"""RFM: each customer's recency, frequency and monetary value scored 1-5 by quintile, and
the usual named RFM segment read from a score map. Pure pandas, no Django.

The map is a grid over the recency score R and the combined frequency-monetary score
FM = round-half-up((F + M) / 2), so that a customer who orders often but little and one
who orders rarely but much sit in the same column:

    R \\ FM   1               2                    3                    4                 5
    5        new             potential_loyalists  potential_loyalists  champions         champions
    4        promising       potential_loyalists  loyal                loyal             champions
    3        about_to_sleep  need_attention       need_attention       loyal             loyal
    2        hibernating     about_to_sleep       at_risk              at_risk           cannot_lose_them
    1        lost            lost                 hibernating          at_risk           cannot_lose_them

Every customer gets exactly one name, and the grid is the whole rule (no order of precedence
to remember). Customers whose net spend is zero or negative (they returned everything) are
scored like everyone else on recency; their F and M are 1, the lowest.
"""

import numpy as np
import pandas as pd

SCORES = 5

SEGMENT_LABELS = {
    "champions": "Champions",
    "loyal": "Loyal",
    "potential_loyalists": "Potential loyalists",
    "new": "New",
    "promising": "Promising",
    "need_attention": "Need attention",
    "about_to_sleep": "About to sleep",
    "at_risk": "At risk",
    "cannot_lose_them": "Cannot lose them",
    "hibernating": "Hibernating",
    "lost": "Lost",
}
SEGMENTS = tuple(SEGMENT_LABELS)

# SCORE_MAP[r][fm]: the grid above, R and FM from 1 to 5.
SCORE_MAP = {
    5: {1: "new", 2: "potential_loyalists", 3: "potential_loyalists", 4: "champions", 5: "champions"},
    4: {1: "promising", 2: "potential_loyalists", 3: "loyal", 4: "loyal", 5: "champions"},
    3: {1: "about_to_sleep", 2: "need_attention", 3: "need_attention", 4: "loyal", 5: "loyal"},
    2: {1: "hibernating", 2: "about_to_sleep", 3: "at_risk", 4: "at_risk", 5: "cannot_lose_them"},
    1: {1: "lost", 2: "lost", 3: "hibernating", 4: "at_risk", 5: "cannot_lose_them"},
}

# "At risk or worse": a valuable customer moving into one of these is listed for staff.
SLIPPING = ("at_risk", "cannot_lose_them", "hibernating", "lost")

RFM_COLUMNS = ["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "segment"]


def quintile_scores(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Scores 1..5 in equal-sized groups of the ranking; ties are broken by order of
    appearance, so every score holds the same number of customers (within one)."""
    if values.empty:
        return pd.Series(dtype=int)
    ranks = values.rank(method="first", ascending=higher_is_better).to_numpy()
    scores = np.ceil(ranks * SCORES / len(values)).astype(int)
    return pd.Series(np.clip(scores, 1, SCORES), index=values.index)


def segment_for(r: int, f: int, m: int) -> str:
    return SCORE_MAP[r][(f + m + 1) // 2]


def rfm_table(customers: pd.DataFrame) -> pd.DataFrame:
    """customers: customer_id, recency_days, frequency (purchase orders), monetary (net
    spend). Returns them with r, f, m scores and the segment, in customer_id order."""
    if customers.empty:
        return pd.DataFrame(columns=RFM_COLUMNS)
    table = customers[["customer_id", "recency_days", "frequency", "monetary"]].sort_values("customer_id")
    table = table.reset_index(drop=True)
    table["r"] = quintile_scores(-table["recency_days"])
    table["f"] = quintile_scores(table["frequency"])
    table["m"] = quintile_scores(table["monetary"])
    nothing_kept = table["monetary"] <= 0
    table.loc[nothing_kept, ["f", "m"]] = 1
    fm = (table["f"] + table["m"] + 1) // 2
    lookup = np.array([[SCORE_MAP[r][c] if r and c else "" for c in range(SCORES + 1)] for r in range(SCORES + 1)])
    table["segment"] = lookup[table["r"].to_numpy(), fm.to_numpy()]
    return table[RFM_COLUMNS]
