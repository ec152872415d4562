"""Entry point: ``streamlit run app.py``.

Imported by the server (no script context) it builds the ASGI app: Streamlit's
``st.App`` with the REST API mounted under /v1, one process, one port. Run by
Streamlit for a browser session it owns the page navigation."""

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

if get_script_run_ctx(suppress_warning=True) is None:
    from starlette.middleware import Middleware
    from streamlit.runtime.pages_manager import PagesManager

    from dashboard import signin, warmup
    from dashboard.exposure import refuse_unprotected_exposure
    from leads_core.api import create_api
    from leads_core.api.serving import enable_tcp_nodelay, mount_api
    from leads_core.config import get_settings
    from leads_core.throttle import FailureThrottle
    from leads_core.web.guard import Guard
    from leads_core.webhooks import worker as webhooks_worker

    # No user yet: stop unless server.address is loopback (README "Users and sign-in").
    # The socket is bound already, but no request is served before this import ends.
    refuse_unprotected_exposure()
    # Navigation is st.navigation's, below. Without this, Streamlit 1.67 treats our pages/
    # folder as an old-style multipage app until some session first runs app.py: a fresh
    # server opened at /leads would run pages/leads.py alone, with the wrong menu, for
    # every session. Regression test: tests/e2e/test_browser.py.
    PagesManager.uses_pages_directory = False
    # Reused keep-alive connections answered ~40 ms late (Nagle + delayed ACK): see
    # leads_core/api/serving.py. uvicorn imports this file before it accepts a connection.
    enable_tcp_nodelay()

    # Wrong passwords and wrong API keys counted together, per account and per address.
    failures = FailureThrottle(get_settings().auth_failure_limit)
    # Guard: allowed Host/Origin only (DNS rebinding), security headers, no /_stcore/metrics;
    # outside Streamlit's own middleware, so on every path, the WebSocket and /v1 included.
    app = st.App(
        "app.py",
        routes=[mount_api("/v1", create_api(failures=failures)), *signin.routes(failures)],
        middleware=[Middleware(Guard)],
    )
    # Delivers the webhook outbox from a background thread, unless LEADS_WEBHOOKS_WORKER=0;
    # stopped at exit (README "Webhooks").
    webhooks_worker.start_background()
    # The pages' modules loaded, and all of this frozen out of the garbage collector's full
    # passes, which Streamlit makes after every script run (dashboard/warmup.py).
    warmup.prepare()
else:
    from dashboard import auth
    from leads_core.access import Action

    st.set_page_config(page_title="Leads workspace", page_icon="📇", layout="wide")
    PAGES = [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/leads.py", title="Leads", icon=":material/table_rows:", url_path="leads"),
        st.Page(
            "pages/import_csv.py", title="Import", icon=":material/upload_file:", url_path="import"
        ),
        st.Page(
            "pages/imports.py",
            title="Import history",
            icon=":material/history:",
            url_path="imports",
        ),
        st.Page(
            "pages/analytics.py",
            title="Analytics",
            icon=":material/bar_chart:",
            url_path="analytics",
        ),
        st.Page(
            "pages/campaigns.py",
            title="Campaigns",
            icon=":material/campaign:",
            url_path="campaigns",
        ),
        st.Page("pages/api_keys.py", title="API keys", icon=":material/key:", url_path="api-keys"),
        st.Page("pages/team.py", title="Team", icon=":material/group:", url_path="team"),
        st.Page(
            "pages/webhooks.py", title="Webhooks", icon=":material/webhook:", url_path="webhooks"
        ),
        st.Page(
            "pages/lead.py",
            title="Lead",
            icon=":material/person:",
            url_path="lead",
            visibility="hidden",
        ),
    ]
    # What a page needs beyond reading; the menu lists only the pages the role may use, and
    # another page's URL opens Home (each such page refuses by itself too). The Team page
    # needs a signed-in admin: with no user yet, the first admin is made in the sidebar.
    NEEDS = {
        "import": Action.WRITE,
        "api-keys": Action.OWN_KEYS,
        "team": Action.MANAGE,
        "webhooks": Action.MANAGE,
    }
    # Before any page runs: the sign-in screen alone, and no menu, until the browser session
    # has signed in (once a user exists). st.navigation still resolves the URL, so a deep
    # link comes back to its page after signing in.
    signed_in = auth.gate()
    if signed_in:
        who = auth.current_principal()
        PAGES = [
            p
            for p in PAGES
            if who.can(NEEDS.get(p.url_path, Action.READ)) and (who.user_id or p.url_path != "team")
        ]
    page = st.navigation(PAGES, position="sidebar" if signed_in else "hidden")
    if signed_in:
        from dashboard import saved_views

        saved_views.sidebar(page.url_path)  # a ?view= in the URL opened before the page
        page.run()
