"""Offers under a budget on three customers and two offers, small enough to check every figure
by hand (the hulls and the greedy walk are worked out in the comments)."""

import numpy as np
import pytest

from apps.promotions.ml.offer_allocation import NO_OFFER, allocate_offers, customer_hull

# Value 1 per conversion, sends cost 1 (offer 0) and 2 (offer 1): net gain = incremental - cost.
# A: gains (3, 4) at costs (1, 2): hull (0,0) -> (1,3) -> (2,4), steps of slope 3 then 1.
# B: gains (1, 5): (1,1) lies under the line to (2,5), so B's hull is (0,0) -> (2,5), slope 2.5.
# C: gains (0.5, -1): offer 1 loses money; hull (0,0) -> (1,0.5), slope 0.5.
# The walk in slope order: A->0 (3), B->1 (2.5), A->1 (1), C->0 (0.5).
INCREMENTAL = np.array([[4.0, 6.0], [2.0, 7.0], [1.5, 1.0]])
PARAMS = {"value": 1.0, "send_cost": [1.0, 2.0]}


def test_hull_drops_options_under_the_line_and_losing_options():
    assert customer_hull(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == [(0.0, 0.0, -1), (1.0, 3.0, 0), (2.0, 4.0, 1)]
    assert customer_hull(np.array([1.0, 2.0]), np.array([1.0, 5.0])) == [(0.0, 0.0, -1), (2.0, 5.0, 1)]
    assert customer_hull(np.array([1.0, 2.0]), np.array([0.5, -1.0])) == [(0.0, 0.0, -1), (1.0, 0.5, 0)]


def test_a_budget_of_three_is_spent_exactly_and_optimally():
    # A->0 (cost 1) and B->1 (cost 2) use it all; A's upgrade (1 more) does not fit: the
    # relaxation stops there with nothing left, so the bound equals the answer, 3 + 5 = 8.
    allocation = allocate_offers(INCREMENTAL, budget=3.0, **PARAMS)

    assert allocation.choice.tolist() == [0, 1, NO_OFFER]
    assert allocation.expected_cost == 3.0
    assert allocation.expected_net_gain == 8.0
    assert allocation.expected_incremental_conversions == 11.0
    assert allocation.expected_incremental_value == 11.0
    assert allocation.per_offer == {0: 1, 1: 1}
    assert allocation.upper_bound == 8.0
    assert allocation.multiplier == 1.0
    assert allocation.gap == 0.0


def test_a_tight_budget_reports_its_gap_to_the_relaxation():
    # Budget 2: A->0 (1 spent), B->1 needs 2 > 1 left: the relaxation takes half of it,
    # bound 3 + 2.5 = 5.5 at multiplier 2.5. The walk goes on: A's upgrade (1) fits -> A gets
    # offer 1, gain 4. (B alone, gain 5, would have been better: the greedy is not exact.)
    allocation = allocate_offers(INCREMENTAL, budget=2.0, **PARAMS)

    assert allocation.choice.tolist() == [1, NO_OFFER, NO_OFFER]
    assert allocation.expected_cost == 2.0
    assert allocation.expected_net_gain == 4.0
    assert allocation.upper_bound == 5.5
    assert allocation.multiplier == 2.5
    assert allocation.gap == 1.5


def test_without_a_budget_everyone_gets_their_best_paying_offer():
    allocation = allocate_offers(INCREMENTAL, budget=None, **PARAMS)

    assert allocation.choice.tolist() == [1, 1, 0]
    assert allocation.expected_cost == 5.0
    assert allocation.expected_net_gain == 9.5
    assert allocation.upper_bound == 9.5
    assert allocation.multiplier == 0.0
    assert allocation.per_offer == {0: 1, 1: 2}


def test_redemption_costs_count_every_redemption_not_only_the_incremental_ones():
    # 0.1 incremental conversions worth 10 each = 1.0; 0.3 redemptions at 1 each plus a 0.2 send
    # = 0.5 cost; net 0.5. A budget of 0.4 cannot pay for it: bound 0.5 * 0.4 / 0.5 = 0.4.
    params = {"value": 10.0, "send_cost": 0.2, "redemption_cost": 1.0, "redemptions": [[0.3]]}
    sent = allocate_offers([[0.1]], budget=1.0, **params)
    unsent = allocate_offers([[0.1]], budget=0.4, **params)

    assert sent.choice.tolist() == [0]
    assert sent.expected_cost == pytest.approx(0.5)
    assert sent.expected_net_gain == pytest.approx(0.5)
    assert unsent.choice.tolist() == [NO_OFFER]
    assert unsent.expected_cost == 0.0
    assert unsent.upper_bound == pytest.approx(0.4)
    assert unsent.multiplier == pytest.approx(1.0)


def test_negative_costs_are_refused():
    with pytest.raises(ValueError, match="send_cost"):
        allocate_offers([[1.0]], value=1.0, budget=1.0, send_cost=-1.0)
