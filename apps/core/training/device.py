"""Where PyTorch models train: settings.TRAINING_TORCH_DEVICE is auto, cpu or cuda."""

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
