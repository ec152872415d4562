"""A webhook receiver for the tests: a tiny HTTP server on a loopback address and a free
port, in a thread, started and stopped by the test. It records every request and answers
what the test's ``answer`` function says (status, delay, extra headers)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def msg_id(self) -> str:
        return self.headers["webhook-id"]

    def verifies_with(self, secret: str) -> bool:
        """The Standard Webhooks check a receiver makes, with the package's own code."""
        try:
            Webhook(secret).verify(self.body, self.headers)
        except Exception:
            return False
        return True


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


Answering = Callable[[Request, int], Answer]
"""(the request, how many requests with its webhook-id came before it) -> the answer."""


def always_ok(_request: Request, _before: int) -> Answer:
    return Answer()


class Receiver:
    def __init__(self, answer: Answering = always_ok, host: str = "127.0.0.1") -> None:
        self.answer = answer
        self.requests: list[Request] = []
        self.answered: list[tuple[str, int]] = []  # (webhook-id, status) sent back in full
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length", 0))
                request = Request(
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                with receiver._lock:
                    before = sum(
                        1
                        for r in receiver.requests
                        if r.headers.get("webhook-id") == request.headers.get("webhook-id")
                    )
                    receiver.requests.append(request)
                answer = receiver.answer(request, before)
                time.sleep(answer.delay_s)
                with contextlib.suppress(OSError):  # the sender may have given up
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                    self.wfile.flush()
                    with receiver._lock:
                        receiver.answered.append(
                            (request.headers.get("webhook-id", ""), answer.status)
                        )

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.host, self.port = host, self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def ids(self) -> list[str]:
        with self._lock:
            return [r.msg_id for r in self.requests]

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Request]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.02)  # polling, bounded by the deadline
        raise AssertionError(f"{len(self.requests)} request(s) received, {count} expected")


@contextlib.contextmanager
def receiving(answer: Answering = always_ok, host: str = "127.0.0.1") -> Iterator[Receiver]:
    receiver = Receiver(answer, host)
    receiver._thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
