"""Shared by the HTTP load benchmarks: gunicorn serving the app for the length of a block, and
wrk's figures (requests/s, p99 latency, errors) read from its report."""

import contextlib
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def gunicorn(env: dict, *, port: int, workers: str, ready_path: str = "/bench/constant"):
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
