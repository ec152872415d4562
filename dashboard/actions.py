"""Actions offered on more than one page: the demo data button and its callback."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data, feedback, writes
from leads_core.access import Action

DEMO_LEADS = 500


def load_demo_data() -> None:
    """Button callback: 5 demo campaigns and ``DEMO_LEADS`` realistic leads."""
    with st.spinner("Loading demo data…"):
        result = writes.load_demo(DEMO_LEADS)
    data.clear()
    feedback.flash(
        "success",
        f"Loaded {result.imported} demo leads in {len(result.campaign_ids)} campaigns.",
    )


def demo_button(key: str) -> None:
    """The button, for those who may write."""
    if not auth.can(Action.WRITE):
        return
    st.button(
        f"Load demo data ({DEMO_LEADS} leads)",
        key=key,
        on_click=load_demo_data,
        icon=":material/auto_awesome:",
        help="Five campaigns of realistic, messy leads, to try the product. "
        "They can be deleted with their campaigns.",
    )
