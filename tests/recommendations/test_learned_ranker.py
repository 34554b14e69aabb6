"""The learned ranker: its features on a log small enough to check by hand, its training data
grouped per customer, and on generated stores it is served where it learns what the single
families miss, and not where a simpler family is as good."""

import numpy as np
import pandas as pd
import pytest

from apps.recommendations.ml.interactions import Interactions
from apps.recommendations.ml.ranker import CandidateFeatures, CandidateSet, Source, candidate_set
from apps.recommendations.ml.recommenders import Popularity, Repurchase
from apps.recommendations.ml.selection import select_and_test, served_family
from tests.recommendations.test_fitting_the_store import store

DAY0 = pd.Timestamp("2024-01-01", tz="UTC")
AS_OF = DAY0 + pd.Timedelta(days=60)


def tiny_log() -> Interactions:
    # customer 1: product 10 on day 0 (3.00 each), product 11 on day 40 (1.00); customer 2: 10 on day 10, 11 on day 55
    rows = [
        (1, 10, 0, "a", 2, 6.0),
        (1, 11, 40, "b", 1, 1.0),
        (2, 10, 10, "c", 1, 3.0),
        (2, 11, 55, "d", 4, 4.0),
    ]
    events = pd.DataFrame(rows, columns=["customer_id", "product_id", "day", "order_id", "quantity", "amount"])
    events["placed_at"] = DAY0 + pd.to_timedelta(events.pop("day"), unit="D")
    events["country"] = ""
    return Interactions.from_events(events, as_of=AS_OF)


def test_features_of_a_pair_are_those_worked_out_by_hand():
    features = CandidateFeatures([Source("popularity", Popularity)], tiny_log())

    position, column, values = features.candidates(np.array([0, 1]))

    assert list(zip(position, column, strict=True)) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert features.column_names == [
        "popularity_score",
        "popularity_rank",
        "orders_with_it",
        "days_since_bought",
        "bought_before",
        "log_buyers",
        "trend_30",
        "trend_90",
        "log_price",
        "customer_log_orders",
        "customer_recency_days",
        "customer_log_breadth",
    ]
    # Customer 1 and product 10: both products have 2 buyers (score 2 / best 2 = 1; ties rank by column);
    # one order with it, 60 days ago; none of product 10's buyers in the last 30 days, both in the last 90;
    # 9.00 paid for 3 units; customer 1 has 2 orders, the latest 20 days ago, 2 distinct products.
    expected = [1.0, 1.0, 1.0, 60.0, 1.0, np.log1p(2), 0.0, 1.0, np.log1p(3.0), np.log1p(2), 20.0, np.log1p(2)]
    assert values[0] == pytest.approx(expected, rel=1e-6)
    # Customer 2 and product 11: rank 2; bought 5 days ago; both buyers of 11 within 30 days; 5.00 for 5 units.
    expected = [1.0, 2.0, 1.0, 5.0, 1.0, np.log1p(2), 1.0, 1.0, np.log1p(1.0), np.log1p(2), 5.0, np.log1p(2)]
    assert values[3] == pytest.approx(expected, rel=1e-6)


def test_training_groups_keep_customers_with_a_bought_candidate_only():
    features = CandidateFeatures([Source("repurchase", Repurchase)], tiny_log())
    # Customer 1 later buys product 11 (a candidate); customer 2 buys only a product outside the log.
    candidates = candidate_set(features, np.array([0, 1]), [{1}, {99}])

    values, labels, groups = candidates.groups(np.array([0, 1]))

    assert list(candidates.relevant) == [0.0, 1.0, 0.0, 0.0]
    assert list(labels) == [0.0, 1.0] and list(groups) == [2]
    assert values.shape == (2, len(features.column_names))
    assert (
        CandidateSet(candidates.position, candidates.column, candidates.values, candidates.relevant, 2)
        .groups(np.array([1]))[2]
        .size
        == 0
    )


def families(events):
    as_of = events["placed_at"].max() + pd.Timedelta(seconds=1)
    split_at = (as_of - pd.Timedelta(days=21)).normalize()
    results = select_and_test(events, valid_start=split_at - pd.Timedelta(days=21), split_at=split_at, until=as_of)
    return results, {result.family: result for result in results}


def test_the_ranker_is_served_where_it_learns_what_single_families_miss():
    # Each customer buys the next product along a shared order, one a week: the ranker combines the
    # neighbours' signal with how recently each product was bought.
    results, by_family = families(store(rebuy=False, customers=400))

    others = [result.validation_score for result in results if result.family != "ranker"]
    assert by_family["ranker"].validation_score > max(others) + 0.1
    assert served_family(results).family == "ranker"
    assert by_family["ranker"].test["all"]["ndcg@10"] > by_family["popularity"].test["all"]["ndcg@10"] + 0.3


def test_a_simpler_family_is_served_where_the_ranker_is_no_better():
    # Customers re-buy the same two products every week: "buy it again" is already perfect.
    results, by_family = families(store(rebuy=True, customers=400))

    assert by_family["repurchase"].validation_score == by_family["ranker"].validation_score == 0.5
    assert served_family(results).family == "repurchase"
