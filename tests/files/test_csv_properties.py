"""Property tests (hypothesis) of the CSV import and the CSV export.

1. **CSV = JSON.** A table of strings written as a CSV file imports to exactly the leads
   that the same rows give through ``POST /v1/leads``: same counts, same errors (the CSV's
   spreadsheet row numbers standing for the JSON positions), the same stored leads field
   by field, the columns no field takes being the leads' ``attributes``. The "problem
   rows" file made from such a CSV reads as the rows it copies, plus its Problem column.
2. **Export -> import is the identity.** Leads exported by :mod:`leads_core.files.export` and
   imported again into another campaign come back with every field unchanged.

``test_xlsx_properties.py`` reads the same tables as ``.xlsx`` workbooks, and columns of
any name as attributes.

The generated files are the ones the product promises to read; what is left out and why
is written where it is left out (:func:`tables`, :func:`csv_files`, ``TEXT``).

The runs are bounded and reproducible: ``derandomize=True`` and no example database, so CI
tries the same examples every time; the file takes a few seconds per engine. The
databases are the function-scoped fixtures, shared by a test's examples: each example
imports into campaigns of its own."""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

import hypothesis
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from leads_core import validation
from leads_core.config import Settings, load_settings
from leads_core.errors import ValidationFailed
from leads_core.fields import BY_API_NAME
from leads_core.files import export
from leads_core.files.headers import HEADER_SYNONYMS, LEAD_FIELDS
from leads_core.files.reading import problem_rows_csv, read_upload
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import CampaignCreate, CampaignCriteria
from leads_core.services import campaigns, queries
from leads_core.storage.models import Lead

PROPERTY_SETTINGS = hypothesis.settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Written out here, not imported: the tests state the rule, the product implements it.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = (",", ";", "\t", "|")
CRITERIA = {"targetPositions": ["CTO"], "targetSources": ["linkedin"], "requiredFields": ["phone"]}
NOT_COMPARED = {"id", "campaign_id", "import_id", "created_at", "updated_at", "last_activity_at"}
_campaign_numbers = itertools.count(1)


@pytest.fixture
def settings(db_url: str) -> Settings:
    """The suite's settings, without the API's rate limit: a test's examples send hundreds
    of requests with one key."""
    return load_settings({"DATABASE_URL": db_url, "LEADS_RATE_LIMIT_PER_MINUTE": "0"})


# --------------------------------------------------------------------------- cells

# Any text but NUL and control characters other than tab, LF and CR: a file that is more
# than 10 % control characters is refused as binary (csvfile rule 1), and NUL as UTF-16.
TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\n\r"), max_size=12
)
LATIN1_TEXT = st.text(st.characters(max_codepoint=0xFF, exclude_categories=("Cc",)), max_size=12)
# What makes CSV hard: the delimiters, quotes, apostrophes, newlines, leading spaces.
TRICKY = st.text(st.sampled_from(list(",;\t|\"'\r\n =+-@é€😀\u2028\u00a0x")), max_size=8)
FORMULA = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["", "", "'", "''", " '", "\t'", "'''"]),
        st.sampled_from(TRIGGERS),
        st.sampled_from(
            ["", "1+1", 'HYPERLINK("http://evil","x")', "SUM(A1)", "cmd|' /C calc'!A0"]
        ),
    ),
)
# Too long for every field (100 for source/phone, 320 for email, 1000 for names...).
LONG = st.sampled_from(["x" * 101, "y" * 321, "z" * 1001, "n" * 20_001])
CELL = st.one_of(
    TEXT, LATIN1_TEXT, TRICKY, FORMULA, LONG, st.sampled_from(["", "  ", "'", "O'Neil"])
)


def plain(cell: str) -> bool:
    """No ``@``, no ``.``, fewer than 7 digits: no email, link, web site or phone number, so
    a column of such cells is matched by its header alone, never by its values."""
    return not {"@", "."} & set(cell) and sum(ch.isdigit() for ch in cell) < 7


PLAIN = CELL.filter(plain)

