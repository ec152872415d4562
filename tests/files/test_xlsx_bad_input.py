"""Workbooks that must be refused or read safely: zip bombs, a cell at the sheet's far
corner, a million formatted empty rows, formulas, merged cells, password protection.
Each is read in a process of its own that reports its own peak memory, so the bound
holds for what an app process would pay."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from leads_core.errors import BadFile
from leads_core.files.reading import read_upload
from leads_core.files.xlsx import read_workbook

APP_MEMORY_MB = 500
SHEET = "xl/worksheets/sheet1.xml"
XML_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
XML_TAIL = b"</sheetData></worksheet>"
HEADER_ROW = b'<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_sheet_xml(write_sheet) -> bytes:  # type: ignore[no-untyped-def]
    """A real workbook whose first sheet's XML is written by ``write_sheet(file)``,
    streamed, so a test never holds an unpacked bomb in memory."""
    source = zipfile.ZipFile(io.BytesIO(workbook([["Email"], ["a@x.fr"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename == SHEET:
                with target.open(SHEET, "w", force_zip64=True) as sheet:
                    write_sheet(sheet)
            else:
                target.writestr(info.filename, source.read(info.filename))
    return out.getvalue()


def far_corner(sheet) -> None:  # type: ignore[no-untyped-def]
    sheet.write(XML_HEAD + HEADER_ROW)
    sheet.write(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + XML_TAIL)


def million_empty_rows(sheet) -> None:  # type: ignore[no-untyped-def]
    sheet.write(XML_HEAD + HEADER_ROW)
    sheet.write(b'<row r="2"><c r="A2" t="inlineStr"><is><t>a@x.fr</t></is></c></row>')
    for start in range(3, 1_000_003, 10_000):
        stop = min(start + 10_000, 1_000_003)
        sheet.write(
            b"".join(b'<row r="%d"><c r="A%d" s="0"/></row>' % (n, n) for n in range(start, stop))
        )
    sheet.write(XML_TAIL)


def huge_cell(megabytes: int):  # type: ignore[no-untyped-def]
    """One cell of that many million characters: a few hundred KB compressed."""

    def write(sheet) -> None:  # type: ignore[no-untyped-def]
        sheet.write(XML_HEAD + HEADER_ROW + b'<row r="2"><c r="A2" t="inlineStr"><is><t>')
        chunk = b"A" * (1 << 20)
        for _ in range(megabytes):
            sheet.write(chunk)
        sheet.write(b"</t></is></c></row>" + XML_TAIL)

    return write


READ_IN_A_PROCESS = """
import json, sys, time
from leads_core.errors import LeadsError
from leads_core.files.reading import read_upload
data = open(sys.argv[1], "rb").read()
started = time.perf_counter()
try:
    table = read_upload(data)
    outcome = {"rows": len(table.rows), "first": table.rows[:1]}
except LeadsError as exc:
    outcome = {"error": type(exc).__name__, "status": exc.status, "message": exc.message}
outcome["seconds"] = time.perf_counter() - started
# VmHWM: this process's own peak (getrusage's ru_maxrss keeps the parent's across exec)
status = open("/proc/self/status").read()
outcome["peak_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps(outcome))
"""


def read_elsewhere(data: bytes, tmp_path: Path) -> dict:
    """read_upload in a new process: its answer and its own peak memory (the workbook's
    child process has limits of its own and is not counted)."""
    path = tmp_path / "upload.xlsx"
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(READ_IN_A_PROCESS), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (far_corner, "BadFile"),  # calamine would lay out 17 billion cells: the child dies
        (huge_cell(400), "BadFile"),  # over the child's memory: it dies
        (huge_cell(100), "PayloadTooLarge"),  # read by the child, too much to hand back
    ],
    ids=["cell-at-XFD1048576", "zip-bomb-400M-characters", "zip-bomb-100M-characters"],
)
def test_bombs_are_refused_without_a_memory_spike(build, expected, tmp_path: Path) -> None:
    data = with_sheet_xml(build)
    assert len(data) < 10 * 1024 * 1024  # within the upload limit: the bomb is unpacked
    outcome = read_elsewhere(data, tmp_path)
    assert outcome.get("error") == expected, outcome
    assert outcome["status"] in (400, 413)
    assert outcome["peak_mb"] < APP_MEMORY_MB, outcome


@pytest.mark.slow
def test_a_million_formatted_empty_rows_cost_nothing(tmp_path: Path) -> None:
    outcome = read_elsewhere(with_sheet_xml(million_empty_rows), tmp_path)
    assert outcome["rows"] == 1
    assert outcome["first"] == [{"email": "a@x.fr"}]
    assert outcome["peak_mb"] < APP_MEMORY_MB, outcome
    assert outcome["seconds"] < 30, outcome


def test_formulas_give_their_results_never_their_text() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Email", "Notes", "Seats"])
    sheet.append(["a@x.fr", '=HYPERLINK("http://evil.example")', "=1+1"])
    out = io.BytesIO()
    book.save(out)  # openpyxl stores formulas without results, as an unsaved sheet would
    table = read_upload(out.getvalue())
    assert table.rows == [{"email": "a@x.fr", "notes": ""}]  # no result: an empty cell
    assert "=" not in json.dumps(table.records)


def test_merged_cells_read_their_value_once() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Email", "Company", "Region"])
    sheet.append(["a@x.fr", "Acme", "West"])
    sheet.append(["b@x.fr", None, None])
    sheet.merge_cells("C2:C3")
    out = io.BytesIO()
    book.save(out)
    table = read_upload(out.getvalue())
    assert table.rows == [
        {"email": "a@x.fr", "company": "Acme", "attributes": {"Region": "West"}},
        {"email": "b@x.fr", "company": ""},
    ]


def test_a_password_protected_workbook_says_so() -> None:
    ole = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "EncryptedPackage".encode("utf-16-le")
    )
    with pytest.raises(BadFile, match="password-protected"):
        read_workbook(ole)
    with pytest.raises(BadFile, match=r"old Excel \.xls"):
        read_workbook(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04" + bytes(range(256)) * 8, b"PK\x03\x04garbage"],
    ids=["zip-garbage", "truncated-zip"],
)
def test_a_zip_that_is_no_workbook_is_a_bad_file(data: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(BadFile, match="not a readable .xlsx workbook"):
        read_upload(data)
    assert time.perf_counter() - started < 10
