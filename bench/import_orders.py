"""Benchmark: import the full UCI Online Retail log into PostgreSQL.

Peer, measured in the same run: a plain COPY of the same decompressed CSV into a bare
text table (the floor for getting these bytes into PostgreSQL at all). Prints one JSON
line: import seconds, COPY seconds, their ratio, peak memory of the import process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/retailhub_bench .venv/bin/python bench/import_orders.py
"""

import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RETAILHUB_SAMPLE_DATA", ROOT.parent / "shared" / "data"))
LOG = DATA / "online_retail" / "online_retail.csv.gz"
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_DB = "retailhub_bench"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def recreate_database() -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def time_copy(url: str, csv_path: Path) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw")
        conn.execute("CREATE TABLE bench_raw (a text, b text, c text, d text, e text, f text, g text, h text)")
        started = time.perf_counter()
        copy_sql = "COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)"
        with conn.cursor() as cursor, cursor.copy(copy_sql) as copy, csv_path.open("rb") as source:
            while block := source.read(1 << 20):
                copy.write(block)
        return time.perf_counter() - started


def time_import(url: str) -> tuple[float, dict]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "retailhub.settings.base",
        "CELERY_BROKER_URL": "",
        "CACHE_URL": "locmemcache://bench",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "import_orders", str(LOG), "--json", "--no-progress"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    return elapsed, json.loads(result.stdout)


def main() -> None:
    if not LOG.exists():
        sys.exit(f"{LOG} not found: set RETAILHUB_SAMPLE_DATA")
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "online_retail.csv"
        csv_path.write_bytes(gzip.decompress(LOG.read_bytes()))
        imports, copies, summary = [], [], {}
        for _ in range(RUNS):
            url = recreate_database()
            copies.append(time_copy(url, csv_path))
            seconds, summary = time_import(url)
            imports.append(seconds)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    import_median = sorted(imports)[len(imports) // 2]
    copy_median = sorted(copies)[len(copies) // 2]
    print(
        json.dumps(
            {
                "benchmark": "import_orders",
                "rows": summary["rows_read"],
                "orders": summary["orders_created"],
                "customers": summary["customers_created"],
                "products": summary["products_created"],
                "import_seconds_median": round(import_median, 2),
                "import_service_seconds": summary["duration_seconds"],
                "peer": "psql COPY of the decompressed CSV into a bare text table",
                "copy_seconds_median": round(copy_median, 2),
                "ratio_import_to_copy": round(import_median / copy_median, 1),
                "peak_rss_mib": round(peak_kib / 1024, 1),
                "runs": RUNS,
            }
        )
    )


if __name__ == "__main__":
    main()