# A small pool, so rows of a table are often duplicates of each other (case and spaces).
EMAIL = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.sampled_from(["marie", "Marie", " marie ", "zoé.lefèvre", "info", "'=x"]),
    st.sampled_from(["acme.io", "ACME.io", "gmail.com", "mailinator.com", "nodot"]),
)
COMPANY_PAGE = "https://linkedin.com/company/acme"
LINKEDIN = st.sampled_from(
    [
        "https://linkedin.com/in/marie",
        "https://www.linkedin.com/in/marie/",
        "linkedin.com/in/marie?trk=x",
        "https://linkedin.com/in/zoé",
        COMPANY_PAGE,
        "not a url",
    ]
)
# A link column is checked by its values: its other cells are plain, so only a column of
# company pages (a web site, not a profile) is read as another field (see tables()).
BY_FIELD: dict[str, st.SearchStrategy[str]] = {
    "email": st.one_of(EMAIL, EMAIL, CELL),
    "linkedinUrl": st.one_of(LINKEDIN, PLAIN),
    "status": st.one_of(
        st.sampled_from(["new", "Contacted", "in progress", "customer", "Lost", "bogus"]), CELL
    ),
    "phone": st.one_of(
        st.sampled_from(["06 12 34 56 78", "+33 6 12 34 56 78", "+1 415 555 0100", "12"]), CELL
    ),
    "source": st.one_of(st.sampled_from(["linkedin", "Referral", "web", "LinkedIn "]), CELL),
    "position": st.one_of(st.sampled_from(["CTO", "VP Engineering", "cto / founder"]), CELL),
    "website": st.one_of(st.sampled_from(["https://acme.io", "acme.io", "www.gmail.com"]), PLAIN),
}


def cell_for(field: str) -> st.SearchStrategy[str]:
    return BY_FIELD.get(field, CELL)


def spreadsheet_value(cell: str) -> str:
    """What a cell means, as a JSON client would send it: surrounding whitespace aside, and
    one ``'`` before a formula trigger (after any further ``'``) being the exports' mark."""
    value = cell.strip()
    if value.startswith("'") and value.lstrip("'").startswith(TRIGGERS):
        return value[1:]
    return value


# --------------------------------------------------------------------------- tables


# Columns that match no lead field (kept as attributes), some holding delimiters: out of
# quotes, one other delimiter at most, fewer than the header's own (csvfile rule 3 counts
# them outside quotes; a name with a quote is always quoted). Their cells are plain, so
# that no such column is matched to a field by its values.
EXTRA_HEADERS = (
    "Favourite colour",
    "",
    "Tags; labels",
    "Notes, misc",
    "a|b",
    "x\ty",
    'Le "nom"',
    'Tags "a;b;c;d;e;f"',
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str | None], list[str], list[list[str]]]:
    """``(fields, header cells, rows)``, ``fields[i]`` the lead field of column ``i`` or
    ``None``. At least two lead fields (the delimiter of a one-column file cannot be seen,
    csvfile rule 3), one of them an email or a LinkedIn URL; each header is the field's
    name or one of its documented synonyms; up to two more columns that are not leads'.
    A LinkedIn column whose non-blank cells are 80 % company pages or more is left out: it
    is read as the web site, as ``files.values`` says a link column is."""
    identity = draw(st.sampled_from(["email", "linkedinUrl"]))
    others = [f for f in LEAD_FIELDS if f != identity]
    chosen = draw(st.lists(st.sampled_from(others), min_size=1, max_size=5, unique=True))
    extras = draw(st.lists(st.sampled_from(EXTRA_HEADERS), max_size=2, unique=True))
    columns = draw(
        st.permutations([*((f, True) for f in [identity, *chosen]), *((e, False) for e in extras)])
    )
    fields = [name if is_field else None for name, is_field in columns]
    header = [
        draw(st.sampled_from((name, *HEADER_SYNONYMS[name]))) if is_field else name
        for name, is_field in columns
    ]
    row = st.tuples(*(cell_for(f) if f else PLAIN for f in fields)).map(list)
    rows = draw(st.lists(row, max_size=8))
    if "linkedinUrl" in fields:
        links = [link for r in rows if (link := r[fields.index("linkedinUrl")].strip())]
        hypothesis.assume(links.count(COMPANY_PAGE) < 0.8 * len(links) or not links)
    return fields, header, rows


