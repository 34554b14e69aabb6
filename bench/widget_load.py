"""Benchmark: the widget's JSON endpoints under load, against a plain Django view.

The app runs under gunicorn on this machine (PostgreSQL, Redis cache) with a real
recommendations run trained on the full UCI Online Retail log. wrk loads each URL with
16 connections; the peer is a plain Django view returning a constant JSON, served by the
same gunicorn in the same run. Prints one JSON line: requests/s, p99 latency and errors
per endpoint, and each widget endpoint's throughput as a fraction of the peer's.

    .venv/bin/python bench/widget_load.py          (needs wrk: apt-get install wrk)
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

import psycopg
from http_load import gunicorn, wrk

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE_URL = ADMIN_URL.rsplit("/", 1)[0] + "/retailhub_bench_widget"
DATA = Path(os.environ.get("RETAILHUB_SAMPLE_DATA", ROOT.parent / "shared" / "data"))
PORT = int(os.environ.get("BENCH_PORT", "8765"))
DURATION = os.environ.get("BENCH_DURATION", "8s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = os.environ.get("BENCH_GUNICORN_WORKERS", "4")

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "retailhub.settings.base",
    "DATABASE_URL": DATABASE_URL,
    "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/11"),
    "CELERY_BROKER_URL": "",
    "BENCHMARK_PEER_VIEW": "1",
    # The limiter stays on the path; its ceiling is lifted so wrk's single address is not refused.
    "WIDGET_RATE": "100000000/minute",
    "LOG_LEVEL": "WARNING",
}


def manage(*args, capture=False):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, check=True, capture_output=capture, text=True
    )


def prepare() -> str:
    """A fresh database with the full log and a trained recommendations run (BENCH_REUSE=1
    keeps the previous one), and a shopper token for a customer with a list."""
    if os.environ.get("BENCH_REUSE") != "1":
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS retailhub_bench_widget WITH (FORCE)")
            admin.execute("CREATE DATABASE retailhub_bench_widget")
        manage("migrate", "-v", "0")
        log = DATA / "online_retail" / "online_retail.csv.gz"
        manage("import_orders", str(log), "--no-progress", capture=True)
        manage("retrain", "recommendations", "--sync", "--no-progress", capture=True)
    code = (
        "from apps.recommendations.models import CustomerRecommendation as R;"
        "from apps.core.training.selectors import active_run_id;"
        "from apps.recommendations.tokens import shopper_token_for;"
        "r = R.objects.filter(run_id=active_run_id(kind='recommendations')).select_related('customer').first();"
        "print(shopper_token_for(r.customer.external_id))"
    )
    # The last line: Django's shell may print its automatic imports first.
    return manage("shell", "-c", code, capture=True).stdout.strip().splitlines()[-1]


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    token = prepare()
    with gunicorn(ENV, port=PORT, workers=WORKERS) as base:
        urls = {
            "peer_constant_json": f"{base}/bench/constant",
            "for_you": f"{base}/api/widget/v1/for-you?limit=8&token={token}",
            "also_bought": f"{base}/api/widget/v1/also-bought?product=85123A&limit=8",
            "trending": f"{base}/api/widget/v1/trending?limit=8",
        }
        for url in urls.values():  # warm the caches and the workers
            for _ in range(20):
                urllib.request.urlopen(url, timeout=5).read()
        # Rounds interleave the URLs, so drifts in machine load hit peer and widget alike;
        # each figure is the median over the rounds.
        rounds = [{name: wrk(url, duration=DURATION) for name, url in urls.items()} for _ in range(ROUNDS)]
        results = {
            name: {
                "requests_per_second": statistics.median(r[name]["requests_per_second"] for r in rounds),
                "p99_ms": statistics.median(r[name]["p99_ms"] for r in rounds),
                "errors": sum(r[name]["errors"] for r in rounds),
            }
            for name in urls
        }
    peer = results["peer_constant_json"]["requests_per_second"]
    print(
        json.dumps(
            {
                "benchmark": "widget_load",
                "server": f"gunicorn, {WORKERS} sync workers; PostgreSQL; Redis cache",
                "load": f"wrk, 2 threads, 16 connections, {DURATION} per URL, {ROUNDS} interleaved rounds (medians)",
                "peer": "plain Django view returning a constant JSON (same server, same run)",
                "results": results,
                "throughput_ratio_to_peer": {
                    name: round(r["requests_per_second"] / peer, 3)
                    for name, r in results.items()
                    if name != "peer_constant_json"
                },
            }
        )
    )


if __name__ == "__main__":
    main()
