"""Messages for the user: errors from ``leads_core`` shown with ``st.error``, and results
of actions done in widget callbacks kept until the page is drawn again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from leads_core.errors import LeadsError

_KEY = "_flash_messages"


def describe(exc: LeadsError) -> str:
    """The message and, for each detail, which field and what to fix."""
    lines = [exc.message]
    for detail in exc.details[:10]:
        where = detail.get("field") or ""
        row = detail.get("row")
        message = detail.get("message") or ""
        label = f"row {row}, {where}" if row else where
        if message and message not in exc.message:
            lines.append(f"- {label}: {message}" if label else f"- {message}")
    return "\n".join(lines)


def flash(kind: str, message: str) -> None:
    """Queue a message for the next time the page is drawn ("success" shows a toast;
    "info", "warning" and "error" a box)."""
    st.session_state.setdefault(_KEY, []).append((kind, message))


def flash_error(action: str, exc: LeadsError) -> None:
    flash("error", f"{action}: {describe(exc)}")


def flash_stale(what: str, changes: Mapping[str, Any]) -> None:
    """An edit refused because someone else changed the lead first (HTTP's 412): say so,
    and repeat what was not saved so the user can make the change again."""
    tried = ", ".join(f"{name.replace('_', ' ')} → {value!r}" for name, value in changes.items())
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