@st.composite
def csv_files(draw: st.DrawFn, header: list[str], rows: list[list[str]]) -> bytes:
    """The table written by Python's csv module as a spreadsheet would: any supported
    delimiter, minimal or full quoting, CRLF or LF lines, trailing empty cells left out or
    not, an Excel ``sep=`` line or not; encoded as UTF-8 (with or without BOM) or Latin-1.

    Left out, because such a file is not what it claims to be: LF lines with minimal
    quoting when a cell holds a lone CR (Python 3.11's writer leaves it unquoted, so it
    ends the record), and Latin-1 when a cell is not representable in it, when the bytes
    are also valid UTF-8 (read as UTF-8, as documented) or when they hold one of the eight
    characters ISO 8859-15 puts elsewhere (``¤ ¦ ¨ ´ ¸ ¼ ½ ¾``: such a file reads as either,
    and charset_normalizer picks one by the words around them)."""
    delimiter = draw(st.sampled_from(DELIMITERS))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    terminator = draw(st.sampled_from(["\r\n", "\n"]))
    if (
        terminator == "\n"
        and quoting == csv.QUOTE_MINIMAL
        and any("\r" in c for r in rows for c in r)
    ):
        terminator = "\r\n"
    trim = draw(st.booleans())
    out = io.StringIO()
    if draw(st.booleans()):
        out.write(f"sep={delimiter}{terminator}")
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=terminator)
    writer.writerow(header)
    for row in rows:
        while trim and row and row[-1] == "":
            row = row[:-1]
        writer.writerow(row)
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]))
    if encoding == "latin-1" and not _latin1_unambiguous(text):
        encoding = "utf-8"
    return text.encode(encoding)


def column_names(header: list[str], rows: list[list[str]]) -> list[str]:
    """The names the import gives the columns: an empty header is "Column N"; unnamed
    columns after the last named one are columns up to the last filled cell only."""
    width = max((i + 1 for r in [header, *rows] for i, c in enumerate(r) if c.strip()), default=0)
    return [h or f"Column {i}" for i, h in enumerate(header[:width], start=1)]


def attributes_of(names: list[str], fields: list[str | None], row: list[str]) -> dict[str, Any]:
    """``{"attributes": {name: value}}``, the row's non-blank cells of no lead field, or ``{}``."""
    cells = zip(names, fields, row, strict=False)
    found = {name: value for name, f, cell in cells if not f and (value := spreadsheet_value(cell))}
    return {"attributes": found} if found else {}


def _latin1_unambiguous(text: str) -> bool:
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    if any(c in text for c in "¤¦¨´¸¼½¾"):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return text.isascii()


# --------------------------------------------------------------------------- helpers


