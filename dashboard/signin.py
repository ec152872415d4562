"""The sign-in endpoint beside /v1: ``/auth/sign-in``, ``/auth/sign-out`` and one-time
``/auth/invite/{token}`` links, plain Starlette routes that ``app.py`` gives ``st.App``.

Why routes and not a Streamlit page: a Streamlit script talks to the browser over a
WebSocket, so it can neither set nor clear a cookie, let alone an HttpOnly one that page
scripts cannot read. A sign-in that must survive a reload and a server restart needs such a
cookie, so a plain HTTP endpoint answers the form: it checks the password
(``users.check_password``), starts a session (``users.start_session``, stored as a hash)
and sets ``leads_session`` (HttpOnly, SameSite=Lax, Path=/, Secure over https, for the
session's longest lifetime). ``dashboard/auth.py`` then reads that cookie from the
WebSocket's handshake at every script run.

What the routes guard against:
- Guessing: wrong attempts are counted per account and per client address in the one
  ``FailureThrottle`` the API's key check uses too (``LEADS_AUTH_FAILURE_LIMIT``); beyond,
  429 with Retry-After. A wrong answer costs a second, awaited without blocking the loop,
  and is the same whichever of email or password was wrong.
- Cross-site posts: a POST must come from a page of this host (``Origin``, else
  ``Referer``), and the cookie is SameSite=Lax.
- Open redirects: ``next`` is only ever a path of this site (one leading "/"); the
  redirect is relative, never built from the Host header.
- Large bodies: a form of more than :data:`MAX_FORM_BYTES` is refused before it is parsed.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qs, quote, urlsplit

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from leads_core.errors import LeadsError, RateLimited, Unauthorized
from leads_core.services import users
from leads_core.storage.db import session_scope
from leads_core.storage.models import User
from leads_core.throttle import FailureThrottle

T = TypeVar("T")
COOKIE = "leads_session"
SIGN_IN_PATH = "/auth/sign-in"
SIGN_OUT_PATH = "/auth/sign-out"
INVITE_PATH = "/auth/invite"
MAX_FORM_BYTES = 16 * 1024  # an email, a password (at most 1000 characters) and a path
WRONG_DELAY_S = 1.0
WRONG = "Wrong email or password."
CROSS_SITE = "This form must be sent from this site's own sign-in page."
HEADERS = {
    "Cache-Control": "no-store",
    # An invitation link's token is never sent to another site. (Not "no-referrer": the
    # browser would then send "Origin: null" with the form, which _same_origin refuses.)
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def safe_next(raw: str | None) -> str:
    """Where to go after signing in: a path of this site, else "/". Never an absolute URL,
    a scheme-relative ``//host`` or a backslash trick some browsers read as one."""
    value = raw or ""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


def sign_in_url(next_path: str) -> str:
    """The sign-in page's link that comes back to ``next_path`` afterwards."""
    path = safe_next(next_path)
    return SIGN_IN_PATH if path == "/" else f"{SIGN_IN_PATH}?next={quote(path, safe='')}"


