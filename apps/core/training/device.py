"""Where PyTorch models train: settings.TRAINING_TORCH_DEVICE is auto, cpu or cuda."""

import os
import sys
from contextlib import contextmanager

from django.conf import settings


def torch_device(choice: str | None = None) -> str:
    choice = (choice or settings.TRAINING_TORCH_DEVICE).lower()
    if choice == "cpu":
        return "cpu"
    if choice not in ("auto", "cuda"):
        raise ValueError(f"TRAINING_TORCH_DEVICE must be auto, cpu or cuda, not {choice!r}")
    try:
        import torch  # heavy: only the process that trains imports it
    except ImportError:
        if choice == "cuda":
            raise RuntimeError("TRAINING_TORCH_DEVICE=cuda but PyTorch is not installed") from None
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if choice == "cuda":
        raise RuntimeError("TRAINING_TORCH_DEVICE=cuda but no GPU is visible to this worker")
    return "cpu"


@contextmanager
def training_threads():
    """Cap the threads a fit may use (BLAS, OpenMP, PyTorch) at settings.TRAINING_THREADS.
    Several ml workers on one host each get a share of its cores: threads beyond that share
    stall the others' parallel loops instead of helping."""
    from threadpoolctl import threadpool_limits

    threads = settings.TRAINING_THREADS or os.cpu_count() or 1
    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch else None
    with threadpool_limits(limits=threads):
        if torch:
            torch.set_num_threads(threads)
        try:
            yield threads
        finally:
            if torch and previous:
                torch.set_num_threads(previous)
