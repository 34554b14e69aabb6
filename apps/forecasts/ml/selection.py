"""Which model forecasts which series, chosen on the backtests.

Measured on retail panels (Online Retail's 1,826 regular SKUs): picking each series' own
best model on three backtest origins does worse on the test weeks than the single model
that is best over all series, because 24 backtest errors per series are mostly noise. So
the default is that pooled best model, and a series switches to another only when its
own backtests favour it by a margin. The margin itself is chosen on validation: the
selection is made on all origins but the last, and the margin that scores best on the
last origin wins (ties go to the larger margin, the simpler choice).
"""

from dataclasses import dataclass

import numpy as np

from apps.forecasts.ml.backtest import Backtest

MARGINS = (0.0, 0.1, 0.25, 0.5, np.inf)
BASELINE = "naive"


@dataclass
class Selection:
    default_model: str
    margin: float
    chosen: np.ndarray  # (n,) model name per series
    series_errors: dict[str, np.ndarray]  # model -> (n,) mean scaled backtest error
    pooled_errors: dict[str, float]  # model -> mean over the series it covers

    @property
    def switch_margin(self) -> float | None:
        """The margin for reports: None where no series may switch."""
        return float(self.margin) if np.isfinite(self.margin) else None

    def chosen_error(self) -> np.ndarray:
        return np.array([self.series_errors[name][row] for row, name in enumerate(self.chosen)])


def select_models(backtest: Backtest, *, default_model: str | None = None) -> Selection:
    names = list(backtest.forecasts)
    errors = {name: backtest.series_error(name) for name in names}
    pooled = _pooled(errors)
    if not pooled:
        raise ValueError("no model produced a backtest forecast for every series")
    default = default_model or min(pooled, key=pooled.get)
    margin = _validated_margin(backtest, names) if default_model is None else np.inf
    chosen = _choose(errors, names, default, margin)
    return Selection(default, float(margin), chosen, errors, pooled)


def _pooled(errors: dict[str, np.ndarray]) -> dict[str, float]:
    """Mean error of each model that forecast every series (the default must cover all)."""
    return {name: float(value.mean()) for name, value in errors.items() if np.isfinite(value).all()}


def _choose(errors: dict[str, np.ndarray], names: list[str], default: str, margin: float) -> np.ndarray:
    matrix = np.column_stack([np.where(np.isfinite(errors[name]), errors[name], np.inf) for name in names])
    best = matrix.argmin(axis=1)
    default_error = errors[default]
    switch = matrix[np.arange(len(best)), best] < default_error * (1 - margin) if np.isfinite(margin) else False
    return np.where(switch, np.array(names, dtype=object)[best], default)


def _validated_margin(backtest: Backtest, names: list[str]) -> float:
    if len(backtest.origins) < 2:
        return np.inf
    earlier = {name: _origin_errors(backtest, name, slice(0, -1)) for name in names}
    last = {name: _origin_errors(backtest, name, slice(-1, None)) for name in names}
    pooled = _pooled(earlier)
    if not pooled:
        return np.inf
    default = min(pooled, key=pooled.get)
    scores = {}
    for margin in MARGINS:
        chosen = _choose(earlier, names, default, margin)
        # A model that skipped a series at the last origin is scored there as the default,
        # or as the naive baseline where the default skipped it too.
        scored = [
            _first_finite(last[name][row], last[default][row], last.get(BASELINE, [np.nan] * (row + 1))[row])
            for row, name in enumerate(chosen)
        ]
        scores[margin] = float(np.nanmean(scored)) if np.isfinite(scored).any() else np.inf
    best = min(scores.values())
    if not np.isfinite(best):
        return np.inf
    return max(margin for margin, score in scores.items() if score <= best + 1e-12)


def _first_finite(*values) -> float:
    return next((float(value) for value in values if np.isfinite(value)), np.nan)


def _origin_errors(backtest: Backtest, name: str, origins: slice) -> np.ndarray:
    return backtest.scaled_errors(name)[origins].mean(axis=(0, 2))