# ------------------------------------------------------------------ HTML


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f6f7f9;color:#1f2937;
margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:2rem 2.25rem;
width:22rem;box-shadow:0 1px 3px rgba(0,0,0,.06)}
h1{font-size:1.4rem;margin:0 0 .25rem}p{margin:.25rem 0 1rem;color:#4b5563}
label{display:block;font-size:.9rem;margin:.75rem 0 .25rem}
input{width:100%;box-sizing:border-box;padding:.55rem .6rem;border:1px solid #d1d5db;
border-radius:6px;font-size:1rem}
button{margin-top:1.25rem;width:100%;padding:.6rem;border:0;border-radius:6px;
background:#2563eb;color:#fff;font-size:1rem;cursor:pointer}
.error{background:#fef2f2;color:#991b1b;border:1px solid #fecaca;border-radius:6px;
padding:.5rem .75rem;margin:.75rem 0}
"""


def _page(
    title: str, body: str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · Leads workspace</title><style>{_STYLE}</style>"
        f"</head><body><main>{body}</main></body></html>"
    )
    return HTMLResponse(document, status_code=status, headers={**HEADERS, **(headers or {})})


def _error(message: str | None) -> str:
    return f'<div class="error" role="alert">{html.escape(message)}</div>' if message else ""


def sign_in_page(
    next_path: str = "/",
    *,
    email: str = "",
    message: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    body = (
        "<h1>Leads workspace</h1><p>Sign in with your email and password.</p>"
        f"{_error(message)}"
        f'<form method="post" action="{SIGN_IN_PATH}">'
        f'<input type="hidden" name="next" value="{html.escape(safe_next(next_path))}">'
        '<label for="email">Email</label>'
        f'<input id="email" name="email" type="email" autocomplete="username" required '
        f'autofocus value="{html.escape(email)}">'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        '<button type="submit">Sign in</button></form>'
    )
    return _page("Sign in", body, status, headers)


def invite_page(
    user: User, token: str, *, message: str | None = None, status: int = 200
) -> Response:
    body = (
        f"<h1>Welcome, {html.escape(user.name)}</h1>"
        f"<p>Choose a password for {html.escape(user.email)} "
        f"({users.MIN_PASSWORD} characters or more). This link works once.</p>"
        f"{_error(message)}"
        f'<form method="post" action="{INVITE_PATH}/{quote(token, safe="")}">'
        '<label for="password">New password</label>'
        '<input id="password" name="password" type="password" autocomplete="new-password" '
        f'required minlength="{users.MIN_PASSWORD}">'
        '<label for="confirm">The same password again</label>'
        '<input id="confirm" name="confirm" type="password" autocomplete="new-password" '
        "required>"
        '<button type="submit">Set the password and sign in</button></form>'
    )
    return _page("Set your password", body, status)


def _dead_link() -> Response:
    body = (
        "<h1>This link no longer works</h1>"
        "<p>It has expired or was used already. Ask an admin for a new one.</p>"
        f'<p><a href="{SIGN_IN_PATH}">Go to the sign-in page</a></p>'
    )
    return _page("Link expired", body, 404)


# ------------------------------------------------------------------ requests


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _same_origin(request: Request) -> bool:
    """The POST comes from a page of this host: ``Origin`` (every current browser sends it
    on a form POST), else ``Referer``; neither is refused."""
    host = request.headers.get("host", "").lower()
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    if not source or source == "null" or not host:
        return False
    return urlsplit(source).netloc.lower() == host


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded form, read up to :data:`MAX_FORM_BYTES`; refused (403, 413, 415)
    before anything is parsed when it is cross-site, too large or not a form."""
    if not _same_origin(request):
        raise _Refused(_page("Refused", f"<h1>Refused</h1><p>{CROSS_SITE}</p>", 403))
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise _Refused(_page("Refused", "<h1>Refused</h1><p>Send the form.</p>", 415))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise _Refused(_page("Refused", "<h1>Refused</h1><p>Too large.</p>", 413))
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(users.SESSION_LONGEST.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def _signed_in(request: Request, token: str, next_path: str) -> Response:
    response = RedirectResponse(safe_next(next_path), status_code=303, headers=HEADERS)
    set_session_cookie(response, request, token)
    return response


def _with_db(work: Callable[..., T], *args: object) -> T:
    with session_scope() as session:
        return work(session, *args)


def _check_and_start(session: Session, email: str, password: str) -> str:
    return users.start_session(session, users.check_password(session, email, password))


@dataclass
class SignIn:
    """The routes' handlers, sharing the app's one :class:`FailureThrottle`."""

    failures: FailureThrottle

    async def sign_in(self, request: Request) -> Response:
        if request.method == "GET":
            response = sign_in_page(request.query_params.get("next", "/"))
            if request.cookies.get(COOKIE):  # an old cookie: its session ended; drop it
                response.delete_cookie(COOKIE, path="/")
            return response
        try:
            form = await _form(request)
        except _Refused as refused:
            return refused.response
        email, password = form.get("email", "").strip(), form.get("password", "")
        next_path = form.get("next", "/")
        names = [f"account:{email.lower()}", f"address:{_client(request)}"]
        try:
            self.failures.check(names)
        except RateLimited as exc:
            return sign_in_page(
                next_path, email=email, message=exc.message, status=429, headers=exc.headers
            )
        try:
            token = await run_in_threadpool(_with_db, _check_and_start, email, password)
        except Unauthorized:
            self.failures.failed(names)
            await asyncio.sleep(WRONG_DELAY_S)
            return sign_in_page(next_path, email=email, message=WRONG, status=401)
        self.failures.succeeded(names[:1])  # not the address: others may share it
        return _signed_in(request, token, next_path)

    async def sign_out(self, request: Request) -> Response:
        if not _same_origin(request):  # the body is not read: nothing in it is used
            return _page("Refused", f"<h1>Refused</h1><p>{CROSS_SITE}</p>", 403)
        await run_in_threadpool(_with_db, users.end_session, request.cookies.get(COOKIE))
        response = RedirectResponse(SIGN_IN_PATH, status_code=303, headers=HEADERS)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def invite(self, request: Request) -> Response:
        token = request.path_params["token"]
        user = await run_in_threadpool(_with_db, users.link_user, token)
        if user is None:
            return _dead_link()
        if request.method == "GET":
            return invite_page(user, token)
        try:
            form = await _form(request)
        except _Refused as refused:
            return refused.response
        password = form.get("password", "")
        if password != form.get("confirm", ""):
            return invite_page(user, token, message="The two passwords differ.", status=422)
        try:
            session_token = await run_in_threadpool(_with_db, _redeem_and_start, token, password)
        except Unauthorized:
            return _dead_link()
        except LeadsError as exc:
            return invite_page(user, token, message=exc.message, status=exc.status)
        return _signed_in(request, session_token, "/")


def _redeem_and_start(session: Session, token: str, password: str) -> str:
    return users.start_session(session, users.redeem_link(session, token, password))


def routes(failures: FailureThrottle) -> list[Route]:
    """The sign-in routes for ``st.App(routes=...)``; ``failures`` is the API's throttle."""
    handlers = SignIn(failures)
    return [
        Route(SIGN_IN_PATH, handlers.sign_in, methods=["GET", "POST"]),
        Route(SIGN_OUT_PATH, handlers.sign_out, methods=["POST"]),
        Route(INVITE_PATH + "/{token}", handlers.invite, methods=["GET", "POST"]),
    ]
