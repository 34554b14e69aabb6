"""The training platform under real worker processes and the real Redis broker: a worker
killed mid-run, a run past its soft time limit, an enqueue inside a rolled-back
transaction, and two workers sharing the ml queue."""

import json
import os
import signal

import pytest
from django.db import transaction

from apps.core.models import TrainingRun
from apps.core.training.services import training_run_execute, training_run_request
from apps.segments.models import CustomerRfm
from apps.segments.selectors import customer_rfm_current
from tests.core.conftest import pool_children, wait_for

STAFF = TrainingRun.Trigger.STAFF
SLOW_TRAINERS = json.dumps(
    {
        "segments": "tests.training_support.SlowRfmTrainer",
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
    return sorted(customer_rfm_current().values_list("run_id", "customer_id", "segment"))


def reload(run):
    return TrainingRun.objects.get(pk=run.pk)


def test_worker_killed_mid_run_is_retried_and_readers_never_see_partial_rows(serving, start_worker, broker):
    active_id, before = serving
    worker = start_worker(env={"TRAINERS_OVERRIDE": SLOW_TRAINERS})
    run, _ = training_run_request(kind="segments", trigger=STAFF, parameters={"publish_pause": 3})

    wait_for(lambda: reload(run).progress_message == "Half written", what="the run to write half its rows")
    assert CustomerRfm.objects.filter(run=run).exists()
    assert served_rows() == before
    os.kill(pool_children(worker)[0], signal.SIGKILL)

    # The message was rejected on worker loss and is delivered again; the run is taken over.
    finished = wait_for(
        lambda: reload(run).status == "succeeded" and reload(run), timeout=90, what="the retried run to succeed"
    )
    assert finished.attempts == 2
    assert finished.is_active
    assert CustomerRfm.objects.filter(run=run).count() == finished.metrics["customers"]
    assert {row[0] for row in served_rows()} == {run.pk}
    assert not TrainingRun.objects.get(pk=active_id).is_active


def test_redeliveries_are_bounded(serving, start_worker, broker):
    active_id, before = serving
    worker = start_worker(env={"TRAINERS_OVERRIDE": SLOW_TRAINERS, "TRAINING_MAX_ATTEMPTS": "1"})
    run, _ = training_run_request(kind="segments", trigger=STAFF, parameters={"publish_pause": 30})
    wait_for(lambda: reload(run).progress_message == "Half written", what="the run to write half its rows")

    os.kill(pool_children(worker)[0], signal.SIGKILL)

    failed = wait_for(lambda: reload(run).status == "failed" and reload(run), timeout=60, what="the run to fail")
    assert failed.error == "The worker was lost 1 times; giving up."
    assert not CustomerRfm.objects.filter(run=run).exists()
    assert served_rows() == before
    assert TrainingRun.objects.get(is_active=True).pk == active_id


def test_a_run_past_its_soft_time_limit_fails_and_the_active_run_stays(serving, start_worker, broker):
    from apps.core.tasks import train_run

    active_id, before = serving
    start_worker(env={"TRAINERS_OVERRIDE": SLOW_TRAINERS})
    run, _ = training_run_request(kind="segments", trigger=STAFF, parameters={"fit_pause": 30}, enqueue=False)

    # Time limits travel in the message; this one carries a 2-second soft limit.
    train_run.apply_async(args=[run.pk], soft_time_limit=2, time_limit=60)

    failed = wait_for(lambda: reload(run).status == "failed" and reload(run), timeout=60, what="the run to fail")
    # The 2-second limit counts from the task's start; the service's own clock starts a moment later.
    assert failed.error in {f"Stopped: the run exceeded its soft time limit (after {s} s)." for s in (1, 2, 3)}
    assert not CustomerRfm.objects.filter(run=run).exists()
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
    runs = [
        training_run_request(kind=kind, trigger=STAFF, parameters={"fit_pause": 3})[0]
        for kind in ("segments", "recommendations")
    ]

    done = [
        wait_for(lambda r=r: reload(r).status == "succeeded" and reload(r), timeout=90, what="both runs") for r in runs
    ]

    assert done[0].worker_host != done[1].worker_host
    # Each took over 3 s; they overlapped in time, so they ran at once.
    assert done[0].started_at < done[1].finished_at and done[1].started_at < done[0].finished_at
