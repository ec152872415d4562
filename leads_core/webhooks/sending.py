"""One HTTP attempt of a delivery: the target checked again (:mod:`.netguard`), then the
signed body POSTed to exactly the address that was checked.

A host name is resolved once, by the check; the connection then goes to those addresses
(:class:`PinnedBackend`), never through a second lookup that could answer differently
(DNS rebinding: public when checked, 10.0.0.1 when connected). The URL is sent as is, so
the ``Host`` header, TLS's server name (SNI) and the certificate check all use the host
name. Redirects are not followed (a 3xx is a failed attempt); environment proxies are not
used; at most :data:`ANSWER_CHARS` characters of the answer are read."""

from __future__ import annotations

import http
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import httpcore
import httpx

from leads_core.webhooks.netguard import BlockedTarget, Resolver, Target, check_url, system_resolver

TIMEOUT_S = 10.0
ANSWER_CHARS = 1000  # what WebhookAttempt.response keeps
USER_AGENT = "leads-workspace-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: the HTTP status (None: no answer), how long it took, why it
    failed when it did, and the answer's first characters."""

    status: int | None
    duration_ms: float
    error: str | None = None
    response: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        """``500 Internal Server Error``, or the error when there was no answer."""
        if self.status is None:
            return self.error or "no answer"
        try:
            phrase = http.HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "HTTP status"
        return f"{self.status} {phrase}"


class PinnedBackend(httpcore.SyncBackend):
    """Connects to the checked target's addresses, in order, whatever host name the request
    names: no DNS lookup happens at connection time."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in self.target.addresses:
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure


class PinnedTransport(httpx.HTTPTransport):
    """httpx's own transport (HTTP/1.1, TLS with SNI and verification by host name) over
    a connection pool that connects through :class:`PinnedBackend`."""

    def __init__(self, target: Target, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=1,
            max_keepalive_connections=0,
            network_backend=PinnedBackend(target),
        )


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """Made once: loading the CA bundle takes milliseconds, an attempt reuses it."""
    return httpx.create_ssl_context(trust_env=False)


def _first_characters(response: httpx.Response) -> str:
    taken = bytearray()
    for chunk in response.iter_bytes():
        taken += chunk
        if len(taken) >= ANSWER_CHARS:
            break
    return taken.decode("utf-8", errors="replace")[:ANSWER_CHARS]


class Sender:
    """Sends attempts: ``allow_private`` is LEADS_WEBHOOKS_ALLOW_PRIVATE; ``resolve`` and
    ``timeout_s`` are there for the tests (a fake resolver, a short timeout)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        timeout_s: float = TIMEOUT_S,
        resolve: Resolver = system_resolver,
    ) -> None:
        self.allow_private = allow_private
        self.timeout_s = timeout_s
        self.resolve = resolve

    def send(self, url: str, headers: Mapping[str, str], body: str) -> Outcome:
        started = time.perf_counter()

        def took() -> float:
            return round((time.perf_counter() - started) * 1000, 1)

        try:
            target = check_url(url, allow_private=self.allow_private, resolve=self.resolve)
        except BlockedTarget as blocked:
            return Outcome(None, took(), f"blocked: {blocked}")
        try:
            status, answer, location = self._post(target, headers, body)
        except httpx.TimeoutException:
            return Outcome(None, took(), f"no answer within {self.timeout_s:g} s")
        except httpx.HTTPError as exc:
            return Outcome(None, took(), f"{type(exc).__name__}: {exc}" if str(exc) else "failed")
        error = None
        if 300 <= status < 400:
            error = f"redirect to {location or '(no Location)'} not followed"
        return Outcome(status, took(), error, answer)

    def _post(
        self, target: Target, headers: Mapping[str, str], body: str
    ) -> tuple[int, str, str | None]:
        transport = PinnedTransport(target, _ssl_context())
        with (
            httpx.Client(
                transport=transport,
                timeout=self.timeout_s,
                follow_redirects=False,
                trust_env=False,
                headers={"user-agent": USER_AGENT},
            ) as client,
            client.stream("POST", target.url, content=body.encode(), headers=dict(headers)) as r,
        ):
            return r.status_code, _first_characters(r), r.headers.get("location")
