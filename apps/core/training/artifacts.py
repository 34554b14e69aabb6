"""Fitted models on disk, one directory per run, loaded lazily by whoever serves them."""

import pickle
import shutil
from functools import lru_cache
from pathlib import Path

from django.conf import settings

ARTIFACT_FILE = "model.pkl"


def artifact_save(*, kind: str, run_id: int, artifact) -> str:
    directory = Path(settings.TRAINING_ARTIFACT_DIR) / kind / str(run_id)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ARTIFACT_FILE
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        pickle.dump(artifact, out, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)  # a reader never sees half a file
    return str(path)


@lru_cache(maxsize=8)
def artifact_load(path: str):
    """Cached by path, which includes the run id: a new run means a new entry."""
    with open(path, "rb") as handle:
        return pickle.load(handle)  # noqa: S301 - written by our own workers only


def artifact_delete(path: str) -> None:
    if path:
        shutil.rmtree(Path(path).parent, ignore_errors=True)
