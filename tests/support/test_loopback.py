"""The suite's own guard: no name lookup but localhost, no connection off loopback, in the
test process and in the servers it starts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.support import devserver


def test_a_name_is_not_looked_up() -> None:
    with pytest.raises(socket.gaierror, match="tests look up no name but localhost"):
        socket.getaddrinfo("hooks.example.com", 443)


def test_localhost_and_literals_still_resolve() -> None:
    assert socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)
    assert socket.getaddrinfo("192.0.2.7", 80, type=socket.SOCK_STREAM)[0][4][0] == "192.0.2.7"


@pytest.mark.parametrize("address", ["192.0.2.7", "10.0.0.1", "169.254.169.254"])
def test_a_connection_off_loopback_is_refused_before_it_is_made(address: str) -> None:
    with socket.socket() as sock, pytest.raises(OSError, match="loopback only"):
        sock.connect((address, 80))


def test_a_loopback_connection_still_works() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


def test_servers_started_by_the_tests_get_the_guard() -> None:
    code = "import socket; socket.getaddrinfo('hooks.example.com', 443)"
    env = devserver.loopback_only({**os.environ, "PYTHONPATH": ""})
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "tests look up no name but localhost" in done.stderr
