from apps.core.models import TrainingRun


def active_run(*, kind: str) -> TrainingRun | None:
    """The run whose results readers see for `kind`, or None before the first success."""
    return TrainingRun.objects.filter(kind=kind, is_active=True).first()


def active_run_id(*, kind: str) -> int | None:
    return TrainingRun.objects.filter(kind=kind, is_active=True).values_list("id", flat=True).first()
