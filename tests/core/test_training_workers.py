"""The training platform under real worker processes and the real Redis broker: a worker
killed mid-run, a run past its soft time limit, an enqueue inside a rolled-back
transaction, and two workers sharing the ml queue."""

import json
import os
import signal
from contextlib import contextmanager, nullcontext

import psycopg
import pytest
from django.db import connection, transaction

from apps.core.models import TrainingRun
from apps.core.training.services import training_run_execute, training_run_request
from apps.segments.models import CustomerSegment
from apps.segments.selectors import customer_segments_current
from tests.core.conftest import pool_children, wait_for

STAFF = TrainingRun.Trigger.STAFF
SLOW_TRAINERS = json.dumps(
    {
        "segments": "tests.training_support.SlowSegmentsTrainer",
        "recommendations": "tests.training_support.SlowRecommendationsTrainer",
    }
)

pytestmark = [pytest.mark.worker]


@pytest.fixture
def serving(store, artifacts):
    """An active segments run trained in this process, and what readers see of it."""
    run, _ = training_run_request(kind="segments", trigger=STAFF, enqueue=False)
    training_run_execute(run_id=run.pk)
    return run.pk, served_rows()


def served_rows():
    return sorted(customer_segments_current().values_list("run_id", "customer_id", "segment"))


def reload(run):
    return TrainingRun.objects.get(pk=run.pk)


def test_worker_killed_mid_run_is_retried_and_readers_never_see_partial_rows(serving, start_worker, broker):
    active_id, before = serving
    worker = start_worker(env={"TRAINERS_OVERRIDE": SLOW_TRAINERS})
    # The first attempt holds still after half its rows until it is killed.
    run, _ = training_run_request(kind="segments", trigger=STAFF, parameters={"publish_pause": 600})

    wait_for(lambda: reload(run).progress_message == "Half written", what="the run to write half its rows")
    assert CustomerSegment.objects.filter(run=run).exists()
    assert served_rows() == before
    os.kill(pool_children(worker)[0], signal.SIGKILL)

    # The message was rejected on worker loss and is delivered again; the run is taken over.
    finished = wait_for(
        lambda: reload(run).status == "succeeded" and reload(run), timeout=180, what="the retried run to succeed"
    )
    assert finished.attempts == 2
    assert finished.is_active
    assert CustomerSegment.objects.filter(run=run).count() == finished.metrics["customers"]
    assert {row[0] for row in served_rows()} == {run.pk}
    assert not TrainingRun.objects.get(pk=active_id).is_active


def test_redeliveries_are_bounded(serving, start_worker, broker):
    active_id, before = serving
    worker = start_worker(env={"TRAINERS_OVERRIDE": SLOW_TRAINERS, "TRAINING_MAX_ATTEMPTS": "1"})
    run, _ = training_run_request(kind="segments", trigger=STAFF, parameters={"publish_pause": 600})
    wait_for(lambda: reload(run).progress_message == "Half written", what="the run to write half its rows")

    os.kill(pool_children(worker)[0], signal.SIGKILL)

    failed = wait_for(lambda: reload(run).status == "failed" and reload(run), what="the run to fail")
    assert failed.error == "The worker was lost 1 times; giving up."
    assert not CustomerSegment.objects.filter(run=run).exists()
    assert served_rows() == before
    assert TrainingRun.objects.get(is_active=True).pk == active_id


@contextmanager
def row_locked(run_id: int):
    """Another session holds a training run's row lock, as a slow concurrent activation would."""
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as other:
        other.execute(f"SELECT id FROM {TrainingRun._meta.db_table} WHERE id = %s FOR UPDATE", [run_id])
        yield


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


SOFT_LIMIT = 600  # what the message carries; the test fires it itself, once the run is where it wants


