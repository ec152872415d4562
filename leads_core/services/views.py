"""Saved views: the Leads page's filters and sort under a name, kept by the user who saved
it or shared with the team, and opened as a link.

A view stores the query string of its filters and sort with the API's parameter names
(``status=new,contacted&minScore=85&sort=-createdAt``), as text: opening it gives the page
that URL, so a view does not depend on how the filters are parsed. The list's ``page`` is
not part of a view.

Who may do what (``by``, the one acting): everyone sees their own views and the shared
ones; anyone who may read may keep personal views (viewers too); sharing a view needs the
right to write; renaming or deleting a view is its owner's, and an admin's for a shared
one. Another user's personal view is ``NotFound``, as if it did not exist."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import or_
from sqlmodel import Session, col, select

from leads_core import sizes
from leads_core.access import Action, Principal, Role
from leads_core.clock import utcnow
from leads_core.errors import Forbidden, NotFound, ValidationFailed
from leads_core.ids import new_id
from leads_core.storage.models import SavedView

NOT_SAVED = ("page", "view")  # the list's page, and the view being opened


def view_query(params: dict[str, str] | list[tuple[str, str]] | str) -> str:
    """The query string a view stores: these parameters (a mapping, pairs or a query
    string) without the list's page, in the order given."""
    pairs = parse_qsl(params, keep_blank_values=True) if isinstance(params, str) else params
    items = pairs.items() if isinstance(pairs, dict) else pairs
    query = urlencode([(k, v) for k, v in items if k not in NOT_SAVED], safe=",")
    if len(query) > sizes.VIEW_QUERY:
        raise ValidationFailed(
            f"these filters are too long to save as a view ({len(query):,} characters, "
            f"at most {sizes.VIEW_QUERY:,})",
            details=[{"field": "query", "message": "too long"}],
        )
    return query


def view_params(view: SavedView) -> dict[str, str]:
    """The query parameters that open the view (each parameter once, as in a URL)."""
    return dict(parse_qsl(view.query, keep_blank_values=True))


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise ValidationFailed(
            "a view needs a name", details=[{"field": "name", "message": "required"}]
        )
    if len(cleaned) > sizes.VIEW_NAME:
        raise ValidationFailed(
            f"a view's name is at most {sizes.VIEW_NAME} characters",
            details=[{"field": "name", "message": "too long"}],
        )
    return cleaned


def create_view(
    session: Session,
    *,
    name: str,
    params: dict[str, str] | list[tuple[str, str]] | str,
    shared: bool,
    by: Principal,
) -> SavedView:
    """Save ``params`` (the page's filters and sort) as a view of ``by``'s."""
    by.require(Action.READ)
    if shared:
        by.require(Action.WRITE)
    view = SavedView(
        id=new_id("vw"),
        name=_clean_name(name),
        query=view_query(params),
        owner_id=by.user_id,
        shared=shared,
    )
    session.add(view)
    session.commit()
    session.refresh(view)
    return view


def list_views(session: Session, *, by: Principal) -> list[SavedView]:
    """``by``'s own views and the team's shared ones, by name."""
    mine = (
        col(SavedView.owner_id).is_(None)
        if by.user_id is None
        else col(SavedView.owner_id) == by.user_id
    )
    return list(
        session.exec(
            select(SavedView)
            .where(or_(mine, col(SavedView.shared).is_(True)))
            .order_by(col(SavedView.name), col(SavedView.id))
        )
    )


def get_view(session: Session, view_id: str, *, by: Principal) -> SavedView:
    """The view if ``by`` may open it (theirs, or shared), else ``NotFound``."""
    view = session.get(SavedView, view_id)
    if view is None or not (view.shared or view.owner_id == by.user_id):
        raise NotFound(f"view {view_id!r} not found")
    return view


def may_change(view: SavedView, by: Principal) -> bool:
    """Its owner may rename or delete a view; an admin a shared one too."""
    return view.owner_id == by.user_id or (view.shared and by.role is Role.ADMIN)


def _changeable(session: Session, view_id: str, by: Principal) -> SavedView:
    view = get_view(session, view_id, by=by)
    if not may_change(view, by):
        raise Forbidden(f"{by.describe()} may not change a view someone else shared")
    return view


def rename_view(session: Session, view_id: str, name: str, *, by: Principal) -> SavedView:
    view = _changeable(session, view_id, by)
    view.name = _clean_name(name)
    view.updated_at = utcnow()
    session.add(view)
    session.commit()
    session.refresh(view)
    return view


def delete_view(session: Session, view_id: str, *, by: Principal) -> None:
    view = _changeable(session, view_id, by)
    session.delete(view)
    session.commit()
