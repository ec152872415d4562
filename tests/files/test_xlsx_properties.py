"""Property tests (hypothesis) of ``.xlsx`` uploads and of attributes.

1. **.xlsx = CSV.** The tables of ``test_csv_properties.py``, written into an ``.xlsx``
   workbook by openpyxl (every cell a string) and written as CSV, read alike: the same
   header row and row numbers, columns, mapping and rows with the same attributes, whatever
   blank rows and columns are above and left of the table.
2. **Attributes.** Columns with any name that no lead field is called come back as the
   rows' attributes, as written (CSV or ``.xlsx``); imported, exported (one column per
   attribute) and imported again, the leads keep them unchanged.

Every read of a workbook runs a child process (about 0.3 s): few examples. Reproducible
as the CSV properties are (``derandomize=True``, no example database)."""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

import hypothesis
import openpyxl
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session

from leads_core.files import export
from leads_core.files.headers import PRODUCT_COLUMNS, header_target, normalise_header
from leads_core.files.reading import read_upload
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import CampaignCreate, CampaignCriteria
from leads_core.services import campaigns, queries
from leads_core.storage.models import Lead
from tests.files.test_csv_properties import (
    FORMULA,
    PROPERTY_SETTINGS,
    TEXT,
    TRICKY,
    csv_files,
    spreadsheet_value,
    tables,
)

XLSX_SETTINGS = hypothesis.settings(PROPERTY_SETTINGS, max_examples=15)
_campaign_numbers = itertools.count(1)


def xml_text(cell: str) -> str:
    """A cell as an ``.xlsx`` keeps it: XML reads every line end as LF, so a CR (alone or
    before LF) comes back as LF. The CSV the workbook is compared with holds the same."""
    return cell.replace("\r\n", "\n").replace("\r", "\n")


def workbook(records: list[list[str]]) -> bytes:
    """One sheet holding ``records`` from A1, every non-empty cell a string (``=1+1`` too,
    which openpyxl would otherwise write as a formula); empty cells are not written."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row, record in enumerate(records, start=1):
        for column, value in enumerate(record, start=1):
            if value:
                cell = sheet.cell(row, column)
                cell.value = value
                cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(records: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(records)
    return out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- 1. .xlsx = CSV


@XLSX_SETTINGS
@given(data=st.data())
def test_an_xlsx_workbook_reads_like_the_same_rows_written_as_csv(data: st.DataObject) -> None:
    _fields, header, rows = data.draw(tables(), label="table")
    above = data.draw(st.integers(0, 2), label="blank rows above")
    left = data.draw(st.integers(0, 1), label="blank columns on the left")
    table = [[""] * left + [xml_text(cell) for cell in record] for record in [header, *rows]]
    records = [[] for _ in range(above)] + table

    text = read_upload(csv_bytes(records))
    book = read_upload(workbook(records))

    assert text.header_row == above + 1
    assert (book.kind, book.sheet, book.sheets) == ("xlsx", "Sheet", ("Sheet",))
    assert (book.header_row, book.row_numbers) == (text.header_row, text.row_numbers)
    assert (book.headers, book.mapping, book.matched_by) == (
        text.headers,
        text.mapping,
        text.matched_by,
    )
    assert book.rows == text.rows


# --------------------------------------------------------------------------- 2. attributes

# The columns every table has: every kind of value a column can be recognised by (email,
# LinkedIn profile, phone, web site) is taken, so no other column is matched by its values.
BASE = ("email", "linkedinUrl", "phone", "website")


def base_cells(i: int) -> list[str]:
    return [f"p{i}@acme.io", f"https://www.linkedin.com/in/p{i}", "+33 6 12 34 56 78", "acme.io"]


def column_name(header: str) -> str:
    """What a header cell names (``files.layout.unique_headers``): BOM and spaces aside."""
    return header.replace("\ufeff", "").strip()


def names_no_field(header: str) -> bool:
    """Not a lead field's name or synonym, nor one of our exports' own columns."""
    name = column_name(header)
    return (
        bool(name) and header_target(name) is None and normalise_header(name) not in PRODUCT_COLUMNS
    )


NAMES = st.one_of(
    st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=20),
    st.sampled_from(["Région", "Tags; labels", "Lead Score", '"Owner"', "=Score", "@handle"]),
).filter(names_no_field)
VALUES = st.one_of(TEXT, TRICKY, FORMULA, st.sampled_from(["", " ", "'", "O'Neil"]))


@st.composite
def attribute_tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)``: the :data:`BASE` columns and 1 to 4 others, in any order."""
    extra = draw(st.lists(NAMES, min_size=1, max_size=4, unique_by=column_name), label="names")
    count = draw(st.integers(1, 5), label="rows")
    rows = [[*base_cells(i), *draw(st.tuples(*[VALUES] * len(extra)))] for i in range(count)]
    order = draw(st.permutations(range(len(BASE) + len(extra))), label="column order")
    header = [*BASE, *extra]
    return [header[i] for i in order], [[row[i] for i in order] for row in rows]


def new_campaign(session: Session) -> str:
    name = f"attributes {next(_campaign_numbers)}"
    data = CampaignCreate(name=name, criteria=CampaignCriteria())
    return campaigns.create_campaign(session, data=data).id


def import_into(session: Session, file: bytes) -> list[Lead]:
    """Import ``file`` into a new campaign: its leads, in the file's order."""
    options = ImportOptions(campaign_id=new_campaign(session), region="FR", max_rows=100)
    outcome = importing.import_file(session, file, options)
    assert (outcome.skipped, outcome.errors) == (0, [])
    return queries.leads_by_ids(session, [lead.id for lead in outcome.leads])


@XLSX_SETTINGS
@given(data=st.data())
def test_other_columns_come_back_as_attributes_through_an_export(
    session: Session, data: st.DataObject
) -> None:
    header, rows = data.draw(attribute_tables(), label="table")
    if data.draw(st.booleans(), label="as .xlsx"):
        rows = [[xml_text(cell) for cell in row] for row in rows]
        file = workbook([header, *rows])
    else:
        file = data.draw(csv_files(header, rows), label="file")
    names = [column_name(h) for h in header]
    others = [i for i, h in enumerate(header) if h not in BASE]
    expected: list[dict[str, Any]] = [
        {names[i]: value for i in others if (value := spreadsheet_value(row[i]))} for row in rows
    ]

    table = read_upload(file)

    assert table.headers == names
    assert table.mapping == {n: n if n in BASE else "attribute" for n in names}
    assert table.matched_by == {n: "header" if n in BASE else None for n in names}
    assert table.attribute_columns == [names[i] for i in others]
    assert [row.get("attributes", {}) for row in table.rows] == expected
    # Stored, a value is trimmed once more: "'\t=1" reads "\t=1" and is kept as "=1".
    stored = [{k: v.strip() for k, v in found.items() if v.strip()} for found in expected]
    leads = import_into(session, file)
    assert [lead.attributes or {} for lead in leads] == stored

    exported = export.leads_csv_bytes(leads, campaign_names={})
    again = read_upload(exported)
    assert again.attribute_columns == list(dict.fromkeys(k for found in stored for k in found))
    assert [row.get("attributes", {}) for row in again.rows] == stored
    assert [lead.attributes or {} for lead in import_into(session, exported)] == stored
