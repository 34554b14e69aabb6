"""Prediction intervals from the backtests' own errors.

For each model and horizon step, the signed errors of its backtest forecasts, divided by
each series' MASE scale, are pooled over series; their quantiles, times a series' scale,
give that series' interval around its forecast. The intervals are as wide as the model
has actually been wrong at that distance, for models with and without a likelihood
alike. Demand is never negative, so lower bounds stop at zero.
"""

import numpy as np

from apps.forecasts.ml.backtest import Backtest

LEVELS = {"80": (0.10, 0.90), "95": (0.025, 0.975)}


def residual_quantiles(backtest: Backtest, name: str) -> dict[str, np.ndarray]:
    """level -> (2, horizon) lower and upper quantiles of the scaled signed error."""
    signed = (backtest.actuals - backtest.forecasts[name]) / backtest.scales[:, :, None]
    horizon = signed.shape[2]
    quantiles = {}
    for level, (low, high) in LEVELS.items():
        bounds = np.zeros((2, horizon))
        for step in range(horizon):
            errors = signed[:, :, step].ravel()
            errors = errors[np.isfinite(errors)]
            if len(errors):
                bounds[:, step] = np.quantile(errors, [low, high])
        # Uncertainty does not shrink with distance: widen each step to at least the previous.
        bounds[0] = np.minimum.accumulate(bounds[0])
        bounds[1] = np.maximum.accumulate(bounds[1])
        quantiles[level] = bounds
    return quantiles


def intervals(forecast: np.ndarray, scale: np.ndarray, quantiles: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """For forecasts (n, horizon) of series with `scale` (n,): lower_80, upper_80, ..."""
    bounds = {}
    for level, (low, high) in quantiles.items():
        bounds[f"lower_{level}"] = np.clip(forecast + scale[:, None] * low[None, :], 0.0, forecast)
        bounds[f"upper_{level}"] = np.maximum(forecast + scale[:, None] * high[None, :], forecast)
    return bounds
