"""leads_core.files.export and the CSV files the dashboard offers: formula cells neutralized,
headers that import again, problem rows as written in the uploaded file."""

from __future__ import annotations

import csv
import io
import tomllib

import pytest
from sqlmodel import Session

from leads_core.config import PROJECT_ROOT
from leads_core.files import export, reading
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.services import campaigns, queries
from leads_core.services.queries import LeadFilters
from leads_core.storage.models import Lead
from tests.conftest import FIXTURES

pytestmark = pytest.mark.usefixtures("campaign")
NAMES = {"cmp_123": "Q1 CTO outreach"}  # the campaign fixture's name


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Acme = best", "Acme = best"),
        ("", ""),
        ("'=SUM(A1)", "''=SUM(A1)"),
        ("''+1", "'''+1"),
        ("'\tx", "''\tx"),
        ("'tis", "'tis"),
        ("O'Neil", "O'Neil"),
        ("'", "'"),
    ],
)
def test_neutralize(cell: str, written: str) -> None:
    assert export.neutralize(cell) == written
    assert export.unneutralize(written) == cell


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("'=SUM(A1)", "=SUM(A1)"),
        ("''=x", "'=x"),
        ("'\rx", "\rx"),
        ("=SUM(A1)", "=SUM(A1)"),  # not written by an export: kept as it is
        ("'tis", "'tis"),
        ("' =x", "' =x"),
        ("'", "'"),
        ("", ""),
    ],
)
def test_unneutralize(cell: str, value: str) -> None:
    assert export.unneutralize(cell) == value


def _import(session: Session, rows: list[dict]) -> list[str]:
    outcome = importing.import_leads(
        session, rows, ImportOptions(campaign_id="cmp_123", region="FR", max_rows=100)
    )
    return [lead.id for lead in outcome.leads]


def test_export_writes_every_column_neutralized_with_a_bom(session: Session) -> None:
    (lead_id,) = _import(
        session,
        [
            {
                "email": "a@acme.io",
                "firstName": "Zoé",
                "company": '=HYPERLINK("http://evil","x")',
                "notes": "line 1\nline 2",
            }
        ],
    )
    data = export.leads_csv_bytes(queries.leads_by_ids(session, [lead_id]), campaign_names=NAMES)
    assert data.startswith(b"\xef\xbb\xbf")
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header == [h for h, _ in export.EXPORT_COLUMNS]
    values = dict(zip(header, row, strict=True))
    assert values["id"] == lead_id
    assert values["firstName"] == "Zoé"
    assert values["company"] == '\'=HYPERLINK("http://evil","x")'
    assert values["notes"] == "line 1\nline 2"
    assert values["createdAt"].endswith("Z")


def test_export_adds_one_column_per_attribute_in_the_order_first_met(session: Session) -> None:
    ids = _import(
        session,
        [
            {"email": "a@acme.io", "attributes": {"City": "Lyon", "Tags": "=vip"}},
            {"email": "b@acme.io"},
            {"email": "c@acme.io", "attributes": {"Seniority": "VP", "City": "Nice"}},
        ],
    )
    data = export.leads_csv_bytes(queries.leads_by_ids(session, ids), campaign_names=NAMES)
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    fixed = [h for h, _ in export.EXPORT_COLUMNS]
    assert header == [*fixed, "City", "Tags", "Seniority"]
    assert [row[len(fixed) :] for row in rows] == [
        ["Lyon", "'=vip", ""],
        ["", "", ""],
        ["Nice", "", "VP"],
    ]
    assert [dict(zip(header, row, strict=True))["email"] for row in rows] == [
        "a@acme.io",
        "b@acme.io",
        "c@acme.io",
    ]
    again = reading.read_upload(data)
    assert again.attribute_columns == ["City", "Tags", "Seniority"]
    assert [row.get("attributes") for row in again.rows] == [
        {"City": "Lyon", "Tags": "=vip"},
        None,
        {"City": "Nice", "Seniority": "VP"},
    ]


