"""Home: what is in the workspace, the last imports, where to go next."""

import streamlit as st

from dashboard import actions, auth, data, feedback, follow_ups
from dashboard.safe import EMPTY
from leads_core.access import Action
from leads_core.scoring.rules import HIGH_QUALITY

st.title("Leads workspace")
feedback.show_flashed()
counts = data.workspace(data.version())

if counts.leads == 0:
    st.info(
        "**No leads yet.** Import a CSV file, send leads to the REST API, "
        "or load demo data to look around."
    )
    left, right, _ = st.columns([1, 1, 2])
    if auth.can(Action.WRITE):
        left.page_link("pages/import_csv.py", label="Import a CSV", icon=":material/upload_file:")
    with right:
        actions.demo_button("home_demo")

leads_col, campaigns_col, high_col, share_col = st.columns(4)
leads_col.metric("Leads", f"{counts.leads:,}")
campaigns_col.metric("Campaigns", f"{counts.campaigns:,}")
high_col.metric(f"Score {HIGH_QUALITY}+", f"{counts.high_quality:,}")
share = counts.high_share
share_col.metric(
    "High-quality share",
    EMPTY if share is None else f"{share:.1%}",
    help=f"Scored leads at or above {HIGH_QUALITY}, the recommended threshold.",
)

follow_ups.due_soon(auth.current_principal().user_id)

st.subheader("Last imports")
imports = data.imports_page(limit=5).imports
if imports:
    st.dataframe(
        [
            {
                "When": row.batch.created_at,
                "Campaign": row.campaign_name,
                "From": row.batch.filename or row.batch.origin,
                "Imported": row.batch.imported,
                "Updated": row.batch.updated,
                "Skipped": row.batch.skipped,
                "Errors": row.batch.errors,
            }
            for row in imports
        ],
        hide_index=True,
        column_config={
            "When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            **{
                name: st.column_config.NumberColumn(format="localized")  # 12,345
                for name in ("Imported", "Updated", "Skipped", "Errors")
            },
        },
        placeholder=EMPTY,
        key="home_imports",
    )
else:
    st.caption("Nothing imported yet.")

st.subheader("Go to")
GO_TO = [  # (page, label, icon, what it needs)
    ("pages/leads.py", "Leads", ":material/table_rows:", Action.READ),
    ("pages/import_csv.py", "Import", ":material/upload_file:", Action.WRITE),
    ("pages/analytics.py", "Analytics", ":material/bar_chart:", Action.READ),
    ("pages/campaigns.py", "Campaigns", ":material/campaign:", Action.READ),
    ("pages/api_keys.py", "API keys", ":material/key:", Action.OWN_KEYS),
]
shown = [link for link in GO_TO if auth.can(link[3])]
for column, (path, label, icon, _needs) in zip(st.columns(len(GO_TO)), shown, strict=False):
    column.page_link(path, label=label, icon=icon)
st.caption("The REST API lives under [/v1](/v1/docs) on this same server.")
