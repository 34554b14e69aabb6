"""Hold out a panel's last periods, forecast them with every model and with the product's
selection, and score each: what `backtest_forecasts` and the forecasts bench report."""

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from apps.forecasts.ml import metrics
from apps.forecasts.ml.base import ForecastInput
from apps.forecasts.ml.forecaster import PanelForecast, fit_models, forecast_panel, global_models, local_models
from apps.forecasts.ml.panel import Panel


class NotEnoughHistory(ValueError):
    pass


@dataclass
class HoldoutEvaluation:
    models: dict[str, dict]  # model -> mase_mean, mase_median, wape, series, seconds
    selected: dict  # the same for the product's choice, plus its mix and interval coverage
    test_periods: pd.DatetimeIndex
    forecast: PanelForecast
    actual: np.ndarray


def evaluate_holdout(
    panel: Panel,
    *,
    horizon: int,
    season_length: int | None,
    origins: int = 3,
    lstm: bool = True,
    device: str = "cpu",
    random_state: int = 0,
    on_model: Callable[[str, int | None], None] | None = None,
) -> HoldoutEvaluation:
    periods = len(panel.periods)
    if periods <= horizon + 1:
        raise NotEnoughHistory(
            f"{periods} periods cannot hold out {horizon} and still leave two to fit on; lower --horizon"
        )
    fit_on = periods - horizon
    history, actual = panel.values[:, :fit_on], panel.values[:, fit_on:]
    data = ForecastInput(history, panel.periods[:fit_on], horizon, season_length, random_state=random_state)
    started = time.perf_counter()
    models = local_models() + global_models(lstm=lstm, device=device)
    fitted = fit_models(data, models, origins=origins, on_model=on_model)
    result = forecast_panel(data, fitted)
    total_seconds = time.perf_counter() - started
    scores = {}
    for name, forecast in fitted.final.items():
        covered = np.isfinite(forecast).all(axis=1)
        if not covered.any():
            continue
        scores[name] = _scores(actual[covered], forecast[covered], history[covered])
        scores[name]["seconds"] = round(fitted.seconds.get(name, 0.0), 3)
    selected = _scores(actual, result.forecast, history)
    selected.update(
        {
            "seconds": round(total_seconds, 3),
            "mix": result.mix(),
            "default_model": result.selection.default_model if result.selection else None,
            "switch_margin": result.selection.switch_margin if result.selection else None,
            "coverage_80": round(metrics.coverage(actual, result.bounds["lower_80"], result.bounds["upper_80"]), 4),
            "coverage_95": round(metrics.coverage(actual, result.bounds["lower_95"], result.bounds["upper_95"]), 4),
        }
    )
    return HoldoutEvaluation(scores, selected, panel.periods[fit_on:], result, actual)


def _scores(actual, forecast, history) -> dict:
    summary = metrics.summary(actual, forecast, history)
    return {key: round(value, 4) if isinstance(value, float) else value for key, value in summary.items()}


def forecast_rows(evaluation: HoldoutEvaluation, series_ids) -> pd.DataFrame:
    """The selected forecasts of the held-out periods, one row per series and period."""
    columns = evaluation.forecast.columns()
    n, horizon = evaluation.forecast.forecast.shape
    return pd.DataFrame(
        {
            "series_id": np.repeat(np.asarray(series_ids), horizon),
            "period_start": np.tile([period.date().isoformat() for period in evaluation.test_periods], n),
            **{name: np.round(values.ravel(), 4) for name, values in columns.items()},
        }
    )