def test_an_attribute_name_beginning_with_a_trigger_is_neutralized_in_the_header() -> None:
    """An attribute's name is a header of the file it came from, which anyone may write: in
    an export it is a cell like the others, neutralized, and it imports again unchanged."""
    names = ['=HYPERLINK("http://evil","x")', "@handle", "+Info", "-", "Région"]
    lead = Lead(
        id="lead_1", campaign_id="cmp_1", email="a@acme.io", attributes=dict.fromkeys(names, "v")
    )
    data = export.leads_csv_bytes([lead], campaign_names=NAMES)

    header, _row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[len(export.EXPORT_COLUMNS) :] == [
        '\'=HYPERLINK("http://evil","x")',
        "'@handle",
        "'+Info",
        "'-",
        "Région",
    ]
    assert reading.read_upload(data).rows[0]["attributes"] == dict.fromkeys(names, "v")


def test_an_exported_value_imports_again_unchanged(session: Session) -> None:
    values = ["=1+1", "'=1+1", "''@x", "'tis", "-", "'"]
    ids = _import(session, [{"email": f"p{i}@acme.io", "company": v} for i, v in enumerate(values)])
    data = export.leads_csv_bytes(queries.leads_by_ids(session, ids), campaign_names=NAMES)
    written = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    assert [row["company"] for row in written] == ["'=1+1", "''=1+1", "'''@x", "'tis", "'-", "'"]
    assert [row["company"] for row in reading.read_upload(data).rows] == values


def test_exported_file_imports_again_with_every_column_matched(session: Session) -> None:
    _import(session, [{"email": f"p{i}@acme.io", "lastName": f"N{i}"} for i in range(3)])
    data = export.leads_csv_bytes(
        queries.iter_leads(session, filters=LeadFilters(), sort="email"), campaign_names=NAMES
    )
    table = reading.read_upload(data)
    assert [row["email"] for row in table.rows] == ["p0@acme.io", "p1@acme.io", "p2@acme.io"]
    assert [row["lastName"] for row in table.rows] == ["N0", "N1", "N2"]
    # Each field's column by its header; our own id, campaign, score and dates ignored.
    ours = {"id", "campaignId", "Campaign", "qualityScore", "createdAt", "updatedAt"}
    headers = [h for h, _ in export.EXPORT_COLUMNS]
    assert table.headers == headers
    assert table.mapping == {h: None if h in ours else h for h in headers}
    assert table.matched_by == dict.fromkeys(headers, "header")
    assert table.ignored_columns == [h for h in headers if h in ours]
    assert table.attribute_columns == []


def test_iter_leads_streams_the_filtered_set_in_order(session: Session) -> None:
    _import(session, [{"email": f"p{i}@acme.io", "lastName": f"N{i:02}"} for i in range(25)])
    got = [
        lead.last_name
        for lead in queries.iter_leads(
            session, filters=LeadFilters(q="n1"), sort="-lastName", batch=4
        )
    ]
    assert got == [f"N{i:02}" for i in range(19, 9, -1)]


def test_preview_shows_the_first_records_as_written() -> None:
    """The dashboard's preview: the table read, and its first records' cells as written."""
    table = reading.read_upload((FIXTURES / "sample_leads.csv").read_bytes())
    preview = table.records[:3]
    assert (table.encoding, table.delimiter) == ("utf-8-sig", ";")
    assert table.headers[:3] == ["First Name", "Last Name", "E-mail Address"]
    assert [r[0] for r in preview] == ["Camille", "Julien", "Émilie"]
    assert all(len(r) == len(table.headers) for r in preview)
    assert table.mapping["Job Title"] == "position"
    # A record is the file's cells, untouched (the rows hold them stripped and mapped).
    assert preview[1][9] == "Intro via Marc; wants a demo in Q2"
    assert (preview[0][10], preview[1][10], preview[2][10]) == ("bleu", "", "vert")


