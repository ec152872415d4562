"""Serving fixes for ``streamlit run app.py`` (Streamlit 1.67's ``st.App`` under uvicorn).

Keep-alive latency. Streamlit binds its listening socket with ``socket.socket(family)``,
so the socket's ``proto`` is 0, and asyncio only sets ``TCP_NODELAY`` on accepted
sockets whose ``proto`` is ``IPPROTO_TCP``. Without it, a response written in two pieces
(headers, then body) waits for the client's delayed ACK: every request on a reused
keep-alive connection cost ~40 ms more than on a fresh one. :func:`enable_tcp_nodelay`
sets the option on each connection as uvicorn's HTTP protocol accepts it.
"""

from __future__ import annotations

import contextlib
import re
import socket
from typing import Any

from starlette.routing import Mount
from starlette.types import ASGIApp
from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import ImportFromStringError, import_from_string

_PATCHED = "_leads_tcp_nodelay"


def mount_api(prefix: str, api: ASGIApp) -> Mount:
    """``Mount(prefix, api)`` that takes every path under ``prefix``: Starlette's pattern
    (``.*``) stops at a newline, so ``/v1/campaigns/a%0Ab`` fell through to Streamlit's
    text/plain 404 instead of the API's JSON one."""
    mount = Mount(prefix, app=api)
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return mount


def set_tcp_nodelay(transport: Any) -> bool:
    """Turn Nagle's algorithm off for a TCP transport's socket; False for other sockets."""
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return False
    with contextlib.suppress(OSError):  # the peer may already be gone
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return True
    return False


def enable_tcp_nodelay() -> list[type]:
    """Make every HTTP protocol uvicorn can use set TCP_NODELAY when a connection is made
    (idempotent). Returns the protocol classes that do."""
    patched: list[type] = []
    for target in sorted(set(HTTP_PROTOCOLS.values())):
        try:
            protocol = import_from_string(target)
        except (ImportError, ImportFromStringError):  # an optional parser not installed
            continue
        if protocol in patched:  # "auto" is one of the others
            continue
        if not getattr(protocol, _PATCHED, False):
            original = protocol.connection_made

            def connection_made(self: Any, transport: Any, _original: Any = original) -> None:
                set_tcp_nodelay(transport)
                _original(self, transport)

            protocol.connection_made = connection_made
            setattr(protocol, _PATCHED, True)
        patched.append(protocol)
    return patched
