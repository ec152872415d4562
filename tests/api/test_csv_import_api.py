"""POST /v1/leads/import/csv with the sample files of tests/fixtures (counts from its README)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select
from starlette.applications import Starlette
from starlette.routing import Mount

from leads_core.api import create_api
from leads_core.config import load_settings
from leads_core.storage.models import ImportBatch, Lead
from tests.expected import SAMPLE_LEADS_MAPPING

pytestmark = pytest.mark.usefixtures("campaign")

FIXTURES = Path(__file__).parent.parent / "fixtures"
RESPONSE_KEYS = [
    "imported",
    "skipped",
    "errors",
    "leads",
    "updated",
    "importId",
    "dryRun",
    "rows",
    "inFileDuplicates",
    "alreadyInCampaign",
    "duplicates",
    "warnings",
    "csv",
]
NO_CONTACT = "a lead needs an email or a LinkedIn URL"

# The "CSV Format" block of leads-api.md.
DOC_CSV = (
    b"firstName,lastName,email,company,position,linkedinUrl\n"
    b"Marie,Dubois,marie@techcorp.com,TechCorp,CTO,https://linkedin.com/in/mariedubois\n"
)


def upload(
    client: TestClient,
    data: bytes,
    *,
    filename: str = "leads.csv",
    campaign_id: str = "cmp_123",
    params: dict | None = None,
    **form: str,
):
    return client.post(
        "/v1/leads/import/csv",
        params=params,
        data={"campaignId": campaign_id, **form},
        files={"file": (filename, data, "text/csv")},
    )


def upload_fixture(client: TestClient, name: str, **form: str) -> dict:
    response = upload(client, (FIXTURES / name).read_bytes(), filename=name, **form)
    assert response.status_code == 200, response.text
    return response.json()


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    assert sorted(body["error"]) == ["code", "details", "message"]
    assert body["error"]["code"] == code
    return body["error"]


def lead_where(client: TestClient, q: str) -> dict:
    """The one lead matching the search ``q``, with its details."""
    found = client.get("/v1/leads", params={"q": q}).json()
    assert found["total"] == 1, (q, found)
    return client.get(f"/v1/leads/{found['leads'][0]['id']}").json()


def count(engine, model) -> int:
    with Session(engine) as check:
        return check.exec(select(func.count()).select_from(model)).one()


# ------------------------------------------------------------------ the contract's example


def test_contract_csv_format_block(client: TestClient) -> None:
    response = upload(client, DOC_CSV)

    assert response.status_code == 200
    body = response.json()
    assert list(body) == RESPONSE_KEYS
    assert (body["imported"], body["skipped"], body["updated"], body["errors"]) == (1, 0, 0, [])
    assert body["leads"][0]["qualityScore"] == 68
    assert re.fullmatch(r"imp_[0-9a-z]{14}", body["importId"])
    assert (body["dryRun"], body["rows"], body["inFileDuplicates"]) == (False, 1, 0)
    assert (body["alreadyInCampaign"], body["duplicates"]) == (0, [])
    headers = ["firstName", "lastName", "email", "company", "position", "linkedinUrl"]
    assert body["csv"] == {
        "kind": "csv",
        "encoding": "utf-8",
        "delimiter": ",",
        "sheet": None,
        "sheets": [],
        "headerRow": 1,
        "mapping": {h: h for h in headers},
        "matchedBy": dict.fromkeys(headers, "header"),
        "ignoredColumns": [],
        "attributeColumns": [],
    }
    lead = client.get(f"/v1/leads/{body['leads'][0]['id']}").json()
    assert {k: lead[k] for k in ("firstName", "lastName", "email", "company", "position")} == {
        "firstName": "Marie",
        "lastName": "Dubois",
        "email": "marie@techcorp.com",
        "company": "TechCorp",
        "position": "CTO",
    }
    assert lead["linkedinUrl"] == "https://linkedin.com/in/mariedubois"
    assert lead["source"] is None


# ------------------------------------------------------------------ the sample files


def test_sample_leads_rejected_rows_and_csv_info(client: TestClient) -> None:
    body = upload_fixture(client, "sample_leads.csv")

    assert body["errors"] == [
        {"row": 16, "field": "email", "message": NO_CONTACT},
        {"row": 24, "field": "email", "message": NO_CONTACT},
        {"row": 33, "field": "email", "message": NO_CONTACT},
    ]
    # 40 data rows - 3 rejected: each is either imported or skipped as a duplicate
    assert body["imported"] + body["skipped"] == 37
    assert body["imported"] == len(body["leads"]) == client.get("/v1/leads").json()["total"]
    assert body["updated"] == 0
    # Rows 19, 28 and 36 repeat rows 2, 15 and 23 (README).
    assert (body["rows"], body["inFileDuplicates"], body["alreadyInCampaign"]) == (40, 3, 0)
    assert body["duplicates"] == [
        {"row": 19, "repeatsRow": 2, "leadId": None},
        {"row": 28, "repeatsRow": 15, "leadId": None},
        {"row": 36, "repeatsRow": 23, "leadId": None},
    ]
    assert body["csv"] == {
        "kind": "csv",
        "encoding": "utf-8-sig",
        "delimiter": ";",
        "sheet": None,
        "sheets": [],
        "headerRow": 1,
        "mapping": SAMPLE_LEADS_MAPPING,
        "matchedBy": {
            h: None if f == "attribute" else "header" for h, f in SAMPLE_LEADS_MAPPING.items()
        },
        "ignoredColumns": [],
        "attributeColumns": ["Favourite colour"],
    }
    # The unknown column is kept on the leads whose cell is filled.
    assert lead_where(client, "camille nexora")["attributes"] == {"Favourite colour": "bleu"}
    assert lead_where(client, "lefèvre")["attributes"] == {}


def test_sample_leads_counts_from_readme(client: TestClient) -> None:
    body = upload_fixture(client, "sample_leads.csv")

    assert (body["imported"], body["skipped"], len(body["errors"])) == (34, 3, 3)
    assert client.get("/v1/leads").json()["total"] == 34


def test_sample_leads_duplicates_keep_the_first_row(client: TestClient) -> None:
    upload_fixture(client, "sample_leads.csv")

    camille = lead_where(client, "camille nexora")
    rachel = lead_where(client, "rachel lumen")

    # row 2 kept, row 19 (other case, spaces, source website) skipped
    assert (camille["email"], camille["source"], camille["notes"]) == (
        "camille.martin@nexora.io",
        "linkedin",
        "Met at VivaTech",
    )
    # row 23 kept, row 36 (upper case) skipped
    assert (rachel["email"], rachel["phone"], rachel["notes"]) == (
        "rachel.green@lumen-analytics.com",
        "+1 415 555 0188",
        None,
    )
    assert client.get("/v1/leads", params={"q": "nathan"}).json()["total"] == 0
    assert client.get("/v1/leads", params={"q": "boulangerie"}).json()["total"] == 0
    assert client.get("/v1/leads", params={"q": "chevalier"}).json()["total"] == 0
    # row 28 (no email, LinkedIn without www and slash) duplicates row 15
    sophie = lead_where(client, "sophie")
    assert (sophie["email"], sophie["source"], sophie["notes"]) == (
        "sophie.bernard@alpaga.io",
        "linkedin",
        None,
    )


def test_sample_leads_cells_are_stored_verbatim(client: TestClient) -> None:
    upload_fixture(client, "sample_leads.csv")

    assert lead_where(client, "quantumleaf")["company"] == '=HYPERLINK("http://evil","x")'
    assert lead_where(client, "datavive")["notes"] == "@SUM(A1)"
    assert lead_where(client, "kelvin")["notes"] == "- met at VivaTech, booth B12"
    assert lead_where(client, "lefèvre")["notes"] == "Intro via Marc; wants a demo in Q2"
    assert lead_where(client, "ridgeway")["notes"] == "Prefers email; no calls before 10am"
    assert lead_where(client, "chloe@")["company"] == 'Le "Petit" Atelier'
    assert lead_where(client, "brightpath")["notes"] == (
        "Called on 12/03.\nInterested in the Pro plan \u2014 call back after the board meeting."
    )
    camille = lead_where(client, "camille nexora")
    assert (camille["phone"], camille["website"]) == ("+33 6 39 98 12 01", "https://www.nexora.io")


def test_sample_leads_invalid_email_row_is_kept(client: TestClient) -> None:
    body = upload_fixture(client, "sample_leads.csv")

    paul = lead_where(client, "roux conseil")

    assert paul["email"] is None
    assert paul["attributes"] == {"E-mail Address": "not-an-email"}
    assert paul["linkedinUrl"] == "https://www.linkedin.com/in/paul-roux-conseil"
    assert paul["scoreBreakdown"]["emailValidity"] == 0
    assert paul["enrichment"]["emailStatus"] == "missing"
    assert [(w["row"], w["field"]) for w in body["warnings"]] == [(22, "email")]


def test_sample_latin1(client: TestClient) -> None:
    body = upload_fixture(client, "sample_latin1.csv")

    assert (body["imported"], body["skipped"], body["errors"]) == (10, 0, [])
    mapping = {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Title": "position",
        "Company": "company",
        "Location": "attribute",
        "Profile URL": "linkedinUrl",
        "Email": "email",
        "Notes": "notes",
    }
    assert body["csv"] == {
        "kind": "csv",
        "encoding": "cp1252",
        "delimiter": "\t",
        "sheet": None,
        "sheets": [],
        "headerRow": 1,
        "mapping": mapping,
        "matchedBy": {h: None if h == "Location" else "header" for h in mapping},
        "ignoredColumns": [],
        "attributeColumns": ["Location"],
    }
    francois = lead_where(client, "garçon")
    assert (francois["firstName"], francois["company"], francois["notes"]) == (
        "François",
        "Crème & Cœur",
        "Intéressé par l\u2019offre Pro",
    )
    assert francois["attributes"] == {"Location": "Paris, Île-de-France, France"}
    assert lead_where(client, "eauxvives")["notes"] == "Budget annuel : 15 000 €"
    berenice = lead_where(client, "bérénice")
    assert (berenice["email"], berenice["linkedinUrl"]) == (
        None,
        "https://www.linkedin.com/in/berenice-caron",
    )


APOLLO_ATTRIBUTES = [
    "Company Name for Emails",
    "Email Status",
    "Seniority",
    "Departments",
    "Home Phone",
    "Mobile Phone",
    "Corporate Phone",
    "Other Phone",
    "Stage",
    "# Employees",
    "Industry",
    "Keywords",
    "Company Linkedin Url",
    "City",
    "State",
    "Country",
    "Apollo Contact Id",
]


def test_sample_apollo(client: TestClient) -> None:
    body = upload_fixture(client, "sample_apollo.csv")

    assert (body["imported"], body["skipped"], body["errors"]) == (10, 0, [])
    info = body["csv"]
    assert (info["encoding"], info["delimiter"]) == ("utf-8", ",")
    assert info["ignoredColumns"] == []
    assert info["attributeColumns"] == APOLLO_ATTRIBUTES
    assert {h: f for h, f in info["mapping"].items() if f != "attribute"} == {
        "First Name": "firstName",
        "Last Name": "lastName",
        "Title": "position",
        "Company": "company",
        "Email": "email",
        "Work Direct Phone": "phone",
        "Person Linkedin Url": "linkedinUrl",
        "Website": "website",
    }
    priya = lead_where(client, "priya")
    # No "Work Direct Phone" nor "Mobile Phone": her phone is the "Corporate Phone".
    assert (priya["email"], priya["linkedinUrl"], priya["phone"]) == (
        None,
        "http://www.linkedin.com/in/priya-shah-sales",
        "+1 646-555-0150",
    )
    # No "Work Direct Phone": the phone is the row's "Mobile Phone", kept as an attribute too.
    kitepath = lead_where(client, "kitepath")
    assert kitepath["phone"] == "+1 512-555-0166"
    assert (kitepath["attributes"]["Mobile Phone"], kitepath["attributes"]["City"]) == (
        "+1 512-555-0166",
        "Austin",
    )
    assert lead_where(client, "aurélien")["company"] == "Céleste AI"


def test_importing_the_same_file_twice_skips_every_lead(client: TestClient) -> None:
    first = upload_fixture(client, "sample_apollo.csv")

    second = upload_fixture(client, "sample_apollo.csv")

    assert first["imported"] == 10
    assert (second["imported"], second["skipped"], second["leads"]) == (0, 10, [])
    assert client.get("/v1/leads").json()["total"] == 10


def test_import_batch_records_the_file(client: TestClient, engine) -> None:
    upload_fixture(client, "sample_latin1.csv")

    with Session(engine) as check:
        batch = check.exec(select(ImportBatch)).one()
    assert (batch.origin, batch.filename, batch.campaign_id) == (
        "api-csv",
        "sample_latin1.csv",
        "cmp_123",
    )
    assert (batch.imported, batch.updated, batch.skipped, batch.errors) == (10, 0, 0, 0)


def test_a_very_long_file_name_is_shortened_not_refused(client: TestClient, engine) -> None:
    """A client names its upload as it likes; the import keeps the first 499 characters
    and an ellipsis (a 500-character column, which PostgreSQL enforces)."""
    data = (FIXTURES / "sample_apollo.csv").read_bytes()
    body = upload(client, data, filename="x" * 600 + ".csv").json()
    assert body["imported"] == 10

    with Session(engine) as check:
        batch = check.exec(select(ImportBatch)).one()
    assert batch.filename == "x" * 499 + "…"


# ------------------------------------------------------------------ options


def test_mapping_overrides_a_detected_header(client: TestClient) -> None:
    body = upload_fixture(
        client, "sample_apollo.csv", mapping=json.dumps({"Mobile Phone": "phone"})
    )

    assert body["csv"]["mapping"]["Mobile Phone"] == "phone"
    assert body["csv"]["matchedBy"]["Mobile Phone"] == "mapping"
    # The column the header matched is kept as an attribute, and is the phone of the rows
    # without a mobile phone.
    assert body["csv"]["mapping"]["Work Direct Phone"] == "attribute"
    assert body["csv"]["matchedBy"]["Work Direct Phone"] is None
    assert body["csv"]["ignoredColumns"] == []
    assert APOLLO_ATTRIBUTES[4:6] == ["Home Phone", "Mobile Phone"]
    assert body["csv"]["attributeColumns"] == [
        *APOLLO_ATTRIBUTES[:4],
        "Work Direct Phone",
        "Home Phone",
        *APOLLO_ATTRIBUTES[6:],
    ]
    assert lead_where(client, "kitepath")["phone"] == "+1 512-555-0166"
    assert lead_where(client, "megan")["phone"] == "+1 415-555-0184"
    ferrous = lead_where(client, "ferrous")
    assert ferrous["phone"] == "+1 206-555-0143"
    assert ferrous["attributes"]["Work Direct Phone"] == "+1 206-555-0143"


def test_mapping_can_ignore_a_column(client: TestClient) -> None:
    body = upload_fixture(client, "sample_latin1.csv", mapping='{"Notes": "ignore"}')

    assert (body["csv"]["mapping"]["Notes"], body["csv"]["matchedBy"]["Notes"]) == (None, "mapping")
    assert body["csv"]["ignoredColumns"] == ["Notes"]
    assert body["csv"]["attributeColumns"] == ["Location"]
    eauxvives = lead_where(client, "eauxvives")
    assert eauxvives["notes"] is None
    assert list(eauxvives["attributes"]) == ["Location"]  # the ignored Notes are not kept


def test_mapping_names_a_custom_header(client: TestClient) -> None:
    data = b"Courriel pro,Mail perso,Nom complet\nwork@acme.io,home@gmail.com,Jean Martin\n"

    response = upload(client, data, mapping='{"Mail perso": "email", "Courriel pro": null}')

    body = response.json()
    assert body["csv"]["mapping"] == {
        "Courriel pro": None,
        "Mail perso": "email",
        "Nom complet": "fullName",  # split into first and last name
    }
    assert body["csv"]["matchedBy"] == {
        "Courriel pro": "mapping",
        "Mail perso": "mapping",
        "Nom complet": "header",
    }
    lead = client.get(f"/v1/leads/{body['leads'][0]['id']}").json()
    assert (lead["email"], lead["firstName"], lead["lastName"]) == (
        "home@gmail.com",
        "Jean",
        "Martin",
    )
    assert lead["attributes"] == {}  # the ignored column is not kept


@pytest.mark.parametrize(
    "mapping",
    ["{not json", "[1, 2]", '"email"', "42", '{"email": 1}', '{"email": ["email"]}'],
)
def test_invalid_mapping_json_is_422_naming_mapping(client: TestClient, mapping: str) -> None:
    error = error_of(upload(client, DOC_CSV, mapping=mapping), 422, "validation_error")

    assert "mapping" in error["message"]
    assert [d["field"] for d in error["details"]] == ["mapping"]
    assert client.get("/v1/leads").json()["total"] == 0


def test_blank_mapping_means_automatic(client: TestClient) -> None:
    response = upload(client, DOC_CSV, mapping="  ")

    assert response.status_code == 200
    assert response.json()["csv"]["mapping"]["email"] == "email"


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        ('{"Courriel": "email"}', "column 'Courriel' is not in the file"),
        ('{"email": "mail"}', "column 'email' is mapped to 'mail', which is not a lead field"),
        (
            '{"email": "notes", "company": "notes"}',
            "columns 'email' and 'company' are both mapped to 'notes'",
        ),
    ],
)
def test_mapping_with_unknown_header_or_field_is_422(
    client: TestClient, mapping: str, problem: str
) -> None:
    error = error_of(upload(client, DOC_CSV, mapping=mapping), 422, "validation_error")

    assert error["message"].startswith("Invalid column mapping: " + problem)
    assert [d["field"] for d in error["details"]] == ["mapping"]
    assert client.get("/v1/leads").json()["total"] == 0


def test_file_without_any_known_column_is_422(client: TestClient, engine) -> None:
    """Its columns are read as attributes; no row has an email or a LinkedIn URL."""
    response = upload(client, b"Colour,Size\nred,XL\nblue,M\n")

    error = error_of(response, 422, "validation_error")
    assert error["message"] == (
        f"None of the 2 rows of the file can be imported (row 2, email: {NO_CONTACT}; "
        f"row 3, email: {NO_CONTACT}). Fix the file or the column mapping and import it again."
    )
    assert error["details"] == [
        {"row": 2, "field": "email", "message": NO_CONTACT},
        {"row": 3, "field": "email", "message": NO_CONTACT},
    ]
    assert count(engine, Lead) == count(engine, ImportBatch) == 0


def test_a_file_with_one_importable_row_is_imported_whatever_the_other_rows_errors(
    client: TestClient,
) -> None:
    """Refusing a file is for files none of whose rows imports: counted in rows, not in
    errors (one row can have several)."""
    two_errors = b"a@acme.io,bogus," + b"z" * 1001
    data = b"email,status,lastName\r\n" + two_errors + b"\r\nb@acme.io,new,Ok\r\n"

    response = upload(client, data)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["imported"], body["rows"]) == (1, 2)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "lastName"), (2, "status")]


def test_a_file_whose_only_row_has_two_errors_is_422(client: TestClient, engine) -> None:
    data = b"email,status,lastName\r\na@acme.io,bogus," + b"z" * 1001 + b"\r\n"

    error = error_of(upload(client, data), 422, "validation_error")

    assert error["message"] == (
        "None of the 1 rows of the file can be imported (row 2, lastName: String should have at "
        "most 1000 characters; row 2, status: Input should be 'new', 'contacted', 'replied', "
        "'qualified', 'converted' or 'rejected'). Fix the file or the column mapping and import "
        "it again."
    )
    assert [(d["row"], d["field"]) for d in error["details"]] == [(2, "lastName"), (2, "status")]
    assert count(engine, Lead) == count(engine, ImportBatch) == 0


def test_file_with_a_header_and_no_data_rows_is_422(client: TestClient, engine) -> None:
    error = error_of(upload(client, b"email,company\r\n\r\n"), 422, "validation_error")

    assert error["message"] == "The file has a header but no data rows: nothing to import."
    assert error["details"] == [{"field": "file", "message": "no data rows"}]
    assert count(engine, Lead) == count(engine, ImportBatch) == 0


def test_auto_score_false(client: TestClient) -> None:
    body = upload_fixture(client, "sample_latin1.csv", autoScore="false")

    assert [lead["qualityScore"] for lead in body["leads"]] == [None] * 10
    assert client.get("/v1/leads?minScore=0").json()["total"] == 0


def test_on_duplicate_update(client: TestClient) -> None:
    upload(client, DOC_CSV)
    newer = b"email,Phone,Source\nMARIE@techcorp.com,+33 6 12 34 56 78,Referral\n"

    response = upload(client, newer, params={"onDuplicate": "update"})

    body = response.json()
    assert (body["imported"], body["skipped"], body["updated"]) == (0, 0, 1)
    assert body["leads"][0]["qualityScore"] == 68 + 4 + 15 + 4  # phone, referral, targeted
    lead = client.get(f"/v1/leads/{body['leads'][0]['id']}").json()
    assert (lead["email"], lead["phone"], lead["source"]) == (
        "marie@techcorp.com",  # the identity field that matched is not overwritten
        "+33 6 12 34 56 78",
        "referral",
    )


def test_row_errors_use_spreadsheet_row_numbers(client: TestClient) -> None:
    data = (
        b"email,Lead Status,First Name\r\n"
        b"a@acme.io,Open,Ann\r\n"
        b"\r\n"
        b"b@acme.io,Hot,Bob\r\n"
        b"c@acme.io,customer,Cy\r\n"
        b",,Nobody\r\n"
    )

    body = upload(client, data).json()

    assert [(e["row"], e["field"]) for e in body["errors"]] == [(4, "status"), (6, "email")]
    assert [lead["status"] for lead in body["leads"]] == ["new", "converted"]
    assert body["csv"]["mapping"] == {
        "email": "email",
        "Lead Status": "status",
        "First Name": "firstName",
    }


# ------------------------------------------------------------------ refused files


def test_unknown_campaign_is_404(client: TestClient, engine) -> None:
    error = error_of(upload(client, DOC_CSV, campaign_id="cmp_nope"), 404, "not_found")

    assert error["message"] == "campaign 'cmp_nope' not found"
    assert count(engine, Lead) == count(engine, ImportBatch) == 0


def test_file_over_10_mb_is_413(client: TestClient, engine) -> None:
    header = b"email,notes\na@acme.io,"
    data = header + b"x" * (10 * 1024 * 1024 + 1 - len(header))
    assert len(data) == 10 * 1024 * 1024 + 1

    error = error_of(upload(client, data), 413, "payload_too_large")

    assert error["details"] == [{"field": "file", "message": "file too large"}]
    assert count(engine, Lead) == count(engine, ImportBatch) == 0


def test_upload_limit_is_exact(db_url: str, engine, api_key: str) -> None:
    settings = load_settings({"DATABASE_URL": db_url, "LEADS_MAX_UPLOAD_MB": "1"})
    app = Starlette(routes=[Mount("/v1", app=create_api(engine, settings))])
    header = b"email,website\nexact@acme.io,"
    exact = header + b" " * (1024 * 1024 - len(header))
    with TestClient(app, headers={"Authorization": f"Bearer {api_key}"}) as limited:
        accepted = upload(limited, exact)
        refused = upload(limited, exact + b" ")

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["imported"] == 1
    error = error_of(refused, 413, "payload_too_large")
    assert error["message"] == "the file is 1.0 MB; the limit is 1 MB"


def test_too_many_rows_is_413(db_url: str, engine, api_key: str) -> None:
    settings = load_settings({"DATABASE_URL": db_url, "LEADS_MAX_IMPORT_ROWS": "5"})
    app = Starlette(routes=[Mount("/v1", app=create_api(engine, settings))])
    with TestClient(app, headers={"Authorization": f"Bearer {api_key}"}) as limited:
        response = upload(limited, (FIXTURES / "sample_apollo.csv").read_bytes())

    error = error_of(response, 413, "payload_too_large")
    assert error["message"] == "10 leads in one request; the limit is 5. Split the import."
    assert count(engine, Lead) == 0


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (PNG, "The uploaded file is not a CSV text file: it looks like a PNG image."),
        (b"", "The uploaded file is empty: a CSV file needs a header line and data rows."),
        (
            b" \r\n\r\n  ",
            "The uploaded file is empty: a CSV file needs a header line and data rows.",
        ),
    ],
)
def test_unreadable_file_is_400_bad_file(client: TestClient, engine, data, message) -> None:
    error = error_of(upload(client, data, filename="photo.csv"), 400, "bad_file")

    assert error["message"] == message
    assert count(engine, Lead) == count(engine, ImportBatch) == 0


def test_a_zip_that_is_no_workbook_is_400_bad_file(client: TestClient, engine) -> None:
    """A ZIP is read as an .xlsx workbook, whatever its name (the parenthesis holds
    calamine's own words)."""
    response = upload(client, b"PK\x03\x04\x14\x00\x06\x00", filename="photo.csv")

    error = error_of(response, 400, "bad_file")
    assert re.fullmatch(
        r"The file is not a readable \.xlsx workbook \(CalamineError: .+\)\. "
        r"Save it again from Excel as \.xlsx, or as CSV UTF-8\.",
        error["message"],
    )
    assert count(engine, Lead) == count(engine, ImportBatch) == 0


def test_more_than_500_columns_is_422(client: TestClient, engine) -> None:
    header = ",".join(["email", *(f"c{i}" for i in range(500))])
    error = error_of(upload(client, f"{header}\na@acme.io\n".encode()), 422, "validation_error")

    assert error["message"] == (
        "The file has 501 columns; at most 500 are read. Remove the columns you do not need "
        "and upload it again."
    )
    assert error["details"] == [{"field": "file", "message": "more than 500 columns"}]
    assert count(engine, Lead) == count(engine, ImportBatch) == 0


@pytest.mark.parametrize(
    ("form", "files", "field"),
    [
        ({"campaignId": "cmp_123"}, None, "file"),
        ({}, {"file": ("a.csv", DOC_CSV, "text/csv")}, "campaignId"),
    ],
)
def test_missing_form_field_is_422(client: TestClient, form, files, field) -> None:
    response = client.post("/v1/leads/import/csv", data=form, files=files)

    error = error_of(response, 422, "validation_error")
    assert [d["field"] for d in error["details"]] == [field]