def test_problem_rows_keep_the_values_the_rows_were_read_as() -> None:
    # '=1+1 was read as =1+1 and is written so again, not ''=1+1 (which reads '=1+1);
    # the tab before '=2 is stripped on reading, so it is not written back either.
    data = b"email;company\nbad;'=1+1\nbad2;\"\t'=2\"\n"
    table = reading.read_upload(data)
    text = reading.problem_rows_csv(table, {2: "email: not an email", 3: "same"})
    assert list(csv.reader(io.StringIO(text), delimiter=";")) == [
        ["email", "company", "Problem"],
        ["bad", "'=1+1", "email: not an email"],
        ["bad2", "'=2", "same"],
    ]
    # The file imports again to the same values; its Problem column is ignored.
    assert reading.read_upload(text.encode()).rows == table.rows
    assert table.rows == [{"email": "bad", "company": "=1+1"}, {"email": "bad2", "company": "=2"}]


def test_problem_rows_are_the_original_records_with_the_problem() -> None:
    data = b"email;company\nok@x.io;A\nbad;=1+1\nok2@x.io;B\n"
    text = reading.problem_rows_csv(reading.read_upload(data), {3: "email: not an email"})
    assert list(csv.reader(io.StringIO(text), delimiter=";")) == [
        ["email", "company", "Problem"],
        ["bad", "'=1+1", "email: not an email"],
    ]


def test_the_tables_offer_no_csv_download_of_their_own() -> None:
    """Streamlit's table toolbars would write a CSV without neutralizing formula cells:
    turned off, so the dashboard's Export buttons (this module) are the only CSV writers."""
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())

    assert config["client"]["disableDataExport"] is True


def test_export_quotes_every_text_cell_and_leaves_numbers_bare(session: Session) -> None:
    """Each text cell begins with a quote and each number with a digit: a spreadsheet never
    meets a cell beginning bare with ``=`` (``=1+1`` is written ``"'=1+1"``)."""
    (lead_id,) = _import(
        session,
        [{"email": "a@acme.io", "company": "=1+1", "notes": "x;y", "attributes": {"City": "Lyon"}}],
    )
    data = export.leads_csv_bytes(queries.leads_by_ids(session, [lead_id]), campaign_names=NAMES)
    header_line, row_line = data.decode("utf-8-sig").split("\r\n")[:2]
    lead = queries.leads_by_ids(session, [lead_id])[0]
    assert header_line == ",".join(f'"{h}"' for h, _ in export.EXPORT_COLUMNS) + ',"City"'
    assert row_line.startswith(f'"{lead_id}","cmp_123","Q1 CTO outreach",')
    assert ',"\'=1+1",' in row_line
    assert ',"x;y",' in row_line
    assert f",{lead.quality_score}," in row_line  # the score, a number: not quoted
    assert ',"",' in row_line  # an empty text is a quoted empty string
    assert row_line.endswith(',"Lyon"')
    (cells,) = csv.reader(io.StringIO(row_line))
    assert cells[export.EXPORT_COLUMNS.index(("company", "company"))] == "'=1+1"


def test_export_names_the_campaign_beside_its_id(session: Session) -> None:
    (lead_id,) = _import(session, [{"email": "a@acme.io"}])
    data = export.leads_csv_bytes(queries.leads_by_ids(session, [lead_id]), campaign_names=NAMES)
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    at = header.index("campaignId")
    assert header[at : at + 2] == ["campaignId", "Campaign"]
    assert row[at : at + 2] == ["cmp_123", "Q1 CTO outreach"]


def test_export_reads_the_campaign_names_once(session: Session) -> None:
    """One query for the names, however many leads: ``campaigns.names``."""
    from sqlalchemy import event

    ids = _import(session, [{"email": f"p{i}@acme.io"} for i in range(20)])
    statements: list[str] = []
    engine = session.get_bind()

    def note(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        names = campaigns.names(session)
        export.leads_csv_bytes(queries.leads_by_ids(session, ids), campaign_names=names)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert names == NAMES
    assert sum("FROM campaign" in s for s in statements) == 1


def test_a_file_with_a_campaign_column_of_its_own_keeps_it_as_an_attribute() -> None:
    """Only an export's ``Campaign`` (beside ``campaignId``) is ignored on import."""
    table = reading.read_upload(b"email,Campaign\r\na@acme.io,Spring fair\r\n")
    assert table.mapping == {"email": "email", "Campaign": "attribute"}
