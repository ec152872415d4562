"""A real ``streamlit run app.py`` on a free port and a new, empty database of the run's
engine (the app migrates it when it starts).

Session-scoped: one server per pytest process (one per xdist worker), however the tests
are distributed; every test is written to pass whichever tests ran before it on the same
server. The server is always stopped by process group at the end."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.databases import TestDatabases
from tests.support.devserver import free_port, start_app, stop_app, wait_healthy

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DB = REPO / "data" / "leads.db"
START_DEADLINE_S = 60.0


def _file_state(path: Path) -> tuple[int, int] | None:
    """(size, mtime) of a file, None when it does not exist."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m leads_core ...`` with ``env`` (a server's database); fails on an error."""
    return subprocess.run(
        [sys.executable, "-m", "leads_core", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=True,
    )


def cli_last_line(env: dict[str, str], *args: str) -> str:
    """The LAST line of the command's stdout: where it prints a new key or id."""
    return run_cli(env, *args).stdout.splitlines()[-1]


@dataclass
class Server:
    base_url: str
    database_url: str
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes]
    default_db_before: tuple[int, int] | None
    api_key: str = ""

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``python -m leads_core ...`` against the server's database."""
        return run_cli(self.env, *args)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def default_db_state(self) -> tuple[int, int] | None:
        return _file_state(DEFAULT_DB)


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory, test_databases: TestDatabases
) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("e2e-server")
    database_url = test_databases.new(workdir, migrated=False)
    log_path = workdir / "server.log"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    default_before = _file_state(DEFAULT_DB)
    proc = start_app(env, port, log_path)
    server = Server(
        base_url=f"http://127.0.0.1:{port}",
        database_url=database_url,
        env=env,
        log_path=log_path,
        proc=proc,
        default_db_before=default_before,
    )
    try:
        try:
            wait_healthy(proc, port)
        except RuntimeError as exc:
            pytest.fail(f"{exc}:\n{server.log()}")
        server.api_key = server.cli("create-api-key", "e2e").stdout.splitlines()[-1]
        yield server
    finally:
        stop_app(proc)
        test_databases.drop(database_url)


#: Browser tests register callables here (``item.stash.setdefault(ON_FAILURE, [])``): when a
#: test's call fails, each is called and the line it returns (e.g. the path of a screenshot)
#: is added to the failure report. Done while the report is made, so the page still exists
#: and the line travels with the report under xdist.
ON_FAILURE = pytest.StashKey[list]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if report.when == "call" and report.failed:
        for save in item.stash.get(ON_FAILURE, []):
            try:
                line = save()
            except Exception as exc:  # never hide the test's own failure
                line = f"could not save the failure artefact: {exc!r}"
            report.sections.append(("on failure", line))
    return report
