"""Plotly figures for the Analytics and Lead pages, drawn from aggregates that
``leads_core.services.stats`` computed in SQL (a few dozen numbers, never the leads themselves).

Every label from the data (sources, campaign and owner names) goes through
:func:`dashboard.safe.plot`: Plotly renders HTML in axis labels and hovers. A click on a
chart is read back by index in :mod:`dashboard.chart_links`, never from these labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import plotly.graph_objects as go

from dashboard.safe import plot
from leads_core.scoring.rules import COMPONENTS, HIGH_QUALITY
from leads_core.services.stats import (
    CampaignRow,
    OwnerRow,
    ScoreSummary,
    SourceRow,
    funnel_reached,
)

GOOD = "#2e9e5b"
BELOW = "#9aa5b1"
ACCENT = "#4361ee"
MUTED = "#d9dee5"
WEEK_MS = 7 * 24 * 3600 * 1000
_LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 340}


def _layout(figure: go.Figure, title: str, **extra: object) -> go.Figure:
    figure.update_layout(title={"text": title, "font": {"size": 15}}, **{**_LAYOUT, **extra})
    return figure


def score_histogram(summary: ScoreSummary) -> go.Figure:
    starts = list(range(0, 101, summary.width))
    counts = [summary.buckets.get(start, 0) for start in starts]
    colors = [GOOD if start >= HIGH_QUALITY else BELOW for start in starts]
    labels = [f"{s}-{min(s + summary.width - 1, 100)}" if s < 100 else "100" for s in starts]
    figure = go.Figure(
        go.Bar(
            x=starts,
            y=counts,
            width=[summary.width * 0.9] * len(starts),
            offset=0,
            marker_color=colors,
            customdata=labels,
            hovertemplate="score %{customdata}: %{y:,} leads<extra></extra>",
        )
    )
    figure.add_vline(
        x=HIGH_QUALITY,
        line_dash="dash",
        line_color=GOOD,
        annotation_text=f"{HIGH_QUALITY} threshold",
        annotation_position="top left",
    )
    share = summary.high_share
    title = "Score distribution"
    if share is not None:
        title += f" - {share:.0%} at {HIGH_QUALITY}+"
    return _layout(
        figure,
        title,
        xaxis={"title": "quality score", "range": [0, 101 + summary.width]},
        yaxis={"title": "leads"},
        bargap=0.05,
    )


def sources(rows: Sequence[SourceRow]) -> go.Figure:
    names = [plot(r.source) for r in rows]
    figure = go.Figure(
        go.Bar(
            x=names,
            y=[r.leads for r in rows],
            name="leads",
            marker_color=ACCENT,
            hovertemplate="%{x}: %{y:,} leads<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=names,
            y=[r.average_score for r in rows],
            name="average score",
            mode="markers+lines",
            yaxis="y2",
            marker_color=GOOD,
            hovertemplate="%{x}: average score %{y:.1f}<extra></extra>",
        )
    )
    return _layout(
        figure,
        "Leads by source",
        yaxis={"title": "leads"},
        yaxis2={"title": "average score", "overlaying": "y", "side": "right", "range": [0, 100]},
        legend={"orientation": "h", "y": -0.2},
    )


def funnel(statuses: Mapping[str, int]) -> go.Figure:
    stages = funnel_reached(dict(statuses))
    figure = go.Figure(
        go.Funnel(
            y=[stage for stage, _ in stages],
            x=[reached for _, reached in stages],
            customdata=[statuses.get(stage, 0) for stage, _ in stages],
            textinfo="value+percent initial",
            hovertemplate="%{x:,} reached %{y} (%{customdata:,} there now)<extra></extra>",
            marker_color=ACCENT,
        )
    )
    rejected = statuses.get("rejected", 0)
    return _layout(
        figure, f"Pipeline: leads that reached each stage (rejected aside: {rejected:,})"
    )


def weekly(weeks: Sequence[tuple[date, int]]) -> go.Figure:
    figure = go.Figure(
        go.Bar(
            x=[w for w, _ in weeks],
            y=[n for _, n in weeks],
            width=[WEEK_MS * 0.8] * len(weeks),
            offset=0,
            marker_color=ACCENT,
            hovertemplate="week of %{x|%Y-%m-%d}: %{y:,} leads<extra></extra>",
        )
    )
    span = {}
    if weeks:  # at least a month wide, so one week is a bar, not the whole axis
        first, last = weeks[0][0], weeks[-1][0] + timedelta(weeks=1)
        span = {"range": [min(first, last - timedelta(weeks=4)), last]}
    return _layout(
        figure,
        "New leads per week",
        yaxis={"title": "leads"},
        xaxis={"type": "date", "tickformat": "%b %d\n%Y", **span},
    )


def campaigns(rows: Sequence[CampaignRow]) -> go.Figure:
    names = [plot(r.name) for r in rows]
    figure = go.Figure(
        [
            go.Bar(
                y=names,
                x=[r.leads - r.high_quality for r in rows],
                name=f"below {HIGH_QUALITY}",
                orientation="h",
                marker_color=BELOW,
            ),
            go.Bar(
                y=names,
                x=[r.high_quality for r in rows],
                name=f"{HIGH_QUALITY}+",
                orientation="h",
                marker_color=GOOD,
            ),
        ]
    )
    return _layout(
        figure,
        "Campaigns compared",
        barmode="stack",
        yaxis={"autorange": "reversed"},
        xaxis={"title": "leads"},
        legend={"orientation": "h", "y": -0.2},
        height=max(260, 60 + 28 * len(rows)),
    )


UNASSIGNED = "Unassigned"


def owner_labels(rows: Sequence[OwnerRow]) -> list[str]:
    """Each owner's name; the unassigned leads' bar is "Unassigned"."""
    return [UNASSIGNED if r.owner_id is None else (r.name or r.owner_id) for r in rows]


def owners(rows: Sequence[OwnerRow]) -> go.Figure:
    """Leads per owner (unassigned ones in grey, as a bar of their own) and their average
    score, on the same axes as the source chart."""
    names = [plot(label) for label in owner_labels(rows)]
    figure = go.Figure(
        go.Bar(
            x=names,
            y=[r.leads for r in rows],
            name="leads",
            marker_color=[MUTED if r.owner_id is None else ACCENT for r in rows],
            hovertemplate="%{x}: %{y:,} leads<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=names,
            y=[r.average_score for r in rows],
            name="average score",
            mode="markers",
            yaxis="y2",
            marker={"color": GOOD, "size": 10},
            hovertemplate="%{x}: average score %{y:.1f}<extra></extra>",
        )
    )
    return _layout(
        figure,
        "Leads by owner",
        yaxis={"title": "leads"},
        yaxis2={"title": "average score", "overlaying": "y", "side": "right", "range": [0, 100]},
        legend={"orientation": "h", "y": -0.2},
    )


def score_breakdown(points: Mapping[str, int]) -> go.Figure:
    """One bar per score component: points earned against the component's maximum."""
    labels = [c.label for c in COMPONENTS]
    earned = [points.get(c.key, 0) for c in COMPONENTS]
    figure = go.Figure(
        [
            go.Bar(
                y=labels,
                x=[c.max_points for c in COMPONENTS],
                orientation="h",
                marker_color=MUTED,
                name="maximum",
                hoverinfo="skip",
            ),
            go.Bar(
                y=labels,
                x=earned,
                orientation="h",
                marker_color=ACCENT,
                name="points",
                text=[f"{e}/{c.max_points}" for e, c in zip(earned, COMPONENTS, strict=True)],
                textposition="outside",
                hovertemplate="%{y}: %{x} points<extra></extra>",
            ),
        ]
    )
    return _layout(
        figure,
        "Score breakdown",
        barmode="overlay",
        showlegend=False,
        yaxis={"autorange": "reversed"},
        xaxis={"range": [0, 36]},
        height=260,
    )
