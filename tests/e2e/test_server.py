"""The product as a user starts it: ``streamlit run app.py`` serving the dashboard at /
and the REST API under /v1 on ONE port, driven over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import NullPool, create_engine

from leads_core.storage import migrations
from tests.e2e.conftest import Server
from tests.expected import LIST_LEAD_KEYS

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-server")]

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample_leads.csv"
JEAN = {
    "firstName": "Jean",
    "lastName": "Martin",
    "email": "jean.martin@startup.io",
    "company": "Startup IO",
    "position": "VP Engineering",
    "linkedinUrl": "https://linkedin.com/in/jeanmartin",
    "phone": "+33 6 12 34 56 78",
    "website": "https://startup.io",
    "source": "linkedin",
}
UNAUTHORIZED = {
    "error": {"code": "unauthorized", "message": "missing or invalid API key", "details": []}
}


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def anonymous(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


def new_campaign(api: httpx.Client, campaign_id: str, **criteria: list[str]) -> None:
    response = api.post(
        "/v1/campaigns", json={"id": campaign_id, "name": campaign_id, "criteria": criteria}
    )
    assert response.status_code == 201, response.text


def test_health_endpoint_says_ok(anonymous: httpx.Client) -> None:
    response = anonymous.get("/_stcore/health")
    assert (response.status_code, response.text) == (200, "ok")


def test_root_serves_the_streamlit_page(anonymous: httpx.Client) -> None:
    response = anonymous.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<div id="root">' in response.text
    assert "Streamlit" in response.text


def test_list_leads_returns_the_documented_shape(api: httpx.Client) -> None:
    new_campaign(api, "cmp_e2e_list")
    posted = api.post(
        "/v1/leads",
        json={
            "campaignId": "cmp_e2e_list",
            "leads": [JEAN, {"firstName": "Marie", "email": "marie.dubois@techcorp.com"}],
        },
    )
    assert posted.status_code == 200, posted.text

    response = api.get("/v1/leads", params={"campaignId": "cmp_e2e_list", "limit": 1})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["leads", "total", "page", "totalPages", "nextCursor"]
    assert (body["total"], body["page"], body["totalPages"]) == (2, 1, 2)
    (lead,) = body["leads"]
    assert list(lead) == LIST_LEAD_KEYS
    assert lead["campaignId"] == "cmp_e2e_list"
    assert lead["id"].startswith("lead_")

    everything = api.get("/v1/leads").json()
    assert everything["total"] >= 2
    assert everything["page"] == 1


def test_without_or_with_a_wrong_key_the_api_answers_401(
    server: Server, anonymous: httpx.Client
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer lw_wrongwrongwrongwrong"},
        {"Authorization": "x"},
    ):
        response = anonymous.get("/v1/leads", headers=headers)
        assert response.status_code == 401, headers
        assert response.json() == UNAUTHORIZED
        assert response.headers["www-authenticate"] == "Bearer"
    response = anonymous.post("/v1/leads", json={"campaignId": "cmp_x", "leads": []})
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_openapi_document_lists_the_leads_paths(api: httpx.Client) -> None:
    response = api.get("/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Leads API"
    paths = set(document["paths"])
    assert {"/leads", "/leads/{lead_id}", "/leads/import/csv"} <= paths
    assert set(document["paths"]["/leads"]) == {"get", "post", "patch"}
    assert set(document["paths"]["/leads/{lead_id}"]) == {"get", "patch", "delete"}
    assert document.get("servers") == [{"url": "/v1"}]  # "Try it out" calls /v1/...


def test_interactive_docs_page_loads_the_v1_openapi_document(anonymous: httpx.Client) -> None:
    response = anonymous.get("/v1/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text.lower()
    assert "'/v1/openapi.json'" in response.text
    # The page fetches the document without a key, so the document must load that way.
    assert anonymous.get("/v1/openapi.json").status_code == 200
    # Its script and style come from this server (a CDN leaves the page blank offline).
    assets = re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css))["']""", response.text)
    assert assets, response.text
    for asset in assets:
        assert asset.startswith("/v1/"), asset
        loaded = anonymous.get(asset)
        assert loaded.status_code == 200, asset
        assert len(loaded.content) > 1000, asset


