"""Campaigns: list, create, edit name and criteria, re-score, delete."""

import streamlit as st

from dashboard import auth, data, feedback, writes
from leads_core import sizes
from leads_core.access import Action
from leads_core.errors import LeadsError, validated
from leads_core.fields import REQUIRABLE
from leads_core.schemas import CampaignCreate, CampaignUpdate
from leads_core.scoring.rules import HIGH_QUALITY, SOURCE_RELIABILITY

state = st.session_state
writer = auth.can(Action.WRITE)  # a viewer: the table only


def criteria_inputs(prefix: str, criteria: dict) -> None:
    st.multiselect(
        "Target positions / titles",
        criteria.get("targetPositions", []),
        default=criteria.get("targetPositions", []),
        accept_new_options=True,
        key=f"{prefix}_positions",
        help="Type a title and press Enter. A lead whose position contains one of them "
        "earns the position points (case and accents ignored).",
    )
    sources = sorted({*SOURCE_RELIABILITY, *criteria.get("targetSources", [])})
    st.multiselect(
        "Target sources",
        sources,
        default=criteria.get("targetSources", []),
        accept_new_options=True,
        key=f"{prefix}_sources",
    )
    st.multiselect(
        "Required fields",
        list(REQUIRABLE),
        default=criteria.get("requiredFields", []),
        key=f"{prefix}_required",
    )


def criteria_values(prefix: str) -> dict:
    return {
        "targetPositions": [p.strip() for p in state[f"{prefix}_positions"] if p.strip()],
        "targetSources": [s.strip().lower() for s in state[f"{prefix}_sources"] if s.strip()],
        "requiredFields": list(state[f"{prefix}_required"]),
    }


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
    feedback.flash("success", f"Created the campaign {campaign.name}.")


def save(campaign_id: str, prefix: str) -> None:
    try:
        changes = validated(
            CampaignUpdate, {"name": state[f"{prefix}_name"], "criteria": criteria_values(prefix)}
        )
        writes.update_campaign(campaign_id, changes)
    except LeadsError as exc:
        feedback.flash_error("Could not save the campaign", exc)
        return
    data.clear()
    feedback.flash(
        "success", "Saved. Re-score the campaign's leads to apply changed criteria to them."
    )


def delete(campaign_id: str) -> None:
    try:
        writes.delete_campaign(campaign_id)
    except LeadsError as exc:
        feedback.flash_error("Could not delete the campaign", exc)
        return
    data.clear()
    state.pop("edit_campaign", None)
    feedback.flash("success", "Deleted the campaign and its leads.")


st.title("Campaigns")
feedback.show_flashed()
version = data.version()
names = data.campaign_names(version)
overview = data.campaign_overview(version)

if names:
    st.dataframe(
        [
            {
                "Campaign": row.name,
                "Leads": row.leads,
                "Average score": None if row.average_score is None else round(row.average_score, 1),
                f"Score {HIGH_QUALITY}+": row.high_quality,
                "Id": row.campaign_id,
            }
            for row in (overview[cid] for cid in names if cid in overview)
        ],
        hide_index=True,
        key="campaign_table",
    )
else:
    st.info("**No campaign yet.** Create one below, or import a CSV into a new campaign.")

if not writer:
    st.stop()
with st.expander("New campaign", expanded=not names), st.form("new_campaign", clear_on_submit=True):
    st.text_input("Name", key="new_name", max_chars=sizes.CAMPAIGN_NAME)
    criteria_inputs("new", {})
    st.form_submit_button("Create campaign", type="primary", on_click=create)

if names:
    st.subheader("Edit a campaign")
    if state.get("edit_campaign") not in names:
        state["edit_campaign"] = next(iter(names))
    campaign_id = st.selectbox(
        "Campaign", list(names), format_func=names.__getitem__, key="edit_campaign"
    )
    campaign = data.campaign(campaign_id)
    criteria = campaign.criteria.model_dump(by_alias=True)
    prefix = f"edit_{campaign.id}_{campaign.updated_at.timestamp()}"
    with st.form(f"form_{prefix}"):
        st.text_input(
            "Name", value=campaign.name, key=f"{prefix}_name", max_chars=sizes.CAMPAIGN_NAME
        )
        criteria_inputs(prefix, criteria)
        st.form_submit_button(
            "Save campaign", type="primary", on_click=save, args=(campaign.id, prefix)
        )
    leads_in_campaign = overview[campaign.id].leads
    rescore_col, delete_col = st.columns(2)
    if rescore_col.button(
        f"Re-score its {leads_in_campaign:,} leads",
        disabled=leads_in_campaign == 0,
        key="rescore",
        help="Score every lead of the campaign again against its current criteria.",
    ):
        bar = st.progress(0.0, text="Re-scoring…")
        changed = writes.rescore_campaign(
            campaign.id,
            progress=lambda done, total: bar.progress(
                done / total if total else 1.0, text=f"Re-scored {done:,} of {total:,}"
            ),
        )
        bar.progress(1.0, text="Done")
        data.clear()
        st.success(f"Re-scored the campaign: {changed:,} score(s) changed.")
    if not auth.can(Action.DELETE_CAMPAIGN):
        delete_col.caption("Only admins delete campaigns.")
        st.stop()
    with delete_col, st.popover("Delete this campaign…"):
        st.warning(
            f"Delete {campaign.name} and its {leads_in_campaign:,} leads? This cannot be undone."
        )
        st.button(
            "Yes, delete it", type="primary", on_click=delete, args=(campaign.id,), key="delete"
        )
