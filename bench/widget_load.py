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
import sys
import urllib.request

from http_load import (
    DATA,
    LOAD,
    PEER,
    SERVER,
    gunicorn,
    manage,
    medians_over_rounds,
    ratios_to_peer,
    recreate_database,
    served_env,
)

DATABASE = "retailhub_bench_widget"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
# The limiter stays on the path; its ceiling is lifted so wrk's single address is not refused.
ENV = served_env(DATABASE, WIDGET_RATE="100000000/minute")


def prepare() -> str:
    """A fresh database with the full log and a trained recommendations run (BENCH_REUSE=1
    keeps the previous one), and a shopper token for a customer with a list."""
    if os.environ.get("BENCH_REUSE") != "1":
        recreate_database(DATABASE)
        manage(ENV, "migrate", "-v", "0")
        log = DATA / "online_retail" / "online_retail.csv.gz"
        manage(ENV, "import_orders", str(log), "--no-progress", capture=True)
        manage(ENV, "retrain", "recommendations", "--sync", "--no-progress", capture=True)
    code = (
        "from apps.recommendations.models import CustomerRecommendation as R;"
        "from apps.core.training.selectors import active_run_id;"
        "from apps.recommendations.tokens import shopper_token_for;"
        "r = R.objects.filter(run_id=active_run_id(kind='recommendations')).select_related('customer').first();"
        "print(shopper_token_for(r.customer.external_id))"
    )
    # The last line: Django's shell may print its automatic imports first.
    return manage(ENV, "shell", "-c", code, capture=True).stdout.strip().splitlines()[-1]


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    token = prepare()
    with gunicorn(ENV, port=PORT) as base:
        urls = {
            "peer_constant_json": f"{base}/bench/constant",
            "for_you": f"{base}/api/widget/v1/for-you?limit=8&token={token}",
            "also_bought": f"{base}/api/widget/v1/also-bought?product=85123A&limit=8",
            "trending": f"{base}/api/widget/v1/trending?limit=8",
        }
        for url in urls.values():  # warm the caches and the workers
            for _ in range(20):
                urllib.request.urlopen(url, timeout=5).read()
        results = medians_over_rounds({name: (url, None) for name, url in urls.items()})
    print(
        json.dumps(
            {
                "benchmark": "widget_load",
                "server": SERVER,
                "load": LOAD,
                "peer": PEER,
                "results": results,
                "throughput_ratio_to_peer": ratios_to_peer(results),
            }
        )
    )


if __name__ == "__main__":
    main()