@pytest.mark.parametrize("stage", ["claiming the run", "fitting", "publishing results", "activating"])
def test_the_soft_time_limit_is_final_wherever_it_fires(stage, serving, start_worker, broker):
    from apps.core.tasks import train_run

    active_id, before = serving
    worker = start_worker(env={"TRAINERS_OVERRIDE": SLOW_TRAINERS})
    # Each stage is held until the limit fires: a pause in the trainer, or a row lock the
    # worker waits on (the run's own row for the claim, the active run's for activation).
    pauses = {"fitting": {"fit_pause": 600}, "publishing results": {"publish_pause": 600}}.get(stage, {})
    run, _ = training_run_request(kind="segments", trigger=STAFF, parameters=pauses, enqueue=False)
    locked = {"claiming the run": run.pk, "activating": active_id}.get(stage)
    in_stage = {
        "fitting": lambda: reload(run).progress_message == "Fitting slowly",
        "publishing results": lambda: reload(run).progress_message == "Half written",
    }.get(stage, waiting_on_a_lock)

    with row_locked(locked) if locked else nullcontext():
        train_run.apply_async(args=[run.pk], soft_time_limit=SOFT_LIMIT, time_limit=SOFT_LIMIT + 60)
        wait_for(in_stage, what=f"the run to be {stage}")
        # What the pool does when a task's soft limit passes: SIGUSR1 to the child running it.
        os.kill(pool_children(worker)[0], signal.SIGUSR1)
        # The worker logs this once it has cancelled whatever query the limit interrupted.
        wait_for(
            lambda: f"Training run {run.pk}: Stopped" in worker.log_path.read_text(),
            what="the worker to stop the run",
        )
        assert served_rows() == before

    failed = wait_for(lambda: reload(run).status == "failed" and reload(run), what="the run to fail")
    assert failed.error == f"Stopped: the run went past its soft time limit of {SOFT_LIMIT} s while {stage}."
    # A claim cut short is cancelled on the server, so it never counts as an attempt.
    assert failed.attempts == (0 if stage == "claiming the run" else 1)
    assert not CustomerSegment.objects.filter(run=run).exists()
    assert served_rows() == before
    assert TrainingRun.objects.get(is_active=True).pk == active_id
    # Acknowledged and not retried: nothing waits in the queue or in the worker.
    wait_for(lambda: broker.llen("ml") == 0 and broker.hlen("unacked") == 0, what="the message to be acknowledged")
    assert reload(run).attempts == failed.attempts


def test_the_pools_own_timer_enforces_the_soft_limit_carried_by_the_message(serving, start_worker, broker):
    from apps.core.tasks import train_run

    active_id, before = serving
    start_worker(env={"TRAINERS_OVERRIDE": SLOW_TRAINERS})
    run, _ = training_run_request(kind="segments", trigger=STAFF, parameters={"fit_pause": 600}, enqueue=False)

    train_run.apply_async(args=[run.pk], soft_time_limit=3, time_limit=120)

    failed = wait_for(lambda: reload(run).status == "failed" and reload(run), what="the run to fail")
    # Everything after the claim (one UPDATE) counts as fitting, and the fit pauses for ten minutes.
    assert failed.error == "Stopped: the run went past its soft time limit of 3 s while fitting."
    assert served_rows() == before
    assert TrainingRun.objects.get(is_active=True).pk == active_id


def test_a_retrain_inside_a_rolled_back_transaction_is_never_enqueued(store, broker):
    with transaction.atomic():
        training_run_request(kind="segments", trigger=STAFF)
        transaction.set_rollback(True)

    assert broker.llen("ml") == 0
    assert not TrainingRun.objects.exists()

    training_run_request(kind="segments", trigger=STAFF)
    assert broker.llen("ml") == 1


def test_two_workers_train_side_by_side(store, artifacts, start_worker, broker):
    for _ in range(2):
        start_worker(env={"TRAINERS_OVERRIDE": SLOW_TRAINERS})
    # Each run waits in fit until both are running: one worker alone could never finish either.
    parameters = {"meet": 2, "sequence_model": False}
    runs = [
        training_run_request(kind=kind, trigger=STAFF, parameters=parameters)[0]
        for kind in ("segments", "recommendations")
    ]

    done = [
        wait_for(lambda r=r: reload(r).status == "succeeded" and reload(r), timeout=240, what="both runs") for r in runs
    ]

    assert done[0].worker_host != done[1].worker_host
    assert done[0].started_at < done[1].finished_at and done[1].started_at < done[0].finished_at
