"""The lead filters of the sidebar, kept in the URL so a filtered view is a link.

The query parameters have the API's names (``campaignId``, ``minScore``, ``source``,
``status``, ``q``, ``ownerId``, ``sort``, ``page``, ``limit``): ``/leads?minScore=85&status=new``
in the dashboard shows what ``GET /v1/leads?minScore=85&status=new`` returns. Widget values
persist for the browser session, so the Leads and Analytics pages share the filters.

A signed-in member opens on their own leads (``ownerId=me``, left out of the URL as the
default); their "All owners" is ``ownerId=`` (empty), which the API reads as no filter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from dashboard import auth
from leads_core import sizes
from leads_core.access import Role
from leads_core.fields import LEAD_STATUSES
from leads_core.scoring.rules import HIGH_QUALITY, SOURCE_RELIABILITY
from leads_core.services import queries
from leads_core.services.queries import OWNER_ME, OWNER_NONE, LeadFilters

SORTS: dict[str, str] = {
    "-qualityScore": "Score, best first",
    "qualityScore": "Score, lowest first",
    "-createdAt": "Newest first",
    "createdAt": "Oldest first",
    "lastName": "Last name A→Z",
    "-lastName": "Last name Z→A",
    "company": "Company A→Z",
    "-updatedAt": "Recently changed",
}
DEFAULT_SORT = "-qualityScore"
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
ALL = ""  # the "All campaigns / sources / statuses" choice


@dataclass(frozen=True)
class _Param:
    key: str  # session-state / widget key
    name: str  # query parameter
    parse: Callable[[str], Any]
    default: Any


def _score(raw: str) -> int | None:
    value = int(raw)
    return value if 0 <= value <= 100 else None


def _one_of(choices: Mapping[str, Any] | tuple[Any, ...]) -> Callable[[str], Any]:
    return lambda raw: raw if raw in choices else None


def _positive(raw: str) -> int | None:
    value = int(raw)
    return value if value >= 1 else None


def _owner(raw: str) -> str | None:
    """``me``, ``none`` or a user id (whether that user exists is checked when drawn)."""
    value = raw.strip()
    if value.lower() in (OWNER_ME, OWNER_NONE):
        return value.lower()
    return value if value.startswith("usr_") and len(value) <= 64 else None


def _opens_on_mine() -> bool:
    """A signed-in member opens the leads on their own (admins, and the local admin of a
    workspace without users, on everyone's)."""
    principal = auth.current_principal()
    return principal.user_id is not None and principal.role is Role.MEMBER


def _default(param: _Param) -> Any:
    if param.key == "f_owner" and _opens_on_mine():
        return OWNER_ME
    return param.default


FILTER_PARAMS = (
    _Param("f_campaign", "campaignId", str, ALL),
    _Param("f_min_score", "minScore", _score, 0),
    _Param("f_source", "source", lambda raw: raw.strip().lower() or None, ALL),
    _Param("f_status", "status", _one_of(LEAD_STATUSES), ALL),
    _Param("f_q", "q", str, ""),
    _Param("f_owner", "ownerId", _owner, ALL),
)
LIST_PARAMS = (
    _Param("f_sort", "sort", _one_of(SORTS), DEFAULT_SORT),
    _Param(
        "f_limit",
        "limit",
        lambda raw: int(raw) if int(raw) in PAGE_SIZES else None,
        DEFAULT_PAGE_SIZE,
    ),
    _Param("f_page", "page", _positive, 1),
)


def _seed_from_url(params: tuple[_Param, ...]) -> None:
    """First draw in this browser session: take the values from the URL (bad ones are
    ignored). Afterwards the widgets own them."""
    for param in params:
        if param.key in st.session_state:
            continue
        value = _default(param)
        raw = st.query_params.get(param.name)
        if raw == "":  # "ownerId=": every owner's, where the default is one's own
            value = param.default
        elif raw is not None:
            try:
                parsed = param.parse(raw)
            except ValueError:
                parsed = None
            if parsed is not None:
                value = parsed
        st.session_state[param.key] = value


def write_url(*, with_list_options: bool = False) -> None:
    """Put the current filter values in the URL (defaults left out)."""
    params = FILTER_PARAMS + (LIST_PARAMS if with_list_options else ())
    wanted = {}
    for p in params:
        value, default = st.session_state.get(p.key), _default(p)
        if value == default:
            continue
        if value in (None, ALL, p.default):
            if default not in (None, ALL, p.default):
                wanted[p.name] = ""  # the widget's "all", away from an own default
            continue
        wanted[p.name] = str(value)
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def _back_to_first_page() -> None:
    st.session_state["f_page"] = 1


def lead_filters(
    campaign_names: Mapping[str, str],
    owner_names: Mapping[str, str] | None = None,
    *,
    with_list_options: bool = False,
) -> LeadFilters:
    """Draw the filter widgets in the sidebar; returns the filters they describe.

    ``campaign_names`` maps campaign ids to names (the campaign choice), ``owner_names``
    user ids to names (the owner choice). With ``with_list_options`` the sort order and
    page size are drawn too (the Leads page)."""
    params = FILTER_PARAMS + (LIST_PARAMS if with_list_options else ())
    owner_names = owner_names or {}
    _seed_from_url(params)
    if st.session_state["f_campaign"] not in (ALL, *campaign_names):
        st.session_state["f_campaign"] = ALL  # a deleted campaign, or a bad link
    me = auth.current_principal().user_id
    owner_choices = [ALL, *([OWNER_ME] if me else []), OWNER_NONE, *owner_names]
    if st.session_state["f_owner"] not in owner_choices:
        st.session_state["f_owner"] = ALL  # a deleted user, or "me" with nobody signed in
    _filter_widgets(campaign_names)
    _owner_widget(owner_choices, owner_names)
    if with_list_options:
        sidebar = st.sidebar
        sidebar.selectbox(
            "Sort by", list(SORTS), format_func=SORTS.__getitem__, key="f_sort", **_COMMON
        )
        sidebar.selectbox("Rows per page", PAGE_SIZES, key="f_limit", **_COMMON)
    write_url(with_list_options=with_list_options)
    state = st.session_state
    return LeadFilters(
        campaign_id=state["f_campaign"] or None,
        min_score=state["f_min_score"] or None,
        source=(state["f_source"] or "").strip().lower() or None,
        status=state["f_status"] or None,
        q=state["f_q"].strip() or None,
        owners=queries.parse_owners(state["f_owner"], me=me),
    )


_COMMON: dict[str, Any] = {"on_change": _back_to_first_page, "persist_state": "session"}


def _filter_widgets(campaign_names: Mapping[str, str]) -> None:
    sidebar = st.sidebar
    sidebar.header("Filters")
    sidebar.selectbox(
        "Campaign",
        [ALL, *campaign_names],
        format_func=lambda cid: campaign_names.get(cid, "All campaigns"),
        key="f_campaign",
        **_COMMON,
    )
    sidebar.slider(
        "Minimum score",
        0,
        100,
        key="f_min_score",
        help=f"{HIGH_QUALITY} is the recommended threshold: leads at or above it are worth a "
        "call first.",
        **_COMMON,
    )
    sidebar.caption(f"★ Recommended: {HIGH_QUALITY} and above.")
    known = sorted(SOURCE_RELIABILITY)
    current = st.session_state["f_source"]  # a source typed by the user stays a choice
    sidebar.selectbox(
        "Source",
        [ALL, *known, *([current] if current not in (ALL, *known) else [])],
        format_func=lambda s: s or "All sources",
        key="f_source",
        accept_new_options=True,
        **_COMMON,
    )
    sidebar.selectbox(
        "Status",
        [ALL, *LEAD_STATUSES],
        format_func=lambda s: s or "All statuses",
        key="f_status",
        **_COMMON,
    )
    sidebar.text_input(
        "Search", key="f_q", placeholder="name, email, company…", max_chars=sizes.SEARCH, **_COMMON
    )


OWNER_LABELS = {ALL: "All owners", OWNER_ME: "Mine", OWNER_NONE: "Unassigned"}


def _owner_widget(choices: list[str], owner_names: Mapping[str, str]) -> None:
    st.sidebar.selectbox(
        "Owner",
        choices,
        format_func=lambda value: OWNER_LABELS.get(value) or owner_names.get(value, value),
        key="f_owner",
        **_COMMON,
    )


def clear_filters() -> None:
    """No filter at all (a member's "mine" included: their own may be what matched nothing)."""
    for param in FILTER_PARAMS + LIST_PARAMS:
        st.session_state[param.key] = param.default


def follow_url() -> None:
    """The next page drawn takes its filters and sort from its URL again (a chart's bar, a
    campaign's row or a saved view opening the Leads page with their query parameters),
    instead of the widgets' values kept for the browser session."""
    for param in FILTER_PARAMS + LIST_PARAMS:
        st.session_state.pop(param.key, None)
