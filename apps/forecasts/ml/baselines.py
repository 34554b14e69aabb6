"""The baselines every model must beat: last value, same period last season, recent mean."""

import numpy as np

from apps.forecasts.ml.base import Forecaster, ForecastInput


class Naive(Forecaster):
    name = "naive"

    def forecast(self, data: ForecastInput) -> np.ndarray:
        return np.repeat(data.history[:, -1:], data.horizon, axis=1)


class SeasonalNaive(Forecaster):
    """Needs a full season of history (52 weeks for weekly data); NaN otherwise."""

    name = "seasonal_naive"

    def forecast(self, data: ForecastInput) -> np.ndarray:
        season = data.season_length
        if not season or data.history.shape[1] < season:
            return np.full((data.series_count, data.horizon), np.nan)
        last_season = data.history[:, -season:]
        return last_season[:, np.arange(data.horizon) % season]


class WindowAverage(Forecaster):
    """The mean of the last `window` periods (all of them if the history is shorter)."""

    name = "window_average"

    def __init__(self, window: int = 8):
        self.window = window

    def forecast(self, data: ForecastInput) -> np.ndarray:
        mean = data.history[:, -self.window :].mean(axis=1, keepdims=True)
        return np.repeat(mean, data.horizon, axis=1)
