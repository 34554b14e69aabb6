"""What every forecasting model takes and gives.

A model sees a panel's history (n series x T periods) and returns point forecasts for the
next `horizon` periods, (n x horizon). A model that does not apply to a series (too short
a history for a seasonal model, say) returns NaN on that row, and the series is forecast
by another; it never returns a negative value.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class ForecastInput:
    history: np.ndarray  # (n, T), zero-filled, non-negative
    periods: pd.DatetimeIndex  # (T,) period starts
    horizon: int
    season_length: int | None = None
    # Known regressors (promotion share, holidays) over history and horizon: (n, T + horizon, k).
    regressors: np.ndarray | None = None
    random_state: int = 0

    @property
    def series_count(self) -> int:
        return self.history.shape[0]

    def future_periods(self) -> pd.DatetimeIndex:
        step = self.periods[-1] - self.periods[-2] if len(self.periods) > 1 else pd.Timedelta(weeks=1)
        return pd.DatetimeIndex([self.periods[-1] + step * (h + 1) for h in range(self.horizon)])


class Forecaster:
    name = ""
    # Global models learn across series; local ones fit each series alone (and are what
    # fan-out splits across workers).
    is_global = False

    def forecast(self, data: ForecastInput) -> np.ndarray:
        raise NotImplementedError


def non_negative(forecast: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(forecast), np.nan, np.clip(forecast, 0.0, None))
