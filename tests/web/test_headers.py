"""leads_core.web.headers: the policies, and the hashes that let exactly the inline scripts
of Streamlit's index.html and of the API docs run."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
from pathlib import Path

from leads_core.web import headers


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_inline_script_hashes_take_inline_scripts_only() -> None:
    html = (
        '<script src="/a.js"></script>\n'
        "<script>\n  window.x = 1\n</script>"
        '<SCRIPT type="module">b()</SCRIPT>'
        '<script type="module" crossorigin src="./c.js"></script>'
    )
    assert headers.inline_script_hashes(html) == (_hash("\n  window.x = 1\n"), _hash("b()"))
    assert headers.inline_script_hashes("<p>no script</p>") == ()


def test_the_dashboard_policy_lets_streamlits_inline_script_run_and_nothing_else() -> None:
    spec = importlib.util.find_spec("streamlit")
    assert spec is not None and spec.origin is not None
    index = (Path(spec.origin).parent / "static" / "index.html").read_text(encoding="utf-8")
    (prerender,) = headers.inline_script_hashes(index)  # window.prerenderReady = false
    assert headers.dashboard_policy() == (
        "default-src 'self'; "
        f"script-src 'self' {prerender}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        "worker-src 'self'; "
        "frame-src 'none'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    assert "unsafe-eval" not in headers.dashboard_policy()


def test_policy_for_each_part() -> None:
    assert headers.policy_for("/") == headers.dashboard_policy()
    assert headers.policy_for("/leads") == headers.dashboard_policy()
    assert headers.policy_for("/_stcore/health") == headers.dashboard_policy()
    assert headers.policy_for("/v1") == headers.dashboard_policy()  # Streamlit's, not the API's
    assert headers.policy_for("/v1/leads") == headers.API_POLICY
    assert headers.API_POLICY.startswith("default-src 'none';")
    assert headers.docs_policy("<script>x()</script>").startswith(
        f"default-src 'self'; script-src 'self' {_hash('x()')}; "
    )
