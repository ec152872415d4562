"""Limits that refuse abusive requests before any work: the request body's size (413)
and each API key's request rate (429 with ``Retry-After``)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leads_core.api.errors import error_response
from leads_core.config import Settings
from leads_core.errors import RateLimited

MB = 1024 * 1024
FORM_OVERHEAD = MB  # multipart boundaries and form fields around an uploaded CSV
CSV_UPLOAD_PATH = "/leads/import/csv"


def body_limit(settings: Settings, path: str) -> int:
    """Most bytes a request to ``path`` may send: an upload, or any other (JSON) body."""
    if path.rstrip("/").endswith(CSV_UPLOAD_PATH):
        return settings.max_upload_bytes + FORM_OVERHEAD
    return settings.max_body_bytes


def _too_large(limit: int) -> str:
    return (
        f"the request body is larger than {limit / MB:g} MB, the most this endpoint reads; "
        "split the import into smaller requests"
    )


class BodyLimit:
    """ASGI middleware: 413 for a body over its limit. A declared ``Content-Length`` is
    refused before reading anything; a chunked body as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = error_response(413, "payload_too_large", _too_large(limit))
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException: FastAPI passes it on from body parsing, and the
                    # API's handler answers it in the one error shape.
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, counted, send)


class RateLimiter:
    """A token bucket per API key: ``per_minute`` requests in a burst, refilled evenly over
    the minute. In memory, per process (a second app process has its own buckets)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, when)
        self._lock = threading.Lock()

    def check(self, key_id: str) -> None:
        """Take one request from the key's bucket, or raise ``RateLimited``."""
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0  # tokens per second
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(key_id, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * rate)
            if tokens < 1.0:
                self._buckets[key_id] = (tokens, now)
                retry_after = max(1, math.ceil((1.0 - tokens) / rate))
                raise RateLimited(
                    f"more than {self.per_minute} requests a minute with this API key; "
                    f"retry after {retry_after} s",
                    retry_after=retry_after,
                )
            self._buckets[key_id] = (tokens - 1.0, now)
