"""Start and stop ``streamlit run app.py`` as a child process, and launch Debian's
Chromium on it: used by the end-to-end tests and the benchmarks, which must run the
product exactly as ``make run`` does and look at it as a user does."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from leads_core.config import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"  # Debian's package (`make browser`); never `playwright install`
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # this machine's network is closed: without these Chromium keeps calling out
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


#: For a benchmark's server: its requests are the load being measured, not abuse.
NO_RATE_LIMIT = {"LEADS_RATE_LIMIT_PER_MINUTE": "0", "LEADS_AUTH_FAILURE_LIMIT": "0"}


def launch_chromium(playwright: Any) -> Any:
    """A headless Chromium from a ``playwright.sync_api`` Playwright object."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


LOOPBACK_ONLY = Path(__file__).parent / "loopback_only"


def loopback_only(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a server whose traffic stays on loopback (``tests.support.loopback``)."""
    paths = [str(LOOPBACK_ONLY), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    return {**env, "PYTHONPATH": os.pathsep.join(paths)}


def start_app(
    env: dict[str, str], port: int, log_path: Path, *, address: str | None = None
) -> subprocess.Popen[bytes]:
    """Launch the app in its own process group, output to ``log_path``; returns at once.
    ``address`` is passed as ``--server.address`` (default: .streamlit/config.toml's)."""
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    if address is not None:
        command += ["--server.address", address]
    with log_path.open("wb") as log:
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=loopback_only(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_healthy(proc: subprocess.Popen[bytes], port: int, *, deadline_s: float = 60.0) -> None:
    """Poll ``/_stcore/health`` until it answers ok; RuntimeError if the app dies or is late."""
    url = f"http://127.0.0.1:{port}/_stcore/health"
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.read() == b"ok":
                return
        time.sleep(0.2)  # polling, bounded by the deadline
    raise RuntimeError(f"streamlit not healthy after {deadline_s:.0f} s")


def stop_app(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the app's process group, SIGKILL it if it is still there after 10 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
