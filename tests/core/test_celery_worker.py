"""A real Celery worker process, against the real Redis broker, runs our tasks."""

import uuid

import pytest

from retailhub.celery import app


@pytest.mark.worker
def test_worker_process_runs_a_task_sent_through_redis(start_worker):
    start_worker(queues="default")
    assert app.conf.broker_url.startswith("redis://")
    token = uuid.uuid4().hex

    result = app.send_task("core.ping", args=[token], queue="default")

    assert result.get(timeout=120) == f"pong:{token}"
