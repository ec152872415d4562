"""Put on a test server's PYTHONPATH, this makes its process look no host name up: a DNS
query would leave the machine (the resolver is not on loopback). An IP literal and
``localhost`` (``/etc/hosts``) go through; any other name is refused as unknown and noted
on stderr (``NO-LOOKUP``), which the test reads in the server's log.

``tests/e2e/test_fuzz.py`` uses it: whatever a fuzzed webhook URL names, the SSRF guard of
the server then resolves nothing."""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any

MARK = "NO-LOOKUP"
_system_getaddrinfo = socket.getaddrinfo


def _no_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
    if name and name != "localhost":
        try:
            ipaddress.ip_address(str(name).split("%")[0])
        except ValueError:
            print(f"{MARK}: refused to look up {name!r}", file=sys.stderr, flush=True)
            message = "name lookups are off in this test server"
            raise socket.gaierror(socket.EAI_NONAME, message) from None
    return _system_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _no_lookup
