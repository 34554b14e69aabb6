"""Forecast accuracy as retail planners read it.

MASE divides a series' mean absolute error by the in-sample mean absolute one-step naive
error (Hyndman & Koehler, 2006), so series of any volume compare; WAPE is total absolute
error over total actual, dominated by the big sellers that carry the money.
"""

import numpy as np


def mase_scale(history: np.ndarray) -> np.ndarray:
    """Per series (rows): the mean absolute one-step naive error over the history.
    NaN where it is zero or undefined (a flat or one-period series): such a series has no
    MASE and is left out of its mean."""
    history = np.atleast_2d(history)
    if history.shape[1] < 2:
        return np.full(history.shape[0], np.nan)
    scale = np.abs(np.diff(history, axis=1)).mean(axis=1)
    return np.where(scale > 0, scale, np.nan)


def mase(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Per series: mean absolute error over the horizon, divided by the series' scale."""
    actual, forecast = np.atleast_2d(actual), np.atleast_2d(forecast)
    return np.abs(actual - forecast).mean(axis=1) / scale


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Sum of absolute errors over sum of actuals, over every series and period."""
    total = float(np.abs(actual).sum())
    return float(np.abs(actual - forecast).sum() / total) if total > 0 else float("nan")


def summary(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray) -> dict:
    """Mean and median MASE over the series that have one, and WAPE over everything."""
    per_series = mase(actual, forecast, mase_scale(history))
    scored = per_series[np.isfinite(per_series)]
    return {
        "mase_mean": float(scored.mean()) if len(scored) else None,
        "mase_median": float(np.median(scored)) if len(scored) else None,
        "wape": wape(actual, forecast),
        "series": int(len(per_series)),
        "series_with_mase": int(len(scored)),
    }


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of actuals inside their interval."""
    return float(((actual >= lower) & (actual <= upper)).mean())
