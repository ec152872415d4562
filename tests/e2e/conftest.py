"""A real ``streamlit run app.py`` on a free port and a temporary SQLite file.

Session-scoped: one server per pytest process (one per xdist worker), however the tests
are distributed; every test is written to pass whichever tests ran before it on the same
server. The server is always stopped by process group at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DB = REPO / "data" / "leads.db"
START_DEADLINE_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _file_state(path: Path) -> tuple[int, int] | None:
    """(size, mtime) of a file, None when it does not exist."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


@dataclass
class Server:
    base_url: str
    db_path: Path
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes]
    default_db_before: tuple[int, int] | None
    api_key: str = ""

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``python -m leads_core ...`` against the server's database."""
        return subprocess.run(
            [sys.executable, "-m", "leads_core", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def default_db_state(self) -> tuple[int, int] | None:
        return _file_state(DEFAULT_DB)


def _wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"streamlit exited with {server.proc.returncode}:\n{server.log()}")
        try:
            response = httpx.get(f"{server.base_url}/_stcore/health", timeout=2)
            if response.status_code == 200 and response.text == "ok":
                return
            last_error = f"{response.status_code} {response.text[:200]}"
        except httpx.TransportError as exc:
            last_error = repr(exc)
        time.sleep(0.2)  # polling loop, bounded by the deadline
    pytest.fail(
        f"streamlit not healthy after {START_DEADLINE_S:.0f} s ({last_error}):\n{server.log()}"
    )


def stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the whole group, then SIGKILL what is left after 10 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("e2e-server")
    db_path = workdir / "server.db"
    log_path = workdir / "server.log"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    default_before = _file_state(DEFAULT_DB)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(
        base_url=f"http://127.0.0.1:{port}",
        db_path=db_path,
        env=env,
        log_path=log_path,
        proc=proc,
        default_db_before=default_before,
    )
    try:
        _wait_until_healthy(server)
        server.api_key = server.cli("create-api-key", "e2e").stdout.splitlines()[-1]
        yield server
    finally:
        stop_process_group(proc)
