"""The evaluation protocol every recommender is measured with.

Temporal split: train on events before `split_at`, test on events from then on. Test
customers bought on both sides. Two tracks:
- "all": truth is every distinct product the customer bought in the test period;
- "new": truth is the test products the customer had not bought before (customers with
  at least one), and products already bought are left out of their lists.
Metrics per customer, averaged: NDCG@10 (binary relevance), Recall@20 (hits over the
size of the truth), HitRate@10; and catalogue coverage@10 (distinct products in all
top-10 lists over the products in the training data).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from apps.recommendations.ml.metrics import hit_rate_at_k, ndcg_at_k, recall_at_k

TRACKS = ("all", "new")
LIST_LENGTH = 20

# recommend(customers, k, exclude_bought) -> one ranked list of product ids per customer
Recommend = Callable[[list, int, bool], list[list]]


@dataclass
class Split:
    train: pd.DataFrame
    test: pd.DataFrame
    customers: list
    truth: dict[str, dict]  # track -> customer -> set of products
    catalogue: int


def temporal_split(events: pd.DataFrame, *, split_at, until=None) -> Split:
    """events: customer_id, product_id, placed_at (and anything else, kept)."""
    before = events["placed_at"] < pd.Timestamp(split_at)
    train, test = events[before], events[~before]
    if until is not None:
        test = test[test["placed_at"] < pd.Timestamp(until)]
    customers = sorted(set(train["customer_id"]) & set(test["customer_id"]))
    test = test[test["customer_id"].isin(customers)]
    bought = train[train["customer_id"].isin(customers)].groupby("customer_id")["product_id"].agg(set)
    later = test.groupby("customer_id")["product_id"].agg(set)
    truth_all = {c: later[c] for c in customers}
    truth_new = {c: later[c] - bought[c] for c in customers if later[c] - bought[c]}
    return Split(
        train=train,
        test=test,
        customers=customers,
        truth={"all": truth_all, "new": truth_new},
        catalogue=int(train["product_id"].nunique()),
    )


def evaluate(recommend: Recommend, split: Split, *, track: str, k: int = 10, recall_k: int = LIST_LENGTH) -> dict:
    truth = split.truth[track]
    customers = sorted(truth)
    if not customers:
        return {"customers": 0, f"ndcg@{k}": 0.0, f"recall@{recall_k}": 0.0, f"hit_rate@{k}": 0.0, f"coverage@{k}": 0.0}
    lists = recommend(customers, max(k, recall_k), track == "new")
    ndcg = np.mean([ndcg_at_k(ranked, truth[c], k) for c, ranked in zip(customers, lists, strict=True)])
    recall = np.mean([recall_at_k(ranked, truth[c], recall_k) for c, ranked in zip(customers, lists, strict=True)])
    hits = np.mean([hit_rate_at_k(ranked, truth[c], k) for c, ranked in zip(customers, lists, strict=True)])
    shown = {item for ranked in lists for item in ranked[:k]}
    return {
        "customers": len(customers),
        f"ndcg@{k}": round(float(ndcg), 4),
        f"recall@{recall_k}": round(float(recall), 4),
        f"hit_rate@{k}": round(float(hits), 4),
        f"coverage@{k}": round(len(shown) / split.catalogue, 4) if split.catalogue else 0.0,
    }


def protocol_dates(as_of, *, test_days: int, validation_days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The test weeks start `test_days` before the data ends, at midnight; validation weeks
    precede them. On the UCI log this gives 2011-11-09 and 2011-10-10."""
    split_at = (pd.Timestamp(as_of) - pd.Timedelta(days=test_days)).normalize()
    return split_at - pd.Timedelta(days=validation_days), split_at
