"""Safe retries of imports: the ``Idempotency-Key`` header (as Stripe and the IETF
draft "The Idempotency-Key HTTP Header Field" describe it).

The response to an import sent with a key is stored in the import's own transaction, so
the leads and the record of having imported them commit together or not at all. A retry
with the same key (same API key, same endpoint, same request) gets that response back
and imports nothing; the same key with a different request is refused (422). Two requests
racing with one key: the second to commit fails on the record's primary key, its import
is rolled back, and it answers the first one's response. Records are kept 24 hours.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlmodel import Session, col, delete

from leads_core.clock import utcnow
from leads_core.errors import ValidationFailed
from leads_core.storage.models import IdempotentRequest

T = TypeVar("T")
HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # visible ASCII, as the header can carry it
_KEY = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class Request:
    """One import request under a key: who sent it, the key, and what it asked for."""

    api_key_id: str
    key: str
    fingerprint: str

    def replay(self, session: Session) -> str | None:
        """The stored JSON response of this request, None when the key is new (or expired).

        The key used for another request (another endpoint or body) -> 422."""
        record = session.get(IdempotentRequest, (self.api_key_id, self.key))
        if record is None or record.created_at < utcnow() - RETENTION:
            return None
        if record.fingerprint != self.fingerprint:
            raise ValidationFailed(
                f"{HEADER} {self.key!r} was already used for a different request; use a new "
                "key for each new request and the same key only to retry one",
                details=[{"field": HEADER, "message": "reused for a different request"}],
            )
        return record.response

    def recorder(self, render: Callable[[T], str]) -> Callable[[Session, T], None]:
        """What the import calls just before it commits: store ``render(outcome)`` in the
        import's transaction (expired records go first)."""

        def record(session: Session, outcome: T) -> None:
            body = render(outcome)
            session.exec(
                delete(IdempotentRequest).where(
                    col(IdempotentRequest.created_at) < utcnow() - RETENTION
                )
            )
            session.add(
                IdempotentRequest(
                    api_key_id=self.api_key_id,
                    key=self.key,
                    fingerprint=self.fingerprint,
                    response=body,
                )
            )
            session.flush()  # a racing request with this key fails here, before the commit

        return record


def request(
    api_key_id: str, key: str | None, endpoint: str, parts: Iterable[bytes | str]
) -> Request | None:
    """The idempotent request for a header value (None without a header); 422 for a key
    that is not 1-255 visible ASCII characters."""
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise ValidationFailed(
            f"{HEADER}: use 1 to 255 visible ASCII characters, such as a UUID",
            details=[{"field": HEADER, "message": "invalid key"}],
        )
    digest = hashlib.sha256(endpoint.encode())
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))  # length-prefixed: no ambiguous joins
        digest.update(data)
    return Request(api_key_id, key, digest.hexdigest())
