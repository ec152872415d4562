"""DNS rebinding on a real ``streamlit run app.py``: a page at http://evil.example:PORT whose
name was re-pointed at 127.0.0.1 sends ``Host: evil.example:PORT`` and, on a WebSocket or a
write, ``Origin: http://evil.example:PORT``. Forged here on loopback (every request goes to
127.0.0.1 or ::1): the dashboard's pages, its WebSocket and /v1 (even with a valid API key)
refuse it; the names the server is known by still work; redirects never name the Host;
/_stcore/metrics is not served (leads_core/web/guard.py)."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_exposure import listening, server_env
from tests.support.devserver import free_port, start_app, stop_app, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-server")]

BAD_HOST = {
    "error": {
        "code": "bad_host",
        "message": "This server does not answer to that host name (see LEADS_ALLOWED_HOSTS).",
        "details": [],
    }
}


def port_of(server: Server) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def websocket_status(
    port: int, host: str, origin: str | None = None, address: str = "127.0.0.1"
) -> str:
    """The status line answering a WebSocket handshake on /_stcore/stream, sent byte by byte
    as a browser would (so that Host and Origin are exactly these)."""
    lines = [
        "GET /_stcore/stream HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: streamlit",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    with socket.create_connection((address, port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode("latin-1")


def test_a_rebound_page_gets_nothing(server: Server) -> None:
    port = port_of(server)
    evil_host, evil_origin = f"evil.example:{port}", f"http://evil.example:{port}"
    forged = {"Host": evil_host, "Origin": evil_origin}
    key = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        assert http.get("/v1/me", headers=key).status_code == 200  # the key is valid
        for path in ["/", "/leads", "/api-keys", "/_stcore/health", "/_stcore/host-config"]:
            page = http.get(path, headers={"Host": evil_host})
            assert (page.status_code, page.text) == (421, BAD_HOST["error"]["message"]), path
        for method, path in [("GET", "/v1/leads"), ("GET", "/v1/me"), ("POST", "/v1/campaigns")]:
            api = http.request(method, path, headers={**forged, **key}, json={"name": "x"})
            assert (api.status_code, api.json()) == (421, BAD_HOST), path
        # The right Host but the rebound page's Origin: its writes are refused too.
        own_host = {"Host": f"127.0.0.1:{port}", "Origin": evil_origin}
        write = http.post("/v1/campaigns", headers={**own_host, **key}, json={"name": "x"})
        assert (write.status_code, write.json()["error"]["code"]) == (403, "bad_origin")
        upload = http.put("/_stcore/upload_file/session/file", headers=own_host)
        assert upload.status_code == 403
        assert http.get("/v1/campaigns", headers=key).json()["total"] >= 0  # nothing broke
    assert websocket_status(port, evil_host, evil_origin) == "HTTP/1.1 421 Misdirected Request"
    assert websocket_status(port, evil_host) == "HTTP/1.1 421 Misdirected Request"
    assert websocket_status(port, f"127.0.0.1:{port}", evil_origin) == "HTTP/1.1 403 Forbidden"
    assert "Traceback" not in server.log()


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]"])
def test_the_names_of_this_machine_are_served(server: Server, name: str) -> None:
    port = port_of(server)
    host = f"{name}:{port}"
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        health = http.get("/_stcore/health", headers={"Host": host})
        assert (health.status_code, health.text) == (200, "ok")
        home = http.get("/", headers={"Host": host})
        assert home.status_code == 200
        assert '<div id="root"></div>' in home.text
        me = http.get("/v1/me", headers={"Host": host, "Authorization": f"Bearer {server.api_key}"})
        assert me.status_code == 200
    origin = f"http://{host}"
    assert websocket_status(port, host, origin) == "HTTP/1.1 101 Switching Protocols"


def test_redirects_are_relative_and_metrics_private(server: Server) -> None:
    key = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, timeout=30, follow_redirects=False) as http:
        for host in [f"localhost:{port_of(server)}", f"127.0.0.1:{port_of(server)}"]:
            # Streamlit's static files route: relative already.
            page = http.get("/leads/?campaignId=x", headers={"Host": host})
            assert (page.status_code, page.headers["location"]) == (301, "/leads?campaignId=x")
            # FastAPI's trailing slash: absolute from the Host header, made relative.
            api = http.get("/v1/leads/?limit=1", headers={"Host": host, **key})
            assert (api.status_code, api.headers["location"]) == (307, "/v1/leads?limit=1")
            docs = http.get("/v1/docs/", headers={"Host": host})
            assert (docs.status_code, docs.headers["location"]) == (307, "/v1/docs")
        # A path that would become another host's address is refused, not redirected.
        for path in ["//evil.example/", "//evil.example/leads/"]:
            assert http.get(server.base_url + path).status_code == 400
        assert http.get(server.base_url + "/v1//evil.example/", headers=key).status_code == 404
        for path in ["/_stcore/metrics", "/_stcore/metrics/"]:
            assert http.get(path).status_code == 404
        assert http.get("/_stcore/health").text == "ok"


# ------------------------------------------------------------------ servers of their own


@pytest.fixture
def serve(tmp_path: Path, empty_db_url: str) -> Iterator[Callable[..., Server]]:
    """``serve(address=None, **environment)``: a healthy server of this test on a free port."""
    started: list[subprocess.Popen[bytes]] = []

    def _serve(address: str | None = None, **extra: str) -> Server:
        port = free_port()
        env = server_env(tmp_path, empty_db_url, **extra)
        log_path = tmp_path / f"server-{port}.log"
        proc = start_app(env, port, log_path, address=address)
        started.append(proc)
        server = Server(f"http://127.0.0.1:{port}", empty_db_url, env, log_path, proc, None)
        if address != "::1":
            try:
                wait_healthy(proc, port)
            except RuntimeError as exc:
                pytest.fail(f"{exc}:\n{server.log()}")
        return server

    try:
        yield _serve
    finally:
        for proc in started:
            stop_app(proc)


def test_a_name_in_leads_allowed_hosts_is_served(serve: Callable[..., Server]) -> None:
    server = serve(LEADS_ALLOWED_HOSTS="leads.example.test")
    port = port_of(server)
    key = server.cli("create-api-key", "allowed-name").stdout.splitlines()[-1]
    public = {"Host": "leads.example.test", "Origin": "https://leads.example.test"}
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        assert http.get("/_stcore/health", headers=public).text == "ok"
        assert http.get("/leads", headers=public).status_code == 200
        created = http.post(
            "/v1/campaigns",
            headers={**public, "Authorization": f"Bearer {key}"},
            json={"name": "Via the public name", "criteria": {}},
        )
        assert created.status_code == 201, created.text
        # The setting adds a name; it does not open the door to others.
        other = http.get("/_stcore/health", headers={"Host": "other.example.test"})
        assert other.status_code == 421
    assert websocket_status(port, "leads.example.test", "https://leads.example.test") == (
        "HTTP/1.1 101 Switching Protocols"
    )
    assert websocket_status(port, "evil.example") == "HTTP/1.1 421 Misdirected Request"


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")
def test_a_server_on_ipv6_loopback_answers_to_its_name(serve: Callable[..., Server]) -> None:
    server = serve("::1")
    port = port_of(server)
    base = f"http://[::1]:{port}"
    with httpx.Client(base_url=base, timeout=30) as http:
        for _ in range(300):  # wait_healthy polls 127.0.0.1; this server is on ::1 only
            try:
                if http.get("/_stcore/health").text == "ok":
                    break
            except httpx.TransportError:
                pass
            if server.proc.poll() is not None:
                pytest.fail(server.log())
            time.sleep(0.2)  # polling, bounded by the loop
        assert listening(port) == ["::1"]
        assert http.get("/_stcore/health").text == "ok"  # Host: [::1]:PORT, as a browser
        forged = http.get("/_stcore/health", headers={"Host": f"evil.example:{port}"})
        assert forged.status_code == 421
    assert websocket_status(port, f"[::1]:{port}", f"http://[::1]:{port}", "::1") == (
        "HTTP/1.1 101 Switching Protocols"
    )
