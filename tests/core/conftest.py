"""Real Celery worker processes against the real Redis broker and the test database."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from apps.orders.services import order_log_import
from apps.sample_stores.sample_order_log import write_sample_order_log
from retailhub.celery import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path, transactional_db):
    """A small generated store, committed, so that worker processes see it too."""
    order_log_import(path=write_sample_order_log(tmp_path / "store.csv", invoices=1500, customers=60, skus=80))


@pytest.fixture
def artifacts(tmp_path, settings):
    settings.TRAINING_ARTIFACT_DIR = tmp_path / "artifacts"
    return Path(settings.TRAINING_ARTIFACT_DIR)


@pytest.fixture
def broker():
    """An empty broker database, and tasks sent to it instead of run in-process."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    app.conf.task_always_eager = False
    yield client
    app.conf.task_always_eager = True
    client.flushdb()


@pytest.fixture
def start_worker(broker, tmp_path):
    processes = []

    def start(*, queues="ml", env=None, concurrency=1):
        settings_dict = connection.settings_dict
        database_url = (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/"
            f"{settings_dict['NAME']}"
        )
        worker_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "retailhub.settings.test",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DATABASE_URL": database_url,
            "TRAINING_ARTIFACT_DIR": str(tmp_path / "artifacts"),
            **(env or {}),
        }
        name = f"test-{uuid.uuid4().hex[:8]}@%h"
        log_path = tmp_path / f"{name.split('@')[0]}.log"
        log = log_path.open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "retailhub",
                "worker",
                "-Q",
                queues,
                "--pool",
                "prefork",
                "--concurrency",
                str(concurrency),
                "-n",
                name,
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: teardown stops the pool children too
        )
        process.log_path = log_path
        processes.append((process, log))
        # Tests queue work only once the worker consumes: a slow start never races a test's steps.
        wait_for(
            lambda: process.poll() is not None or " ready." in log_path.read_text(),
            timeout=180,
            what=f"worker {name} to be ready",
        )
        if process.poll() is not None:
            raise AssertionError(f"worker {name} exited at start:\n{log_path.read_text()[-3000:]}")
        return process

    yield start
    for process, _ in processes:
        _signal_group(process, signal.SIGTERM)
    for process, log in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
        # A pool child orphaned by a failed test must not write into the next test's tables.
        _signal_group(process, signal.SIGKILL)
        log.close()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(process.pid, signum)


def wait_for(predicate, *, timeout: float = 120, every: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def pool_children(worker: subprocess.Popen) -> list[int]:
    output = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in output.split()]
