"""``GET /v1/leads`` with ``cursor``: a walk in creation order that sees each lead that
exists for the whole walk exactly once while leads are added, changed and deleted between
its pages; ``fields=``; the cursor's refusals; no count."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from leads_core.services.filtering import LeadFilters
from leads_core.services.paging import fingerprint

pytestmark = pytest.mark.usefixtures("campaign")


def _person(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "firstName": f"P{n:03d}",
        "lastName": "Walker",
        "email": f"p{n:03d}@walk.test",
        "company": "Walk Co",
        "position": "CTO" if n % 2 else "Intern",
        "source": "linkedin" if n % 3 else "event",
        **extra,
    }


def _import(client: TestClient, people: list[dict[str, Any]]) -> list[str]:
    response = client.post("/v1/leads", json={"campaignId": "cmp_123", "leads": people})
    assert response.status_code == 200, response.text
    return [lead["id"] for lead in response.json()["leads"]]


def _walk(client: TestClient, params: dict[str, Any], between=None) -> Iterator[dict[str, Any]]:
    """Each page of a walk; ``between(n)`` runs after page n."""
    cursor, n = "", 0
    while True:
        response = client.get("/v1/leads", params={**params, "cursor": cursor})
        assert response.status_code == 200, response.text
        body = response.json()
        yield body
        n += 1
        if body["nextCursor"] is None:
            return
        if between is not None:
            between(n)
        cursor = body["nextCursor"]


@pytest.mark.parametrize("sort", ["-createdAt", "createdAt", None])
def test_a_walk_sees_every_lead_once_while_leads_are_added_changed_and_deleted(
    client: TestClient, sort: str | None
) -> None:
    # Three imports: leads of one import share their creation time (ties broken by id).
    first = [*_import(client, [_person(n) for n in range(15)])]
    first += _import(client, [_person(n) for n in range(15, 30)])
    first += _import(client, [_person(n) for n in range(30, 40)])
    deleted: set[str] = set()
    added: list[str] = []
    counter = iter(range(100, 1000))

    def meanwhile(page: int) -> None:
        # New leads; score, status, name and updatedAt changes (each another sort's value)
        # on leads already seen and on leads still to come; a deletion.
        added.extend(_import(client, [_person(next(counter)), _person(next(counter))]))
        for lead_id in (first[page], first[-page - 1], first[(page * 7) % 40]):
            if lead_id in deleted:
                continue
            changed = client.patch(
                f"/v1/leads/{lead_id}",
                json={
                    "position": "Intern" if page % 2 else "VP Engineering",
                    "firstName": f"Zed{page}",
                    "status": "contacted",
                },
            )
            assert changed.status_code == 200, changed.text
        gone = first[20 + page]
        assert client.delete(f"/v1/leads/{gone}").status_code == 204
        deleted.add(gone)

    params = {"limit": 6} | ({"sort": sort} if sort else {})
    pages = list(_walk(client, params, between=meanwhile))

    seen = Counter(lead["id"] for body in pages for lead in body["leads"])
    assert len(pages) > 6  # the walk did go on while leads changed
    assert max(seen.values()) == 1  # no lead twice
    throughout = set(first) - deleted
    assert throughout <= set(seen)  # every lead there all along, once
    assert set(seen) <= set(first) | set(added)
    for body in pages:
        assert (body["total"], body["page"], body["totalPages"]) == (None, None, None)
    times = [lead["createdAt"] for body in pages for lead in body["leads"]]
    assert times == sorted(times, reverse=sort != "createdAt")
    if sort == "createdAt":  # leads added during an oldest-first walk come at its end
        assert set(added) <= set(seen)


def test_a_walk_with_filters_and_fields(client: TestClient) -> None:
    ids = _import(client, [_person(n) for n in range(12)])
    for lead_id in ids[::2]:
        client.patch(f"/v1/leads/{lead_id}", json={"status": "contacted"})
    params = {"status": "contacted", "fields": "firstName, email", "limit": 4}

    pages = list(_walk(client, params))

    leads = [lead for body in pages for lead in body["leads"]]
    assert sorted(lead["id"] for lead in leads) == sorted(ids[::2])
    assert all(list(lead) == ["id", "firstName", "email"] for lead in leads)
    assert [len(body["leads"]) for body in pages] == [4, 2]
    assert list(pages[0]) == ["leads", "total", "page", "totalPages", "nextCursor"]


def test_a_cursor_with_other_filters_or_sort_is_refused(client: TestClient) -> None:
    _import(client, [_person(n) for n in range(5)])
    cursor = client.get("/v1/leads", params={"cursor": "", "limit": 2}).json()["nextCursor"]

    for params in (
        {"status": "new"},
        {"sort": "createdAt"},
        {"minScore": 1},
    ):
        response = client.get("/v1/leads", params={**params, "cursor": cursor, "limit": 2})
        assert response.status_code == 422, params
        assert response.json()["error"]["details"][0]["field"] == "cursor"
    # limit and fields may change from one page to the next
    again = client.get("/v1/leads", params={"cursor": cursor, "limit": 3, "fields": "email"})
    assert again.status_code == 200
    assert len(again.json()["leads"]) == 3


def _forged(key: list[Any]) -> str:
    document = {"v": 1, "s": "-createdAt", "f": fingerprint(LeadFilters()), "k": key}
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "key",
    [["0001-01-01T00:00:00+14:00", "lead_x"], ["9999-12-31T23:59:59-14:00", "lead_x"], [1, 2, 3]],
)
def test_a_cursor_with_an_impossible_time_is_refused(client: TestClient, key: list[Any]) -> None:
    response = client.get("/v1/leads", params={"cursor": _forged(key)})
    assert (response.status_code, response.json()["error"]["details"][0]["field"]) == (
        422,
        "cursor",
    )


def test_a_forged_cursor_of_the_right_shape_just_walks_from_there(client: TestClient) -> None:
    _import(client, [_person(n) for n in range(3)])
    response = client.get(
        "/v1/leads", params={"cursor": _forged(["9999-01-01T00:00:00+00:00", ""])}
    )
    assert response.status_code == 200
    assert len(response.json()["leads"]) == 3


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        base64.urlsafe_b64encode(b'{"v":1}').decode().rstrip("="),
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(
            json.dumps({"v": 1, "s": "-createdAt", "f": "x", "k": ["no", 1]}).encode()
        ).decode(),
    ],
)
def test_a_malformed_cursor_is_refused(client: TestClient, cursor: str) -> None:
    response = client.get("/v1/leads", params={"cursor": cursor})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["field"] == "cursor"
    assert error["message"].startswith("cursor:")


def test_a_walk_by_another_sort_is_refused_and_page_with_cursor_too(client: TestClient) -> None:
    response = client.get("/v1/leads", params={"cursor": "", "sort": "-qualityScore"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "sort"
    assert "creation order" in response.json()["error"]["message"]
    both = client.get("/v1/leads", params={"cursor": "", "page": 2})
    assert both.status_code == 422
    assert both.json()["error"]["details"][0]["field"] == "cursor"


def test_a_walk_counts_nothing(client: TestClient, engine: Engine) -> None:
    _import(client, [_person(n) for n in range(5)])
    ran: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        ran.append(statement.lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        first = client.get("/v1/leads", params={"cursor": "", "limit": 2, "status": "new"})
        client.get("/v1/leads", params={"cursor": first.json()["nextCursor"], "status": "new"})
        walked, ran[:] = list(ran), []
        client.get("/v1/leads", params={"limit": 2, "status": "new"})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert walked and not [s for s in walked if "count" in s]
    assert [s for s in ran if "lead_count" in s]  # a page counts (from lead_count)


def test_pages_carry_the_cursor_of_the_walk_that_continues_them(client: TestClient) -> None:
    ids = _import(client, [_person(n) for n in range(7)])
    page = client.get("/v1/leads", params={"limit": 3}).json()
    assert (page["total"], page["page"], page["totalPages"]) == (7, 1, 3)
    rest = list(_walk(client, {"limit": 3}))  # the walk from its start
    assert [lead["id"] for lead in page["leads"]] == [lead["id"] for lead in rest[0]["leads"]]
    after = client.get("/v1/leads", params={"cursor": page["nextCursor"], "limit": 3}).json()
    second = client.get("/v1/leads", params={"page": 2, "limit": 3}).json()
    assert [lead["id"] for lead in after["leads"]] == [lead["id"] for lead in second["leads"]]
    last = client.get("/v1/leads", params={"page": 3, "limit": 3}).json()
    assert last["nextCursor"] is None and len(last["leads"]) == 1
    # a page in another order cannot be continued by a walk
    by_score = client.get("/v1/leads", params={"sort": "-qualityScore", "limit": 3}).json()
    assert by_score["nextCursor"] is None and by_score["totalPages"] == 3
    assert len(ids) == 7


def test_fields_on_pages_and_unknown_fields(client: TestClient) -> None:
    _import(client, [_person(n) for n in range(3)])
    body = client.get("/v1/leads", params={"fields": "qualityScore,createdAt"}).json()
    assert [list(lead) for lead in body["leads"]] == [["id", "qualityScore", "createdAt"]] * 3
    assert body["total"] == 3

    response = client.get("/v1/leads", params={"fields": "firstName,password"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"][0]["field"] == "fields"
    assert "'password'" in error["message"] and "firstName, lastName, email" in error["message"]
