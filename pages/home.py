"""Home: what is in the workspace."""

import streamlit as st

from leads_core.db import session_scope
from leads_core.stats import workspace_counts

st.title("Leads workspace")
with session_scope() as session:
    counts = workspace_counts(session)
left, right = st.columns(2)
left.metric("Leads", f"{counts.leads:,}")
right.metric("Campaigns", f"{counts.campaigns:,}")
if counts.leads == 0:
    st.info(
        "No leads yet. Import a CSV with `python -m leads_core import-csv FILE --campaign ID`, "
        "send them to the API (`POST /v1/leads`), or load demo data with "
        "`python -m leads_core seed-demo --leads 500`."
    )
st.markdown("The REST API lives under [/v1](/v1/docs) on this same server.")
