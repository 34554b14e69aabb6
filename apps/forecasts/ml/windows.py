"""Training examples for the global models: stand at an origin, look back, predict ahead.

At origin t a series has seen periods [0, t). Its features are its recent values divided
by its own recent level (so that a SKU selling 2 a week and one selling 2,000 teach the
same shape) plus how intermittent it has been; the targets are the next `horizon`
periods divided by the same level. Every origin uses only what was known at it.
"""

import numpy as np

LAGS = 13
LEVEL_WINDOW = 26
MIN_ORIGIN = 8


def week_of_year(periods) -> np.ndarray:
    """ISO week number of each period start: the calendar both global models see."""
    return np.asarray(periods.isocalendar().week, dtype=int)


def series_level(history: np.ndarray, origin: int) -> np.ndarray:
    """Mean of the last LEVEL_WINDOW periods before the origin, or of all of them when
    those were all zero; 1 for a series that never sold (its targets stay in units)."""
    recent = history[:, max(0, origin - LEVEL_WINDOW) : origin].mean(axis=1)
    overall = history[:, :origin].mean(axis=1) if origin else np.zeros(len(history))
    level = np.where(recent > 0, recent, overall)
    return np.where(level > 0, level, 1.0)


def origin_features(history: np.ndarray, origin: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, F) features at `origin` and the (n,) levels they are scaled by."""
    n = history.shape[0]
    seen = history[:, :origin]
    level = series_level(history, origin)
    lags = np.zeros((n, LAGS))
    take = min(LAGS, origin)
    if take:
        lags[:, LAGS - take :] = seen[:, origin - take :]
    sold = seen > 0
    last_sale = np.where(sold.any(axis=1), origin - 1 - np.argmax(sold[:, ::-1], axis=1), origin)
    columns = [
        lags / level[:, None],
        _window_mean(seen, 4)[:, None] / level[:, None],
        _window_mean(seen, 13)[:, None] / level[:, None],
        _window_mean(seen, 52)[:, None] / level[:, None],
        sold[:, -13:].mean(axis=1, keepdims=True) if origin else np.zeros((n, 1)),
        sold.mean(axis=1, keepdims=True) if origin else np.zeros((n, 1)),
        (origin - last_sale)[:, None].astype(float),
        np.log1p(level)[:, None],
    ]
    return np.hstack(columns), level


def _window_mean(seen: np.ndarray, window: int) -> np.ndarray:
    if seen.shape[1] == 0:
        return np.zeros(seen.shape[0])
    return seen[:, -window:].mean(axis=1)


def training_origins(periods: int) -> list[int]:
    """Origins with at least MIN_ORIGIN periods behind them (fewer for a short history) and
    at least one target period ahead."""
    return list(range(min(MIN_ORIGIN, max(periods - 1, 1)), periods))
