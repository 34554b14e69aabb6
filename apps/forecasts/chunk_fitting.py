"""The work items of a forecasting run as bytes, and what a worker does with one.

An item is either a chunk of series for the local models (those that fit one series at a
time) or one global model over every series. The global items come first: they are the
longest, so whoever starts first takes them, and the chunks fill the remaining time.
"""

import io

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from apps.core.training.device import torch_device, training_threads
from apps.forecasts.ml.base import ForecastInput
from apps.forecasts.ml.forecaster import ModelForecasts, fit_models, global_models, join_models, join_rows, local_models

LOCAL = "local"


def work_items(data: ForecastInput, *, origins: int, chunk_series: int, lstm: bool) -> list[bytes]:
    everything = np.arange(data.series_count)
    globals_ = ["global_gbm"] + (["lstm"] if lstm else [])
    chunks = np.array_split(everything, max(1, -(-data.series_count // chunk_series)))
    return [_payload(everything, data, origins, name) for name in globals_] + [
        _payload(rows, data, origins, LOCAL) for rows in chunks
    ]


def _payload(rows: np.ndarray, data: ForecastInput, origins: int, models: str) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        rows=rows,
        history=data.history[rows],
        periods=data.periods.values.astype("datetime64[ns]"),
        settings=np.array([data.horizon, data.season_length or 0, origins, data.random_state]),
        models=np.array(models),
    )
    return buffer.getvalue()


def item_rows(payload: bytes) -> tuple[np.ndarray, str]:
    """The series an item covers, and LOCAL or the name of its global model."""
    with np.load(io.BytesIO(payload)) as arrays:
        return arrays["rows"], str(arrays["models"])


def item_compute(payload: bytes) -> bytes:
    with np.load(io.BytesIO(payload)) as arrays:
        horizon, season_length, origins, random_state = (int(value) for value in arrays["settings"])
        models = str(arrays["models"])
        data = ForecastInput(
            history=arrays["history"],
            periods=pd.DatetimeIndex(arrays["periods"]),
            horizon=horizon,
            season_length=season_length or None,
            random_state=random_state,
        )
    if models == LOCAL:
        # One series at a time is small linear algebra: extra BLAS threads only contend
        # with the other workers' items on the same cores.
        with threadpool_limits(limits=1):
            return fit_models(data, local_models(), origins=origins).to_bytes()
    device = torch_device() if models == "lstm" else "cpu"
    if models == "lstm":
        import torch  # noqa: F401  (loaded before the thread cap, so that the cap reaches it)
    chosen = [model for model in global_models(lstm=True, device=device) if model.name == models]
    with training_threads():
        return fit_models(data, chosen, origins=origins).to_bytes()


def gather(payloads: list[bytes], results: list[bytes], series_count: int) -> ModelForecasts:
    """Every item's forecasts back into one panel's: local chunks by rows, global models
    side by side."""
    local, global_parts = [], []
    for payload, result in zip(payloads, results, strict=True):
        rows, models = item_rows(payload)
        part = ModelForecasts.from_bytes(result)
        (local if models == LOCAL else global_parts).append((rows, part))
    joined = join_rows(local, series_count)
    for _rows, part in global_parts:
        joined = join_models(joined, part)
    return joined
