"""Each model on series small enough to work out by hand."""

import numpy as np
import pandas as pd
import pytest

from apps.forecasts.ml.base import ForecastInput
from apps.forecasts.ml.baselines import Naive, SeasonalNaive, WindowAverage
from apps.forecasts.ml.global_gbm import GlobalGradientBoosting
from apps.forecasts.ml.intermittent import TSB, CrostonSBA, _croston, _tsb
from apps.forecasts.ml.lstm import GlobalLSTM
from apps.forecasts.ml.statistical import AutoArima, ExponentialSmoothing, eligible


def weekly(history, horizon=3, season_length=None) -> ForecastInput:
    history = np.atleast_2d(np.asarray(history, dtype=float))
    periods = pd.date_range("2024-01-01", periods=history.shape[1], freq="W-MON")
    return ForecastInput(history, periods, horizon, season_length)


def test_naive_repeats_the_last_value():
    assert Naive().forecast(weekly([[1, 2, 5], [0, 3, 0]])).tolist() == [[5, 5, 5], [0, 0, 0]]


def test_seasonal_naive_repeats_the_last_season_and_skips_short_histories():
    data = weekly([[1, 2, 3, 4, 10, 20, 30, 40]], horizon=6, season_length=4)
    assert SeasonalNaive().forecast(data).tolist() == [[10, 20, 30, 40, 10, 20]]
    assert np.isnan(SeasonalNaive().forecast(weekly([[1, 2, 3]], season_length=4))).all()


def test_window_average_is_the_mean_of_the_last_window():
    assert WindowAverage(window=3).forecast(weekly([[9, 2, 3, 7]], horizon=2)).tolist() == [[4.0, 4.0]]


def test_tsb_by_hand():
    # alpha 0.5 both: probability 0.5 -> 0.25 -> 0.625 -> 0.3125 -> 0.65625, size stays 4.
    error, final = _tsb(np.array([[0.0, 4.0, 0.0, 4.0]]), 0.5, 0.5)
    assert final == pytest.approx([0.65625 * 4])
    assert error == pytest.approx([(4 + 9 + 6.25 + 7.5625) / 4])


def test_croston_by_hand():
    # First sale 2 at t=1 (interval 2); next sale 4 after 3 periods: size 3, interval 2.5.
    error, final = _croston(np.array([[0.0, 2.0, 0.0, 0.0, 4.0]]), 0.5)
    assert final == pytest.approx([3 / 2.5])
    assert error == pytest.approx([(1 + 1 + 9) / 3])


def test_intermittent_models_pick_constants_per_series_and_forecast_flat():
    data = weekly([[0, 4, 0, 4, 0, 4, 0, 4], [2, 2, 2, 2, 2, 2, 2, 2]], horizon=2)
    for model in (TSB(), CrostonSBA()):
        forecast = model.forecast(data)
        assert forecast.shape == (2, 2)
        assert forecast[:, 0].tolist() == forecast[:, 1].tolist()
    # A steady seller: TSB's probability stays 1 and its size 2.
    assert TSB().forecast(data)[1].tolist() == [2.0, 2.0]


@pytest.mark.parametrize(
    "history",
    [
        [[0.0] * 20],  # never sold
        [[0.0] * 19 + [500.0]],  # one sale, at the end
        [[3.0]],  # one period
        [[1e6, 0.0] * 10],  # huge and intermittent
    ],
)
def test_every_model_gives_non_negative_numbers_or_skips_a_series_on_bad_histories(history):
    data = weekly(history, horizon=4, season_length=52)
    models = [Naive(), SeasonalNaive(), WindowAverage(), CrostonSBA(), TSB(), ExponentialSmoothing(), AutoArima()]
    models += [GlobalGradientBoosting(), GlobalLSTM(epochs=1)]
    for model in models:
        forecast = model.forecast(data)
        assert forecast.shape == (1, 4), model.name
        finite = forecast[np.isfinite(forecast)]
        assert (finite >= 0).all(), model.name
        assert np.isfinite(forecast).all() or np.isnan(forecast).all(), model.name  # a whole row or nothing


def test_statistical_models_only_take_smooth_series_with_enough_history():
    rng = np.random.default_rng(0)
    smooth = 20 + rng.normal(0, 1, 30)
    lumpy = np.where(np.arange(30) % 5 == 0, 50.0, 0.0)
    data = weekly(np.vstack([smooth, lumpy]), horizon=4)
    assert eligible(data.history).tolist() == [True, False]
    for model in (ExponentialSmoothing(), AutoArima()):
        forecast = model.forecast(data)
        assert np.isfinite(forecast[0]).all() and np.isnan(forecast[1]).all()
        assert forecast[0] == pytest.approx(np.full(4, smooth.mean()), abs=3)


def test_known_regressors_move_the_forecast_where_history_shows_they_matter():
    # Sales are 10 a week and 30 in promotion weeks; the last two future weeks are promoted.
    rng = np.random.default_rng(3)
    weeks = 40
    promoted = (rng.random(weeks + 4) < 0.3).astype(float)
    promoted[-4:] = [0, 0, 1, 1]
    history = 10 + 20 * promoted[:weeks] + rng.normal(0, 0.5, weeks)
    data = weekly([history], horizon=4)
    data.regressors = promoted[None, :, None]

    with_promotions = AutoArima().forecast(data)[0]

    assert with_promotions[:2] == pytest.approx([10, 10], abs=1.5)
    assert with_promotions[2:] == pytest.approx([30, 30], abs=1.5)
