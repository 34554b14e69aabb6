"""Writes to the training-run registry: request, execute, activate, cancel, prune.

A run is claimed with a conditional UPDATE (exactly one row changed, or someone else
has it). Fitting happens outside any transaction; results are written under the run's
id; one short transaction then marks the run succeeded and, if it passed its quality
gate, active. Readers only read the active run, so they never see a mixture.
"""

import logging
import time
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from psycopg import pq

from apps.core.models import TrainingRun
from apps.core.training.artifacts import artifact_delete, artifact_save
from apps.core.training.registry import trainer_for
from apps.core.training.selectors import active_run_cache_key
from apps.core.training.trainer import TrainingCancelled

logger = logging.getLogger(__name__)

# Errors worth another try later (the database or broker blinked); anything else fails the run.
TRANSIENT_ERRORS = (OperationalError, ConnectionError, TimeoutError)


def training_run_request(
    *, kind: str, trigger: str, cutoff=None, parameters: dict | None = None, user=None, enqueue: bool = True
) -> tuple[TrainingRun, bool]:
    """Queue a training of `kind`, or join the queued or running one for the same cutoff.
    Returns (run, created). The task is enqueued only once the run row is committed
    (enqueue=False leaves the run for the caller to execute, as `retrain --sync` does)."""
    from apps.core.tasks import train_run

    trainer_for(kind)  # refuse unknown kinds before writing anything
    key = TrainingRun.key_for_cutoff(cutoff)
    try:
        with transaction.atomic():
            run = TrainingRun.objects.create(
                kind=kind,
                trigger=trigger,
                data_cutoff=cutoff,
                cutoff_key=key,
                parameters=parameters or {},
                requested_by=user if user is not None and user.is_authenticated else None,
            )
    except IntegrityError:
        existing = TrainingRun.objects.filter(kind=kind, cutoff_key=key, status__in=TrainingRun.UNFINISHED).first()
        if existing is None:  # it finished in between: ask again
            return training_run_request(
                kind=kind, trigger=trigger, cutoff=cutoff, parameters=parameters, user=user, enqueue=enqueue
            )
        return existing, False
    if enqueue:
        train_run.delay_on_commit(run.pk)
    return run, True


def training_run_execute(
    *, run_id: int, hostname: str = "", on_progress=None, soft_time_limit: float | None = None
) -> TrainingRun:
    """Claim and train the run. A delivery that finds the run already running means the
    previous attempt is gone (its worker died, or a transient error asked for a retry: a
    live attempt still holds the message), so it takes over, up to TRAINING_MAX_ATTEMPTS.

    The soft time limit is final wherever it fires (claiming, fitting, publishing,
    activating): the run fails with that reason and without its rows, and is not retried.
    `soft_time_limit` (seconds) only names the limit in that reason."""
    stage = _Stage()
    try:
        return _claim_and_train(run_id=run_id, hostname=hostname, on_progress=on_progress, stage=stage)
    except SoftTimeLimitExceeded:
        return _stop_at_soft_time_limit(run_id=run_id, stage=stage.name, soft_time_limit=soft_time_limit)


class _Stage:
    """What the run is doing, named in the reason when a time limit stops it."""

    name = "claiming the run"


def soft_time_limit_reason(*, stage: str, soft_time_limit: float | None) -> str:
    limit = f" of {soft_time_limit:g} s" if soft_time_limit else ""
    return f"Stopped: the run went past its soft time limit{limit} while {stage}."


