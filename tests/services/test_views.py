"""leads_core.services.views: saved views, personal or shared, and who may change them."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from leads_core.access import SYSTEM, Principal, Role
from leads_core.errors import Forbidden, NotFound, ValidationFailed
from leads_core.services import users, views
from leads_core.storage.models import SavedView


def _user(session: Session, name: str, role: Role) -> Principal:
    user = users.create_user(session, email=f"{name}@acme.io", name=name.title(), role=role)
    return users.principal(user)


@pytest.fixture
def team(session: Session) -> dict[str, Principal]:
    return {
        role.value: _user(session, name, role)
        for name, role in (("ada", Role.ADMIN), ("max", Role.MEMBER), ("vic", Role.VIEWER))
    }


def test_a_view_stores_the_filters_and_sort_as_a_query_string(
    session: Session, team: dict[str, Principal]
) -> None:
    view = views.create_view(
        session,
        name="  Hot   new leads ",
        params={"status": "new,contacted", "minScore": "85", "page": "4", "sort": "-createdAt"},
        shared=False,
        by=team["member"],
    )
    assert view.id.startswith("vw_")
    assert (view.name, view.query, view.owner_id, view.shared) == (
        "Hot new leads",
        "status=new,contacted&minScore=85&sort=-createdAt",
        team["member"].user_id,
        False,
    )
    assert views.view_params(view) == {
        "status": "new,contacted",
        "minScore": "85",
        "sort": "-createdAt",
    }


def test_a_view_keeps_text_as_text(session: Session) -> None:
    view = views.create_view(
        session, name="x", params={"q": "a&b=c #1", "ownerId": ""}, shared=False, by=SYSTEM
    )
    assert views.view_params(view) == {"q": "a&b=c #1", "ownerId": ""}


def test_each_user_lists_their_own_views_and_the_shared_ones(
    session: Session, team: dict[str, Principal]
) -> None:
    admin, member, viewer = team["admin"], team["member"], team["viewer"]
    views.create_view(session, name="B mine", params="q=a", shared=False, by=member)
    views.create_view(session, name="A team", params="q=b", shared=True, by=member)
    views.create_view(session, name="C viewer's", params="q=c", shared=False, by=viewer)
    views.create_view(session, name="D local", params="q=d", shared=False, by=SYSTEM)

    def names(by: Principal) -> list[str]:
        return [v.name for v in views.list_views(session, by=by)]

    assert names(member) == ["A team", "B mine"]
    assert names(viewer) == ["A team", "C viewer's"]
    assert names(admin) == ["A team"]
    assert names(SYSTEM) == ["A team", "D local"]


def test_sharing_needs_write_but_a_viewer_keeps_personal_views(
    session: Session, team: dict[str, Principal]
) -> None:
    viewer = team["viewer"]
    with pytest.raises(Forbidden):
        views.create_view(session, name="Team", params="q=a", shared=True, by=viewer)
    assert views.create_view(session, name="Mine", params="q=a", shared=False, by=viewer).id


def test_the_owner_renames_and_deletes_an_admin_a_shared_view_only(
    session: Session, team: dict[str, Principal]
) -> None:
    admin, member, viewer = team["admin"], team["member"], team["viewer"]
    shared = views.create_view(session, name="Team", params="q=a", shared=True, by=member)
    personal = views.create_view(session, name="Mine", params="q=b", shared=False, by=member)

    assert views.rename_view(session, shared.id, "Team, renamed", by=member).name == "Team, renamed"
    with pytest.raises(Forbidden):
        views.rename_view(session, shared.id, "Mine now", by=viewer)
    with pytest.raises(NotFound):  # another's personal view: as if it did not exist
        views.delete_view(session, personal.id, by=admin)
    with pytest.raises(ValidationFailed):
        views.rename_view(session, personal.id, "   ", by=member)

    views.delete_view(session, shared.id, by=admin)
    views.delete_view(session, personal.id, by=member)
    assert session.exec(select(SavedView)).all() == []


def test_a_deleted_users_views_go_with_them(session: Session, team: dict[str, Principal]) -> None:
    member = team["member"]
    views.create_view(session, name="Team", params="q=a", shared=True, by=member)
    user = users.get_user(session, member.user_id or "")
    users.delete_user(session, user.id)
    session.expire_all()
    assert session.exec(select(SavedView)).all() == []


def test_a_too_long_query_is_refused(session: Session) -> None:
    with pytest.raises(ValidationFailed, match="too long"):
        views.create_view(session, name="x", params={"q": "x" * 5000}, shared=False, by=SYSTEM)
