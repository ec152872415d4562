"""Campaigns: list (a row opens its leads), create, edit name and criteria (the matching
leads counted, then re-scored), re-score, delete."""

import streamlit as st

from dashboard import auth, data, feedback, links, writes
from dashboard.campaign_form import criteria_inputs, criteria_values, match_summary
from dashboard.safe import md
from leads_core import sizes
from leads_core.access import Action
from leads_core.errors import LeadsError, validated
from leads_core.schemas import CampaignCreate, CampaignPublic, CampaignUpdate
from leads_core.scoring.criteria import CampaignCriteria
from leads_core.scoring.rules import HIGH_QUALITY

state = st.session_state
writer = auth.can(Action.WRITE)  # a viewer: the table only


def create() -> None:
    try:
        body = validated(
            CampaignCreate, {"name": state.new_name, "criteria": criteria_values("new")}
        )
        campaign = writes.create_campaign(body)
    except LeadsError as exc:
        feedback.flash_error("Could not create the campaign", exc)
        return
    data.clear()
    state["edit_campaign"] = campaign.id
    feedback.flash("success", f"Created the campaign {md(campaign.name)}.")


def delete(campaign_id: str, name: str) -> None:
    try:
        writes.delete_campaign(campaign_id)
    except LeadsError as exc:
        feedback.flash_error("Could not delete the campaign", exc)
        return
    data.clear()
    state.pop("edit_campaign", None)
    feedback.flash("success", f"Deleted the campaign {md(name)} and its leads.")


def rescore(campaign: CampaignPublic, leads_count: int) -> None:
    """Re-score the campaign's leads with a progress bar, then draw the page again: the
    table shows the new average at once."""
    bar = st.progress(0.0, text=f"Re-scoring {leads_count:,} leads…")
    changed = writes.rescore_campaign(
        campaign.id,
        progress=lambda done, total: bar.progress(
            done / total if total else 1.0, text=f"Re-scored {done:,} of {total:,}"
        ),
    )
    data.clear()
    feedback.flash("success", f"Re-scored {md(campaign.name)}: {changed:,} score(s) changed.")
    st.rerun()


def save(campaign: CampaignPublic, prefix: str, leads_count: int) -> None:
    """Save the name and criteria; new criteria: say how many leads meet them, re-score."""
    criteria = criteria_values(prefix)
    try:
        changes = validated(CampaignUpdate, {"name": state[f"{prefix}_name"], "criteria": criteria})
        writes.update_campaign(campaign.id, changes)
    except LeadsError as exc:
        feedback.flash_error("Could not save the campaign", exc)
        st.rerun()
    data.clear()
    if criteria == campaign.criteria.model_dump(by_alias=True):
        feedback.flash("success", f"Saved the campaign {md(changes.name or campaign.name)}.")
        st.rerun()
    matches = data.criteria_matches(campaign.id, CampaignCriteria.from_mapping(criteria))
    feedback.flash("info", md(match_summary(matches)))
    rescore(campaign, leads_count)


def open_row_leads(names: dict[str, str]) -> None:
    """A row ticked in the table: its campaign's leads on the Leads page."""
    rows = state.get("campaign_table", {}).get("selection", {}).get("rows", [])
    if rows and rows[0] < len(names):
        links.open_leads({"campaignId": list(names)[rows[0]]})


st.title("Campaigns")
feedback.show_flashed()
version = data.version()
names = data.campaign_names(version)
overview = data.campaign_overview(version)
names = {cid: name for cid, name in names.items() if cid in overview}

if names:
    st.caption("Click a row to open its leads.")
    st.dataframe(
        [
            {
                "Campaign": row.name,
                "Leads": row.leads,
                "Average score": None if row.average_score is None else round(row.average_score, 1),
                f"Score {HIGH_QUALITY}+": row.high_quality,
                "Id": row.campaign_id,
            }
            for row in (overview[cid] for cid in names)
        ],
        hide_index=True,
        column_config={  # thousands separators
            "Leads": st.column_config.NumberColumn(format="localized"),
            f"Score {HIGH_QUALITY}+": st.column_config.NumberColumn(format="localized"),
            "Average score": st.column_config.NumberColumn(format="%.1f"),
        },
        key="campaign_table",
        on_select="rerun",
        selection_mode="single-row",
    )
    open_row_leads(names)
else:
    st.info("**No campaign yet.** Create one below, or import a CSV into a new campaign.")

if not writer:
    st.stop()
with st.expander("New campaign", expanded=not names), st.form("new_campaign", clear_on_submit=True):
    st.text_input("Name", key="new_name", max_chars=sizes.CAMPAIGN_NAME)
    criteria_inputs("new", {})
    st.form_submit_button("Create campaign", type="primary", on_click=create)

if not names:
    st.stop()
st.subheader("Edit a campaign")
if state.get("edit_campaign") not in names:
    state["edit_campaign"] = next(iter(names))
campaign_id = st.selectbox(
    "Campaign", list(names), format_func=names.__getitem__, key="edit_campaign"
)
campaign = data.campaign(campaign_id)
leads_in_campaign = overview[campaign.id].leads
prefix = f"edit_{campaign.id}_{campaign.updated_at.timestamp()}"
with st.form(f"form_{prefix}"):
    st.text_input("Name", value=campaign.name, key=f"{prefix}_name", max_chars=sizes.CAMPAIGN_NAME)
    criteria_inputs(prefix, campaign.criteria.model_dump(by_alias=True))
    saved = st.form_submit_button(
        "Save campaign",
        type="primary",
        help="Changed criteria: shows how many leads match them and re-scores the leads.",
    )
if saved:
    save(campaign, prefix, leads_in_campaign)
rescore_col, delete_col = st.columns(2)
if rescore_col.button(
    f"Re-score its {leads_in_campaign:,} leads",
    disabled=leads_in_campaign == 0,
    key="rescore",
    help="Score every lead of the campaign again against its current criteria.",
):
    rescore(campaign, leads_in_campaign)
if not auth.can(Action.DELETE_CAMPAIGN):
    delete_col.caption("Only admins delete campaigns.")
    st.stop()
with delete_col, st.popover("Delete this campaign…"):
    st.warning(
        f"Delete **{md(campaign.name)}** and its {leads_in_campaign:,} leads? "
        "This cannot be undone."
    )
    st.button(
        "Yes, delete it",
        type="primary",
        on_click=delete,
        args=(campaign.id, campaign.name),
        key="delete",
    )
