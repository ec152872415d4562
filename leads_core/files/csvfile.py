"""Turn the bytes of an uploaded CSV file into rows keyed by lead field names.

This module only *reads* the file: it finds the text encoding and the delimiter,
parses the records with Python's :mod:`csv` module, matches the header line to
the lead fields (``firstName``, ``email`` ...) and returns every data row as a
``dict`` of raw cell text. Checking the values (is the email valid, is the row a
duplicate ...) is the importer's job, so a cell like ``not-an-email`` or
``=HYPERLINK(...)`` comes back exactly as written in the file; only the ``'`` that
our exports put before a formula (``'=HYPERLINK(...)``) is taken off (rule 5).

Reading rules, in order:

1. **Not text** - an empty file, a file with NUL bytes (this includes UTF-16),
   a known binary signature (PNG, ZIP/XLSX, PDF, old XLS ...) or more than
   ~10 % control characters raises :class:`~leads_core.errors.BadFile`.
2. **Encoding** - strict UTF-8 first (``"utf-8-sig"`` when the file starts with
   a byte order mark, ``"utf-8"`` otherwise); when that fails
   ``charset_normalizer`` chooses among the Western single-byte encodings
   (``cp1252``, ``latin-1``, ``iso8859-15``); a file holding bytes 0x80-0x9F
   (``€``, curly quotes, ``œ`` in Windows-1252) is read as ``cp1252``; the last
   resort is ``latin-1``, which decodes anything.
3. **Delimiter** - one of ``,`` ``;`` tab ``|``: the one occurring most often
   outside quotes in the header line; a tie is settled by which delimiter gives
   the same number of cells on the next lines; a header line with none of them
   (a one-column file) falls back to :class:`csv.Sniffer`, then to ``,``. An
   Excel ``sep=;`` hint on the first line is obeyed and skipped.
4. **Header** - the first record that is not blank. Each header is matched
   after :func:`normalise_header` against :data:`HEADER_SYNONYMS`; the first
   column matching a field wins, later ones are ignored. An explicit mapping
   overrides this for the columns it names.
5. **Rows** - cells are stripped of surrounding whitespace, then one leading ``'``
   is removed when the rest of the cell, after its leading ``'``, begins with a
   formula trigger (``=`` ``+`` ``-`` ``@`` tab CR): ``'=SUM(A1)`` is read
   ``=SUM(A1)``, ``''=x`` is read ``'=x``, ``O'Neil`` and ``'tis`` are kept - the
   inverse of :func:`leads_core.export.neutralize`, so an export imports again
   unchanged. A row with more cells than headers loses the extra cells, a
   shorter one gets ``""`` for the missing ones; a row whose cells are all
   blank is skipped.

**Row numbers** are the numbers a spreadsheet shows: record *N* of the file is
row *N*, the header being row 1 (so the first data row is 2). A record whose
quoted cell spans several physical lines is one row; skipped blank rows still
use up their number. An Excel ``sep=`` line is not counted (Excel hides it);
blank lines *before* the header are counted, as a spreadsheet shows them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import charset_normalizer

from leads_core.errors import BadFile, ValidationFailed
from leads_core.files.export import neutralize, unneutralize
from leads_core.files.headers import (
    HEADER_SYNONYMS,
    IGNORE,
    LEAD_FIELDS,
    detect_mapping,
    normalise_header,
    resolve_mapping,
)

__all__ = [
    "DELIMITERS",
    "HEADER_SYNONYMS",
    "IGNORE",
    "LEAD_FIELDS",
    "CsvPreview",
    "CsvTable",
    "detect_mapping",
    "normalise_header",
    "preview_csv_bytes",
    "problem_rows_csv",
    "read_csv_bytes",
]


#: Delimiters recognised, in order of preference when nothing else decides.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")


@dataclass(frozen=True)
class CsvTable:
    """A parsed CSV file.

    ``rows[i]`` has one key per *mapped* lead field (every row has the same
    keys); values are the cell text stripped of surrounding whitespace, an
    export's ``'`` before a formula removed (rule 5), ``""`` for an empty or
    missing cell. ``row_numbers[i]`` is the spreadsheet row number of
    ``rows[i]`` (header = row 1, see the module docstring).
    ``headers`` are the file's column names in order, stripped of whitespace;
    an empty header becomes ``"Column N"`` and a repeated one ``"Email (2)"``
    so each column has a distinct name to map. ``mapping`` maps every header to
    its lead field or ``None``; ``ignored_columns`` lists the ``None`` ones.
    """

    rows: list[dict[str, str]]
    row_numbers: list[int]
    encoding: str
    delimiter: str
    headers: list[str]
    mapping: dict[str, str | None]
    ignored_columns: list[str]


# --------------------------------------------------------------------------- bytes -> text

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or an Excel .xlsx workbook - save it as CSV"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel .xls workbook - save it as CSV"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"SQLite format 3\x00", "a SQLite database"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BOM = b"\xef\xbb\xbf"
# Control bytes that never occur in text (tab, LF, CR are fine).
_CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
_SNIFF_BYTES = 65536
_MAX_CONTROL_RATIO = 0.10
_FALLBACK_ENCODINGS = ("cp1252", "latin_1", "iso8859_15")
_ENCODING_NAMES = {"cp1252": "cp1252", "latin_1": "latin-1", "iso8859_15": "iso8859-15"}
# Every byte except 0x80-0x9F: ``data.translate(None, _NOT_C1)`` keeps only those.
_NOT_C1 = bytes(b for b in range(256) if not 0x80 <= b <= 0x9F)


def _not_text(reason: str) -> BadFile:
    return BadFile(f"The uploaded file is not a CSV text file: {reason}.")


def _check_is_text(data: bytes) -> None:
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            raise _not_text(f"it looks like {what}")
    if data.startswith(_UTF16_BOMS) and not data.startswith(_BOM):
        raise _not_text("it is UTF-16 encoded (Excel 'Unicode Text'); save it as 'CSV UTF-8'")
    if b"\x00" in data:
        raise _not_text("it contains NUL bytes, so it is binary or UTF-16 data")
    sample = data[:_SNIFF_BYTES]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > _MAX_CONTROL_RATIO * len(sample):
        raise _not_text("it is mostly binary data (control characters)")


def _decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding name)``; see rule 2 of the module docstring."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        return text, "utf-8-sig" if data.startswith(_BOM) else "utf-8"
    # Not UTF-8. A stray UTF-8 BOM in front of Windows-1252 text is dropped.
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    candidates: list[str] = []
    best = charset_normalizer.from_bytes(
        data[: 4 * _SNIFF_BYTES], cp_isolation=list(_FALLBACK_ENCODINGS)
    ).best()
    if best is not None and best.encoding in _FALLBACK_ENCODINGS:
        candidates.append(best.encoding)
    # Bytes 0x80-0x9F are C1 control codes in latin-1 / iso8859-15, printable
    # characters (€ ’ œ …) in Windows-1252: such a file is Windows-1252.
    if data.translate(None, _NOT_C1):
        candidates.insert(0, "cp1252")
    candidates += ["cp1252", "latin_1"]
    for encoding in dict.fromkeys(candidates):
        try:
            return data.decode(encoding), _ENCODING_NAMES[encoding]
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


# --------------------------------------------------------------------------- delimiter

_QUOTED = re.compile(r'"[^"]*"')
_SEP_HINT = re.compile(r'\A[ \t]*"?sep=(.)"?[ \t]*\r?(?:\n|\Z)', re.IGNORECASE)
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")


def _detect_delimiter(text: str) -> str:
    """The delimiter used by ``text`` (which starts at the header line)."""
    sample = text[:_SNIFF_BYTES]
    # Quoted parts (which may hold delimiters and newlines) removed; the header
    # line is then the first non-blank line.
    unquoted = _QUOTED.sub("", sample)
    header = next((line for line in _LINE_SPLIT.split(unquoted) if line.strip()), "")
    counts = {d: header.count(d) for d in DELIMITERS}
    most = max(counts.values())
    if most == 0:
        return _sniff_delimiter(sample)
    tied = [d for d in DELIMITERS if counts[d] == most]
    if len(tied) == 1:
        return tied[0]
    # Tie: keep the delimiter that gives the header's cell count on most lines.
    lines = _LINE_SPLIT.split(sample)
    lines = lines[:-1] if len(lines) > 1 else lines  # the last one may be cut short
    head = "\n".join(lines[:50])

    def consistency(delimiter: str) -> int:
        records = [r for r in csv.reader(io.StringIO(head), delimiter=delimiter) if any(r)]
        return sum(len(r) == len(records[0]) for r in records[1:]) if records else 0

    return max(tied, key=consistency)  # max keeps the first of equal scores


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in _LINE_SPLIT.split(sample)[:20] if line.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return ","


# --------------------------------------------------------------------------- parsing


def _unique_headers(cells: list[str]) -> list[str]:
    headers: list[str] = []
    seen: set[str] = set()
    for position, cell in enumerate(cells, start=1):
        name = cell.replace("\ufeff", "").strip() or f"Column {position}"
        unique, n = name, 1
        while unique in seen:
            n += 1
            unique = f"{name} ({n})"
        seen.add(unique)
        headers.append(unique)
    return headers


@dataclass
class _Opened:
    reader: Any  # csv.reader over the decoded text
    encoding: str
    delimiter: str
    headers: list[str]
    header_row: int


def _open(data: bytes) -> _Opened:
    """Rules 1-4 up to the header line: check, decode, pick the delimiter, read the header."""
    if not data.strip():
        raise BadFile("The uploaded file is empty: a CSV file needs a header line and data rows.")
    _check_is_text(data)
    text, encoding = _decode(data)

    hint = _SEP_HINT.match(text)
    if hint and hint.group(1) in DELIMITERS:
        delimiter = hint.group(1)
        text = text[hint.end() :]
    else:
        delimiter = _detect_delimiter(text)

    # skipinitialspace: `a@x.fr, "Acme, Inc"` (space after the delimiter) is quoted.
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', skipinitialspace=True
    )
    header_cells: list[str] = []
    header_row = 0
    with _csv_errors(reader):
        for record in reader:
            header_row += 1
            if "".join(record).strip():
                header_cells = record
                break
    if not header_cells:
        raise BadFile(
            "The uploaded file has no header line: the first non-blank line must name the columns."
        )
    return _Opened(reader, encoding, delimiter, _unique_headers(header_cells), header_row)


@contextmanager
def _csv_errors(reader: Any) -> Iterator[None]:
    try:
        yield
    except csv.Error as exc:
        raise BadFile(
            f"The CSV file could not be read near row {reader.line_num}: {exc}. "
            "Check for a quote that is never closed."
        ) from exc


def read_csv_bytes(data: bytes, mapping: Mapping[str, str | None] | None = None) -> CsvTable:
    """Parse an uploaded CSV file; see the module docstring for the rules.

    ``mapping`` (``{"CSV header": "leadField"}``, a value of ``None``, ``""``
    or ``"ignore"`` to skip a column) overrides the automatic matching for the
    headers it names; the other headers are still matched automatically.

    Raises :class:`BadFile` for a file that is not CSV text, is empty, has no
    header line or cannot be parsed; :class:`ValidationFailed` for a bad
    ``mapping`` or when no column matches any lead field.
    """
    opened = _open(data)
    headers = opened.headers
    resolved = resolve_mapping(headers, mapping)
    positions = [i for i, h in enumerate(headers) if resolved[h]]
    if not positions:
        raise ValidationFailed(
            "no column could be matched to a lead field; headers found: "
            + ", ".join(headers)
            + ". Rename the columns or give a mapping.",
            details=[{"field": "mapping", "message": "no column matches a lead field"}],
        )
    fields = [str(resolved[headers[i]]) for i in positions]
    with _csv_errors(opened.reader):
        rows, row_numbers = _read_rows(opened.reader, positions, fields, opened.header_row)
    return CsvTable(
        rows=rows,
        row_numbers=row_numbers,
        encoding=opened.encoding,
        delimiter=opened.delimiter,
        headers=headers,
        mapping=resolved,
        ignored_columns=[h for h in headers if resolved[h] is None],
    )


@dataclass(frozen=True)
class CsvPreview:
    """What the import screen shows before importing: the first records as written,
    and how the file was read (encoding, delimiter, the automatic header mapping)."""

    headers: list[str]
    rows: list[list[str]]
    encoding: str
    delimiter: str
    mapping: dict[str, str | None]


def preview_csv_bytes(data: bytes, *, rows: int = 5) -> CsvPreview:
    """The header and the first ``rows`` non-blank records, each padded or cut to the
    header's width. Raises :class:`BadFile` like :func:`read_csv_bytes`."""
    opened = _open(data)
    width = len(opened.headers)
    sample: list[list[str]] = []
    with _csv_errors(opened.reader):
        for record in opened.reader:
            if len(sample) >= rows:
                break
            if "".join(record).strip():
                sample.append((record + [""] * width)[:width])
    return CsvPreview(
        headers=opened.headers,
        rows=sample,
        encoding=opened.encoding,
        delimiter=opened.delimiter,
        mapping=detect_mapping(opened.headers),
    )


