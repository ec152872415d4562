"""Two app processes on one PostgreSQL database share each key's allowance: a key allowed N
requests a minute gets exactly N successes across both, then 429, wherever it sends them
(with a limit per process it got 2 N)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import TestDatabases
from tests.e2e.test_two_processes import create_key
from tests.support.devserver import free_port, start_app, stop_app, wait_healthy

LIMIT = 6  # a minute: one more every 10 s, far longer than the test's requests take

pytestmark = pytest.mark.slow


@pytest.fixture
def two_limited_servers(
    tmp_path: Path, empty_db_url: str, test_databases: TestDatabases
) -> Iterator[list[str]]:
    if not test_databases.is_postgresql:
        pytest.skip("several app processes share a database on PostgreSQL only")
    env = {
        **os.environ,
        "DATABASE_URL": empty_db_url,
        "PYTHONUNBUFFERED": "1",
        "LEADS_RATE_LIMIT_PER_MINUTE": str(LIMIT),
    }
    ports = [free_port(), free_port()]
    procs = []
    try:
        for port in ports:  # one after the other: the first migrates the new database
            procs.append(start_app(env, port, tmp_path / f"app-{port}.log"))
            try:
                wait_healthy(procs[-1], port)
            except RuntimeError as exc:
                log = (tmp_path / f"app-{port}.log").read_text(errors="replace")
                pytest.fail(f"{exc}:\n{log}")
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for proc in procs:
            stop_app(proc)


def test_a_key_gets_its_allowance_once_across_two_processes(
    two_limited_servers: list[str], empty_db_url: str
) -> None:
    headers = {"Authorization": f"Bearer {create_key(empty_db_url)}"}
    with (
        httpx.Client(base_url=two_limited_servers[0], headers=headers, timeout=60) as first,
        httpx.Client(base_url=two_limited_servers[1], headers=headers, timeout=60) as second,
    ):
        for client in (first, second):  # the API's first answer is slow: not in the count
            assert client.get("/v1/openapi.json").status_code == 200
        answers = [(first, second)[n % 2].get("/v1/campaigns") for n in range(2 * LIMIT)]

    statuses = [a.status_code for a in answers]
    assert statuses == [200] * LIMIT + [429] * LIMIT, statuses
    remaining = [int(a.headers["ratelimit-remaining"]) for a in answers]
    assert remaining == [*range(LIMIT - 1, -1, -1), *[0] * LIMIT]
    assert {a.headers["ratelimit-limit"] for a in answers} == {str(LIMIT)}
