"""Thin tasks: take ids, call one service."""

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.conf import settings

from apps.core.training.services import TRANSIENT_ERRORS


class TrainingTask(DjangoTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Retries used up (or an error escaped the service): the run must not stay unfinished."""
        from apps.core.training.services import training_run_fail

        run_id = kwargs.get("run_id", args[0] if args else None)
        if run_id is not None:
            training_run_fail(run_id=run_id, error=f"Gave up after retries: {type(exc).__name__}: {exc}")


@shared_task(
    name="core.train_run",
    base=TrainingTask,
    bind=True,
    # Only acknowledged once the run is finished: a worker killed mid-run leaves the
    # message to be delivered again, and the service takes the run over (bounded attempts).
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=3,
    soft_time_limit=settings.TRAINING_SOFT_TIME_LIMIT,
    time_limit=settings.TRAINING_TIME_LIMIT,
)
def train_run(self, run_id: int) -> str:
    from apps.core.training.services import training_run_execute

    return training_run_execute(run_id=run_id, hostname=f"{self.request.hostname}").status


@shared_task(name="core.expire_stale_training_runs")
def expire_stale_training_runs() -> int:
    from apps.core.training.services import training_runs_expire_stale

    return training_runs_expire_stale()


@shared_task(name="core.retrain_all")
def retrain_all() -> list[int]:
    """The nightly schedule: one run per kind that has a trainer."""
    from apps.core.models import TrainingRun
    from apps.core.training.registry import trainer_kinds
    from apps.core.training.services import training_run_request

    return [training_run_request(kind=kind, trigger=TrainingRun.Trigger.SCHEDULE)[0].pk for kind in trainer_kinds()]


@shared_task(name="core.ping")
def ping(payload: str) -> str:
    return f"pong:{payload}"
