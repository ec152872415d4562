"""dashboard.safe: user text escaped for Markdown and for Plotly labels."""

import re

import pytest
from markdown_it import MarkdownIt

from dashboard import safe

RENDER = MarkdownIt("commonmark")

HOSTILE = [
    "![t](http://host/x.png)",
    "[click](https://evil.example)",
    "<a href='https://evil.example'>x</a>",
    "**bold** _it_ `code` $x^2$ :red[alarm] :material/home:",
    "# heading",
    "a\\b",
    "Dubois & Fils <b>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_of_escaped_text_is_the_text_itself(text: str) -> None:
    rendered = RENDER.renderInline(safe.md(text))
    # No element at all: the only markup is the escaping of &, < and > by the renderer.
    assert "<a" not in rendered and "<img" not in rendered and "<strong" not in rendered
    unescaped = rendered.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    assert unescaped.replace("&amp;", "&").replace("\u2060", "") == text


# GitHub-flavoured Markdown's literal autolinks (mdast-util-gfm-autolink-literal), which
# Streamlit applies to the text once escapes are resolved: a URL, www. or an email address.
GFM_AUTOLINKS = re.compile(r"(https?://|www(?=\.))[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+", re.I)


@pytest.mark.parametrize(
    "text",
    ["[click](https://evil.example)", "see http://x.io", "www.evil.example", "mel@acme.com"],
)
def test_escaped_text_holds_no_literal_autolink(text: str) -> None:
    assert GFM_AUTOLINKS.search(text)
    shown = RENDER.renderInline(safe.md(text))
    assert not GFM_AUTOLINKS.search(shown), shown
    assert shown.replace("\u2060", "") == text


def test_markdown_is_one_line_and_none_is_empty() -> None:
    assert safe.md("Marie\n\n# Dubois") == "Marie \\# Dubois"
    assert safe.md(None) == ""
    assert safe.md("Marie Dubois") == "Marie Dubois"


def test_plot_text_has_no_tags() -> None:
    assert safe.plot("<a href='x'>web</a>") == "&lt;a href=&#x27;x&#x27;&gt;web&lt;/a&gt;"
    assert safe.plot("linkedin") == "linkedin"
    assert safe.plot('say "hi"') == "say &#34;hi&#34;"  # Plotly shows &quot; as it is
    assert safe.plot(None) == ""
