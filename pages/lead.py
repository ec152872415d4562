"""One lead (``/lead?id=lead_…``): every field editable, the score explained, enrichment
facts, the history, delete."""

import streamlit as st

from dashboard import auth, charts, data, feedback, follow_ups, lead_list, lead_view, writes
from dashboard.safe import EMPTY, md
from leads_core.access import Action
from leads_core.errors import LeadsError, NotFound, PreconditionFailed, validated
from leads_core.fields import LEAD_STATUSES
from leads_core.schemas import LeadUpdate
from leads_core.scoring.rules import HIGH_QUALITY

lead_id = st.query_params.get("id", "")
read_only = not auth.can(Action.WRITE)  # a viewer: the fields shown, nothing to change


def save(lead_id: str, keys: dict[str, str], before: dict[str, object], version: int) -> None:
    """Form callback: send only the fields that changed, if nobody else changed the lead
    since the form was drawn (at ``version``)."""
    changed = {
        name: st.session_state[key]
        for name, key in keys.items()
        if (st.session_state[key] or None) != before[name]
    }
    if not changed:
        feedback.flash("warning", "Nothing changed.")
        return
    try:
        writes.update_lead(lead_id, validated(LeadUpdate, changed), expected_version=version)
    except PreconditionFailed:
        feedback.flash_stale("this lead", changed)
        data.clear()
        return
    except LeadsError as exc:
        feedback.flash_error("Could not save the lead", exc)
        return
    data.clear()
    words = (lead_view.FIELD_WORDS.get(n, n.replace("_", " ")) for n in changed)
    feedback.flash("success", "Saved: " + ", ".join(words))


def add_note(lead_id: str) -> None:
    text = st.session_state.get("new_note", "").strip()
    if not text:
        feedback.flash("warning", "Write the note first.")
        return
    try:
        writes.add_note(lead_id, text)
    except LeadsError as exc:
        feedback.flash_error("Could not add the note", exc)
        return
    st.session_state["new_note"] = ""
    feedback.flash("success", "Note added.")


def delete(lead_id: str, version: int) -> None:
    try:
        writes.delete_lead(lead_id, expected_version=version)
    except PreconditionFailed:
        feedback.flash(
            "error",
            "Someone else changed this lead after you opened it, so it was not deleted. "
            "Look at it again, and delete it if you still want to.",
        )
        return
    data.clear()
    st.session_state["lead_deleted"] = True
    feedback.flash("success", f"Deleted the lead {md(lead_id)}.")


feedback.show_flashed()
if not lead_id:
    st.title("Lead")
    st.info("Open a lead from the Leads page (the Open link, or select one row).")
    st.page_link("pages/leads.py", label="Go to the leads", icon=":material/table_rows:")
    st.stop()
try:
    record = data.lead_record(lead_id)
except NotFound:
    st.title("Lead")
    st.error(f"There is no lead '{md(lead_id)}': it may have been deleted. Check the link.")
    st.page_link("pages/leads.py", label="Go to the leads", icon=":material/table_rows:")
    st.stop()

lead = record.lead
people = data.people()
st.title(md(lead_view.display_name(lead)))
lead_list.draw_neighbours(lead.id, st.query_params.to_dict(), me=auth.current_principal().user_id)
score_col, status_col, campaign_col, created_col = st.columns(4)
score = lead.quality_score
score_col.metric(
    "Quality score",
    "not scored" if score is None else f"{score}/100",
    delta=None if score is None else ("high quality" if score >= HIGH_QUALITY else None),
)
status_col.metric("Status", md(lead.status))
campaign_col.metric("Campaign", md(record.campaign.name))
created_col.metric("Created", f"{lead.created_at:%Y-%m-%d}")

form_col, score_col = st.columns([3, 2], gap="large")
with form_col:
    st.subheader("Details")
    suffix = f"{lead.id}_{lead.updated_at.timestamp()}"  # fresh widgets when the lead changed
    keys = {field.name: f"lead_{field.name}_{suffix}" for field in lead_view.FORM_FIELDS}
    before = {name: getattr(lead, name) for name in keys}
    with st.form(f"lead_form_{suffix}"):
        for field in lead_view.FORM_FIELDS:
            key, value = keys[field.name], getattr(lead, field.name)
            if field.kind == "status":
                st.selectbox(
                    field.label,
                    LEAD_STATUSES,
                    index=LEAD_STATUSES.index(value),
                    key=key,
                    disabled=read_only,
                )
            elif field.kind == "long":
                st.text_area(
                    field.label,
                    value=value or "",
                    key=key,
                    max_chars=field.max_length,
                    disabled=read_only,
                )
            else:
                st.text_input(field.label, value=value or "", key=key, disabled=read_only)
        keys["owner_id"], before["owner_id"] = f"lead_owner_{suffix}", lead.owner_id
        choices = lead_view.owner_choices(people.enabled, lead.owner_id)
        st.selectbox(
            "Owner",
            choices,
            index=choices.index(lead.owner_id),
            format_func=people.name,
            key=keys["owner_id"],
            disabled=read_only,
        )
        st.form_submit_button(
            "Save changes",
            type="primary",
            disabled=read_only,
            on_click=save,
            args=(lead.id, keys, before, lead.version),
        )

with score_col:
    st.subheader("Why this score")
    if lead.score_breakdown is None:
        st.info("This lead was imported with scoring off (autoScore: false).")
    else:
        st.plotly_chart(charts.score_breakdown(lead.score_breakdown), key="breakdown")
        # Lines, not a table: a long reason wraps instead of being cut at the cell's edge.
        for line in lead_view.reason_lines(lead.score_breakdown, lead.score_reasons):
            st.markdown(line)
    st.subheader("Enrichment")
    facts = lead_view.enrichment_lines(lead.enrichment)
    if facts:
        st.markdown("  \n".join(facts))
    else:
        st.caption("No enrichment facts.")
    st.subheader("Attributes")
    if lead.attributes:
        st.dataframe(
            [{"Column": name, "Value": value} for name, value in lead.attributes.items()],
            hide_index=True,
            column_config={"Value": st.column_config.TextColumn(width="large")},
            placeholder=EMPTY,
            key="attributes",
        )
    else:
        st.caption("No attributes: the lead's file had no column beyond the lead fields.")

# Follow-ups: the lead's tasks and the form logging a call, email, meeting or note.
who = auth.current_principal()
follow_ups.lead_tasks(lead.id, can_write=who.can(Action.WRITE), me=who.user_id)
if who.can(Action.WRITE):
    follow_ups.activity_form(lead.id)

st.subheader("History")
st.dataframe(
    lead_view.history_rows(record.history, people.name),
    hide_index=True,
    placeholder=EMPTY,
    key="history",
)
note_col, delete_col = st.columns([3, 1])
if not read_only:
    with note_col:
        st.text_area("Add a note", key="new_note", placeholder="Called, left a voicemail…")
        st.button("Add note", on_click=add_note, args=(lead.id,), key="add_note")
    with delete_col, st.popover("Delete this lead…"):
        st.warning("Delete this lead and its history? This cannot be undone.")
        st.button("Yes, delete it", type="primary", on_click=delete, args=(lead.id, lead.version))
if st.session_state.pop("lead_deleted", False):
    st.switch_page("pages/leads.py")
