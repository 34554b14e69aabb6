"""A gradient-boosted model learned across all series at once (the M5 competition's
lesson: one global model on lag and calendar features beats most per-series models on
retail panels).

Direct multi-horizon: one model, the horizon step as a feature, trained on every origin
of every series, targets scaled by the series' level. The absolute-error loss aims at the
median, which is what MASE and WAPE reward on intermittent sales.
"""

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

from apps.forecasts.ml.base import Forecaster, ForecastInput, non_negative
from apps.forecasts.ml.windows import origin_features, training_origins, week_of_year

# Enough rows to learn from on a large catalogue without the fit dominating a retrain.
MAX_TRAINING_ROWS = 150_000


class GlobalGradientBoosting(Forecaster):
    name = "global_gbm"
    is_global = True

    def __init__(self, max_iter: int = 150, learning_rate: float = 0.05):
        self.max_iter = max_iter
        self.learning_rate = learning_rate

    def forecast(self, data: ForecastInput) -> np.ndarray:
        features, targets = _training_set(data)
        if len(targets) < 50:  # too little to learn from: leave the series to local models
            return np.full((data.series_count, data.horizon), np.nan)
        rng = np.random.default_rng(data.random_state)
        if len(targets) > MAX_TRAINING_ROWS:
            keep = rng.choice(len(targets), MAX_TRAINING_ROWS, replace=False)
            features, targets = features[keep], targets[keep]
        model = HistGradientBoostingRegressor(
            loss="absolute_error",
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=31,
            min_samples_leaf=40,
            random_state=data.random_state,
        )
        model.fit(features, targets)
        at_origin, level = origin_features(data.history, data.history.shape[1])
        future_weeks = week_of_year(data.future_periods())
        forecast = np.column_stack(
            [
                model.predict(_with_step(at_origin, step, future_weeks[step], data, data.history.shape[1] + step))
                for step in range(data.horizon)
            ]
        )
        return non_negative(forecast * level[:, None])


def _training_set(data: ForecastInput) -> tuple[np.ndarray, np.ndarray]:
    history, periods = data.history, data.history.shape[1]
    weeks = week_of_year(data.periods)
    blocks, targets = [], []
    for origin in training_origins(periods):
        features, level = origin_features(history, origin)
        for step in range(min(data.horizon, periods - origin)):
            blocks.append(_with_step(features, step, weeks[origin + step], data, origin + step))
            targets.append(history[:, origin + step] / level)
    if not blocks:
        return np.zeros((0, 1)), np.zeros(0)
    return np.vstack(blocks), np.concatenate(targets)


def _with_step(features: np.ndarray, step: int, week: int, data: ForecastInput, period: int) -> np.ndarray:
    n = features.shape[0]
    columns = [features, np.full((n, 1), step, float), np.full((n, 1), week, float)]
    if data.regressors is not None:
        columns.append(data.regressors[:, period, :])
    return np.hstack(columns)
