"""Shared by the HTTP load benchmarks: a fresh database and the environment to serve it, gunicorn
serving the app for the length of a block, and wrk's figures (requests/s, p99 latency, errors)
read from its report, as medians over rounds that interleave the URLs (so drifts in machine load
hit the peer and the endpoints alike)."""

import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATA = Path(os.environ.get("RETAILHUB_SAMPLE_DATA", ROOT.parent / "shared" / "data"))
DURATION = os.environ.get("BENCH_DURATION", "8s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = os.environ.get("BENCH_GUNICORN_WORKERS", "4")
LOAD = f"wrk, 2 threads, 16 connections, {DURATION} per URL, {ROUNDS} interleaved rounds (medians)"
SERVER = f"gunicorn, {WORKERS} sync workers; PostgreSQL; Redis cache"
PEER = "plain Django view returning a constant JSON (same server, same run)"


def served_env(database: str, **extra: str) -> dict:
    """The environment of the served app on its own database, with the constant-JSON peer view on."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "retailhub.settings.base",
        "DATABASE_URL": ADMIN_URL.rsplit("/", 1)[0] + "/" + database,
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/11"),
        "CELERY_BROKER_URL": "",
        "BENCHMARK_PEER_VIEW": "1",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def recreate_database(database: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {database}")


def manage(env: dict, *args, capture=False):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=capture, text=True
    )


def medians_over_rounds(targets: dict[str, tuple[str, Path | None]]) -> dict:
    """name -> (url, wrk script or None): each figure the median over ROUNDS interleaved rounds."""
    rounds = [
        {name: wrk(url, duration=DURATION, script=script) for name, (url, script) in targets.items()}
        for _ in range(ROUNDS)
    ]
    return {
        name: {
            "requests_per_second": statistics.median(r[name]["requests_per_second"] for r in rounds),
            "p99_ms": statistics.median(r[name]["p99_ms"] for r in rounds),
            "errors": sum(r[name]["errors"] for r in rounds),
        }
        for name in targets
    }


def ratios_to_peer(results: dict) -> dict:
    peer = results["peer_constant_json"]["requests_per_second"]
    return {
        name: round(r["requests_per_second"] / peer, 3) for name, r in results.items() if name != "peer_constant_json"
    }


@contextlib.contextmanager
def gunicorn(env: dict, *, port: int, workers: str = WORKERS, ready_path: str = "/bench/constant"):
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "retailhub.wsgi",
            "--workers",
            workers,
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(base + ready_path, timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def wrk(url: str, *, duration: str, script: Path | None = None, connections: int = 16) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    total_errors = (int(errors.group(1)) if errors else 0) + (
        sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    )
    return {"requests_per_second": round(rps, 1), "p99_ms": round(p99_ms, 2), "errors": total_errors}
