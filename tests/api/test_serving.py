"""leads_core.api.serving: accepted API connections get TCP_NODELAY under ``streamlit run``."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from leads_core.api import serving


def nodelay(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


@pytest.fixture
def accepted() -> Iterator[socket.socket]:
    """A connection accepted by a listener made as Streamlit 1.67 makes it:
    ``socket.socket(family=...)``, so ``proto`` is 0 and asyncio leaves Nagle on."""
    listener = socket.socket(family=socket.AF_INET)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.create_connection(listener.getsockname())
    conn, _address = listener.accept()
    yield conn
    for sock in (conn, client, listener):
        sock.close()


async def empty_app(scope, receive, send) -> None:  # pragma: no cover - never called
    raise AssertionError("no request is sent")


def nodelay_after_connection_made(sock: socket.socket) -> bool:
    """Hand the accepted socket to uvicorn's HTTP protocol through asyncio, as uvicorn's
    server does (asyncio makes the transport and calls ``connection_made``); is Nagle off?"""
    config = uvicorn.Config(empty_app, http="h11", lifespan="off")
    config.load()

    async def run() -> bool:
        transport, _protocol = await asyncio.get_running_loop().connect_accepted_socket(
            lambda: H11Protocol(config=config, server_state=ServerState(), app_state={}),
            sock=sock,
        )
        try:
            return nodelay(sock)
        finally:
            transport.abort()  # closes the socket

    return asyncio.run(run())


def test_the_bug_asyncio_leaves_nagle_on_for_a_proto_0_listener(accepted: socket.socket) -> None:
    assert accepted.proto == 0
    assert not nodelay(accepted)


def test_uvicorn_connections_get_tcp_nodelay_once_enabled(accepted: socket.socket) -> None:
    assert H11Protocol in serving.enable_tcp_nodelay()
    assert serving.enable_tcp_nodelay().count(H11Protocol) == 1  # idempotent
    assert nodelay_after_connection_made(accepted)


def test_other_sockets_are_left_alone() -> None:
    left, right = socket.socketpair()  # AF_UNIX: no TCP options

    class Transport:
        def get_extra_info(self, name: str):
            return left if name == "socket" else None

    assert serving.set_tcp_nodelay(Transport()) is False
    left.close()
    right.close()
