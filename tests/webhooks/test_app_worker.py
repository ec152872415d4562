"""The worker as it runs in production: a thread of ``streamlit run app.py``.

- kill -9: the app is killed in the middle of delivering; started again, it delivers every
  event (those it had claimed once their lease ends), at least once each.
- Two app processes on one PostgreSQL database: every event arrives once per attempt - the
  processes never send the same delivery at once - and each lead's events in order.

Events are written with the outbox's ``emit`` from the test (each commit is what a lead
change commits along with its event); the endpoint row is written straight into the
database. Every request goes to a receiver on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import NullPool, create_engine
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from leads_core.storage.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEvent
from tests.support.devserver import free_port, start_app, stop_app, wait_healthy
from tests.webhooks.receiver import Answer, Request, receiving
from tests.webhooks.support import add_endpoint, emit

pytestmark = pytest.mark.slow


@contextmanager
def database(url: str) -> Iterator[Engine]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def app_env(db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "LEADS_WEBHOOKS_ALLOW_PRIVATE": "1",  # the receiver is on 127.0.0.1
        "PYTHONUNBUFFERED": "1",
    }


@contextmanager
def app(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    port = free_port()
    proc = start_app(env, port, log)
    try:
        try:
            wait_healthy(proc, port)
        except RuntimeError as exc:
            pytest.fail(f"{exc}:\n{log.read_text(errors='replace')}")
        yield proc
    finally:
        stop_app(proc)


def states(engine: Engine) -> Counter[str]:
    with Session(engine) as session:
        return Counter(session.exec(select(WebhookDelivery.state)).all())


def wait_until(check: Callable[[], bool], timeout_s: float, what: str | Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)  # polling, bounded by the deadline
    raise AssertionError(
        f"not within {timeout_s:.0f} s: {what if isinstance(what, str) else what()}"
    )


def test_kill_9_while_delivering_loses_no_event(db_url: str, tmp_path: Path) -> None:
    env = app_env(db_url)
    slow = Answer(200, delay_s=0.5)  # a batch's requests are in flight when the app dies
    with database(db_url) as db, receiving(lambda _r, _n: slow) as receiver:
        add_endpoint(db, receiver.url)
        with app(env, tmp_path / "first.log") as first:
            ids = [emit(db, lead_id=f"lead_{n % 7}", n=n)[0] for n in range(40)]
            receiver.wait_for(10, timeout_s=60)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
        left = states(db)
        undispatched = sum(1 for _ in _undispatched(db))
        assert left["pending"] + undispatched > 0, "all delivered before the kill: no test"
        ids += [emit(db, lead_id="lead_after", n=n)[0] for n in range(5)]  # while it is down

        with app(env, tmp_path / "second.log") as second:
            # what the dead process had claimed waits for its lease (60 s)
            wait_until(lambda: states(db) == {"delivered": 45}, 120, "every delivery made")
            stop_app(second)
            assert second.returncode != -signal.SIGKILL  # the worker let it stop on SIGTERM

    answered = {msg_id for msg_id, status in receiver.answered if status == 200}
    assert answered >= set(ids)
    assert set(receiver.ids()) == set(ids)  # nothing else was sent


def _undispatched(engine: Engine) -> list[int | None]:
    with Session(engine) as session:
        return list(
            session.exec(select(WebhookEvent.seq).where(WebhookEvent.dispatched_at == None))  # noqa: E711
        )


EVENTS = 240
LEADS = 40


@pytest.mark.postgresql_only
def test_two_app_processes_send_each_event_once_per_attempt(db_url: str, tmp_path: Path) -> None:
    env = app_env(db_url)

    def answer(request: Request, before: int) -> Answer:
        n = json.loads(request.body)["data"]["n"]
        return Answer(500 if n % 9 == 0 and before == 0 else 200, delay_s=0.01)

    with (
        database(db_url) as db,
        receiving(answer) as receiver,
        app(env, tmp_path / "one.log"),
        app(env, tmp_path / "two.log"),
    ):
        add_endpoint(db, receiver.url)
        emitted = [emit(db, lead_id=f"lead_{n % LEADS}", n=n)[0] for n in range(EVENTS)]
        wait_until(
            lambda: states(db) == {"delivered": EVENTS},
            90,
            lambda: (
                f"every delivery made: {states(db)}, {len(receiver.requests)} requests\n"
                + (tmp_path / "one.log").read_text(errors="replace")[-3000:]
            ),
        )
        with Session(db) as session:
            rows = session.exec(
                select(WebhookEvent.id, WebhookDelivery.attempts, WebhookDelivery.locked_by).join(
                    WebhookDelivery, WebhookDelivery.event_seq == WebhookEvent.seq
                )
            ).all()
            attempt_rows = len(session.exec(select(WebhookAttempt.id)).all())

    logs = [(tmp_path / name).read_text(errors="replace") for name in ("one.log", "two.log")]
    assert [log.count("Traceback") for log in logs] == [0, 0], logs
    received = Counter(receiver.ids())
    made = {msg_id: attempts for msg_id, attempts, _by in rows}
    assert set(made) == set(emitted)
    assert received == Counter(made)  # each id once per attempt, never twice at once
    assert sum(made.values()) == attempt_rows == EVENTS + len(range(0, EVENTS, 9))
    # Both processes sent some (locked_by: host/pid/worker of the last attempt).
    assert len({by.split("/")[1] for _id, _n, by in rows if by}) == 2
    # Each lead's events were accepted in the order they were written.
    order = {msg_id: n for n, msg_id in enumerate(emitted)}
    accepted = [msg_id for msg_id, status in receiver.answered if status == 200]
    for lead in range(LEADS):
        of_lead = [order[m] for m in accepted if order[m] % LEADS == lead]
        assert of_lead == sorted(of_lead)


def test_deliver_webhooks_once_from_the_command_line(db_url: str) -> None:
    with database(db_url) as db, receiving() as receiver:
        hook = add_endpoint(db, receiver.url)
        ids = [emit(db, lead_id=f"lead_{n}", n=n)[0] for n in range(3)]
        result = subprocess.run(
            [sys.executable, "-m", "leads_core", "deliver-webhooks", "--once"],
            cwd=Path(__file__).resolve().parents[2],
            env={**app_env(db_url), "LEADS_WEBHOOKS_WORKER": "0"},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert states(db) == {"delivered": 3}
    assert result.stdout.splitlines()[-1] == "3 attempt(s) made; nothing more is due now"
    assert sorted(receiver.ids()) == sorted(ids)
    assert all(r.verifies_with(hook.secret) for r in receiver.requests)
