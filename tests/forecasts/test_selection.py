"""Model choice and intervals on backtests written by hand."""

import numpy as np
import pytest

from apps.forecasts.ml.backtest import Backtest, backtest_origins
from apps.forecasts.ml.intervals import intervals, residual_quantiles
from apps.forecasts.ml.selection import select_models


def backtest(forecasts: dict, actuals) -> Backtest:
    actuals = np.asarray(actuals, dtype=float)
    return Backtest(
        origins=list(range(actuals.shape[0])),
        forecasts={name: np.asarray(values, dtype=float) for name, values in forecasts.items()},
        actuals=actuals,
        scales=np.ones(actuals.shape[:2]),
    )


def test_origins_are_the_ends_of_the_last_horizons_with_enough_history():
    assert backtest_origins(45, 8, 3) == [21, 29, 37]
    assert backtest_origins(20, 4, 3) == [12, 16]  # the origin at 8 would leave too little to fit
    assert backtest_origins(10, 4, 3) == []


def test_the_pooled_best_model_is_the_default_and_a_series_switches_only_by_a_validated_margin():
    # Two origins, two series, one step. Model "a" is best over both series; "b" is better
    # on series 1 at both origins, by far.
    actuals = [[[10.0], [10.0]], [[10.0], [10.0]]]
    forecasts = {
        "a": [[[10.0], [14.0]], [[10.0], [14.0]]],  # errors: series 0: 0, series 1: 4
        "b": [[[20.0], [10.0]], [[20.0], [10.0]]],  # errors: series 0: 10, series 1: 0
    }
    selection = select_models(backtest(forecasts, actuals))
    assert selection.default_model == "a"
    assert selection.pooled_errors == {"a": 2.0, "b": 5.0}
    assert selection.chosen.tolist() == ["a", "b"]
    # Validated on the last origin: switching (any margin below 100%) scores 0 there, the largest such wins.
    assert selection.margin == 0.5


def test_a_switch_that_does_not_hold_on_the_last_origin_is_not_made():
    actuals = [[[10.0], [10.0]], [[10.0], [10.0]]]
    forecasts = {
        "a": [[[10.0], [12.0]], [[10.0], [12.0]]],
        "b": [[[20.0], [10.0]], [[20.0], [16.0]]],  # better on series 1 at the first origin only
    }
    selection = select_models(backtest(forecasts, actuals))
    assert selection.margin == np.inf
    assert selection.chosen.tolist() == ["a", "a"]


def test_a_model_that_skipped_a_series_cannot_be_the_default():
    actuals = [[[10.0], [10.0]]]
    forecasts = {"a": [[[11.0], [11.0]]], "partial": [[[10.0], [np.nan]]]}
    selection = select_models(backtest(forecasts, actuals))
    assert selection.default_model == "a"
    assert "partial" not in selection.pooled_errors


def test_intervals_come_from_the_backtest_errors_and_never_narrow_with_distance():
    # 40 series, one origin, two steps: signed scaled errors -20..19 at step 1, 0 at step 2.
    actual = np.zeros((1, 40, 2))
    forecast = np.zeros((1, 40, 2))
    forecast[0, :, 0] = -np.arange(-20, 20)  # actual - forecast = -20 .. 19
    quantiles = residual_quantiles(backtest({"m": forecast}, actual), "m")
    low80, high80 = np.quantile(np.arange(-20, 20), [0.1, 0.9])
    assert quantiles["80"][:, 0] == pytest.approx([low80, high80])
    assert quantiles["80"][:, 1] == pytest.approx([low80, high80])  # widened to step 1's
    bounds = intervals(np.array([[10.0, 1.0]]), np.array([0.5]), quantiles)
    assert bounds["upper_80"][0] == pytest.approx([10 + 0.5 * high80, 1 + 0.5 * high80])
    assert bounds["lower_80"][0] == pytest.approx([10 + 0.5 * low80, 0.0])  # never below zero


def test_a_model_missing_a_series_at_the_last_origin_is_scored_as_the_default_there():
    actuals = [[[10.0], [10.0]], [[10.0], [10.0]]]
    forecasts = {
        "naive": [[[12.0], [13.0]], [[12.0], [13.0]]],
        "ets": [[[10.0], [10.0]], [[10.0], [np.nan]]],  # best, but skipped series 1 at the last origin
    }
    selection = select_models(backtest(forecasts, actuals))
    # Whatever the margin, the last origin scores the same (ets where it forecast, naive where
    # it did not): no evidence that switching helps, so nobody switches.
    assert (selection.default_model, selection.margin) == ("naive", np.inf)
    assert selection.chosen.tolist() == ["naive", "naive"]
