"""The README's "Use it from Python" snippets, run as written: the cursor walk against the
API (with the 429 it may meet on the way), and the webhook receiver against what the
delivery worker signs."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from leads_core.webhooks import outbox, signing
from tests.webhooks.support import new_secret

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def snippets() -> list[str]:
    section = README[README.index("## Use it from Python") :]
    section = section[: section.index("\n## ", 1)]
    found = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(found) == 2
    return found


def test_the_walk_prints_every_matching_lead_once(
    client: TestClient, campaign: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    rows = [{"email": f"p{n}@acme.test", "firstName": f"P{n}"} for n in range(450)]
    rows += [{"email": f"w{n}@acme.test", "status": "won"} for n in range(30)]
    assert client.post("/v1/leads", json={"campaignId": "cmp_123", "leads": rows}).is_success
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"})])
    real_get = client.get

    def get(url: str, **kwargs: Any) -> Any:  # the first request meets the rate limit
        return next(answers, None) or real_get(url, **kwargs)

    def connect(base_url: str, headers: dict[str, str], timeout: float) -> TestClient:
        assert base_url == "http://localhost:8501" and timeout == 30
        assert headers == {"Authorization": "Bearer lw_your_key"}
        monkeypatch.setattr(client, "get", get)
        return client  # already holding the test's key

    monkeypatch.setattr(httpx, "Client", connect)
    exec(snippets()[0], {})  # noqa: S102 - the README's own example

    printed = capsys.readouterr().out.splitlines()
    emails = sorted(line.split()[1] for line in printed)
    assert emails == sorted(f"p{n}@acme.test" for n in range(450))  # status=new, each once
    assert next(answers, None) is None  # the 429 was met, and waited out


class _Started(http.server.HTTPServer):
    """The snippet's server, on a free port, serving from a thread."""

    running: list[_Started] = []

    def __init__(self, address: tuple[str, int], handler: Any) -> None:
        super().__init__((address[0], 0), handler)
        _Started.running.append(self)

    def serve_forever(self, poll_interval: float = 0.05) -> None:
        threading.Thread(target=super().serve_forever, args=(poll_interval,), daemon=True).start()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """The README's receiver, running; (its URL, its secret)."""
    secret = new_secret()
    code = snippets()[1].replace('"whsec_..."', repr(secret))
    monkeypatch.setattr(http.server, "HTTPServer", _Started)
    exec(code, {})  # noqa: S102 - the README's own example
    server = _Started.running.pop()
    yield f"http://127.0.0.1:{server.server_address[1]}/", secret
    server.shutdown()
    server.server_close()


def test_the_receiver_handles_each_event_once_and_refuses_forgeries(
    receiver: tuple[str, str], capsys: Any
) -> None:
    url, secret = receiver
    body = outbox.body_of("lead.deleted", {"lead": {"id": "lead_1"}}, datetime.now(UTC))

    def send(text: str, key: str, msg_id: str = "msg_1") -> int:
        headers = signing.headers(msg_id, body, [key], datetime.now(UTC))
        return httpx.post(url, content=text.encode(), headers=headers, timeout=10).status_code

    assert send(body, secret) == 204
    assert send(body, secret) == 204  # the same event again: answered, not handled twice
    assert send(body.replace("lead_1", "lead_2"), secret) == 400  # altered on the way
    assert send(body, new_secret(), "msg_2") == 400  # not signed with this secret
    assert capsys.readouterr().out == "lead.deleted {'lead': {'id': 'lead_1'}}\n"
