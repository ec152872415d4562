"""API keys: create (shown once), list, revoke; how to call the API from here."""

from urllib.parse import urlsplit

import streamlit as st

from dashboard import data, feedback, writes
from leads_core.errors import LeadsError
from leads_core.services import apikeys

state = st.session_state


def create() -> None:
    try:
        key, plain = writes.create_api_key(state.key_name)
    except LeadsError as exc:
        feedback.flash_error("Could not create the key", exc)
        return
    state["created_key"] = (key.name, plain)
    state.key_name = ""


def revoke(key_id: str) -> None:
    key = writes.revoke_api_key(key_id)
    feedback.flash("success", f"Revoked the key {key.name} ({key.prefix}…).")


def base_url() -> str:
    url = urlsplit(st.context.url or "http://localhost:8501/")
    return f"{url.scheme}://{url.netloc}"


st.title("API keys")
feedback.show_flashed()
st.caption(
    "Programs reach the leads through the REST API under /v1 with a key: "
    "`Authorization: Bearer <key>`. Only a hash of each key is stored."
)

with st.form("new_key", clear_on_submit=False):
    st.text_input("Name", key="key_name", placeholder="e.g. CRM sync", max_chars=apikeys.MAX_NAME)
    st.form_submit_button("Create key", type="primary", on_click=create)
if "created_key" in state:
    name, plain = state.pop("created_key")
    st.success(
        f"Key **{name}** created. Copy it now (the copy button is at the right of the box): "
        "it is not shown again."
    )
    st.code(plain, language=None)

keys = data.api_keys()
if keys:
    st.dataframe(
        [
            {
                "Name": k.name,
                "Key starts with": f"{k.prefix}…",
                "Created": k.created_at,
                "Last used": k.last_used_at,
                "Revoked": k.revoked_at,
            }
            for k in keys
        ],
        hide_index=True,
        column_config={
            name: st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
            for name in ("Created", "Last used", "Revoked")
        },
        key="key_table",
    )
    active = {k.id: f"{k.name} ({k.prefix}…)" for k in keys if k.revoked_at is None}
    if active:
        revoke_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
        chosen = revoke_col.selectbox(
            "Revoke a key", list(active), format_func=active.__getitem__, key="revoke_choice"
        )
        button_col.button("Revoke", on_click=revoke, args=(chosen,), key="revoke")
else:
    st.info("No API key yet: create one above to call the API.")

st.subheader("Use the API")
server = base_url()
st.code(
    f"""export LEADS_KEY=lw_...   # a key created above
# the best leads, as JSON
curl -H "Authorization: Bearer $LEADS_KEY" "{server}/v1/leads?minScore=85&sort=-qualityScore&limit=5"
# import a CSV file into a campaign
curl -H "Authorization: Bearer $LEADS_KEY" -F file=@leads.csv -F campaignId=cmp_... "{server}/v1/leads/import/csv"
""",
    language="bash",
)
st.markdown(f"Every endpoint, with examples: [{server}/v1/docs]({server}/v1/docs)")
