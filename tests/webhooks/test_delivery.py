"""Delivering the outbox to a real HTTP receiver on 127.0.0.1, on the run's engine: signed
per Standard Webhooks, retried on the schedule with the same id and body, timeouts and
redirects as failures, the target checked again when sent, per-lead order."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from leads_core.clock import as_utc
from leads_core.storage.webhook_models import WebhookEndpoint
from leads_core.webhooks.delivery import SCHEDULE, fan_out
from tests.webhooks.receiver import Answer, Request, receiving
from tests.webhooks.support import (
    T0,
    Clock,
    add_endpoint,
    attempts,
    deliveries,
    emit,
    endpoint,
    new_secret,
    run_until_idle,
    worker,
)


def test_an_event_is_posted_signed_with_its_id_and_body(engine: Engine) -> None:
    clock = Clock()
    with receiving() as receiver:
        hook = add_endpoint(engine, receiver.url)
        msg_id, body = emit(engine, "lead.updated", lead_id="lead_a", n=1)

        assert worker(engine, clock).run_once() == 1

    [request] = receiver.requests
    assert request.msg_id == msg_id
    assert request.body == body.encode()
    assert json.loads(body) == {"type": "lead.updated", "timestamp": "2026-12-01T10:00:00.000Z",
                                "data": {"n": 1}}  # fmt: skip
    assert request.headers["content-type"] == "application/json"
    assert request.verifies_with(hook.secret)
    assert not request.verifies_with(new_secret())
    [delivery] = deliveries(engine)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
    assert delivery.locked_until is None
    [attempt] = attempts(engine)
    assert (attempt.attempt, attempt.status_code, attempt.error, attempt.response) == (
        1, 200, None, "ok"
    )  # fmt: skip


def test_a_500_is_retried_after_5_s_with_the_same_id_and_body(engine: Engine) -> None:
    clock = Clock()

    def first_500(_request: Request, before: int) -> Answer:
        return Answer(500 if before == 0 else 200)

    with receiving(first_500) as receiver:
        hook = add_endpoint(engine, receiver.url)
        msg_id, body = emit(engine)
        w = worker(engine, clock)

        assert w.run_once() == 1
        [delivery] = deliveries(engine)
        assert (delivery.state, delivery.last_status) == ("pending", 500)
        assert as_utc(delivery.next_attempt_at) == T0 + timedelta(seconds=5)
        assert as_utc(endpoint(engine, hook.id).failing_since) == T0

        clock.advance(seconds=4.9)
        assert w.run_once() == 0  # not due yet
        clock.advance(seconds=0.1)
        assert w.run_once() == 1

    first, retry = receiver.requests
    assert first.msg_id == retry.msg_id == msg_id
    assert first.body == retry.body == body.encode()
    assert first.verifies_with(hook.secret) and retry.verifies_with(hook.secret)
    assert [(a.attempt, a.status_code) for a in attempts(engine)] == [(1, 500), (2, 200)]
    [delivery] = deliveries(engine)
    assert (delivery.state, delivery.attempts) == ("delivered", 2)
    assert endpoint(engine, hook.id).failing_since is None  # a success clears it


def test_retries_follow_the_schedule_then_the_delivery_fails(engine: Engine) -> None:
    clock = Clock()
    with receiving(lambda _r, _n: Answer(503)) as receiver:
        hook = add_endpoint(engine, receiver.url)
        emit(engine)
        w = worker(engine, clock)
        waits = []
        assert w.run_once() == 1
        for _ in SCHEDULE:
            [delivery] = deliveries(engine)
            wait = as_utc(delivery.next_attempt_at) - clock()
            waits.append(wait)
            clock.advance(seconds=wait.total_seconds())
            assert w.run_once() == 1
        clock.advance(days=1)
        assert w.run_once() == 0

    assert waits == list(SCHEDULE)
    assert [timedelta(seconds=5), timedelta(minutes=5), timedelta(hours=20)] == [
        SCHEDULE[0], SCHEDULE[1], SCHEDULE[-1]
    ]  # fmt: skip
    assert len(receiver.requests) == 10 == len(SCHEDULE) + 1
    assert len({r.msg_id for r in receiver.requests}) == 1
    [delivery] = deliveries(engine)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("failed", 10, 503)
    # ~2.6 days of retries: not yet failing for 3 days, the endpoint stays enabled
    hook_now = endpoint(engine, hook.id)
    assert hook_now.enabled and hook_now.disabled_reason is None


def test_an_endpoint_failing_for_3_days_is_disabled_and_its_deliveries_held(
    engine: Engine,
) -> None:
    clock = Clock()
    with receiving(lambda _r, _n: Answer(500)) as receiver:
        hook = add_endpoint(engine, receiver.url, failing_since=T0 - timedelta(days=1))
        emit(engine, lead_id="lead_a")
        w = worker(engine, clock)
        while w.run_once() or any(d.state == "pending" for d in deliveries(engine)):
            clock.advance(hours=20)
        emit(engine, lead_id="lead_b", at=clock())  # after it was disabled: not fanned out
        clock.advance(days=1)
        assert w.run_once() == 0

    disabled = endpoint(engine, hook.id)
    assert not disabled.enabled
    assert (
        disabled.disabled_reason == "Failing since 2026-11-30 10:00 UTC: 500 Internal Server Error"
    )
    assert [d.state for d in deliveries(engine)] == ["failed"]
    assert len(receiver.requests) == 10


def set_enabled(engine: Engine, endpoint_id: str, enabled: bool) -> None:
    with Session(engine) as session:
        row = session.get(WebhookEndpoint, endpoint_id)
        assert row is not None
        row.enabled = enabled
        session.add(row)
        session.commit()


def test_deliveries_of_a_disabled_endpoint_wait_until_it_is_enabled(engine: Engine) -> None:
    clock = Clock()
    with receiving() as receiver:
        hook = add_endpoint(engine, receiver.url)
        emit(engine)
        with Session(engine) as session:
            assert fan_out(session, clock()) == 1
        set_enabled(engine, hook.id, False)  # after its delivery was made: held
        w = worker(engine, clock)
        assert w.run_once() == 0
        assert [d.state for d in deliveries(engine)] == ["pending"]
        set_enabled(engine, hook.id, True)
        assert w.run_once() == 1

    assert len(receiver.requests) == 1
    assert [d.state for d in deliveries(engine)] == ["delivered"]


def test_a_timeout_is_a_failed_attempt_retried_later(engine: Engine) -> None:
    clock = Clock()
    with receiving(lambda _r, n: Answer(200, delay_s=1.5 if n == 0 else 0)) as receiver:
        add_endpoint(engine, receiver.url)
        emit(engine)
        w = worker(engine, clock, timeout_s=0.3)
        assert w.run_once() == 1
        [attempt] = attempts(engine)
        assert (attempt.status_code, attempt.error) == (None, "no answer within 0.3 s")
        assert 250 <= attempt.duration_ms < 1500
        [delivery] = deliveries(engine)
        assert (delivery.state, delivery.last_status) == ("pending", None)
        clock.advance(seconds=5)
        assert w.run_once() == 1

    assert [d.state for d in deliveries(engine)] == ["delivered"]


def test_a_redirect_is_not_followed_and_counts_as_a_failure(engine: Engine) -> None:
    clock = Clock()
    with receiving() as elsewhere:

        def redirect(_request: Request, _before: int) -> Answer:
            return Answer(307, headers={"location": elsewhere.url})

        with receiving(redirect) as receiver:
            add_endpoint(engine, receiver.url)
            emit(engine)
            assert worker(engine, clock).run_once() == 1

    assert len(receiver.requests) == 1
    assert elsewhere.requests == []
    [attempt] = attempts(engine)
    assert attempt.status_code == 307
    assert attempt.error == f"redirect to {elsewhere.url} not followed"
    [delivery] = deliveries(engine)
    assert (delivery.state, delivery.last_status) == ("pending", 307)


def test_a_target_now_resolving_to_a_private_address_is_blocked_when_sent(
    engine: Engine,
) -> None:
    # Public when the endpoint was saved; the name now resolves to 10.20.30.40 (a fake
    # resolver: no DNS lookup, nothing is sent anywhere).
    clock = Clock()
    asked = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["10.20.30.40"]

    add_endpoint(engine, "https://hooks.example.test/in")
    emit(engine)
    w = worker(engine, clock, allow_private=False, resolve=resolver)
    assert w.run_once() == 1

    assert asked == [("hooks.example.test", 443)]
    [attempt] = attempts(engine)
    assert attempt.status_code is None
    assert attempt.error == (
        "blocked: hooks.example.test (10.20.30.40) is a private address: webhooks are sent "
        "to public addresses only (LEADS_WEBHOOKS_ALLOW_PRIVATE=1 allows the local network)"
    )
    [delivery] = deliveries(engine)
    assert (delivery.state, delivery.attempts) == ("pending", 1)


def test_the_request_goes_to_the_checked_address_not_a_second_lookup(engine: Engine) -> None:
    # The check's resolver says localhost is 127.0.0.2, where the receiver listens; the
    # system would say 127.0.0.1 (nothing listens there on this port). Reaching the
    # receiver proves the connection used the checked address, with the URL's Host.
    clock = Clock()
    with receiving(host="127.0.0.2") as receiver:
        add_endpoint(engine, f"http://localhost:{receiver.port}/hook")
        emit(engine)
        w = worker(engine, clock, resolve=lambda _host, _port: ["127.0.0.2"])
        assert w.run_once() == 1

    [request] = receiver.requests
    assert request.headers["host"] == f"localhost:{receiver.port}"
    assert [d.state for d in deliveries(engine)] == ["delivered"]


def test_during_a_rotation_both_secrets_sign_and_each_verifies(engine: Engine) -> None:
    clock = Clock()
    old, new = new_secret(), new_secret()
    with receiving() as receiver:
        add_endpoint(
            engine,
            receiver.url,
            secret=new,
            previous_secret=old,
            previous_secret_until=T0 + timedelta(hours=24),
        )
        emit(engine, at=T0)
        emit(engine, lead_id="lead_b", at=T0)
        w = worker(engine, clock)
        w.batch = 1
        assert w.run_once() == 1
        clock.advance(hours=24)  # the overlap is over
        assert w.run_once() == 1

    during, after = receiver.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert during.verifies_with(old) and during.verifies_with(new)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert after.verifies_with(new) and not after.verifies_with(old)


def test_a_lead_s_events_are_delivered_in_order(engine: Engine) -> None:
    # lead_a's first update fails once: its second waits for it; lead_b's goes on.
    clock = Clock()
    first_a = {}

    def answer(request: Request, before: int) -> Answer:
        return Answer(500 if request.msg_id == first_a.get("id") and before == 0 else 200)

    with receiving(answer) as receiver:
        add_endpoint(engine, receiver.url)
        first_a["id"], _ = emit(engine, lead_id="lead_a", n=1)
        second_a, _ = emit(engine, lead_id="lead_a", n=2)
        only_b, _ = emit(engine, lead_id="lead_b", n=1)
        import_done, _ = emit(engine, "import.completed", lead_id=None)
        w = worker(engine, clock)
        assert run_until_idle(w) == 3
        assert second_a not in receiver.ids()
        clock.advance(seconds=5)
        assert run_until_idle(w) == 2

    ids = receiver.ids()
    assert sorted(ids[:3]) == sorted([first_a["id"], only_b, import_done])
    assert ids[3:] == [first_a["id"], second_a]
    assert {d.state for d in deliveries(engine)} == {"delivered"}
