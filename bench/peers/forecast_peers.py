"""The peers of bench/forecasts.py, run in their own environment (.venv-bench: statsforecast
needs pandas < 3). Reads the panel the bench wrote, fits each peer on the weeks before the
test and prints one JSON object: per peer, mean/median MASE, WAPE and seconds.

    .venv-bench/bin/python bench/peers/forecast_peers.py PANEL.npz
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from apps.forecasts.ml.metrics import summary  # noqa: E402  (numpy only)


def statsforecast_peers(train: np.ndarray, periods: pd.DatetimeIndex, horizon: int) -> dict:
    from statsforecast import StatsForecast
    from statsforecast.models import TSB, AutoETS, CrostonOptimized, Naive, WindowAverage

    n, length = train.shape
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(n), length),
            "ds": np.tile(periods, n),
            "y": train.ravel(),
        }
    )
    models = {
        "Naive": Naive(),
        "WindowAverage": WindowAverage(window_size=8),
        "CrostonOptimized": CrostonOptimized(),
        "TSB(0.1,0.1)": TSB(alpha_d=0.1, alpha_p=0.1, alias="TSB(0.1,0.1)"),
        "TSB(0.2,0.2)": TSB(alpha_d=0.2, alpha_p=0.2, alias="TSB(0.2,0.2)"),
        "AutoETS": AutoETS(season_length=1),
    }
    results = {}
    for name, model in models.items():
        started = time.perf_counter()
        forecast = StatsForecast(models=[model], freq="W-MON", n_jobs=1).forecast(df=frame, h=horizon)
        seconds = time.perf_counter() - started
        column = [c for c in forecast.columns if c not in ("unique_id", "ds")][0]
        values = forecast.sort_values(["unique_id", "ds"])[column].to_numpy().reshape(n, horizon)
        results[name] = {"forecast": np.clip(values, 0, None), "seconds": seconds}
    return results


def lightgbm_peer(train: np.ndarray, periods: pd.DatetimeIndex, horizon: int) -> dict:
    """A global LightGBM, M5-style: one-step model on lags 1-13, rolling means and week of
    year, targets scaled by each series' mean, L1 objective, forecast recursively."""
    import lightgbm as lgb

    started = time.perf_counter()
    level = np.maximum(train.mean(axis=1), 1e-3)[:, None]
    scaled = train / level
    weeks = np.asarray(periods.isocalendar().week, dtype=float)
    future_weeks = np.asarray(
        pd.date_range(periods[-1], periods=horizon + 1, freq="W-MON")[1:].isocalendar().week, dtype=float
    )

    def features(history: np.ndarray, week: float) -> np.ndarray:
        lags = history[:, -13:][:, ::-1]
        return np.column_stack(
            [
                lags,
                history[:, -4:].mean(1),
                history[:, -13:].mean(1),
                history[:, -26:].mean(1),
                np.full(len(history), week),
            ]
        )

    rows, targets = [], []
    for t in range(13, scaled.shape[1]):
        rows.append(features(scaled[:, :t], weeks[t]))
        targets.append(scaled[:, t])
    model = lgb.LGBMRegressor(objective="l1", n_estimators=300, learning_rate=0.05, num_leaves=31, verbose=-1)
    model.fit(np.vstack(rows), np.concatenate(targets))
    history = scaled.copy()
    for step in range(horizon):
        prediction = model.predict(features(history, future_weeks[step]))
        history = np.column_stack([history, np.clip(prediction, 0, None)])
    forecast = history[:, -horizon:] * level
    return {"forecast": forecast, "seconds": time.perf_counter() - started}


def main() -> None:
    with np.load(sys.argv[1]) as arrays:
        values, periods, horizon = arrays["values"], pd.DatetimeIndex(arrays["periods"]), int(arrays["horizon"])
    train, test = values[:, :-horizon], values[:, -horizon:]
    peers = statsforecast_peers(train, periods[:-horizon], horizon)
    peers["LightGBM"] = lightgbm_peer(train, periods[:-horizon], horizon)
    report = {}
    for name, peer in peers.items():
        scores = summary(test, peer["forecast"], train)
        report[name] = {
            "mase_mean": round(scores["mase_mean"], 4),
            "mase_median": round(scores["mase_median"], 4),
            "wape": round(scores["wape"], 4),
            "seconds": round(peer["seconds"], 3),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
