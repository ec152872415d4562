"""Analytics: charts of the leads matching the same filters as the Leads page; a click on a
bar, a source, a stage, a week, a campaign or an owner opens those leads."""

from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from dashboard import chart_links, charts, data, filters, links
from dashboard.safe import md
from leads_core.scoring.rules import HIGH_QUALITY

st.title("Analytics")
version = data.version()
lead_filters = filters.lead_filters(data.campaign_names(version), data.people().names)
result = data.analytics(version, lead_filters)
scores = result.scores
current = st.query_params.to_dict()
period = chart_links.created_range(current)

total = scores.scored + scores.unscored
if total == 0:
    if version[0] == 0:
        st.info("**No leads yet.** Import a CSV or load demo data from the Home page.")
        st.page_link("pages/import_csv.py", label="Import a CSV", icon=":material/upload_file:")
    else:
        st.info(f"No lead matches these filters ({md(period)}): widen them in the sidebar.")
    st.stop()

leads_col, average_col, high_col, share_col = st.columns(4)
leads_col.metric("Leads", f"{total:,}")
average_col.metric("Average score", "-" if scores.average is None else f"{scores.average:.1f}")
high_col.metric(f"Score {HIGH_QUALITY}+", f"{scores.high_quality:,}")
share_col.metric(
    f"Share at {HIGH_QUALITY}+",
    "-" if scores.high_share is None else f"{scores.high_share:.1%}",
    help=f"Of the scored leads; {scores.unscored:,} lead(s) are not scored.",
)
st.caption(
    f"Charts of the {md(period)}, for the filters in the sidebar. "
    "Click a bar, a source, a stage, a week, a campaign or an owner to open those leads."
)

Link = Callable[[Mapping[str, Any]], dict[str, str] | None]


def chart(column: Any, figure: go.Figure, key: str, link: Link) -> None:
    """Draw the chart; a clicked point opens the Leads page filtered to its leads."""
    event = column.plotly_chart(figure, key=key, on_select="rerun", selection_mode=("points",))
    points = event.selection.points if event else []
    params = link(points[0]) if points else None
    if params is not None:
        links.open_leads(params)


left, right = st.columns(2)
chart(
    left,
    charts.score_histogram(scores),
    "chart_scores",
    lambda p: chart_links.score_bucket(scores, p, current),
)
chart(
    right,
    charts.sources(result.sources),
    "chart_sources",
    lambda p: chart_links.source(result.sources, p, current),
)
left, right = st.columns(2)
chart(
    left,
    charts.funnel(result.statuses),
    "chart_funnel",
    lambda p: chart_links.funnel_stage(p, current),
)
chart(
    right,
    charts.weekly(result.weeks),
    "chart_weeks",
    lambda p: chart_links.week(result.weeks, p, current),
)
left, right = st.columns(2)
chart(
    left,
    charts.campaigns(result.campaigns),
    "chart_campaigns",
    lambda p: chart_links.campaign(result.campaigns, p, current),
)
chart(
    right,
    charts.owners(result.owners),
    "chart_owners",
    lambda p: chart_links.owner(result.owners, p, current),
)
st.caption(
    "Computed in the database for the filters in the sidebar; refreshed whenever leads change."
)
