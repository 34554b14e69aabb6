"""The whole forecast of a panel: every model backtested and fitted, one chosen per
series, intervals from the backtests.

Local models (one series at a time) and global ones (all series at once) are fitted
separately, so that the local ones can be split into chunks across workers and the
parts joined back with `join_rows` / `join_models`.
"""

import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from apps.forecasts.ml.backtest import Backtest, run_backtest
from apps.forecasts.ml.base import Forecaster, ForecastInput
from apps.forecasts.ml.baselines import Naive, SeasonalNaive, WindowAverage
from apps.forecasts.ml.intermittent import TSB, CrostonSBA
from apps.forecasts.ml.intervals import intervals, residual_quantiles
from apps.forecasts.ml.metrics import mase_scale
from apps.forecasts.ml.selection import BASELINE, Selection, select_models

# What a series gets when no backtest could be run (too short a history) or its chosen
# model gave no number: the mean of its recent periods, zero for a series that never sold.
FALLBACK_MODEL = "window_average"


def local_models(*, statistical: bool = True) -> list[Forecaster]:
    from apps.forecasts.ml.statistical import AutoArima, ExponentialSmoothing

    models = [Naive(), SeasonalNaive(), WindowAverage(), CrostonSBA(), TSB()]
    return models + [ExponentialSmoothing(), AutoArima()] if statistical else models


def global_models(*, lstm: bool = True, device: str = "cpu") -> list[Forecaster]:
    from apps.forecasts.ml.global_gbm import GlobalGradientBoosting
    from apps.forecasts.ml.lstm import GlobalLSTM

    return [GlobalGradientBoosting()] + ([GlobalLSTM(device=device)] if lstm else [])


@dataclass
class ModelForecasts:
    """Every model's backtest and final forecasts for the same rows."""

    backtest: Backtest
    final: dict[str, np.ndarray]  # model -> (n, horizon)
    seconds: dict[str, float] = field(default_factory=dict)  # model -> fitting time, all origins

    def to_bytes(self) -> bytes:
        arrays = {"origins": np.array(self.backtest.origins), "actuals": self.backtest.actuals}
        arrays["scales"] = self.backtest.scales
        for name in self.final:
            arrays[f"backtest:{name}"] = self.backtest.forecasts[name]
            arrays[f"final:{name}"] = self.final[name]
            arrays[f"seconds:{name}"] = np.array(self.seconds.get(name, 0.0))
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> "ModelForecasts":
        with np.load(io.BytesIO(blob)) as arrays:
            names = [key.split(":", 1)[1] for key in arrays.files if key.startswith("final:")]
            backtest = Backtest(
                origins=[int(origin) for origin in arrays["origins"]],
                forecasts={name: arrays[f"backtest:{name}"] for name in names},
                actuals=arrays["actuals"],
                scales=arrays["scales"],
            )
            seconds = {name: float(arrays[f"seconds:{name}"]) for name in names if f"seconds:{name}" in arrays.files}
            return cls(backtest, {name: arrays[f"final:{name}"] for name in names}, seconds)


def fit_models(
    data: ForecastInput,
    models: Sequence[Forecaster],
    *,
    origins: int = 3,
    on_model: Callable[[str, int | None], None] | None = None,
) -> ModelForecasts:
    backtest = run_backtest(data, models, origins=origins, on_model=on_model)
    final = {}
    for model in models:
        if on_model:
            on_model(model.name, None)
        started = time.perf_counter()
        final[model.name] = model.forecast(data)
        backtest.seconds[model.name] += time.perf_counter() - started
    return ModelForecasts(backtest, final, dict(backtest.seconds))


def join_rows(parts: Sequence[tuple[np.ndarray, ModelForecasts]], series_count: int) -> ModelForecasts:
    """Chunks of rows (each with its row numbers) back into one panel's forecasts."""
    first = parts[0][1]
    shape_bt = (len(first.backtest.origins), series_count, first.backtest.actuals.shape[2])
    names = list(first.final)
    backtest = Backtest(
        origins=first.backtest.origins,
        forecasts={name: np.full(shape_bt, np.nan) for name in names},
        actuals=np.zeros(shape_bt),
        scales=np.ones(shape_bt[:2]),
    )
    final = {name: np.full((series_count, first.final[name].shape[1]), np.nan) for name in names}
    seconds = dict.fromkeys(names, 0.0)
    for rows, part in parts:
        backtest.actuals[:, rows] = part.backtest.actuals
        backtest.scales[:, rows] = part.backtest.scales
        for name in names:
            backtest.forecasts[name][:, rows] = part.backtest.forecasts[name]
            final[name][rows] = part.final[name]
            seconds[name] += part.seconds.get(name, 0.0)
    return ModelForecasts(backtest, final, seconds)


