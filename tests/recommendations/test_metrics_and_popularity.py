"""Ranking metrics and popularity lists, checked against hand-computed values."""

import pandas as pd
import pytest

from apps.recommendations.ml.metrics import hit_rate_at_k, ndcg_at_k, recall_at_k
from apps.recommendations.ml.popularity import most_bought, most_bought_by_country


def test_ndcg_of_one_hit_in_second_place():
    # DCG = 1/log2(3); a perfect list of one relevant item has DCG 1.
    assert ndcg_at_k([10, 20, 30], {20}) == pytest.approx(0.6309298, abs=1e-7)


def test_ndcg_of_two_hits_against_the_ideal_order():
    # (1 + 1/log2(4)) / (1 + 1/log2(3)) = 1.5 / 1.6309298
    assert ndcg_at_k([10, 20, 30], {10, 30}) == pytest.approx(0.9197208, abs=1e-7)


def test_cutoffs_and_empty_truth():
    assert ndcg_at_k([1, 2, 3], {3}, k=2) == 0.0
    assert ndcg_at_k([1, 2], set()) == 0.0
    assert hit_rate_at_k([1, 2, 3], {3}, k=3) == 1.0
    assert hit_rate_at_k([1, 2, 3], {3}, k=2) == 0.0
    assert recall_at_k([1, 2, 3], {2, 99}) == 0.5


EVENTS = pd.DataFrame(
    [
        (1, 7, "UK"),
        (2, 7, "UK"),
        (3, 7, "France"),
        (1, 8, "UK"),
        (2, 8, "UK"),
        (4, 8, "UK"),
        (1, 9, "UK"),
        (1, 7, "UK"),
    ],
    columns=["customer_id", "product_id", "country"],
)


def test_most_bought_counts_distinct_customers_and_breaks_ties_by_id():
    assert most_bought(EVENTS, limit=10) == [(7, 3), (8, 3), (9, 1)]
    assert most_bought(EVENTS, limit=1) == [(7, 3)]


def test_country_lists_only_for_countries_with_enough_customers():
    assert most_bought_by_country(EVENTS, limit=2, min_customers=2) == {"UK": [(8, 3), (7, 2)]}


def test_trending_decays_each_buyers_latest_purchase():
    from apps.recommendations.ml.popularity import trending

    events = pd.DataFrame(
        [(1, 7, "2011-03-01"), (2, 7, "2011-02-15"), (1, 8, "2011-02-15"), (1, 8, "2011-01-01"), (3, 9, "2011-03-01")],
        columns=["customer_id", "product_id", "placed_at"],
    )
    events["placed_at"] = pd.to_datetime(events["placed_at"], utc=True)

    ranked = trending(events, as_of=pd.Timestamp("2011-03-01", tz="UTC"), half_life_days=14)

    # 7: 1 + 2^-1 = 1.5; 9: 1; 8: customer 1's latest is 14 days old -> 0.5
    assert ranked == [(7, 1.5), (9, 1.0), (8, 0.5)]


def test_customers_without_a_country_do_not_replace_the_overall_list():
    events = pd.DataFrame(
        [(c, 1, "UK") for c in range(3)] + [(c, 2, "") for c in range(10, 14)],
        columns=["customer_id", "product_id", "country"],
    )

    assert most_bought_by_country(events, limit=5, min_customers=2) == {"UK": [(1, 3)]}
