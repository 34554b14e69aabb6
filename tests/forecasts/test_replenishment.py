import datetime as dt
from statistics import NormalDist

import pytest

from apps.forecasts.replenishment import Z_80, reorder_suggestion

WEEKS = [dt.date(2024, 1, 1) + dt.timedelta(weeks=k) for k in range(3)]


def suggest(**overrides):
    # 10 a week, one standard deviation of 2 a week (the 80% upper bound is 1.2816 sd above).
    arguments = {
        "periods": WEEKS,
        "forecast": [10.0, 10.0, 10.0],
        "upper_80": [10 + 2 * Z_80] * 3,
        "stock_on_hand": 20,
        "lead_time_days": 14,
        "review_period_days": 7,
        "service_level": 0.95,
    }
    return reorder_suggestion(**{**arguments, **overrides})


def test_reorder_point_safety_stock_and_order_up_to_by_hand():
    z = NormalDist().inv_cdf(0.95)
    suggestion = suggest()
    assert suggestion.lead_time_demand == 20.0
    assert suggestion.safety_stock == pytest.approx(z * 8**0.5, abs=1e-3)
    assert suggestion.reorder_point == pytest.approx(20 + z * 8**0.5, abs=1e-3)
    assert suggestion.order_up_to == pytest.approx(30 + z * 12**0.5, abs=1e-3)
    assert suggestion.reorder_now is True
    assert suggestion.order_quantity == 16  # ceil(35.698 - 20)
    assert suggestion.stockout_period == WEEKS[2]  # cumulative 10, 20, 30: above 20 in week 3


def test_enough_stock_orders_nothing_and_fractional_weeks_count_their_share():
    suggestion = suggest(stock_on_hand=100, lead_time_days=3)
    assert suggestion.lead_time_demand == pytest.approx(30 / 7, abs=1e-3)
    assert suggestion.reorder_now is False and suggestion.order_quantity == 0
    assert suggestion.stockout_period is None


def test_beyond_the_horizon_the_last_week_continues():
    assert suggest(lead_time_days=35).lead_time_demand == 50.0


@pytest.mark.parametrize("level", [0.3, 1.0])
def test_an_impossible_service_level_is_refused(level):
    with pytest.raises(ValueError, match="service_level must be in"):
        suggest(service_level=level)


def test_nothing_expected_and_nothing_in_stock_is_nothing_to_order():
    suggestion = suggest(forecast=[0.0] * 3, upper_80=[0.0] * 3, stock_on_hand=0)
    assert (suggestion.reorder_now, suggestion.order_quantity, suggestion.stockout_period) == (False, 0, None)
