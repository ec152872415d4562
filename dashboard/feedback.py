"""Messages for the user: errors from ``leads_core`` shown with ``st.error``, and results
of actions done in widget callbacks kept until the page is drawn again.

Messages are Markdown in our own words: a user text inside one (a name, a file name, an
error's message echoing input) goes through :func:`dashboard.safe.md` where it is put in
(:func:`describe` and :func:`flash_stale` do it for what they quote)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from dashboard.safe import md
from leads_core import fields
from leads_core.errors import LeadsError

_KEY = "_flash_messages"
_OTHER_WORDS = {"ownerId": "Owner", "owner_id": "Owner", "campaignId": "Campaign"}


def describe(exc: LeadsError) -> str:
    """The message and, for each detail, which field and what to fix (Markdown: every part
    escaped, as a message may echo what the user typed)."""
    lines = [md(exc.message)]
    for detail in exc.details[:10]:
        where = detail.get("field") or ""
        row = detail.get("row")
        message = detail.get("message") or ""
        label = md(f"row {row}, {field_words(where)}" if row else field_words(where))
        if message and message not in exc.message:
            lines.append(f"- {label}: {md(message)}" if label else f"- {md(message)}")
    return "\n".join(lines)


def field_words(name: str) -> str:
    """A lead field's name (``linkedinUrl``, ``linkedin_url``) in words ("LinkedIn URL");
    any other name as it is, its underscores as spaces."""
    field = fields.BY_API_NAME.get(name) or fields.BY_NAME.get(name)
    if field is not None:
        return field.label
    return _OTHER_WORDS.get(name, name.replace("_", " "))


def flash(kind: str, message: str) -> None:
    """Queue a message for the next time the page is drawn ("success" shows a toast;
    "info", "warning" and "error" a box)."""
    st.session_state.setdefault(_KEY, []).append((kind, message))


def flash_error(action: str, exc: LeadsError) -> None:
    flash("error", f"{action}: {describe(exc)}")


def flash_stale(what: str, changes: Mapping[str, Any]) -> None:
    """An edit refused because someone else changed the lead first (HTTP's 412): say so,
    and repeat what was not saved so the user can make the change again."""
    tried = ", ".join(
        f"{md(field_words(name))} → {md(repr(value))}" for name, value in changes.items()
    )
    flash(
        "error",
        f"Someone else changed {what} after you opened it, so your change was not saved "
        f"({tried}). It now shows their version: make your change again if it still applies.",
    )


def show_flashed() -> None:
    for kind, message in st.session_state.pop(_KEY, []):
        if kind == "success":
            st.toast(message, icon=":material/check_circle:")
        elif kind == "warning":
            st.warning(message)
        elif kind == "info":
            st.info(message)
        else:
            st.error(message)
