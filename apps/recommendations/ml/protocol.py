"""The evaluation protocol every recommender is measured with.

Temporal split: train on events before `split_at`, test on events from then on. Test
customers bought on both sides. A store whose last weeks hold too few such customers to tell
models apart (fewer than MIN_TEST_CUSTOMERS) is measured per customer instead: each customer's
latest orders (the last HOLDOUT_SHARE of their orders, at least one; customers with a single
order stay in training) are held out (`per_customer_split`). Two tracks:
- "all": truth is every distinct product the customer bought in the test period;
- "new": truth is the test products the customer had not bought before (customers with
  at least one), and products already bought are left out of their lists.
Metrics per customer, averaged: NDCG@10 (binary relevance) with its bootstrap 95% interval,
Recall@20 (hits over the size of the truth), HitRate@10; and catalogue coverage@10 (distinct
products in all top-10 lists over the products in the training data).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from apps.recommendations.ml.bootstrap import mean_interval
from apps.recommendations.ml.metrics import hit_rate_at_k, ndcg_at_k, recall_at_k

TRACKS = ("all", "new")
LIST_LENGTH = 20
# Below this many customers in the test weeks, the per-customer protocol is used.
MIN_TEST_CUSTOMERS = 300
HOLDOUT_SHARE = 0.2
# Above this many customers in a split, a fixed random sample of them is measured: the intervals
# are already narrow, and scoring every customer of a million-customer store would take an hour.
MAX_MEASURED_CUSTOMERS = 10_000

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
    return _split(train, test)


def per_customer_split(events: pd.DataFrame, *, share: float = HOLDOUT_SHARE) -> Split:
    """Hold out each customer's latest orders: ceil(share x their orders), at least one, of
    customers with two orders or more; everything else trains."""
    orders = events[["customer_id", "placed_at"]].drop_duplicates().sort_values(["customer_id", "placed_at"])
    counts = orders.groupby("customer_id")["placed_at"].transform("size")
    position = orders.groupby("customer_id").cumcount(ascending=False)  # 0 = the latest order
    held = orders[(counts >= 2) & (position < np.ceil(counts * share).clip(lower=1))]
    key = pd.MultiIndex.from_frame(events[["customer_id", "placed_at"]])
    in_test = key.isin(pd.MultiIndex.from_frame(held[["customer_id", "placed_at"]]))
    return _split(events[~in_test], events[in_test])


def _split(train: pd.DataFrame, test: pd.DataFrame) -> Split:
    customers = sorted(set(train["customer_id"]) & set(test["customer_id"]))
    if len(customers) > MAX_MEASURED_CUSTOMERS:
        picked = np.random.default_rng(0).choice(len(customers), MAX_MEASURED_CUSTOMERS, replace=False)
        customers = [customers[i] for i in sorted(picked)]
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


class TrackMetrics(dict):
    """A track's figures (JSON-ready), and `per_customer`: each customer's NDCG, in the order of
    sorted(truth), for paired comparisons between models."""

    def __init__(self, figures: dict, per_customer: np.ndarray):
        super().__init__(figures)
        self.per_customer = per_customer


def evaluate(
    recommend: Recommend, split: Split, *, track: str, k: int = 10, recall_k: int = LIST_LENGTH
) -> TrackMetrics:
    truth = split.truth[track]
    customers = sorted(truth)
    if not customers:
        empty = {f"ndcg@{k}": 0.0, f"ndcg@{k}_interval": [0.0, 0.0], f"recall@{recall_k}": 0.0}
        return TrackMetrics({"customers": 0, **empty, f"hit_rate@{k}": 0.0, f"coverage@{k}": 0.0}, np.zeros(0))
    lists = recommend(customers, max(k, recall_k), track == "new")
    per_customer = np.array([ndcg_at_k(ranked, truth[c], k) for c, ranked in zip(customers, lists, strict=True)])
    ndcg = per_customer.mean()
    recall = np.mean([recall_at_k(ranked, truth[c], recall_k) for c, ranked in zip(customers, lists, strict=True)])
    hits = np.mean([hit_rate_at_k(ranked, truth[c], k) for c, ranked in zip(customers, lists, strict=True)])
    shown = {item for ranked in lists for item in ranked[:k]}
    figures = {
        "customers": len(customers),
        f"ndcg@{k}": round(float(ndcg), 4),
        f"ndcg@{k}_interval": list(mean_interval(per_customer)),
        f"recall@{recall_k}": round(float(recall), 4),
        f"hit_rate@{k}": round(float(hits), 4),
        f"coverage@{k}": round(len(shown) / split.catalogue, 4) if split.catalogue else 0.0,
    }
    return TrackMetrics(figures, per_customer)


def protocol_dates(as_of, *, test_days: int, validation_days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The test weeks start `test_days` before the data ends, at midnight; validation weeks
    precede them. On the UCI log this gives 2011-11-09 and 2011-10-10."""
    split_at = (pd.Timestamp(as_of) - pd.Timedelta(days=test_days)).normalize()
    return split_at - pd.Timedelta(days=validation_days), split_at
