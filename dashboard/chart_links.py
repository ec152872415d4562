"""Which leads a point of an Analytics chart means, as the Leads page's query parameters.

A click on a chart (``st.plotly_chart(..., on_select="rerun")``) reports the point's trace
(``curve_number``) and index (``point_index``) in the data the figure was drawn from; these
pure functions turn that index back into filters (the API's names, as in the contract:
``minScore``/``maxScore``, ``source``, ``status``, ``createdFrom``/``createdTo``,
``ownerId``, ``campaignId``) laid over the page's current ones, the list's page left out.
The labels drawn on the chart are escaped for Plotly: the rows, not the labels, say what
was clicked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from leads_core.scoring.rules import HIGH_QUALITY
from leads_core.services.queries import OWNER_NONE
from leads_core.services.stats import (
    FUNNEL,
    NO_SOURCE,
    CampaignRow,
    OwnerRow,
    ScoreSummary,
    SourceRow,
)

Params = dict[str, str]
KEPT_OUT = ("page",)  # a new filter starts at the list's first page


def _over(current: Mapping[str, str], **chosen: str) -> Params:
    params = {k: v for k, v in current.items() if k not in KEPT_OUT and k not in chosen}
    return {**params, **chosen}


def _index(point: Mapping[str, Any], size: int) -> int | None:
    index = point.get("point_index", point.get("point_number"))
    if isinstance(index, int) and 0 <= index < size:
        return index
    return None


def score_bucket(
    summary: ScoreSummary, point: Mapping[str, Any], current: Mapping[str, str]
) -> Params | None:
    """A histogram bar: its score range (``minScore``-``maxScore``, both inclusive)."""
    starts = list(range(0, 101, summary.width))
    index = _index(point, len(starts))
    if index is None:
        return None
    start = starts[index]
    return _over(current, minScore=str(start), maxScore=str(min(start + summary.width - 1, 100)))


def source(
    rows: Sequence[SourceRow], point: Mapping[str, Any], current: Mapping[str, str]
) -> Params | None:
    """A source's bar or average point: that source (leads without one: no link)."""
    index = _index(point, len(rows))
    if index is None or rows[index].source == NO_SOURCE:
        return None
    return _over(current, source=rows[index].source)


def funnel_stage(point: Mapping[str, Any], current: Mapping[str, str]) -> Params | None:
    """A pipeline stage: the leads that reached it, i.e. in it or in a later stage (the
    count the funnel shows)."""
    index = _index(point, len(FUNNEL))
    if index is None:
        return None
    return _over(current, status=",".join(FUNNEL[index:]))


def week(
    weeks: Sequence[tuple[date, int]], point: Mapping[str, Any], current: Mapping[str, str]
) -> Params | None:
    """A week's bar: the leads created from its Monday to its Sunday (UTC days)."""
    index = _index(point, len(weeks))
    if index is None:
        return None
    monday = weeks[index][0]
    sunday = monday + timedelta(days=6)
    return _over(current, createdFrom=monday.isoformat(), createdTo=sunday.isoformat())


def campaign(
    rows: Sequence[CampaignRow], point: Mapping[str, Any], current: Mapping[str, str]
) -> Params | None:
    """A campaign's bar: its leads; its green part (curve 1) its leads at the recommended
    score or above."""
    index = _index(point, len(rows))
    if index is None:
        return None
    chosen = {"campaignId": rows[index].campaign_id}
    if point.get("curve_number") == 1:
        chosen["minScore"] = str(HIGH_QUALITY)
    return _over(current, **chosen)


def owner(
    rows: Sequence[OwnerRow], point: Mapping[str, Any], current: Mapping[str, str]
) -> Params | None:
    """An owner's bar or average point: their leads (the unassigned ones: ``none``)."""
    index = _index(point, len(rows))
    if index is None:
        return None
    return _over(current, ownerId=rows[index].owner_id or OWNER_NONE)


def created_range(params: Mapping[str, str]) -> str:
    """The sidebar's created-date range (``createdFrom``/``createdTo`` in the URL) in words."""
    start, end = params.get("createdFrom") or None, params.get("createdTo") or None
    if start and end:
        return f"leads created from {start} to {end}"
    if start:
        return f"leads created on or after {start}"
    if end:
        return f"leads created on or before {end}"
    return "leads created at any time"
