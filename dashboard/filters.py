"""The lead filters of the sidebar, kept in the URL so a filtered view is a link.

The query parameters have the API's names and syntax (``leads_core.services.filtering``):
``/leads?status=new,contacted&createdFrom=2026-01-01`` in the dashboard shows what
``GET /v1/leads?status=new,contacted&createdFrom=2026-01-01`` returns, plus ``sort``,
``page`` and ``limit`` on the Leads page. Campaigns, sources, statuses and owners take
several values; the created and last-activity dates are ranges (either end may be left
open). The widgets are turned into those parameters, and the parameters into
``LeadFilters`` by the API's own parser. Widget values persist for the browser session,
so the Leads and Analytics pages share the filters.

A signed-in member opens on their own leads (``ownerId=me``, left out of the URL as the
default); their "all owners" is ``ownerId=`` (empty), which the API reads as no filter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st

from dashboard import auth
from leads_core import sizes
from leads_core.access import Role
from leads_core.errors import ValidationFailed
from leads_core.fields import LEAD_STATUSES
from leads_core.scoring.rules import HIGH_QUALITY, SOURCE_RELIABILITY
from leads_core.services.filtering import (
    OWNER_ME,
    OWNER_NONE,
    LeadFilters,
    filters_from_params,
    split_values,
)

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
ALL = ""  # kept for callers: "every campaign / source / status" (an empty choice)
SCORES = (0, 100)
OPEN_START = date(2000, 1, 1)  # the date picker's first day: a range from it has no start
DATE_RANGES = {
    "f_created": ("createdFrom", "createdTo"),
    "f_activity": ("lastActivityFrom", "lastActivityTo"),
}
LISTS = {
    "f_campaigns": "campaignId",
    "f_sources": "source",
    "f_statuses": "status",
    "f_owners": "ownerId",
}


@dataclass(frozen=True)
class _Param:
    key: str  # session-state / widget key
    name: str  # query parameter
    parse: Callable[[str], Any]
    default: Any


def _positive(raw: str) -> int | None:
    value = int(raw)
    return value if value >= 1 else None


LIST_PARAMS = (
    _Param("f_sort", "sort", lambda raw: raw if raw in SORTS else None, DEFAULT_SORT),
    _Param(
        "f_limit",
        "limit",
        lambda raw: int(raw) if int(raw) in PAGE_SIZES else None,
        DEFAULT_PAGE_SIZE,
    ),
    _Param("f_page", "page", _positive, 1),
)
FILTER_KEYS = (*LISTS, "f_score", "f_q", *DATE_RANGES)


def _opens_on_mine() -> bool:
    """A signed-in member opens the leads on their own (admins, and the local admin of a
    workspace without users, on everyone's)."""
    principal = auth.current_principal()
    return principal.user_id is not None and principal.role is Role.MEMBER


def _defaults() -> dict[str, Any]:
    return {
        "f_campaigns": [],
        "f_sources": [],
        "f_statuses": [],
        "f_owners": [OWNER_ME] if _opens_on_mine() else [],
        "f_score": SCORES,
        "f_q": "",
        "f_created": (),
        "f_activity": (),
    }


def _me() -> str | None:
    return auth.current_principal().user_id


def _read(params: Mapping[str, str]) -> LeadFilters | None:
    """The filters of some parameters, by the API's parser; None when it refuses them."""
    try:
        return filters_from_params(params, me=_me())
    except ValidationFailed:
        return None


def _from_url(key: str, default: Any) -> Any:
    """A filter widget's value from the URL's parameter(s); ``default`` when absent or bad
    (a link with a mistyped value opens with that filter off)."""
    url = st.query_params
    if key in LISTS:
        raw = url.get(LISTS[key])
        if raw is None:
            return default
        if _read({LISTS[key]: raw}) is None:
            return default
        values = split_values(raw, LISTS[key])
        if key == "f_sources":
            return [value.lower() for value in values]
        if key == "f_owners":
            return [v.lower() if v.lower() in (OWNER_ME, OWNER_NONE) else v for v in values]
        return list(values)
    if key == "f_score":
        found = _read({n: url[n] for n in ("minScore", "maxScore") if n in url})
        if found is None:
            return default
        return (found.min_score or 0, 100 if found.max_score is None else found.max_score)
    if key == "f_q":
        return url.get("q", default)
    start, end = DATE_RANGES[key]
    found = _read({n: url[n] for n in (start, end) if n in url})
    if found is None:
        return default
    low, high = (
        (found.created_from, found.created_to)
        if key == "f_created"
        else (found.activity_from, found.activity_to)
    )
    if high is not None:
        return (low or OPEN_START, high)
    return (low,) if low else ()


def _seed_from_url(with_list_options: bool) -> None:
    """First draw in this browser session: take the values from the URL (bad ones are
    ignored). Afterwards the widgets own them."""
    for key, default in _defaults().items():
        if key not in st.session_state:
            st.session_state[key] = _from_url(key, default)
    for param in LIST_PARAMS if with_list_options else ():
        if param.key in st.session_state:
            continue
        value, raw = param.default, st.query_params.get(param.name)
        if raw:
            try:
                value = param.parse(raw)
            except ValueError:
                value = None
        st.session_state[param.key] = param.default if value is None else value


def filter_params() -> dict[str, str]:
    """The sidebar's filters as the API's query parameters (each one set)."""
    state = st.session_state
    params = {name: ",".join(state[key]) for key, name in LISTS.items() if state.get(key)}
    low, high = state.get("f_score") or SCORES
    if low > 0:
        params["minScore"] = str(low)
    if high < 100:
        params["maxScore"] = str(high)
    if q := (state.get("f_q") or "").strip():
        params["q"] = q
    for key, (start, end) in DATE_RANGES.items():
        picked = tuple(state.get(key) or ())
        if picked and picked[0] > OPEN_START:
            params[start] = picked[0].isoformat()
        if len(picked) == 2:
            params[end] = picked[1].isoformat()
    return params


def write_url(*, with_list_options: bool = False) -> None:
    """Put the current filters in the URL: their parameters, but a member's own leads (the
    default) left out and their "all owners" written ``ownerId=``; with
    ``with_list_options``, the sort, page size and page when not the defaults."""
    wanted = filter_params()
    owners, default = st.session_state.get("f_owners") or [], _defaults()["f_owners"]
    if owners == default:
        wanted.pop("ownerId", None)
    elif not owners:
        wanted["ownerId"] = ""
    for param in LIST_PARAMS if with_list_options else ():
        value = st.session_state.get(param.key)
        if value not in (None, param.default):
            wanted[param.name] = str(value)
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
    owner_names = owner_names or {}
    _seed_from_url(with_list_options)
    state = st.session_state
    # A deleted campaign or user, or "me" with nobody signed in: dropped from the choice.
    state["f_campaigns"] = [c for c in state["f_campaigns"] if c in campaign_names]
    owner_choices = [*([OWNER_ME] if _me() else []), OWNER_NONE, *owner_names]
    state["f_owners"] = [o for o in state["f_owners"] if o in owner_choices]
    _filter_widgets(campaign_names)
    _owner_widget(owner_choices, owner_names)
    _date_widgets()
    if with_list_options:
        sidebar = st.sidebar
        sidebar.selectbox(
            "Sort by", list(SORTS), format_func=SORTS.__getitem__, key="f_sort", **_COMMON
        )
        sidebar.selectbox("Rows per page", PAGE_SIZES, key="f_limit", **_COMMON)
    write_url(with_list_options=with_list_options)
    return filters_from_params(filter_params(), me=_me())


_COMMON: dict[str, Any] = {"on_change": _back_to_first_page, "persist_state": "session"}


def _filter_widgets(campaign_names: Mapping[str, str]) -> None:
    sidebar = st.sidebar
    sidebar.header("Filters")
    sidebar.multiselect(
        "Campaigns",
        list(campaign_names),
        format_func=lambda cid: campaign_names.get(cid, cid),
        key="f_campaigns",
        placeholder="All campaigns",
        **_COMMON,
    )
    sidebar.slider(
        "Score",
        0,
        100,
        key="f_score",
        help=f"{HIGH_QUALITY} is the recommended threshold: leads at or above it are worth a "
        "call first.",
        **_COMMON,
    )
    sidebar.caption(f"★ Recommended: {HIGH_QUALITY} and above.")
    known = sorted(SOURCE_RELIABILITY)
    typed = [s for s in st.session_state["f_sources"] if s not in known]  # stay choices
    sidebar.multiselect(
        "Sources",
        [*known, *typed],
        key="f_sources",
        placeholder="All sources",
        accept_new_options=True,
        **_COMMON,
    )
    sidebar.multiselect(
        "Statuses", list(LEAD_STATUSES), key="f_statuses", placeholder="All statuses", **_COMMON
    )
    sidebar.text_input(
        "Search",
        key="f_q",
        placeholder="name, email, company, title, notes…",
        max_chars=sizes.SEARCH,
        **_COMMON,
    )


OWNER_LABELS = {OWNER_ME: "Mine", OWNER_NONE: "Unassigned"}


def _owner_widget(choices: list[str], owner_names: Mapping[str, str]) -> None:
    st.sidebar.multiselect(
        "Owners",
        choices,
        format_func=lambda value: OWNER_LABELS.get(value) or owner_names.get(value, value),
        key="f_owners",
        placeholder="All owners",
        **_COMMON,
    )


def _date_widgets() -> None:
    sidebar = st.sidebar
    for key, label in (("f_created", "Created"), ("f_activity", "Last activity")):
        sidebar.date_input(
            label,
            key=key,
            min_value=OPEN_START,
            format="YYYY-MM-DD",
            help="A range of days (UTC), both included; leave empty for any day.",
            **_COMMON,
        )


def clear_filters() -> None:
    """No filter at all (a member's "mine" included: their own may be what matched nothing)."""
    for key, default in _defaults().items():
        st.session_state[key] = [] if key == "f_owners" else default
    for param in LIST_PARAMS:
        st.session_state[param.key] = param.default


def follow_url() -> None:
    """The next page drawn takes its filters and sort from its URL again (a chart's bar, a
    campaign's row or a saved view opening the Leads page with their query parameters),
    instead of the widgets' values kept for the browser session."""
    for key in (*_defaults(), *(param.key for param in LIST_PARAMS)):
        st.session_state.pop(key, None)
