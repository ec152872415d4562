"""Entry point: ``streamlit run app.py``.

Imported by the server (no script context) it builds the ASGI app: Streamlit's
``st.App`` with the REST API mounted under /v1, one process, one port. Run by
Streamlit for a browser session it owns the page navigation."""

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

if get_script_run_ctx(suppress_warning=True) is None:
    from starlette.routing import Mount

    from leads_core.api import create_api

    app = st.App("app.py", routes=[Mount("/v1", app=create_api())])
else:
    st.set_page_config(page_title="Leads workspace", page_icon="📇", layout="wide")
    navigation = st.navigation([st.Page("pages/home.py", title="Home", icon="🏠", default=True)])
    navigation.run()