def join_models(first: ModelForecasts, second: ModelForecasts) -> ModelForecasts:
    backtest = Backtest(
        origins=first.backtest.origins,
        forecasts={**first.backtest.forecasts, **second.backtest.forecasts},
        actuals=first.backtest.actuals,
        scales=first.backtest.scales,
    )
    return ModelForecasts(backtest, {**first.final, **second.final}, {**first.seconds, **second.seconds})


def poisson_bounds(forecast: np.ndarray) -> dict[str, np.ndarray]:
    """Intervals when there are no backtest errors to read them from: counts whose variance
    equals their mean (Poisson), so a forecast of 4 a week spans about 4 +- 2.6 at 80%."""
    spread = np.sqrt(np.clip(forecast, 0.0, None))
    bounds = {}
    for level, z in (("80", 1.2816), ("95", 1.96)):
        bounds[f"lower_{level}"] = np.clip(forecast - z * spread, 0.0, None)
        bounds[f"upper_{level}"] = forecast + z * spread
    return bounds


@dataclass
class PanelForecast:
    periods: pd.DatetimeIndex  # (horizon,) future period starts
    forecast: np.ndarray  # (n, horizon)
    bounds: dict[str, np.ndarray]  # lower_80, upper_80, lower_95, upper_95: (n, horizon)
    chosen: np.ndarray  # (n,) model names
    chosen_error: np.ndarray  # (n,) mean scaled backtest error of the chosen model (NaN: none)
    baseline_error: np.ndarray  # (n,) the same for the naive baseline
    selection: Selection | None

    def mix(self) -> dict[str, int]:
        """How many series each model forecasts."""
        names, counts = np.unique(self.chosen.astype(str), return_counts=True)
        return {str(name): int(count) for name, count in zip(names, counts, strict=True)}

    def columns(self) -> dict[str, np.ndarray]:
        return {"forecast": self.forecast, **self.bounds}


def forecast_panel(data: ForecastInput, forecasts: ModelForecasts) -> PanelForecast:
    """Choose a model per series and give its forecast with intervals."""
    n, horizon = data.series_count, data.horizon
    scale = mase_scale(data.history)
    scale = np.where(np.isfinite(scale), scale, np.maximum(data.history.mean(axis=1), 1.0))
    fallback = forecasts.final.get(FALLBACK_MODEL)
    if fallback is None:
        fallback = WindowAverage().forecast(data)
    if not forecasts.backtest.origins:
        return PanelForecast(
            data.future_periods(),
            fallback,
            poisson_bounds(fallback),
            np.full(n, FALLBACK_MODEL, dtype=object),
            np.full(n, np.nan),
            np.full(n, np.nan),
            None,
        )
    selection = select_models(forecasts.backtest)
    chosen = selection.chosen.copy()
    point = np.zeros((n, horizon))
    bounds = {f"{side}_{level}": np.zeros((n, horizon)) for level in ("80", "95") for side in ("lower", "upper")}
    chosen_error = selection.chosen_error()
    for name in np.unique(chosen):
        rows = np.flatnonzero(chosen == name)
        values = forecasts.final[name][rows]
        missing = ~np.isfinite(values).all(axis=1)
        values[missing] = fallback[rows][missing]
        chosen[rows[missing]] = FALLBACK_MODEL
        if FALLBACK_MODEL in selection.series_errors:
            chosen_error[rows[missing]] = selection.series_errors[FALLBACK_MODEL][rows[missing]]
        point[rows] = values
        quantiles = residual_quantiles(forecasts.backtest, name)
        for key, value in intervals(values, scale[rows], quantiles).items():
            bounds[key][rows] = value
    baseline = selection.series_errors.get(BASELINE, np.full(n, np.nan))
    return PanelForecast(data.future_periods(), point, bounds, chosen, selection.chosen_error(), baseline, selection)
