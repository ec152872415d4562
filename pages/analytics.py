"""Analytics: charts of the leads matching the same filters as the Leads page."""

import streamlit as st

from dashboard import charts, data, filters
from leads_core.scoring.rules import HIGH_QUALITY

st.title("Analytics")
version = data.version()
lead_filters = filters.lead_filters(data.campaign_names(version), data.people().names)
result = data.analytics(version, lead_filters)
scores = result.scores

total = scores.scored + scores.unscored
if total == 0:
    if version[0] == 0:
        st.info("**No leads yet.** Import a CSV or load demo data from the Home page.")
        st.page_link("pages/import_csv.py", label="Import a CSV", icon=":material/upload_file:")
    else:
        st.info("No lead matches these filters: widen them in the sidebar.")
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

left, right = st.columns(2)
left.plotly_chart(charts.score_histogram(scores), key="chart_scores")
right.plotly_chart(charts.sources(result.sources), key="chart_sources")
left, right = st.columns(2)
left.plotly_chart(charts.funnel(result.statuses), key="chart_funnel")
right.plotly_chart(charts.weekly(result.weeks), key="chart_weeks")
left, right = st.columns(2)
left.plotly_chart(charts.campaigns(result.campaigns), key="chart_campaigns")
right.plotly_chart(charts.owners(result.owners), key="chart_owners")
st.caption(
    "Computed in the database for the filters in the sidebar; refreshed whenever leads change."
)