def new_campaign(client: TestClient) -> str:
    response = client.post(
        "/v1/campaigns", json={"name": f"property {next(_campaign_numbers)}", "criteria": CRITERIA}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def stored(engine: Engine, ids: list[str]) -> list[dict[str, Any]]:
    """The leads' every column but the ones that name or date them, in ``ids`` order."""
    with Session(engine) as session:
        return [
            lead.model_dump(exclude=NOT_COMPARED) for lead in queries.leads_by_ids(session, ids)
        ]


def errors_of(body: dict, rows: list[int] | None = None) -> list[tuple[int, str, str]]:
    """``(row, field, message)``; ``rows[i]`` renumbers JSON position ``i + 1``."""
    return [
        (rows[e["row"] - 1] if rows else e["row"], e["field"], e["message"]) for e in body["errors"]
    ]


# --------------------------------------------------------------------------- 1. CSV = JSON


@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_csv_file_imports_like_the_same_rows_sent_as_json(
    client: TestClient, engine: Engine, data: st.DataObject
) -> None:
    """The JSON request holds the rows' lead fields as :func:`spreadsheet_value` reads them,
    and their other cells as attributes. A row whose cells are all blank is no record of a
    CSV file (skipped; its number is used up): the JSON request leaves it out, and the
    CSV's row numbers (header = row 1) stand for the JSON positions. A file none of whose
    rows imports (or without rows) is refused, with the errors the JSON request reports."""
    fields, header, rows = data.draw(tables(), label="table")
    file = data.draw(csv_files(header, rows), label="file")

    csv_campaign, json_campaign = new_campaign(client), new_campaign(client)
    by_csv = client.post(
        "/v1/leads/import/csv",
        data={"campaignId": csv_campaign},
        files={"file": ("leads.csv", file, "text/csv")},
    )
    numbered = [(n, r) for n, r in enumerate(rows, start=2) if any(c.strip() for c in r)]
    json_rows = [
        {f: spreadsheet_value(c) for f, c in zip(fields, r, strict=True) if f}
        | attributes_of(column_names(header, rows), fields, r)
        for _, r in numbered
    ]
    by_json = client.post("/v1/leads", json={"campaignId": json_campaign, "leads": json_rows})

    assert by_json.status_code == 200, by_json.text
    got, want, numbers = by_csv.json(), by_json.json(), [n for n, _ in numbered]
    if {e["row"] for e in want["errors"]} == set(range(1, len(numbered) + 1)):
        assert by_csv.status_code == 422, by_csv.text
        assert got["error"]["details"] == (
            [{"row": numbers[e["row"] - 1], "field": e["field"], "message": e["message"]}
             for e in want["errors"]] or [{"field": "file", "message": "no data rows"}]
        )  # fmt: skip
        return
    assert by_csv.status_code == 200, by_csv.text
    columns = list(zip(column_names(header, rows), fields, strict=False))
    assert got["csv"]["mapping"] == {n: f or "attribute" for n, f in columns}
    assert got["csv"]["matchedBy"] == {n: f and "header" for n, f in columns}
    assert got["csv"]["ignoredColumns"] == []
    assert got["csv"]["attributeColumns"] == [n for n, f in columns if not f]
    counts = ("imported", "skipped", "updated", "inFileDuplicates", "alreadyInCampaign")
    assert [got[k] for k in counts] == [want[k] for k in counts]
    assert got["rows"] == len(numbered)
    assert errors_of(got) == errors_of(want, numbers)
    assert [(d["row"], d["repeatsRow"]) for d in got["duplicates"]] == [
        (numbers[d["row"] - 1], d["repeatsRow"] and numbers[d["repeatsRow"] - 1])
        for d in want["duplicates"]
    ]
    drop_ids = [{k: v for k, v in lead.items() if k != "id"} for lead in want["leads"]]
    assert [{k: v for k, v in lead.items() if k != "id"} for lead in got["leads"]] == drop_ids
    # A value kept out of its field (not an email, web site or LinkedIn link) is an
    # attribute named by the file's header, by the field's label in JSON.
    headers = {BY_API_NAME[f].label: name for name, f in columns if f and BY_API_NAME[f].check}
    assert stored(engine, [lead["id"] for lead in got["leads"]]) == [
        _headed(lead, headers) for lead in stored(engine, [lead["id"] for lead in want["leads"]])
    ]
    assert [(w["row"], w["field"]) for w in got["warnings"]] == [
        (numbers[w["row"] - 1], w["field"]) for w in want["warnings"]
    ]


def _headed(lead: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    """The lead with its attributes named by ``headers`` (label -> column header)."""
    if lead["attributes"]:
        lead["attributes"] = {headers.get(k, k): v for k, v in lead["attributes"].items()}
    return lead


@PROPERTY_SETTINGS
@given(data=st.data())
def test_the_problem_rows_file_reads_as_the_rows_it_copies(data: st.DataObject) -> None:
    """The dashboard's "problem rows" download, fixed and imported again, gives the values
    of the original rows; none of its cells begins with a formula trigger."""
    _fields, header, rows = data.draw(tables(), label="table")
    file = data.draw(csv_files(header, rows), label="file")
    table = read_upload(file)
    numbers = data.draw(
        st.lists(st.sampled_from(table.row_numbers), unique=True) if table.rows else st.just([]),
        label="problem rows",
    )
    # Plain (a Problem column of phone numbers is read as the phone) and stripped, as the
    # importer's messages are.
    problems = {n: data.draw(PLAIN.map(str.strip), label=f"problem of row {n}") for n in numbers}

    text = problem_rows_csv(table, problems)

    written = list(csv.reader(io.StringIO(text, newline=""), delimiter=table.delimiter))
    assert written[0] == [*column_names(header, rows), "Problem"]
    assert not [cell for record in written for cell in record if cell.startswith(TRIGGERS)]
    again = read_upload(text.encode())
    # The rows read again as they were: the Problem column is ignored (not an attribute).
    assert again.mapping["Problem"] is None
    numbered = zip(table.row_numbers, table.rows, strict=True)
    assert again.rows == [row for n, row in numbered if n in problems]


# --------------------------------------------------------------------------- 2. export round trip

# Lead values, with those an export must neutralize: starting with = + - @ (tab and CR are
# stripped from stored values; a value can still start with ' then one of them). Control
# characters too: the header, ids and dates of an export keep them far below the 10 % that
# makes a file binary (csvfile rule 1) - a lead whose notes are mostly control characters
# would export to a file the import refuses.
VALUE = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=15),
    TRICKY,
    FORMULA,
)


