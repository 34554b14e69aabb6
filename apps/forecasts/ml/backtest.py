"""Rolling-origin backtests: stand at several past origins, forecast `horizon` periods
with each model, and score against what then sold.

Origins are the ends of the last `origins` non-overlapping horizons of the history, so
the latest origin sits right before the forecast (retail's autumn must be inside the
backtest, not only the quiet summer).
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from apps.forecasts.ml.base import Forecaster, ForecastInput
from apps.forecasts.ml.metrics import mase_scale

MIN_TRAINING_PERIODS = 12


@dataclass
class Backtest:
    origins: list[int]
    # model name -> (origins, n, horizon) forecasts; NaN where the model did not apply.
    forecasts: dict[str, np.ndarray]
    actuals: np.ndarray  # (origins, n, horizon)
    scales: np.ndarray  # (origins, n) MASE scale of the history at each origin
    seconds: dict[str, float] = field(default_factory=dict)  # model -> seconds over the origins

    def scaled_errors(self, name: str) -> np.ndarray:
        """(origins, n, horizon) absolute errors divided by each series' scale at the origin."""
        return np.abs(self.forecasts[name] - self.actuals) / self.scales[:, :, None]

    def series_error(self, name: str) -> np.ndarray:
        """(n,) mean scaled absolute error over every origin and step; NaN if the model
        skipped the series at any origin."""
        errors = self.scaled_errors(name)
        return errors.mean(axis=(0, 2))


def backtest_origins(periods: int, horizon: int, origins: int) -> list[int]:
    candidates = [periods - horizon * k for k in range(origins, 0, -1)]
    return [origin for origin in candidates if origin >= MIN_TRAINING_PERIODS]


def run_backtest(
    data: ForecastInput,
    models: Sequence[Forecaster],
    *,
    origins: int = 3,
    on_model: Callable[[str, int], None] | None = None,
) -> Backtest:
    chosen = backtest_origins(data.history.shape[1], data.horizon, origins)
    n, horizon = data.series_count, data.horizon
    forecasts = {model.name: np.full((len(chosen), n, horizon), np.nan) for model in models}
    actuals = np.zeros((len(chosen), n, horizon))
    scales = np.zeros((len(chosen), n))
    seconds = dict.fromkeys((model.name for model in models), 0.0)
    for index, origin in enumerate(chosen):
        seen = ForecastInput(
            history=data.history[:, :origin],
            periods=data.periods[:origin],
            horizon=horizon,
            season_length=data.season_length,
            regressors=None if data.regressors is None else data.regressors[:, : origin + horizon],
            random_state=data.random_state,
        )
        actuals[index] = data.history[:, origin : origin + horizon]
        scale = mase_scale(seen.history)
        # A series flat until the origin still needs a scale to be compared on: its mean level.
        fallback = np.maximum(seen.history.mean(axis=1), 1.0)
        scales[index] = np.where(np.isfinite(scale), scale, fallback)
        for model in models:
            if on_model:
                on_model(model.name, origin)
            started = time.perf_counter()
            forecasts[model.name][index] = model.forecast(seen)
            seconds[model.name] += time.perf_counter() - started
    return Backtest(origins=chosen, forecasts=forecasts, actuals=actuals, scales=scales, seconds=seconds)
