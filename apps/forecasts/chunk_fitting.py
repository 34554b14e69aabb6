"""A chunk of series as bytes, and what a worker does with it: backtest and fit the local
models (those that fit one series at a time) on those series."""

import io

import numpy as np
import pandas as pd

from apps.forecasts.ml.base import ForecastInput
from apps.forecasts.ml.forecaster import fit_models, local_models


def chunk_payload(*, rows: np.ndarray, data: ForecastInput, origins: int) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        rows=rows,
        history=data.history[rows],
        periods=data.periods.asi8,
        settings=np.array([data.horizon, data.season_length or 0, origins, data.random_state]),
    )
    return buffer.getvalue()


def chunk_rows(payload: bytes) -> np.ndarray:
    with np.load(io.BytesIO(payload)) as arrays:
        return arrays["rows"]


def chunk_compute(payload: bytes) -> bytes:
    with np.load(io.BytesIO(payload)) as arrays:
        horizon, season_length, origins, random_state = (int(value) for value in arrays["settings"])
        data = ForecastInput(
            history=arrays["history"],
            periods=pd.DatetimeIndex(arrays["periods"]),
            horizon=horizon,
            season_length=season_length or None,
            random_state=random_state,
        )
    return fit_models(data, local_models(), origins=origins).to_bytes()
