"""Asserting that user text was drawn as text (``dashboard.safe.md``) in an AppTest run.

Every element Streamlit draws as Markdown is collected with what it shows (its body, a
metric's label and value, a button's or expander's label, a toast); a user text is escaped
when some body holds ``md(text)`` and none holds the raw text (whose ``![t](…)`` or
``[click](…)`` the browser would turn into an image or a link)::

    from tests.ui.escaping import TRAPS, assert_escaped
    assert_escaped(at, "![t](http://127.0.0.1:9/x.png)")
"""

from __future__ import annotations

import re
from typing import Any

from streamlit.testing.v1 import AppTest

from dashboard.safe import md

IMAGE = "![t](http://127.0.0.1:9/x.png)"
LINK = "[click](https://evil.example)"
TRAPS = (IMAGE, LINK)
"""User texts that Markdown would turn into an image fetch or a link."""

_MARKDOWN_ELEMENTS = (
    "title",
    "header",
    "subheader",
    "markdown",
    "caption",
    "error",
    "warning",
    "info",
    "success",
    "toast",
    "exception",
)


def markdown_bodies(at: AppTest) -> list[str]:
    """What every Markdown-drawn element of the run shows (main area and sidebar)."""
    bodies: list[str] = []
    for name in _MARKDOWN_ELEMENTS:
        bodies.extend(str(getattr(e, "value", "")) for e in getattr(at, name))
    for metric in at.metric:
        bodies.extend((metric.label, metric.value))
    for labelled in (*at.button, *at.expander, *_unknown(at, "page_link")):
        label = getattr(labelled, "label", None)
        if label is None:
            label = getattr(labelled.proto, "label", "")
        bodies.append(str(label))
    return bodies


def _unknown(at: AppTest, kind: str) -> list[Any]:
    """Elements AppTest has no accessor for (page links), found by their proto's type."""
    return [e for e in at.get(kind)]


def assert_escaped(at: AppTest, text: str) -> None:
    """``text`` is shown somewhere, escaped, and never raw (as Markdown would draw it)."""
    bodies = markdown_bodies(at)
    raw = [body for body in bodies if text in body]
    assert not raw, f"{text!r} drawn as Markdown, not escaped: {raw}"
    escaped = md(text)
    assert any(escaped in body for body in bodies), f"{escaped!r} not shown in {bodies}"


_ESCAPE = re.compile(r"""\\([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def shown(body: str) -> str:
    """A Markdown body as the user reads it, its backslash escapes resolved:
    ``shown("sample\\_leads\\.csv") == "sample_leads.csv"`` (for asserting wording); the
    invisible word joiners that break literal autolinks (``dashboard.safe``) left out."""
    return _ESCAPE.sub(r"\1", body).replace("\u2060", "")
