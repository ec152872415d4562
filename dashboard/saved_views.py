"""The sidebar's "Views": saved filters and sort of the Leads page, opened as links.

Each view is a link to ``/leads?view=vw_…``. :func:`sidebar` runs on every page before the
page itself (app.py): a ``view`` in the URL is replaced by the view's own query parameters,
which the page's filters then follow, so the address bar shows the filters a view means
(that address is a link to the same leads too). "Save this view" (on the Leads and
Analytics pages) names the page's current filters and sort; one's own views can be
deleted here, an admin deletes shared ones too."""

from __future__ import annotations

import streamlit as st

from dashboard import auth, data, feedback, filters, writes
from dashboard.safe import md
from leads_core.access import Action, Principal
from leads_core.errors import LeadsError
from leads_core.services import views
from leads_core.storage.models import SavedView

VIEW_PARAM = "view"
SAVE_ON = ("leads", "analytics")  # pages whose URL holds filters
state = st.session_state


def open_from_url() -> None:
    """``?view=vw_…``: the view's filters and sort in the URL (for the page to follow)."""
    view_id = st.query_params.get(VIEW_PARAM)
    if not view_id:
        return
    try:
        view = data.saved_view(view_id, auth.current_principal())
    except LeadsError:
        del st.query_params[VIEW_PARAM]
        st.warning(f"The view {md(view_id)} does not exist any more, or is not shared with you.")
        return
    filters.follow_url()
    st.query_params.from_dict(views.view_params(view))


def _save() -> None:
    try:
        view = writes.save_view(
            state["view_name"], st.query_params.to_dict(), shared=bool(state.get("view_shared"))
        )
    except LeadsError as exc:
        feedback.flash_error("Could not save the view", exc)
        return
    state["view_name"] = ""
    feedback.flash("success", f"Saved the view {md(view.name)}.")


def _delete(view_id: str, name: str) -> None:
    try:
        writes.delete_view(view_id)
    except LeadsError as exc:
        feedback.flash_error("Could not delete the view", exc)
        return
    feedback.flash("success", f"Deleted the view {md(name)}.")


def _view_row(view: SavedView, who: Principal) -> None:
    label = md(view.name) + (" · shared" if view.shared else "")
    if not views.may_change(view, who):
        st.page_link("pages/leads.py", label=label, query_params={VIEW_PARAM: view.id})
        return
    link_col, delete_col = st.columns([5, 1], vertical_alignment="center")
    link_col.page_link("pages/leads.py", label=label, query_params={VIEW_PARAM: view.id})
    with delete_col.popover("", icon=":material/delete:", help="Delete this view"):
        st.write(f"Delete the view **{md(view.name)}**? Its leads stay.")
        st.button(
            "Delete view",
            key=f"delete_view_{view.id}",
            on_click=_delete,
            args=(view.id, view.name),
            type="primary",
        )


def _save_form(who: Principal) -> None:
    with st.popover("Save this view", icon=":material/bookmark_add:", width="stretch"):
        st.text_input("Name", key="view_name", max_chars=100, placeholder="e.g. Hot leads")
        st.toggle(
            "Share with the team",
            key="view_shared",
            disabled=not who.can(Action.WRITE),
            help="Everyone sees a shared view; only you see a personal one.",
        )
        st.button("Save view", key="save_view", on_click=_save, type="primary")


def sidebar(page_path: str) -> None:
    """The "Views" section of the sidebar: a view in the URL opened, the views listed,
    "Save this view" on the pages whose URL holds filters."""
    open_from_url()
    who = auth.current_principal()
    found = data.saved_views(who)
    with st.sidebar.expander(
        f"Saved views ({len(found):,})", expanded=bool(found) or page_path in SAVE_ON
    ):
        for view in found:
            _view_row(view, who)
        if not found:
            st.caption("No saved view yet.")
        if page_path in SAVE_ON:
            _save_form(who)
