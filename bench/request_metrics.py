"""What a request pays for monitoring: the metric update of web/telemetry.py (one labelled
histogram observation), in a single process and in gunicorn's multiprocess mode (values in
files under PROMETHEUS_MULTIPROC_DIR), and the whole after-request hook (metric, header,
log line) with the log line off and on.

    python bench/request_metrics.py [--calls 200000]

Prints microseconds per request; no database needed.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROUTES = [("/api/v1/sessions/<session_id>/steps", "POST", 200), ("/api/v1/sessions", "POST", 201)]


def metric_update_us(calls: int) -> float:
    """Microseconds per ``observe`` call (the metric update of one request)."""
    from web.telemetry import observe

    for route, method, status in ROUTES:
        observe(route, method, status, 0.001)  # the labelled children exist, as after warm-up
    started = time.perf_counter()
    for i in range(calls):
        route, method, status = ROUTES[i & 1]
        observe(route, method, status, 0.004)
    return (time.perf_counter() - started) / calls * 1e6


def hook_us(calls: int, log_lines: bool) -> float:
    """Microseconds of the telemetry hooks of one request (before: timer, request id; after:
    metric, header, log line), called in a request context matched to a route."""
    from flask import Flask, Response

    from web.telemetry import install_telemetry

    app = Flask(__name__)
    install_telemetry(app)

    @app.get("/api/v1/ping/<session_id>")
    def ping(session_id: str) -> str:
        return "ok"

    requests_log = logging.getLogger("cuebook.requests")
    requests_log.propagate = False
    requests_log.handlers[:] = [logging.NullHandler()]
    requests_log.setLevel(logging.INFO if log_lines else logging.WARNING)
    (begin,) = app.before_request_funcs[None]
    (end,) = app.after_request_funcs[None]
    response = Response("ok")
    with app.test_request_context("/api/v1/ping/abc", headers={"X-Request-Id": "bench-1"}):
        for _ in range(1000):
            begin()
            end(response)
        started = time.perf_counter()
        for _ in range(calls):
            begin()
            end(response)
        return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--mode", choices=["all", "one"], default="all", help=argparse.SUPPRESS)
    args = parser.parse_args()
    multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    label = "multiprocess" if multiprocess else "single process"
    print(f"metric update ({label}): {metric_update_us(args.calls):.2f} us per request")
    if args.mode == "one":
        return
    requests = max(1000, args.calls // 20)
    print(f"all hooks, log line off ({label}): {hook_us(requests, False):.1f} us per request")
    print(f"all hooks, log line on ({label}): {hook_us(requests, True):.1f} us per request")
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=folder)
        cmd = [sys.executable, __file__, "--calls", str(args.calls), "--mode", "one"]
        subprocess.run(cmd, env=env, check=True)


if __name__ == "__main__":
    main()