def _claim_and_train(*, run_id: int, hostname: str, on_progress, stage: _Stage) -> TrainingRun:
    now = timezone.now()
    claimed = (
        TrainingRun.objects.filter(pk=run_id, attempts__lt=settings.TRAINING_MAX_ATTEMPTS)
        .filter(Q(status=TrainingRun.Status.QUEUED) | Q(status=TrainingRun.Status.RUNNING))
        .update(
            status=TrainingRun.Status.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
            worker_host=hostname[:200],
            progress=0,
            progress_message="Starting",
            error="",
        )
    )
    run = TrainingRun.objects.get(pk=run_id)
    if not claimed:
        if run.status == TrainingRun.Status.RUNNING:
            _discard_quietly(trainer_for(run.kind), run)
            training_run_fail(run_id=run.pk, error=f"The worker was lost {run.attempts} times; giving up.")
            run.refresh_from_db()
        return run

    stage.name = "fitting"
    trainer = trainer_for(run.kind)
    trainer.run_id = run.pk
    trainer.discard(run_id=run.pk)  # rows of an attempt that died half-way
    started = time.monotonic()
    report = _progress_reporter(run.pk, on_progress)
    try:
        outcome = trainer.fit(cutoff=run.data_cutoff, parameters=run.parameters, report=report)
        stage.name = "publishing results"
        report(85, "Writing results")
        if outcome.artifact is not None:
            run.artifact_path = artifact_save(kind=run.kind, run_id=run.pk, artifact=outcome.artifact)
        trainer.publish(run=run, outcome=outcome)
        stage.name = "activating"
        _succeed(run, outcome, started)
    except TrainingCancelled:
        _discard_quietly(trainer, run)
    except SoftTimeLimitExceeded:
        raise  # final, whatever the stage: training_run_execute fails the run
    except TRANSIENT_ERRORS:
        # The run stays claimed; the task's retry (with backoff) takes it over as the next attempt.
        _discard_quietly(trainer, run)
        TrainingRun.objects.filter(pk=run.pk, status=TrainingRun.Status.RUNNING).update(
            progress_message="Waiting to retry after a transient error"
        )
        raise
    except Exception as exc:
        logger.exception("Training run %s failed", run.pk)
        _discard_quietly(trainer, run)
        training_run_fail(run_id=run.pk, error=f"{type(exc).__name__}: {exc}", duration=time.monotonic() - started)
    except BaseException:  # interrupted (Ctrl-C on `retrain --sync`, shutdown): never leave it running
        _discard_quietly(trainer, run)
        training_run_fail(run_id=run.pk, error="Interrupted before it finished.", duration=time.monotonic() - started)
        raise
    run.refresh_from_db()
    if run.status == TrainingRun.Status.SUCCEEDED:
        stage.name = "pruning old runs"
        training_runs_prune(kind=run.kind)
    return run


def _stop_at_soft_time_limit(*, run_id: int, stage: str, soft_time_limit: float | None) -> TrainingRun:
    """Fail the run for its soft limit. A run that already succeeded (the limit fired while
    old runs were pruned) keeps its status and its rows."""
    _reset_interrupted_connection()
    reason = soft_time_limit_reason(stage=stage, soft_time_limit=soft_time_limit)
    logger.warning("Training run %s: %s", run_id, reason)
    run = TrainingRun.objects.get(pk=run_id)
    # Only this attempt could have activated the run, and its commit either happened or never will.
    if run.status != TrainingRun.Status.SUCCEEDED:
        _discard_quietly(trainer_for(run.kind), run)
    training_run_fail(run_id=run_id, error=reason)
    run.refresh_from_db()
    return run


def _reset_interrupted_connection() -> None:
    """A limit that fires inside a query leaves the connection waiting for that query's
    result, refusing any other: cancel the query on the server and reconnect, so that the
    failure can still be written (and a blocked claim or lock never completes later)."""
    raw = connection.connection
    if raw is None or connection.vendor != "postgresql":
        return
    if raw.info.transaction_status == pq.TransactionStatus.ACTIVE:
        try:
            raw.cancel_safe(timeout=5)
        except Exception:  # the server may be gone too; closing is what matters
            logger.warning("Could not cancel the interrupted query", exc_info=True)
        connection.close()


def _progress_reporter(run_id: int, on_progress=None):
    def report(percent: int, message: str) -> None:
        if on_progress:
            on_progress(percent, message)
        still_running = TrainingRun.objects.filter(pk=run_id, status=TrainingRun.Status.RUNNING).update(
            progress=max(0, min(99, int(percent))), progress_message=message[:200], heartbeat_at=timezone.now()
        )
        if not still_running:
            raise TrainingCancelled()

    return report


def _succeed(run: TrainingRun, outcome, started: float) -> None:
    with transaction.atomic():
        # Lock the kind's runs: two runs finishing together activate one after the other.
        list(TrainingRun.objects.select_for_update().filter(kind=run.kind).values_list("id", flat=True))
        current = TrainingRun.objects.get(pk=run.pk)
        if current.status != TrainingRun.Status.RUNNING:
            raise TrainingCancelled()
        now = timezone.now()
        current.status = TrainingRun.Status.SUCCEEDED
        current.metrics = outcome.metrics
        current.gate_passed = outcome.gate_passed
        current.gate_reason = outcome.gate_reason[:300]
        current.artifact_path = run.artifact_path
        current.progress, current.progress_message = 100, "Done"
        current.finished_at = now
        current.duration_seconds = round(time.monotonic() - started, 3)
        if outcome.gate_passed:
            TrainingRun.objects.filter(kind=run.kind, is_active=True).update(is_active=False)
            current.is_active, current.activated_at = True, now
            _forget_active_run(run.kind)
        current.save()


