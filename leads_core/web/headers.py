"""The security headers every answer carries, and the Content-Security-Policy of each part.

Every response: ``X-Frame-Options: DENY`` (and ``frame-ancestors 'none'``: no page may
frame the dashboard to click through it), ``X-Content-Type-Options: nosniff`` and
``Referrer-Policy: same-origin`` (a lead's website opened from the grid is not told the
dashboard's URL and its filters).

The policies, as tight as each part allows (checked in Chromium with no violation:
``tests/e2e/test_headers.py``):

- the dashboard (Streamlit's single-page app): scripts from this server only, plus the one
  inline script of Streamlit's ``index.html`` by its hash (no ``eval``: Plotly and the data
  grid run without it); styles may be inline (Emotion, Streamlit's CSS-in-JS, writes
  ``<style>`` elements; Plotly sets ``style`` attributes); images and fonts also as
  ``data:`` (Streamlit inlines a font; icons); connections to this server only (``'self'``
  covers its own WebSocket, ws: or wss:); no frames, no plugins, no ``<base>``, forms post
  here only.
- the API's JSON: nothing may load at all (``default-src 'none'``).
- the API's Swagger UI and ReDoc pages set their own (:func:`docs_policy`) with the hash of
  their inline script; the middleware keeps a policy a response already has.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from functools import lru_cache
from pathlib import Path


def _streamlit_index_html() -> Path:
    """Streamlit's ``static/index.html``, found without importing Streamlit (leads_core
    never does: the CLI and the API run without it)."""
    spec = importlib.util.find_spec("streamlit")
    if spec is None or spec.origin is None:  # pragma: no cover - a dependency
        raise RuntimeError("Streamlit is not installed")
    return Path(spec.origin).parent / "static" / "index.html"


COMMON_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)

#: Every policy ends with these: no framing, no plugins, no <base>, forms post here.
_LOCKED = "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

API_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", re.DOTALL | re.I)


def inline_script_hashes(html: str) -> tuple[str, ...]:
    """CSP source expressions (``'sha256-…'``) of the inline scripts in ``html``: what a
    policy lists to let exactly those run."""
    return tuple(
        "'sha256-{}'".format(
            base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        )
        for body in _INLINE_SCRIPT.findall(html)
    )


def _policy(script_hashes: tuple[str, ...], *, workers: str = "'self'") -> str:
    scripts = " ".join(("'self'", *script_hashes))
    return (
        "default-src 'self'; "
        f"script-src {scripts}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        f"worker-src {workers}; "
        "frame-src 'none'; "
        f"{_LOCKED}"
    )


@lru_cache(maxsize=1)
def dashboard_policy() -> str:
    """The dashboard's policy, with the hashes of the inline scripts of the ``index.html``
    this Streamlit serves (read once)."""
    return _policy(inline_script_hashes(_streamlit_index_html().read_text(encoding="utf-8")))


def docs_policy(html: str) -> str:
    """The policy of an API documentation page (Swagger UI, ReDoc) whose HTML is ``html``:
    the dashboard's, with that page's inline scripts, and workers from ``blob:`` (ReDoc's
    search index). ReDoc's "API docs by Redocly" logo comes from a CDN: blocked, as any
    request leaving this server."""
    return _policy(inline_script_hashes(html), workers="'self' blob:")


def policy_for(path: str, api_prefix: str = "/v1") -> str:
    """The policy of a response to ``path`` that does not set one itself."""
    if path.startswith(f"{api_prefix}/"):  # "/v1" alone is the dashboard's (not found) page
        return API_POLICY
    return dashboard_policy()
