"""Which leads a list, a chart or an export is about: :class:`LeadFilters`, read from and
written to query parameters with the API's names and syntax (the contract's "More of the
API"), so ``GET /v1/leads?status=new,contacted`` and the dashboard's
``/leads?status=new,contacted`` mean the same leads.

- ``campaignId``, ``source``, ``status``, ``ownerId``: one value or several,
  comma-separated (at most :data:`MAX_VALUES`); ``ownerId`` takes ``me``, ``none``
  (unassigned) and user ids;
- ``minScore``, ``maxScore``: 0-100, inclusive;
- ``createdFrom`` / ``createdTo`` and ``lastActivityFrom`` / ``lastActivityTo``: ISO dates
  (``2026-01-31``), inclusive, whole UTC days;
- ``q``: words, each found in the name, email, company, position, notes or attributes.

:func:`filters_from_params` reads them (422 naming the parameter for a bad value);
:func:`params_of` writes them back: ``filters_from_params(params_of(f), me=m) == f``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from leads_core.errors import ValidationFailed
from leads_core.fields import BY_NAME, LEAD_STATUSES

MAX_VALUES = 50
"""Values one multi-value parameter takes (``status=new,contacted,...``)."""
MAX_OWNER_VALUES = MAX_VALUES
MAX_SOURCE = BY_NAME["source"].max_length
OWNER_ME = "me"
OWNER_NONE = "none"


@dataclass(frozen=True)
class LeadFilters:
    campaign_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # lower-case, as stored
    statuses: tuple[str, ...] = ()
    min_score: int | None = None
    max_score: int | None = None
    q: str | None = None
    # None: whoever owns the lead. Otherwise the leads owned by one of these user ids, None
    # in it meaning unassigned; an empty tuple matches nothing (``me`` for the system
    # account, which owns no lead). See :func:`parse_owners`.
    owners: tuple[str | None, ...] | None = None
    created_from: date | None = None  # inclusive UTC days
    created_to: date | None = None
    activity_from: date | None = None  # on ``lead.last_activity_at``
    activity_to: date | None = None


LIST_PARAMS = {"campaign_ids": "campaignId", "sources": "source", "statuses": "status"}
SCORE_PARAMS = {"min_score": "minScore", "max_score": "maxScore"}
DATE_PARAMS = {
    "created_from": "createdFrom",
    "created_to": "createdTo",
    "activity_from": "lastActivityFrom",
    "activity_to": "lastActivityTo",
}
PARAMS = (*LIST_PARAMS.values(), *SCORE_PARAMS.values(), "q", "ownerId", *DATE_PARAMS.values())
"""Every query parameter :func:`filters_from_params` reads."""
RANGES = (("created_from", "created_to"), ("activity_from", "activity_to"))


def filters_from_params(params: Mapping[str, str], *, me: str | None) -> LeadFilters:
    """The filters the query parameters describe (others, such as ``sort``, are ignored).
    ``me`` is the user ``ownerId=me`` stands for (None: the system account, owning no
    lead). ``ValidationFailed`` (422) naming the parameter for a value it cannot take."""
    statuses = split_values(params.get("status"), "status")
    for status in statuses:
        if status not in LEAD_STATUSES:
            raise _bad("status", f"unknown status {status[:40]!r}; use {', '.join(LEAD_STATUSES)}")
    sources = split_values(params.get("source"), "source")
    if long := [source for source in sources if len(source) > MAX_SOURCE]:
        raise _bad("source", f"{long[0][:40]!r}... is longer than {MAX_SOURCE} characters")
    filters = LeadFilters(
        campaign_ids=split_values(params.get("campaignId"), "campaignId"),
        sources=tuple(dict.fromkeys(source.lower() for source in sources)),
        statuses=statuses,
        min_score=_score(params.get("minScore"), "minScore"),
        max_score=_score(params.get("maxScore"), "maxScore"),
        q=(params.get("q") or "").strip() or None,
        owners=parse_owners(params.get("ownerId"), me=me),
        **{name: _date(params.get(param), param) for name, param in DATE_PARAMS.items()},
    )
    check_ranges(filters)
    return filters


def params_of(filters: LeadFilters, *, me: str | None = None) -> dict[str, str]:
    """The query parameters of ``filters`` (those set only), as :func:`filters_from_params`
    reads them; the user ``me`` is written ``me``."""
    params: dict[str, str] = {}
    for name, param in LIST_PARAMS.items():
        if values := getattr(filters, name):
            params[param] = ",".join(values)
    for name, param in SCORE_PARAMS.items():
        if (score := getattr(filters, name)) is not None:
            params[param] = str(score)
    if filters.q:
        params["q"] = filters.q
    if filters.owners is not None:
        params["ownerId"] = ",".join(_owner_param(owner, me) for owner in filters.owners) or (
            OWNER_ME  # () : what "me" means for the system account
        )
    for name, param in DATE_PARAMS.items():
        if (day := getattr(filters, name)) is not None:
            params[param] = day.isoformat()
    return params


def _owner_param(owner: str | None, me: str | None) -> str:
    if owner is None:
        return OWNER_NONE
    return OWNER_ME if owner == me else owner


def split_values(raw: str | None, param: str) -> tuple[str, ...]:
    """``a, b,,a`` -> ``("a", "b")``; 422 beyond :data:`MAX_VALUES` values."""
    values = tuple(dict.fromkeys(v.strip() for v in (raw or "").split(",") if v.strip()))
    if len(values) > MAX_VALUES:
        raise _bad(param, f"at most {MAX_VALUES} values, not {len(values)}")
    return values


def _score(raw: str | None, param: str) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 100:
        raise _bad(param, f"{text[:20]!r} is not a score from 0 to 100")
    return int(text)


def _date(raw: str | None, param: str) -> date | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise _bad(param, f"{text[:30]!r} is not a date such as 2026-01-31") from None


def check_ranges(filters: LeadFilters) -> None:
    """422 for a date range that ends before it starts."""
    for start, end in RANGES:
        low, high = getattr(filters, start), getattr(filters, end)
        if low is not None and high is not None and low > high:
            raise _bad(DATE_PARAMS[start], f"{low} is after {DATE_PARAMS[end]} {high}")


def parse_owners(raw: str | None, *, me: str | None) -> tuple[str | None, ...] | None:
    """``ownerId`` as the API and the dashboard's URL write it: ``me`` (the user ``me``;
    None for the system account, which owns no lead: then nothing matches), ``none``
    (unassigned) or a user id ``usr_...``; values separated by commas. None when blank."""
    values = split_values(raw, "ownerId")
    if not values:
        return None
    owners: list[str | None] = []
    for value in values:
        if value.lower() == OWNER_ME:
            owners.extend([me] if me else [])
        elif value.lower() == OWNER_NONE:
            owners.append(None)
        elif value.startswith("usr_") and len(value) <= 64:
            owners.append(value)
        else:
            raise ValidationFailed(
                f"ownerId: {value[:70]!r} is not me, none or a user id; use me, none or a "
                "user id (usr_...)",
                details=[{"field": "ownerId", "location": "query", "message": "unknown value"}],
            )
    return tuple(dict.fromkeys(owners))


def _bad(param: str, problem: str) -> ValidationFailed:
    return ValidationFailed(
        f"{param}: {problem}",
        details=[{"field": param, "location": "query", "message": problem}],
    )