def test_post_a_lead_then_get_it_back(api: httpx.Client) -> None:
    new_campaign(api, "cmp_e2e_roundtrip", targetPositions=["VP Engineering"])
    response = api.post(
        "/v1/leads", json={"campaignId": "cmp_e2e_roundtrip", "leads": [JEAN], "autoScore": True}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["imported"], body["skipped"], body["errors"]) == (1, 0, [])
    (created,) = body["leads"]
    assert created["status"] == "new"
    assert 0 <= created["qualityScore"] <= 100

    response = api.get(f"/v1/leads/{created['id']}")
    assert response.status_code == 200
    lead = response.json()
    assert {name: lead[name] for name in JEAN} == JEAN
    assert lead["id"] == created["id"]
    assert lead["qualityScore"] == created["qualityScore"]
    assert lead["campaignId"] == "cmp_e2e_roundtrip"
    assert lead["notes"] is None
    assert lead["updatedAt"] == lead["createdAt"]
    assert sum(lead["scoreBreakdown"].values()) == lead["qualityScore"]
    assert lead["enrichment"]["emailDomain"] == "startup.io"
    assert lead["enrichment"]["phoneE164"] == "+33612345678"

    again = api.post("/v1/leads", json={"campaignId": "cmp_e2e_roundtrip", "leads": [JEAN]})
    assert (again.json()["imported"], again.json()["skipped"]) == (0, 1)

    patched = api.patch(f"/v1/leads/{created['id']}", json={"status": "contacted"})
    assert (patched.status_code, patched.json()["status"]) == (200, "contacted")
    assert api.delete(f"/v1/leads/{created['id']}").status_code == 204
    missing = api.get(f"/v1/leads/{created['id']}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_csv_upload_over_http(api: httpx.Client) -> None:
    new_campaign(api, "cmp_e2e_csv")
    response = api.post(
        "/v1/leads/import/csv",
        data={"campaignId": "cmp_e2e_csv"},
        files={"file": ("sample_leads.csv", SAMPLE.read_bytes(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # 40 data rows: 3 without email and LinkedIn URL, the rest imported or skipped as
    # duplicates (tests/fixtures/README.md; tests/cli checks the exact split).
    assert [(e["row"], e["field"]) for e in body["errors"]] == [
        (16, "email"),
        (24, "email"),
        (33, "email"),
    ]
    assert body["imported"] + body["skipped"] == 37
    assert body["skipped"] >= 2
    assert len(body["leads"]) == body["imported"]
    assert body["csv"]["delimiter"] == ";"
    listed = api.get("/v1/leads", params={"campaignId": "cmp_e2e_csv", "limit": 200}).json()
    assert listed["total"] == body["imported"]


def test_the_server_migrates_database_url_and_leaves_the_default_database_alone(
    server: Server,
) -> None:
    """The server was given an empty database: starting it ran ``upgrade head``."""
    engine = create_engine(server.database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            assert migrations.current(connection) == migrations.head()
            assert migrations.differences(connection) == []
    finally:
        engine.dispose()
    assert server.default_db_state() == server.default_db_before


def test_server_log_has_no_missing_context_warning_and_no_traceback(
    server: Server, api: httpx.Client, anonymous: httpx.Client
) -> None:
    # Exercise every kind of route once, whatever ran before, then read the log.
    assert anonymous.get("/").status_code == 200
    assert api.get("/v1/leads").status_code == 200
    assert anonymous.get("/v1/leads").status_code == 401
    assert api.get("/v1/leads", params={"limit": 500}).status_code == 422
    assert api.get("/v1/docs").status_code == 200
    assert server.proc.poll() is None
    log = server.log()
    assert "missing ScriptRunContext" not in log
    assert "Traceback" not in log
    assert "You can now view your Streamlit app" in log
