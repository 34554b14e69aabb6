"""Thin tasks: take ids, call one service."""

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from apps.core.training.services import TRANSIENT_ERRORS


class TrainingTask(DjangoTask):
    def soft_time_limit_in_force(self) -> float | None:
        """A limit set on the message (apply_async(soft_time_limit=...)) wins over the task's."""
        _hard, soft = self.request.timelimit or (None, None)
        return soft or self.soft_time_limit

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Retries used up, or an error escaped the service: the run must not stay unfinished,
        and its reason must be the real one."""
        from apps.core.training.services import soft_time_limit_reason, training_run_fail

        run_id = kwargs.get("run_id", args[0] if args else None)
        if run_id is None:
            return
        if isinstance(exc, SoftTimeLimitExceeded):  # fired before the service took the run
            error = soft_time_limit_reason(stage="starting", soft_time_limit=self.soft_time_limit_in_force())
        elif isinstance(exc, TRANSIENT_ERRORS):
            error = f"Gave up after retries: {type(exc).__name__}: {exc}"
        else:
            error = f"{type(exc).__name__}: {exc}"
        training_run_fail(run_id=run_id, error=error)


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

    return training_run_execute(
        run_id=run_id, hostname=f"{self.request.hostname}", soft_time_limit=self.soft_time_limit_in_force()
    ).status


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
