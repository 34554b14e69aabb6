"""The whole forecast of a small panel: choice, intervals, fallbacks, chunks joined back."""

import numpy as np
import pandas as pd
import pytest

from apps.forecasts.ml.base import ForecastInput
from apps.forecasts.ml.demand import demand_class
from apps.forecasts.ml.forecaster import (
    FALLBACK_MODEL,
    ModelForecasts,
    fit_models,
    forecast_panel,
    global_models,
    join_models,
    join_rows,
    local_models,
)


def panel(series: int = 12, periods: int = 40, seed: int = 0) -> ForecastInput:
    rng = np.random.default_rng(seed)
    level = rng.uniform(1, 30, (series, 1))
    selling = rng.random((series, periods)) < rng.uniform(0.3, 1.0, (series, 1))
    history = np.where(selling, rng.poisson(level, (series, periods)), 0).astype(float)
    history[0] = 0.0  # a product that never sold
    return ForecastInput(history, pd.date_range("2024-01-01", periods=periods, freq="W-MON"), 4, 52)


def test_every_product_gets_a_non_negative_forecast_inside_ordered_intervals():
    data = panel()
    fitted = fit_models(data, local_models() + global_models(lstm=True), origins=3)
    result = forecast_panel(data, fitted)
    bounds = result.bounds
    assert result.forecast.shape == (12, 4)
    assert [period.date().isoformat() for period in result.periods] == [
        "2024-10-07",
        "2024-10-14",
        "2024-10-21",
        "2024-10-28",
    ]
    order = [bounds["lower_95"], bounds["lower_80"], result.forecast, bounds["upper_80"], bounds["upper_95"]]
    stacked = np.stack(order)
    assert np.isfinite(stacked).all() and (stacked >= 0).all()
    assert (np.diff(stacked, axis=0) >= -1e-9).all()
    assert result.forecast[0].tolist() == [0.0] * 4  # never sold: every candidate says zero
    assert set(result.chosen) <= set(fitted.final)
    assert np.isfinite(result.chosen_error).all() and np.isfinite(result.baseline_error).all()


def test_too_short_a_history_for_any_backtest_falls_back_to_the_recent_mean():
    history = np.array([[2.0, 4.0, 6.0], [0.0, 0.0, 0.0]])
    data = ForecastInput(history, pd.date_range("2024-01-01", periods=3, freq="W-MON"), 2, 52)
    result = forecast_panel(data, fit_models(data, local_models(), origins=3))
    assert result.chosen.tolist() == [FALLBACK_MODEL, FALLBACK_MODEL]
    assert result.forecast.tolist() == [[4.0, 4.0], [0.0, 0.0]]
    assert result.selection is None


def test_local_models_fitted_in_chunks_join_back_to_the_same_forecasts():
    data = panel(series=9)
    whole = fit_models(data, local_models(), origins=2)
    parts = []
    for rows in (np.array([0, 1, 2, 3]), np.array([4, 5, 6, 7, 8])):
        chunk = ForecastInput(data.history[rows], data.periods, data.horizon, data.season_length)
        parts.append((rows, ModelForecasts.from_bytes(fit_models(chunk, local_models(), origins=2).to_bytes())))
    joined = join_rows(parts, 9)
    for name in whole.final:
        np.testing.assert_array_equal(joined.final[name], whole.final[name])
        np.testing.assert_array_equal(joined.backtest.forecasts[name], whole.backtest.forecasts[name])
    np.testing.assert_array_equal(joined.backtest.actuals, whole.backtest.actuals)
    with_global = join_models(joined, fit_models(data, global_models(lstm=False), origins=2))
    assert set(with_global.final) == {model.name for model in local_models()} | {"global_gbm"}


def test_demand_classes_by_hand():
    history = np.array(
        [
            [5, 5, 6, 5, 5, 6, 5, 5],  # sells every week, steady sizes
            [1, 20, 1, 30, 2, 1, 25, 1],  # every week, sizes vary
            [0, 5, 0, 0, 5, 0, 0, 5],  # now and then, steady
            [0, 1, 0, 0, 40, 0, 0, 2],  # now and then, sizes vary
            [0, 0, 0, 0, 0, 0, 0, 0],
        ],
        dtype=float,
    )
    assert demand_class(history).tolist() == ["smooth", "erratic", "intermittent", "lumpy", "no_sales"]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_same_seed_gives_the_same_forecast(seed):
    data = panel(seed=seed)
    models = global_models(lstm=True)
    first = fit_models(data, models, origins=1).final
    second = fit_models(data, global_models(lstm=True), origins=1).final
    for name in first:
        np.testing.assert_array_equal(first[name], second[name])


def test_a_work_item_computed_elsewhere_gives_what_fitting_here_gives():
    from apps.forecasts.chunk_fitting import gather, item_compute, work_items

    data = panel(series=6)
    payloads = work_items(data, origins=2, chunk_series=4, lstm=False)
    assert len(payloads) == 3  # the gradient-boosted model, then products 0-3 and 4-5
    fitted = gather(payloads, [item_compute(payload) for payload in payloads], 6)
    here = join_models(
        fit_models(data, local_models(), origins=2), fit_models(data, global_models(lstm=False), origins=2)
    )
    for name in here.final:  # the week-of-year features survived the trip: same numbers
        np.testing.assert_array_equal(fitted.final[name], here.final[name])


def test_without_backtests_the_intervals_are_poisson():
    history = np.array([[4.0, 4.0, 4.0]])
    data = ForecastInput(history, pd.date_range("2024-01-01", periods=3, freq="W-MON"), 1, None)
    bounds = forecast_panel(data, fit_models(data, local_models(), origins=3)).bounds
    assert bounds["lower_80"][0, 0] == pytest.approx(4 - 1.2816 * 2)
    assert bounds["upper_95"][0, 0] == pytest.approx(4 + 1.96 * 2)
