"""statsmodels' exponential smoothing and ARIMA, fitted series by series.

ETS: additive errors, no trend or a damped additive trend, chosen per series by AICc
(multiplicative forms need strictly positive data, which weekly SKU sales rarely are).
ARIMA: a bounded search over small (p, d, q) orders by AICc. With known regressors
(promotions, holidays) ARIMA becomes a regression with ARIMA errors (SARIMAX).

These are the slow models: they only run on series with enough regular sales to support
them (see `eligible`), and fan-out spreads them over workers.
"""

import contextlib
import warnings

import numpy as np

from apps.forecasts.ml.base import Forecaster, ForecastInput, non_negative
from apps.forecasts.ml.demand import demand_class

# Only smooth series (regular sales of steady size) with this many periods qualify. Measured
# on Online Retail's regular SKUs, ETS and ARIMA on every series that sells most weeks lost
# to TSB on the test weeks and took 40 s and 270 s; on intermittent, erratic or lumpy
# demand TSB and the global models describe a series better and far faster.
MIN_PERIODS = 16
ARIMA_ORDERS = [(0, 1, 1), (1, 0, 1)]


def eligible(history: np.ndarray) -> np.ndarray:
    return (history.shape[1] >= MIN_PERIODS) & (demand_class(history) == "smooth")


class ExponentialSmoothing(Forecaster):
    name = "ets"

    def forecast(self, data: ForecastInput) -> np.ndarray:
        return _per_series(data, _ets_one)


class AutoArima(Forecaster):
    name = "arima"

    def forecast(self, data: ForecastInput) -> np.ndarray:
        return _per_series(data, _arima_one)


def _per_series(data: ForecastInput, fit_one) -> np.ndarray:
    forecast = np.full((data.series_count, data.horizon), np.nan)
    for row in np.flatnonzero(eligible(data.history)):
        regressors = None if data.regressors is None else data.regressors[row]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter; a failed fit is a NaN row
            # Any failure of one series' fit (statsmodels raises several kinds) leaves that
            # series to the other models instead of failing the whole chunk.
            with contextlib.suppress(Exception):
                forecast[row] = fit_one(data.history[row], data.horizon, regressors)
    forecast[~np.isfinite(forecast).all(axis=1)] = np.nan
    return non_negative(forecast)


def _ets_one(series: np.ndarray, horizon: int, regressors) -> np.ndarray:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    best, best_aicc = None, np.inf
    for trend in (None, "add"):
        model = ETSModel(series, error="add", trend=trend, damped_trend=trend is not None)
        fitted = model.fit(disp=False, maxiter=200)
        if np.isfinite(fitted.aicc) and fitted.aicc < best_aicc:
            best, best_aicc = fitted, fitted.aicc
    if best is None:
        raise ValueError("no ETS form fitted")
    return np.asarray(best.forecast(horizon))


def _arima_one(series: np.ndarray, horizon: int, regressors) -> np.ndarray:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    periods = len(series)
    exog, future = (None, None) if regressors is None else (regressors[:periods], regressors[periods:])
    best, best_aicc = None, np.inf
    for order in ARIMA_ORDERS:
        model = SARIMAX(series, exog=exog, order=order, trend="c" if order[1] == 0 else "n", concentrate_scale=True)
        fitted = model.fit(disp=False, maxiter=50)
        if np.isfinite(fitted.aicc) and fitted.aicc < best_aicc:
            best, best_aicc = fitted, fitted.aicc
    if best is None:
        raise ValueError("no ARIMA order fitted")
    return np.asarray(best.forecast(horizon, exog=future))