def training_run_fail(*, run_id: int, error: str, duration: float | None = None) -> bool:
    """Mark an unfinished run failed; a run already finished (or cancelled) keeps its status."""
    return bool(
        TrainingRun.objects.filter(pk=run_id, status__in=TrainingRun.UNFINISHED).update(
            status=TrainingRun.Status.FAILED,
            error=error,
            finished_at=timezone.now(),
            duration_seconds=round(duration, 3) if duration is not None else None,
            progress_message="Failed",
        )
    )


def _discard_quietly(trainer, run: TrainingRun) -> None:
    """Remove a run's rows and artifact after it stopped without succeeding."""
    try:
        trainer.discard(run_id=run.pk)
    except Exception:  # the database may be what failed; the next attempt discards again
        logger.warning("Could not discard the rows of training run %s", run.pk, exc_info=True)
    artifact_delete(run.artifact_path)


def training_run_activate(*, run_id: int) -> TrainingRun:
    """Make a succeeded run the one readers see (a rollback to an earlier run, or a run
    that did not pass its gate, by a staff decision)."""
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run_id)
        if run.status != TrainingRun.Status.SUCCEEDED or run.results_pruned:
            raise ValueError(f"Run {run_id} cannot be activated: only a succeeded run with its results can.")
        list(TrainingRun.objects.select_for_update().filter(kind=run.kind).values_list("id", flat=True))
        TrainingRun.objects.filter(kind=run.kind, is_active=True).exclude(pk=run.pk).update(is_active=False)
        run.is_active, run.activated_at = True, timezone.now()
        run.save(update_fields=["is_active", "activated_at"])
        _forget_active_run(run.kind)
    return run


def _forget_active_run(kind: str) -> None:
    """Readers cache the active run's id; drop it once the switch is committed."""
    transaction.on_commit(lambda: cache.delete(active_run_cache_key(kind)))


def training_run_cancel(*, run_id: int) -> bool:
    """Cancel a queued or running run; a running one stops at its next progress report."""
    return bool(
        TrainingRun.objects.filter(pk=run_id, status__in=TrainingRun.UNFINISHED).update(
            status=TrainingRun.Status.CANCELLED, finished_at=timezone.now(), progress_message="Cancelled"
        )
    )


def training_runs_prune(*, kind: str, keep: int | None = None) -> int:
    """Delete the results and artifacts of succeeded runs beyond the newest `keep`; the
    active run is never touched. The run records stay, for history."""
    keep = settings.TRAINING_KEEP_RUNS if keep is None else keep
    succeeded = TrainingRun.objects.filter(kind=kind, status=TrainingRun.Status.SUCCEEDED, results_pruned=False)
    candidates = list(succeeded.order_by("-created_at", "-id").values_list("id", flat=True)[keep:])
    trainer = trainer_for(kind)
    pruned = 0
    for run_id in candidates:
        with transaction.atomic():
            # Under the kind's lock, as activation takes it: a run activated meanwhile is skipped.
            list(TrainingRun.objects.select_for_update().filter(kind=kind).values_list("id", flat=True))
            marked = TrainingRun.objects.filter(pk=run_id, is_active=False, results_pruned=False).update(
                results_pruned=True
            )
            if not marked:
                continue
            run = TrainingRun.objects.get(pk=run_id)
            trainer.discard(run_id=run_id)
            TrainingRun.objects.filter(pk=run_id).update(artifact_path="")
        artifact_delete(run.artifact_path)
        pruned += 1
    return pruned


def training_runs_expire_stale() -> int:
    """Fail runs nobody is working on: running with no progress for longer than the hard
    time limit (their worker was killed, or `retrain --sync` was), or queued for longer than
    TRAINING_QUEUED_EXPIRY (their message was lost). Otherwise they would block every later
    request for the same kind and cutoff, which joins them."""
    now = timezone.now()
    silent = now - timedelta(seconds=settings.TRAINING_TIME_LIMIT + 300)
    stale_running = TrainingRun.objects.filter(status=TrainingRun.Status.RUNNING, heartbeat_at__lt=silent)
    expired = 0
    for run in stale_running:
        _discard_quietly(trainer_for(run.kind), run)
        expired += training_run_fail(
            run_id=run.pk,
            error=f"The worker stopped without finishing (no progress since {run.heartbeat_at:%Y-%m-%d %H:%M}).",
        )
    forgotten = now - timedelta(seconds=settings.TRAINING_QUEUED_EXPIRY)
    for run in TrainingRun.objects.filter(status=TrainingRun.Status.QUEUED, created_at__lt=forgotten):
        expired += training_run_fail(
            run_id=run.pk, error=f"No worker took the run (queued since {run.created_at:%Y-%m-%d %H:%M})."
        )
    return expired
