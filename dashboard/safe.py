"""User text drawn as text, never as markup.

Streamlit renders Markdown in titles, headers, metrics' labels, captions, alerts, toasts,
buttons and page links: a last name ``![t](http://host/x.png)`` would make the browser fetch
that image, ``[click](https://evil.example)`` would be a link inside the app's own message,
``:red[x]`` would colour and ``$x$`` typeset it. Plotly renders a subset of HTML in axis
labels, legends, annotations and hovers: ``<a href=…>`` becomes a link there.

Every text that comes from a lead, a campaign, a user or a URL goes through :func:`md`
before Streamlit draws it as Markdown, and through :func:`plot` before Plotly draws it.
Our own wording around it stays Markdown (``f"**{md(name)}**"``).

Escaping alone does not stop GitHub-flavoured Markdown's *literal autolinks*: Streamlit finds
``https://…``, ``www.…`` and ``name@host.tld`` in the text once the escapes are resolved and
makes links of them. :func:`md` puts an invisible word joiner (U+2060) inside each such
pattern (``https:⁠//``, ``www⁠.``, ``@⁠``), which the eye does not see and the link finder
does not match."""

from __future__ import annotations

import html
import re
from typing import Any

# CommonMark lets a backslash escape any ASCII punctuation character; Streamlit's own
# directives (``:red[…]``, ``:material/icon:``, emoji shortcodes, ``$…$``) start with one.
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_WORD_JOINER = "\u2060"
_AUTOLINKS = re.compile(r"(?i)(https?:|www|@)(?=[/.\w])")
EMPTY = "—"
"""What a table shows for an empty value (``st.dataframe(placeholder=EMPTY)``): never "None"."""


def md(value: Any) -> str:
    """``value`` as Markdown that shows exactly its text, on one line (None: empty)."""
    if value is None:
        return ""
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _AUTOLINKS.sub(lambda found: found.group(1) + _WORD_JOINER, text)
    return _PUNCTUATION.sub(r"\\\1", text)


def plot(value: Any) -> str:
    """``value`` as Plotly label or hover text that shows exactly its text (None: empty)."""
    if value is None:
        return ""
    escaped = html.escape(_LINE_BREAKS.sub(" ", str(value)), quote=True)
    return escaped.replace("&quot;", "&#34;")  # Plotly decodes numeric entities, not &quot;
