"""Limits that refuse abusive requests before any work: the request body's size (413)
and each API key's request rate (429 with ``Retry-After``; every keyed answer says where the
key stands in ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leads_core.api.errors import error_response
from leads_core.config import Settings
from leads_core.errors import RateLimited
from leads_core.storage.rate_limits import MemoryStore, Quota, QuotaStore

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
    """Each API key's allowance: ``per_minute`` requests in a burst, refilled evenly over the
    minute (GCRA, ``leads_core.storage.rate_limits``), kept by ``store``: in this process's
    memory (SQLite) or in the database, shared by every app process (PostgreSQL)."""

    def __init__(self, per_minute: int, store: QuotaStore | None = None) -> None:
        self.per_minute = per_minute
        self.store = store if store is not None else MemoryStore()

    def take(self, key_id: str, connection: Connection | None = None) -> Quota | None:
        """Count one request of the key: where it stands (None: no limit, ``0``). A store
        in the database uses ``connection`` if given (the caller commits)."""
        if self.per_minute <= 0:
            return None
        return self.store.take(key_id, self.per_minute, connection)


def refusal(quota: Quota) -> RateLimited:
    """The 429 for a request ``quota`` did not allow."""
    return RateLimited(
        f"more than {quota.limit} requests a minute with this API key; "
        f"retry after {quota.retry_after} s",
        retry_after=quota.retry_after,
    )


def quota_headers(quota: Quota) -> list[tuple[bytes, bytes]]:
    """The IETF draft's ``RateLimit-*`` headers (draft-ietf-httpapi-ratelimit-headers)."""
    return [
        (b"ratelimit-limit", b"%d" % quota.limit),
        (b"ratelimit-remaining", b"%d" % quota.remaining),
        (b"ratelimit-reset", b"%d" % quota.reset),
    ]


def with_quota(send: Send, quota: Quota | None) -> Send:
    """``send`` adding ``quota``'s headers to the answer, whatever it is (streamed too)."""
    if quota is None:
        return send
    headers = quota_headers(quota)

    async def send_with_quota(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *headers]}
        await send(message)

    return send_with_quota
