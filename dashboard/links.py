"""Opening the Leads page filtered: from a chart's bar, a campaign's row, a saved view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NoReturn

import streamlit as st

from dashboard import filters

LEADS_PAGE = "pages/leads.py"


def open_leads(params: Mapping[str, str]) -> NoReturn:
    """Switch to the Leads page with these query parameters (the API's names), which its
    filters then follow."""
    filters.follow_url()
    st.switch_page(LEADS_PAGE, query_params=dict(params))
    raise AssertionError("st.switch_page returned")  # it raises to stop the script