def problem_rows_csv(data: bytes, problems: Mapping[int, str]) -> str:
    """The records of an uploaded file whose row numbers are in ``problems``, as CSV text
    with the original header plus a last ``Problem`` column (the message), so a user can
    fix them in a spreadsheet and import that file again. Each cell is written as the
    value it was read as (:func:`cell_value`), neutralized like every export (see
    :func:`leads_core.export.neutralize`): ``=1+1`` and ``'=1+1`` are both written
    ``'=1+1``, so the file imports to the same values as the original rows."""
    opened = _open(data)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=opened.delimiter, lineterminator="\r\n")
    writer.writerow([*opened.headers, "Problem"])
    width = len(opened.headers)
    with _csv_errors(opened.reader):
        for number, record in enumerate(opened.reader, start=opened.header_row + 1):
            if number in problems:
                cells = [*map(cell_value, (record + [""] * width)[:width]), problems[number]]
                writer.writerow([neutralize(cell) for cell in cells])
    return out.getvalue()


def cell_value(cell: str) -> str:
    """What a cell of the file means (rule 5): surrounding whitespace stripped, then an
    export's ``'`` before a formula trigger removed. :func:`_read_rows` inlines it."""
    return unneutralize(cell.strip())


def _read_rows(
    reader: Iterator[list[str]], positions: list[int], fields: list[str], header_row: int
) -> tuple[list[dict[str, str]], list[int]]:
    """The hot loop: one dict per non-blank record, kept tight for speed."""
    rows: list[dict[str, str]] = []
    row_numbers: list[int] = []
    append_row, append_number = rows.append, row_numbers.append
    width = max(positions) + 1
    pick = itemgetter(*positions) if len(positions) > 1 else (lambda r: (r[positions[0]],))
    # Common case: the mapped columns are the first ones, so zip() can read the record as
    # is (it stops after the last field) - saves a tuple per row.
    prefix = positions == list(range(len(positions)))
    strip = str.strip
    for number, record in enumerate(reader, start=header_row + 1):
        if len(record) < width:
            if not record:
                continue  # an empty line
            record = record + [""] * (width - len(record))
        row = dict(zip(fields, map(strip, record if prefix else pick(record)), strict=False))
        joined = "".join(record)
        if not any(row.values()) and not joined.strip():
            continue  # every cell blank
        if "'" in joined:  # rare: one test per record keeps the loop fast
            for field, cell in row.items():
                if cell.startswith("'"):
                    row[field] = unneutralize(cell)
        append_row(row)
        append_number(number)
    return rows, row_numbers
