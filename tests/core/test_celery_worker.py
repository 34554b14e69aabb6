"""A real Celery worker process, against the real Redis broker, runs our tasks."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from retailhub.celery import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "retailhub.settings.test", "CELERY_TASK_ALWAYS_EAGER": "0"}
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "retailhub",
            "worker",
            "-Q",
            "default",
            "--pool",
            "solo",
            "-n",
            name,
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.worker
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored", "ignore:Results are not stored")
def test_worker_process_runs_a_task_sent_through_redis(worker):
    assert app.conf.broker_url.startswith("redis://")
    token = uuid.uuid4().hex

    result = app.send_task("core.ping", args=[token], queue="default")

    started = time.monotonic()
    value = result.get(timeout=60)
    assert value == f"pong:{token}"
    assert worker.poll() is None, "the worker exited early"
    assert time.monotonic() - started < 60
