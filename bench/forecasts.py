"""Benchmark: weekly demand forecasts on the full UCI Online Retail log, the product's
selection against every model and against the named peers, and a full retrain fanned out
over one and over two Celery workers.

Protocol (as the forecasts issue fixes it): weekly units per merchandise SKU (stock codes
upper-cased, weeks starting Monday, zero weeks filled, cancelled and negative-quantity rows
excluded) from the week of 2010-11-29 to the last full week before 2011-12-05; SKUs that
sold in at least 26 of those weeks (1,826). Test: the last 8 weeks (2011-10-10 .. 2011-11-28),
fitted on the weeks before. Metrics: MASE per series (scaled by the in-sample mean absolute
one-step naive error), mean and median; WAPE over everything.

Peers, run in .venv-bench (bench/peers/forecast_peers.py): statsforecast's Naive,
WindowAverage, CrostonOptimized, TSB, AutoETS, and a global LightGBM. Target: the selected
forecasts have lower mean MASE and lower WAPE than every peer.

Retrain: the whole database's forecasts run (backtests, selection, final fit, every
product) through real workers on PostgreSQL and Redis, once with one worker and once with
two; target at most 120 s with two. BENCH_RETRAIN=0 skips it.

    .venv/bin/python bench/forecasts.py        # prints one JSON line
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps.catalogue.stock_codes import MERCHANDISE_CODE  # noqa: E402
from apps.forecasts.ml.evaluation import evaluate_holdout  # noqa: E402
from apps.forecasts.ml.panel import panel_from_long, select_series  # noqa: E402

DATA = Path(os.environ.get("RETAILHUB_SAMPLE_DATA", ROOT.parent / "shared" / "data"))
PEER_PYTHON = Path(os.environ.get("BENCH_PEER_PYTHON", ROOT / ".venv-bench" / "bin" / "python"))
HORIZON = 8
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE_URL = ADMIN_URL.rsplit("/", 1)[0] + "/retailhub_bench_forecasts"
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/11")


def protocol_panel():
    log = pd.read_csv(DATA / "online_retail" / "online_retail.csv.gz", dtype={"InvoiceNo": str, "StockCode": str})
    log["StockCode"] = log["StockCode"].str.upper()
    merchandise = log["StockCode"].map(lambda code: bool(MERCHANDISE_CODE.match(code)))
    sales = log[merchandise & ~log["InvoiceNo"].str.startswith("C") & (log["Quantity"] > 0)]
    panel = panel_from_long(
        sales, id_col="StockCode", date_col="InvoiceDate", value_col="Quantity", start="2010-11-29", end="2011-12-05"
    )
    return select_series(panel, min_nonzero_periods=26)


def peers(panel) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "panel.npz"
        np.savez(path, values=panel.values, periods=panel.periods.values.astype("datetime64[ns]"), horizon=HORIZON)
        done = subprocess.run(
            [str(PEER_PYTHON), str(ROOT / "bench" / "peers" / "forecast_peers.py"), str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def retrain_seconds() -> dict:
    """One forecasts run on one worker, then one on two, on the full log in PostgreSQL."""
    import psycopg

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "retailhub.settings.base",
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CACHE_URL": "locmemcache://bench",
    }
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS retailhub_bench_forecasts WITH (FORCE)")
        admin.execute("CREATE DATABASE retailhub_bench_forecasts")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    log = DATA / "online_retail" / "online_retail.csv.gz"
    subprocess.run([*manage, "import_orders", str(log), "--no-progress"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()
    # Each configuration at its best: one worker uses both cores, two workers one core each.
    cores = os.cpu_count() or 1
    return {
        workers: _one_run(workers, {**env, "TRAINING_THREADS": str(max(1, cores // workers))}) for workers in (1, 2)
    }


def _one_run(workers: int, env: dict) -> dict:
    import redis

    from apps.core.models import TrainingRun
    from apps.core.training.services import training_run_request

    redis.Redis.from_url(BROKER_URL).flushdb()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "retailhub", "worker", "-Q", "ml", "--concurrency", "1"]
            + ["-n", f"forecast{index}@%h", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for index in range(workers)
    ]
    time.sleep(5)  # let the workers connect before the clock starts
    started = time.perf_counter()
    run, _ = training_run_request(kind="forecasts", trigger=TrainingRun.Trigger.CLI)
    while TrainingRun.objects.filter(pk=run.pk, status__in=TrainingRun.UNFINISHED).exists():
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=60)
    run.refresh_from_db()
    if run.status != TrainingRun.Status.SUCCEEDED:
        sys.exit(f"the forecasts run on {workers} worker(s) ended {run.status}: {run.error}")
    return {
        "seconds": round(elapsed, 2),
        "threads_per_worker": int(env["TRAINING_THREADS"]),
        "products": run.metrics.get("products"),
        "chunks_by_worker": run.metrics.get("chunks_by_worker"),
        "gate": run.gate_reason,
    }


def main() -> None:
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    panel = protocol_panel()
    evaluation = evaluate_holdout(panel, horizon=HORIZON, season_length=52, origins=3)
    peer_scores = peers(panel)
    selected = evaluation.selected
    best_peer_mase = min(peer_scores.items(), key=lambda item: item[1]["mase_mean"])
    best_peer_wape = min(peer_scores.items(), key=lambda item: item[1]["wape"])
    report = {
        "benchmark": "forecasts",
        "series": len(panel),
        "weeks": len(panel.periods),
        "test_weeks": [evaluation.test_periods[0].date().isoformat(), evaluation.test_periods[-1].date().isoformat()],
        "selected": selected,
        "models": evaluation.models,
        "peers": peer_scores,
        "best_peer_on_mase": {"name": best_peer_mase[0], "mase_mean": best_peer_mase[1]["mase_mean"]},
        "best_peer_on_wape": {"name": best_peer_wape[0], "wape": best_peer_wape[1]["wape"]},
        "mase_ratio_to_best_peer": round(selected["mase_mean"] / best_peer_mase[1]["mase_mean"], 4),
        "wape_ratio_to_best_peer": round(selected["wape"] / best_peer_wape[1]["wape"], 4),
        "beats_every_peer": all(
            selected["mase_mean"] < peer["mase_mean"] and selected["wape"] < peer["wape"]
            for peer in peer_scores.values()
        ),
        "selection_seconds_ratio_to_autoets": round(selected["seconds"] / peer_scores["AutoETS"]["seconds"], 2),
        "cpu_cores": os.cpu_count(),
    }
    if os.environ.get("BENCH_RETRAIN", "1") != "0":
        retrain = retrain_seconds()
        report["retrain"] = {
            "one_worker": retrain[1],
            "two_workers": retrain[2],
            "two_to_one_speedup": round(retrain[1]["seconds"] / retrain[2]["seconds"], 2),
            "two_workers_ratio_to_autoets": round(retrain[2]["seconds"] / peer_scores["AutoETS"]["seconds"], 2),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
