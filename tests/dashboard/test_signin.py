"""The sign-in routes (dashboard/signin.py) through Starlette's TestClient, on a database of
the test's own: the cookie and its flags, wrong answers, the throttle per account and per
address, cross-site posts, the ``next`` redirect, sign-out and one-time invitation links."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import streamlit as st
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard import signin
from leads_core import config
from leads_core.access import Role
from leads_core.services import users
from leads_core.storage import db
from leads_core.storage.models import User, UserToken
from leads_core.throttle import FailureThrottle

PASSWORD = "correct horse battery staple"
ORIGIN = {"Origin": "http://testserver"}
LIMIT = 3


@pytest.fixture
def app_db(monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    yield db_url
    db.get_engine().dispose()
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    st.cache_data.clear()


@pytest.fixture
def ann(app_db: str) -> User:
    with db.session_scope() as session:
        return users.create_user(
            session, email="Ann@Acme.com", name="Ann Lee", role=Role.MEMBER, password=PASSWORD
        )


@pytest.fixture
def throttle() -> FailureThrottle:
    return FailureThrottle(limit=LIMIT)


@pytest.fixture
def client(
    app_db: str, throttle: FailureThrottle, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setattr(signin, "WRONG_DELAY_S", 0.0)
    with TestClient(Starlette(routes=signin.routes(throttle)), follow_redirects=False) as tc:
        yield tc


def sign_in(
    client: TestClient,
    email: str = "ann@acme.com",
    password: str = PASSWORD,
    next_path: str = "/",
    headers: dict[str, str] | None = None,
):
    return client.post(
        "/auth/sign-in",
        data={"email": email, "password": password, "next": next_path},
        headers=ORIGIN if headers is None else headers,
    )


def sessions_of(user_id: str) -> list[UserToken]:
    with db.session_scope() as session:
        return list(
            session.exec(
                select(UserToken).where(UserToken.user_id == user_id, UserToken.kind == "session")
            )
        )


def test_the_sign_in_page_is_a_self_contained_form(client: TestClient) -> None:
    page = client.get("/auth/sign-in", params={"next": "/leads?minScore=85"})
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"
    body = page.text
    assert '<form method="post" action="/auth/sign-in">' in body
    assert '<input type="hidden" name="next" value="/leads?minScore=85">' in body
    assert 'name="password" type="password" autocomplete="current-password"' in body
    assert "http" not in body.replace('content="width', "")  # no external asset


def test_a_right_password_sets_an_httponly_samesite_cookie_and_goes_to_next(
    client: TestClient, ann: User
) -> None:
    answer = sign_in(client, email=" ANN@acme.com ", next_path="/leads?minScore=85")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/leads?minScore=85"
    cookie = answer.headers["set-cookie"]
    token = answer.cookies[signin.COOKIE]
    assert cookie.startswith(f"{signin.COOKIE}={token};")
    flags = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")[1:]}
    assert set(flags) == {"httponly", "max-age", "path", "samesite"}
    assert flags["max-age"].strip() == f"Max-Age={14 * 24 * 3600}"
    assert flags["path"].strip() == "Path=/"
    assert flags["samesite"].strip() == "SameSite=lax"
    with db.session_scope() as session:
        user = users.resolve_session(session, token)
        assert user is not None and user.id == ann.id
    [stored] = sessions_of(ann.id)
    assert stored.token_hash == users.token_hash(token) != token  # only its hash is kept


def test_over_https_the_cookie_is_secure(app_db: str, ann: User, throttle: FailureThrottle) -> None:
    app = Starlette(routes=signin.routes(throttle))
    with TestClient(app, base_url="https://leads.example", follow_redirects=False) as tls:
        answer = sign_in(tls, headers={"Origin": "https://leads.example"})
    assert answer.status_code == 303
    assert "; secure" in answer.headers["set-cookie"].lower()


@pytest.mark.parametrize(
    ("email", "password"),
    [("ann@acme.com", "not the password"), ("nobody@acme.com", PASSWORD), ("", "")],
)
def test_a_wrong_email_or_password_gets_the_same_answer(
    client: TestClient, ann: User, email: str, password: str
) -> None:
    answer = sign_in(client, email=email, password=password)
    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers
    assert '<div class="error" role="alert">Wrong email or password.</div>' in answer.text
    assert PASSWORD not in answer.text
    assert sessions_of(ann.id) == []


def test_a_wrong_answer_takes_a_second_without_blocking(
    app_db: str, ann: User, throttle: FailureThrottle
) -> None:
    with TestClient(Starlette(routes=signin.routes(throttle))) as slow:
        started = time.monotonic()
        assert sign_in(slow, password="not the password").status_code == 401
    assert time.monotonic() - started >= signin.WRONG_DELAY_S


def test_a_disabled_user_cannot_sign_in(client: TestClient, ann: User) -> None:
    with db.session_scope() as session:
        users.create_user(session, email="boss@acme.com", name="Boss", role=Role.ADMIN)
        users.update_user(session, ann.id, users.UserChanges(disabled=True))
    assert sign_in(client).status_code == 401


def test_wrong_passwords_are_throttled_per_account(client: TestClient, ann: User) -> None:
    for _ in range(LIMIT):
        assert sign_in(client, password="guess guess guess").status_code == 401
    throttled = sign_in(client)  # even the right password, from anywhere, for a while
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["retry-after"]) <= 300
    assert "too many failed attempts" in throttled.text
    assert "set-cookie" not in throttled.headers


def test_wrong_passwords_are_throttled_per_address(client: TestClient, ann: User) -> None:
    for n in range(LIMIT):  # a different account each time: the address is what repeats
        assert sign_in(client, email=f"guess{n}@acme.com").status_code == 401
    assert sign_in(client).status_code == 429


def test_the_throttle_is_shared_with_the_api(
    client: TestClient, ann: User, throttle: FailureThrottle
) -> None:
    throttle.failed(["address:testclient"] * LIMIT)  # as the API's key check records them
    assert sign_in(client).status_code == 429


def test_a_right_password_clears_the_account_count(client: TestClient, ann: User) -> None:
    for _ in range(LIMIT - 1):
        sign_in(client, password="guess guess guess")
    assert sign_in(client).status_code == 303
    assert sign_in(client, password="guess guess guess").status_code == 401  # count restarted


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "leads",
        "/\t/evil.example",
        "",
    ],
)
def test_next_never_leaves_the_site(client: TestClient, ann: User, target: str) -> None:
    answer = sign_in(client, next_path=target)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_next_is_escaped_in_the_form(client: TestClient) -> None:
    page = client.get("/auth/sign-in", params={"next": '/x"><script>alert(1)</script>'})
    assert "<script>alert" not in page.text
    assert 'value="/x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/login"},
    ],
)
def test_a_cross_site_post_is_refused(client: TestClient, ann: User, headers: dict) -> None:
    answer = sign_in(client, headers=headers)
    assert answer.status_code == 403
    assert signin.CROSS_SITE in answer.text
    assert sessions_of(ann.id) == []


def test_a_same_site_referer_is_enough(client: TestClient, ann: User) -> None:
    answer = sign_in(client, headers={"Referer": "http://testserver/auth/sign-in"})
    assert answer.status_code == 303


def test_a_large_body_is_refused_before_it_is_read(client: TestClient, ann: User) -> None:
    big = {"email": "ann@acme.com", "password": "x" * (signin.MAX_FORM_BYTES + 1)}
    assert client.post("/auth/sign-in", data=big, headers=ORIGIN).status_code == 413


def test_sign_out_ends_the_session_and_clears_the_cookie(client: TestClient, ann: User) -> None:
    token = sign_in(client).cookies[signin.COOKIE]
    answer = client.post("/auth/sign-out", headers=ORIGIN, data={})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/auth/sign-in"
    assert answer.headers["set-cookie"].startswith(f'{signin.COOKIE}=""; ')
    assert "max-age=0" in answer.headers["set-cookie"].lower()
    with db.session_scope() as session:
        assert users.resolve_session(session, token) is None
    [ended] = sessions_of(ann.id)
    assert ended.ended_at is not None


def test_an_invitation_sets_the_password_and_signs_in_once(client: TestClient) -> None:
    with db.session_scope() as session:
        users.create_user(session, email="boss@acme.com", name="Boss", role=Role.ADMIN)
        bob = users.create_user(session, email="bob@acme.com", name="Bob <b>", role="viewer")
        token = users.issue_link(session, bob.id, "invite")
    form = client.get(f"/auth/invite/{token}")
    assert form.status_code == 200
    assert "Welcome, Bob &lt;b&gt;" in form.text
    assert f'action="/auth/invite/{token}"' in form.text
    assert form.headers["referrer-policy"] == "same-origin"

    differ = client.post(
        f"/auth/invite/{token}", data={"password": "x" * 12, "confirm": "y" * 12}, headers=ORIGIN
    )
    assert (differ.status_code, "The two passwords differ." in differ.text) == (422, True)
    short = client.post(
        f"/auth/invite/{token}", data={"password": "short", "confirm": "short"}, headers=ORIGIN
    )
    assert short.status_code == 422
    assert "a password has 10 to 1000 characters" in short.text

    done = client.post(
        f"/auth/invite/{token}", data={"password": PASSWORD, "confirm": PASSWORD}, headers=ORIGIN
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    with db.session_scope() as session:
        signed_in = users.resolve_session(session, done.cookies[signin.COOKIE])
        assert signed_in is not None and signed_in.id == bob.id
        assert users.check_password(session, "bob@acme.com", PASSWORD).id == bob.id

    again = client.get(f"/auth/invite/{token}")  # works once
    assert again.status_code == 404
    assert "This link no longer works" in again.text
    assert client.get("/auth/invite/not-a-token").status_code == 404


def test_an_invitation_post_must_come_from_this_site(client: TestClient) -> None:
    with db.session_scope() as session:
        users.create_user(session, email="boss@acme.com", name="Boss", role=Role.ADMIN)
        bob = users.create_user(session, email="bob@acme.com", name="Bob", role="viewer")
        token = users.issue_link(session, bob.id, "invite")
    data = {"password": PASSWORD, "confirm": PASSWORD}
    answer = client.post(f"/auth/invite/{token}", data=data, headers={})
    assert answer.status_code == 403
    with Session(db.get_engine()) as session:
        assert users.link_user(session, token) is not None  # not used up