def _checked(field: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Values an import keeps in ``field``: one failing the field's check goes to the
    attributes instead (``tests/api/test_lead_checks.py``), and comes back as one."""
    check = BY_API_NAME[field].check if field in BY_API_NAME else None
    if check is None:
        return values
    return values.filter(lambda v: not v.strip() or validation.problem(check, v.strip()) is None)


LEAD_DICTS = st.fixed_dictionaries(
    {"email": _checked("email", EMAIL)},
    optional={
        field: _checked(field, st.one_of(BY_FIELD.get(field, VALUE), VALUE))
        for field in LEAD_FIELDS
        if field != "email"
    },
)


@PROPERTY_SETTINGS
@given(rows=st.lists(LEAD_DICTS, min_size=1, max_size=6))
def test_an_export_imports_again_unchanged(session: Session, rows: list[dict[str, str]]) -> None:
    criteria = CampaignCriteria.model_validate(CRITERIA)
    first, second = (
        campaigns.create_campaign(
            session,
            data=CampaignCreate(name=f"round trip {next(_campaign_numbers)}", criteria=criteria),
        ).id
        for _ in range(2)
    )
    imported = importing.import_leads(
        session, rows, ImportOptions(campaign_id=first, region="FR", max_rows=100)
    )
    ids = [lead.id for lead in imported.leads]
    file = export.leads_csv_bytes(
        queries.leads_by_ids(session, ids), campaign_names=campaigns.names(session)
    )
    options = ImportOptions(campaign_id=second, region="FR", max_rows=100, max_bytes=10**7)
    if not ids:  # every row refused: the export is a header alone, which imports nothing
        with pytest.raises(ValidationFailed, match="no data rows"):
            importing.import_file(session, file, options)
        return

    again = importing.import_file(session, file, options)

    assert (again.imported, again.skipped, again.updated, again.errors) == (len(ids), 0, 0, [])
    before = queries.leads_by_ids(session, ids)
    after = queries.leads_by_ids(session, [lead.id for lead in again.leads])
    assert [lead.model_dump(exclude=NOT_COMPARED) for lead in after] == [
        lead.model_dump(exclude=NOT_COMPARED) for lead in before
    ]


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_an_exported_cell_beginning_with_a_trigger_is_written_with_a_quote(trigger: str) -> None:
    value = f"{trigger}SUM(A1)"
    lead = Lead(
        id="lead_1", campaign_id="cmp_1", email="a@acme.io", company=value, notes=f"'{value}"
    )

    header, row = list(
        csv.reader(
            io.StringIO(
                export.leads_csv_bytes([lead], campaign_names={"cmp_1": "Spring"}).decode(
                    "utf-8-sig"
                )
            )
        )
    )

    cells = dict(zip(header, row, strict=True))
    assert (cells["company"], cells["notes"]) == (f"'{value}", f"''{value}")
