"""A forecasts run fanned out over real worker processes: its work items (each global
model, chunks of products for the local ones) fitted by whichever worker claims them,
gathered into one run."""

import json

import pytest

from apps.core.models import TrainingRun
from apps.core.training.services import training_run_request
from apps.forecasts.models import ForecastChunk, ProductForecast, ProductForecastModel
from tests.core.conftest import wait_for

pytestmark = [pytest.mark.worker]
PARAMETERS = {"horizon": 4, "origins": 2, "chunk_series": 10, "lstm": False}


def finished(run):
    current = TrainingRun.objects.get(pk=run.pk)
    return current if current.is_finished else None


def test_two_workers_share_the_chunks_of_one_run(store, artifacts, start_worker, broker):
    trainers = json.dumps({"forecasts": "tests.training_support.HelpedForecastsTrainer"})
    workers = [start_worker(env={"TRAINERS_OVERRIDE": trainers}) for _ in range(2)]
    run, _ = training_run_request(kind="forecasts", trigger=TrainingRun.Trigger.STAFF, parameters=PARAMETERS)

    run = wait_for(lambda: finished(run), timeout=300, what="the forecasts run")

    assert (run.status, run.is_active) == ("succeeded", True), run.error or run.gate_reason
    by_worker = run.metrics["chunks_by_worker"]
    products = run.metrics["products"]
    # One item for the gradient-boosted model, then chunks of ten products.
    assert len(by_worker) == 2 and sum(by_worker.values()) == 1 + -(-products // 10)
    assert run.worker_host in by_worker
    assert ProductForecastModel.objects.filter(run=run).count() == products
    assert ProductForecast.objects.filter(run=run).count() == products * 4
    assert not ForecastChunk.objects.filter(run=run).exists()  # working space cleared
    # Helpers that found nothing left were acknowledged: nothing waits in the queue.
    assert broker.llen("ml") == 0
    assert all(worker.poll() is None for worker in workers)


def test_one_worker_finishes_a_run_alone(store, artifacts, start_worker, broker):
    start_worker()
    run, _ = training_run_request(kind="forecasts", trigger=TrainingRun.Trigger.STAFF, parameters=PARAMETERS)

    run = wait_for(lambda: finished(run), timeout=300, what="the forecasts run")

    assert (run.status, run.is_active) == ("succeeded", True), run.error or run.gate_reason
    assert run.metrics["chunks_by_worker"] == {run.worker_host: 1 + -(-run.metrics["products"] // 10)}
    wait_for(lambda: broker.llen("ml") == 0, timeout=60, what="the late helpers to find nothing to do")
