"""Models for intermittent demand: most SKUs sell in some weeks and not others.

Croston splits a series into demand sizes and the intervals between them and smooths
each; the Syntetos-Boylan approximation (SBA) removes Croston's upward bias with a factor
(1 - alpha/2). TSB (Teunter, Syntetos & Babai, 2011) smooths the probability of a sale
every period instead of the interval, so a product that stopped selling fades towards
zero. Both run on all series at once; each series picks its smoothing constants from a
small grid by in-sample one-step squared error.
"""

import numpy as np

from apps.forecasts.ml.base import Forecaster, ForecastInput

ALPHAS = np.array([0.05, 0.1, 0.2, 0.3])


class CrostonSBA(Forecaster):
    name = "croston_sba"

    def forecast(self, data: ForecastInput) -> np.ndarray:
        fits = (
            (error, (1 - alpha / 2) * final) for alpha in ALPHAS for error, final in [_croston(data.history, alpha)]
        )
        return _flat(_best_per_series(fits, data.series_count), data.horizon)


class TSB(Forecaster):
    name = "tsb"

    def forecast(self, data: ForecastInput) -> np.ndarray:
        fits = (_tsb(data.history, size, probability) for size in ALPHAS for probability in ALPHAS)
        return _flat(_best_per_series(fits, data.series_count), data.horizon)


def _best_per_series(fits, series_count: int) -> np.ndarray:
    """From (in-sample error, final level) per grid point, each series' level where its error is lowest."""
    best = np.full(series_count, np.inf)
    level = np.zeros(series_count)
    for error, final in fits:
        better = error < best
        best[better] = error[better]
        level[better] = final[better]
    return level


def _flat(level: np.ndarray, horizon: int) -> np.ndarray:
    return np.repeat(level[:, None], horizon, axis=1)


def _croston(history: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """One-step in-sample squared error and the final size/interval ratio, per series."""
    n, periods = history.shape
    sold = history > 0
    first = np.where(sold.any(axis=1), sold.argmax(axis=1), periods)
    size = np.where(first < periods, history[np.arange(n), np.minimum(first, periods - 1)], 0.0)
    interval = np.maximum(first + 1, 1).astype(float)
    since = np.zeros(n)
    squared, counted = np.zeros(n), np.zeros(n)
    for t in range(periods):
        started = t > first
        forecast = size / interval
        squared += np.where(started, (history[:, t] - forecast) ** 2, 0.0)
        counted += started
        since += 1
        update = started & sold[:, t]
        size = np.where(update, size + alpha * (history[:, t] - size), size)
        interval = np.where(update, interval + alpha * (since - interval), interval)
        since = np.where(update | (t == first), 0, since)  # periods since the latest sale
    return squared / np.maximum(counted, 1), size / interval


def _tsb(history: np.ndarray, alpha_size: float, alpha_probability: float) -> tuple[np.ndarray, np.ndarray]:
    n, periods = history.shape
    sold = history > 0
    size = np.where(sold.any(axis=1), history.sum(axis=1) / np.maximum(sold.sum(axis=1), 1), 0.0)
    probability = sold.mean(axis=1)
    squared = np.zeros(n)
    for t in range(periods):
        squared += (history[:, t] - probability * size) ** 2
        probability = probability + alpha_probability * (sold[:, t] - probability)
        size = np.where(sold[:, t], size + alpha_size * (history[:, t] - size), size)
    return squared / periods, probability * size
