"""Keep-alive benchmark: a trivial API request on a fresh connection vs a reused one.

    .venv/bin/python -m bench.keepalive_bench [--requests 200]

API clients reuse connections (``requests.Session``, ``httpx.Client``, curl with several
URLs). Starts ``streamlit run app.py`` as ``make run`` does, on a free port and a new
SQLite file, makes an API key with the CLI, then times ``GET /v1/campaigns`` (an empty
list: the server's own work is tiny, so the connection handling shows):

- FRESH: each request on a new TCP connection (an httpx client that keeps none alive);
- REUSED: every request on ONE keep-alive connection (checked: one TCP connect in all).

Prints the median, p95 and the ratio reused / fresh (target: at most 1.5). Before
``leads_core.serving.enable_tcp_nodelay`` a reused connection answered ~40 ms late:
Nagle's algorithm held the response body until the client's delayed ACK.
Exit status 1 when a request fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.devserver import NO_RATE_LIMIT, free_port, start_app, stop_app, wait_healthy

REPO = Path(__file__).resolve().parent.parent

PATH = "/v1/campaigns"


def timed(client: httpx.Client, count: int) -> list[float]:
    """Milliseconds per request."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(PATH)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {PATH}: {response.status_code} {response.text[:200]}")
    return times


def connects_during(client: httpx.Client, count: int) -> tuple[list[float], int]:
    """Times of ``count`` requests, and how many TCP connections the client opened."""
    opened = 0

    def on_request(_request: httpx.Request) -> None:
        nonlocal opened
        pool = client._transport._pool  # httpcore's pool: a new connection per open one
        opened = max(opened, len(pool.connections))

    client.event_hooks["request"] = [on_request]
    return timed(client, count), opened


def summary(name: str, times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[-1]
    return f"{name:<34}{len(times):>6}{statistics.median(times):>10.2f}{p95:>10.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per series (default 200)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="keepalive-bench-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}", **NO_RATE_LIMIT}
    key = subprocess.run(
        [sys.executable, "-m", "leads_core", "create-api-key", "keepalive-bench"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    ).stdout.splitlines()[-1]  # fmt: skip
    port = free_port()
    proc = start_app(env, port, workdir / "server.log")
    try:
        wait_healthy(proc, port)
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {key}"}
        no_keepalive = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(base_url=base, headers=headers, limits=no_keepalive) as client:
            timed(client, 10)  # warm-up: imports, first queries
            fresh = timed(client, args.requests)
        with httpx.Client(base_url=base, headers=headers) as client:
            reused, connections = connects_during(client, args.requests)
    finally:
        stop_app(proc)
    if connections != 1:
        raise SystemExit(f"the reused series opened {connections} connections, not 1")

    ratio = statistics.median(reused) / statistics.median(fresh)
    print(f"GET {PATH} under `streamlit run app.py`, {args.requests} requests per series")
    print(f"{'ms':<34}{'n':>6}{'median':>10}{'p95':>10}")
    print(summary("fresh connection per request", fresh))
    print(summary("one reused keep-alive connection", reused))
    print(
        f"ratio reused / fresh (median): {ratio:.2f} (target <= 1.5: {'met' if ratio <= 1.5 else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
