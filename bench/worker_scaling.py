"""Benchmark: the same batch of training runs on one and on two Celery worker processes.

Each run is a real RFM segmentation of the full UCI Online Retail log (a different data
cutoff per run, so none joins another). Peer: the same batch on one worker, measured in
the same run. Prints one JSON line with both throughputs and their ratio.

    .venv/bin/python bench/worker_scaling.py        (needs PostgreSQL and Redis)
"""

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE_URL = ADMIN_URL.rsplit("/", 1)[0] + "/retailhub_bench_workers"
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
RUNS = int(os.environ.get("BENCH_RUNS", "6"))
DATA = Path(os.environ.get("RETAILHUB_SAMPLE_DATA", ROOT.parent / "shared" / "data"))

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "retailhub.settings.base",
    "DATABASE_URL": DATABASE_URL,
    "CELERY_BROKER_URL": BROKER_URL,
    "CELERY_TASK_ALWAYS_EAGER": "0",
    "CACHE_URL": "locmemcache://bench",
}


def prepare_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS retailhub_bench_workers WITH (FORCE)")
        admin.execute("CREATE DATABASE retailhub_bench_workers")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=ENV, check=True)
    log = DATA / "online_retail" / "online_retail.csv.gz"
    if not log.exists():
        sys.exit(f"{log} not found: set RETAILHUB_SAMPLE_DATA")
    subprocess.run(
        [*manage, "import_orders", str(log), "--no-progress"], cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL
    )


def run_batch(workers: int, first_cutoff: dt.datetime) -> float:
    from apps.core.models import TrainingRun
    from apps.core.training.services import training_run_request

    redis.Redis.from_url(BROKER_URL).flushdb()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "retailhub",
                "worker",
                "-Q",
                "ml",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "-n",
                f"bench{index}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for index in range(workers)
    ]
    time.sleep(3)  # let the workers connect before the clock starts
    started = time.perf_counter()
    ids = [
        training_run_request(
            kind="segments", trigger=TrainingRun.Trigger.CLI, cutoff=first_cutoff + dt.timedelta(days=day)
        )[0].pk
        for day in range(RUNS)
    ]
    while TrainingRun.objects.filter(pk__in=ids, status__in=TrainingRun.UNFINISHED).exists():
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    failed = TrainingRun.objects.filter(pk__in=ids).exclude(status="succeeded").count()
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)
    if failed:
        sys.exit(f"{failed} runs did not succeed")
    return elapsed


def main() -> None:
    prepare_database()
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    one = run_batch(1, dt.datetime(2011, 10, 1, tzinfo=dt.UTC))
    two = run_batch(2, dt.datetime(2011, 11, 1, tzinfo=dt.UTC))
    print(
        json.dumps(
            {
                "benchmark": "worker_scaling",
                "work": f"{RUNS} RFM training runs on the full Online Retail log",
                "peer": "the same batch on one worker process",
                "one_worker_seconds": round(one, 2),
                "two_workers_seconds": round(two, 2),
                "one_worker_runs_per_minute": round(RUNS * 60 / one, 2),
                "two_workers_runs_per_minute": round(RUNS * 60 / two, 2),
                "throughput_ratio_two_to_one": round(one / two, 2),
                "cpu_cores": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
