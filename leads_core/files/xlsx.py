"""Excel workbooks (``.xlsx``) -> records of cell text, one list per spreadsheet row.

The workbook is read by `python-calamine` (Rust) in a child process of its own, under a
memory and a time limit: a workbook is a ZIP of XML, and a small file can unpack to a
huge one (a "zip bomb", or one cell at A1 and one at XFD1048576, which calamine would
lay out as 17 billion cells and abort the process on). In the child, such a file costs
the child; the app process only reads the child's answer. The first sheet is read, or
the one the caller names. Formulas give their cached results, merged cells their value
in the top-left cell, dates ISO text (``2024-03-12``), whole numbers no ``.0``.

Run as ``python -m leads_core.files.xlsx [SHEET]`` with the workbook on stdin: it writes
``{"sheets", "sheet", "firstRow", "rows"}`` on stdout (``marshal``: lists of strings, read
back in a tenth of JSON's time); exit status 2 with a message
on stderr for a file it cannot read, 3 for an unknown sheet.
"""

from __future__ import annotations

import io
import marshal
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from leads_core.errors import BadFile, PayloadTooLarge, ValidationFailed

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MEMORY_LIMIT = 768 * 1024 * 1024  # address space of the child that unpacks a workbook
TIME_LIMIT = 60.0  # seconds the child may take
MAX_TEXT = 64 * 1024 * 1024  # characters of cell text the child hands back (a 10 MB CSV: 10 M)
_NOT_FOUND, _UNREADABLE, _TOO_MUCH = 3, 2, 4


@dataclass(frozen=True)
class Workbook:
    records: list[list[str]]  # records[i] is spreadsheet row first_row + i
    first_row: int
    sheet: str
    sheets: list[str]


def is_workbook(data: bytes) -> bool:
    """An Office file by its content (whatever its name): a ZIP, or an OLE container
    (an old ``.xls`` or a password-protected workbook)."""
    return data.startswith((ZIP_MAGIC, OLE_MAGIC))


def read_workbook(data: bytes, sheet: str | None = None) -> Workbook:
    """The rows of one sheet. Raises :class:`BadFile` for what is not a readable
    ``.xlsx`` and :class:`ValidationFailed` for a sheet the workbook does not have."""
    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise BadFile(
                "The workbook is password-protected: open it in Excel, remove the password "
                "(File > Info > Protect Workbook) and upload it again."
            )
        raise BadFile(
            "This is an old Excel .xls workbook: save it as .xlsx or as CSV UTF-8 and upload "
            "that file."
        )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "leads_core.files.xlsx", sheet or ""],
            input=data,
            capture_output=True,
            timeout=TIME_LIMIT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BadFile(
            f"The workbook took more than {TIME_LIMIT:.0f} s to read; save the sheet as CSV "
            "UTF-8 and upload that file."
        ) from None
    message = done.stderr.decode("utf-8", "replace").strip().splitlines()
    if done.returncode == _NOT_FOUND:
        raise ValidationFailed(
            message[-1] if message else "no such sheet",
            details=[{"field": "sheet", "message": message[-1] if message else "no such sheet"}],
        )
    if done.returncode == _UNREADABLE:
        raise BadFile(message[-1] if message else "The file is not a readable .xlsx workbook.")
    if done.returncode == _TOO_MUCH:
        raise PayloadTooLarge(
            f"The workbook's sheet holds more than {MAX_TEXT // 1_048_576} million characters "
            "of text once unpacked; import it in parts, or save the leads as CSV UTF-8.",
            details=[{"field": "file", "message": "too much text once unpacked"}],
        )
    if done.returncode != 0:  # killed: out of memory (a zip bomb, a far-away cell) or a crash
        raise BadFile(
            "The workbook unpacks to more than this server reads "
            f"({MEMORY_LIMIT // 1_048_576} MB): it holds far more cells than its rows show "
            "(a cell far down or to the right, or compressed padding). Copy the leads into a "
            "new workbook, or save the sheet as CSV UTF-8, and upload that file."
        )
    answer = marshal.loads(done.stdout)
    return Workbook(answer["rows"], answer["firstRow"], answer["sheet"], answer["sheets"])


# --------------------------------------------------------------------------- the child


def cell_text(value: Any) -> str:
    """A cell as the text a spreadsheet shows for it."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on Linux
        pass


def _rows(cells: Any, pad: list[str]) -> list[list[str]]:
    """Each row as text: blank rows as ``[]`` and trailing blank cells and rows dropped
    (a sheet formatted down to row 1,000,000 costs nothing); ``OverflowError`` past
    :data:`MAX_TEXT` characters."""
    rows: list[list[str]] = []
    size = 0
    for row in cells:
        texts = [cell_text(c) for c in row]
        while texts and not texts[-1]:
            texts.pop()
        if not texts:
            rows.append([])
            continue
        size += sum(map(len, texts)) + len(texts)
        if size > MAX_TEXT:
            raise OverflowError(size)
        rows.append(pad + texts)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _main(argv: list[str]) -> int:
    _limit_memory()
    import python_calamine

    wanted = argv[1] if len(argv) > 1 and argv[1] else None
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(sys.stdin.buffer.read()))
        names = list(book.sheet_names)
        if wanted is not None and wanted not in names:
            print(
                f"The workbook has no sheet {wanted!r}; its sheets: {', '.join(names)}.",
                file=sys.stderr,
            )
            return _NOT_FOUND
        if not names:
            print("The workbook has no sheet.", file=sys.stderr)
            return _UNREADABLE
        sheet = book.get_sheet_by_name(wanted or names[0])
        # iter_rows() starts at the sheet's first row (row 1) but at its first used column.
        _, first_col = sheet.start or (0, 0)
        rows = _rows(sheet.iter_rows(), [""] * first_col)
    except MemoryError:
        return 1
    except OverflowError:
        print("too much text", file=sys.stderr)
        return _TOO_MUCH
    except Exception as exc:  # calamine's errors: not a workbook, a broken one
        print(
            f"The file is not a readable .xlsx workbook ({type(exc).__name__}: "
            f"{str(exc)[:200]}). Save it again from Excel as .xlsx, or as CSV UTF-8.",
            file=sys.stderr,
        )
        return _UNREADABLE
    answer = {"sheets": names, "sheet": sheet.name, "firstRow": 1, "rows": rows}
    sys.stdout.buffer.write(marshal.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
