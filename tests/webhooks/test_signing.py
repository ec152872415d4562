"""Signatures as a receiver checks them: the README's verification snippet, run on headers
the worker makes, accepts them, refuses an altered body, and handles a repeat once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from leads_core.storage.webhook_models import WebhookEndpoint
from leads_core.webhooks import signing
from tests.webhooks.support import new_secret

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def readme_receiver() -> tuple[Any, list[tuple[str, Any]]]:
    """The README's ``handle`` function, with a dedupe store and a ``process`` that
    records what it is given."""
    section = README[README.index("### Delivery: signatures") :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None
    processed: list[tuple[str, Any]] = []
    seen: set[str] = set()

    def already_seen(msg_id: str) -> bool:
        found = msg_id in seen
        seen.add(msg_id)
        return found

    namespace: dict[str, Any] = {
        "already_seen": already_seen,
        "process": lambda kind, data: processed.append((kind, data)),
    }
    exec(match.group(1), namespace)  # noqa: S102 - the README's own example
    return namespace["handle"], processed


def test_the_readme_snippet_verifies_what_the_worker_signs() -> None:
    secret = new_secret()
    body = '{"type":"lead.deleted","timestamp":"2026-12-03T10:00:00.000Z","data":{"lead":{}}}'
    headers = signing.headers("msg_1", body, [secret], datetime.now(UTC))
    handle, processed = readme_receiver()

    handle(body.encode(), headers, secret)
    handle(body.encode(), headers, secret)  # a repeat: not processed twice
    handle(body.replace("deleted", "created").encode(), headers, secret)  # altered
    handle(body.encode(), headers, new_secret())  # someone else's secret

    assert processed == [("lead.deleted", {"lead": {}})]
    assert headers["webhook-id"] == "msg_1"
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", headers["webhook-signature"])


def test_the_previous_secret_signs_until_its_overlap_ends() -> None:
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    endpoint = WebhookEndpoint(
        id="whk_1",
        url="https://hooks.example.test/",
        secret="whsec_new",
        previous_secret="whsec_old",
        previous_secret_until=now + timedelta(hours=24),
    )
    assert signing.secrets_of(endpoint, now) == ["whsec_new", "whsec_old"]
    assert signing.secrets_of(endpoint, now + timedelta(hours=24)) == ["whsec_new"]
    endpoint.previous_secret_until = (now + timedelta(hours=1)).replace(tzinfo=None)  # SQLite
    assert signing.secrets_of(endpoint, now) == ["whsec_new", "whsec_old"]
