"""An uploaded file (CSV in any of its encodings and delimiters, or an ``.xlsx``
workbook, told apart by content) -> rows keyed by lead field, each with the cells no
field takes kept as ``attributes``.

1. **Records** - a workbook's sheet (``files.xlsx``) or the CSV text (``files.csvfile``).
2. **Header** - the record naming the most lead fields among the first non-blank ones,
   so preambles (LinkedIn's "Notes:"), title rows and blank lines above it are skipped
   (``files.layout``). Row numbers stay the spreadsheet's: the header's own number + 1 is
   the first data row.
3. **Columns** - each column becomes a lead field (by header, by values, or by the
   caller's mapping), a full name split into first and last name, an attribute, or
   nothing when the mapping says ``null`` (``files.headers.plan_columns``).
4. **Rows** - cells are stripped of surrounding whitespace, then one leading ``'`` is
   removed when the rest of the cell begins with a formula trigger (``'=SUM(A1)`` is read
   ``=SUM(A1)``; ``O'Neil`` and ``'tis`` are kept) - the inverse of
   :func:`leads_core.files.export.neutralize`, so an export imports again unchanged. A
   record whose cells are all blank is skipped; its number stays used.

Checking the values (is the email valid, is the row a duplicate) is the importer's job:
a cell like ``not-an-email`` comes back exactly as written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from leads_core.errors import BadFile, ValidationFailed
from leads_core.files import csvfile, layout, xlsx
from leads_core.files.export import neutralize, unneutralize
from leads_core.files.headers import ATTRIBUTE, FULL_NAME, ColumnPlan, MatchedBy, plan_columns

SAMPLE_ROWS = 200  # data rows whose cells tell a column's kind


@dataclass(frozen=True)
class FileTable:
    """A file read into lead rows (see the module docstring).

    ``rows[i]`` maps each lead field the file has (API names) to its cell text, plus
    ``"attributes"`` (header -> text) when the row has cells no field takes;
    ``row_numbers[i]`` is its spreadsheet row and ``records[i]`` its cells as written."""

    rows: list[dict[str, Any]]
    row_numbers: list[int]
    records: list[list[str]]
    headers: list[str]
    mapping: dict[str, str | None]
    matched_by: dict[str, MatchedBy | None]
    header_row: int
    kind: Literal["csv", "xlsx"]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()

    @property
    def ignored_columns(self) -> list[str]:
        return [h for h in self.headers if self.mapping[h] is None]

    @property
    def attribute_columns(self) -> list[str]:
        return [h for h in self.headers if self.mapping[h] == ATTRIBUTE]


def read_upload(
    data: bytes, mapping: Mapping[str, str | None] | None = None, *, sheet: str | None = None
) -> FileTable:
    """Read an uploaded file; ``mapping`` ({"header": "leadField" / "fullName" /
    "attribute" / None}) overrides the automatic choice for the columns it names.

    Raises :class:`~leads_core.errors.BadFile` for a file that is neither CSV text nor a
    readable workbook, :class:`ValidationFailed` for a bad mapping or sheet, a file
    without a header or whose columns all end up ignored."""
    layout_ = _Layout.of(data, mapping, sheet)
    return layout_.table(layout_.body, layout_.header_row)


@dataclass(frozen=True)
class _Layout:
    """Where a file's header is and what each of its columns becomes."""

    records: list[list[str]]
    index: int  # the header's position in ``records``
    header_row: int  # its spreadsheet row number
    width: int
    headers: list[str]
    plan: ColumnPlan
    kind: Literal["csv", "xlsx"]
    extra: dict[str, Any]

    @classmethod
    def of(
        cls, data: bytes, mapping: Mapping[str, str | None] | None, sheet: str | None
    ) -> _Layout:
        if xlsx.is_workbook(data):
            book = xlsx.read_workbook(data, sheet)
            records, first_row = book.records, book.first_row
            kind: Literal["csv", "xlsx"] = "xlsx"
            extra: dict[str, Any] = {"sheet": book.sheet, "sheets": tuple(book.sheets)}
        else:
            text = csvfile.read_records(data, layout.header_score)
            records, first_row, kind = text.records, 1, "csv"
            extra = {"encoding": text.encoding, "delimiter": text.delimiter}
        index = layout.find_header(records)
        body = records[index + 1 :]
        width = _width(records[index], body)
        headers = layout.unique_headers((records[index] + [""] * width)[:width])
        sample = [r for r in body[: SAMPLE_ROWS * 2] if r][:SAMPLE_ROWS]
        columns = [[r[i] if i < len(r) else "" for r in sample] for i in range(width)]
        plan = plan_columns(headers, columns, mapping)
        if all(target is None for target in plan.mapping.values()):
            raise ValidationFailed(
                "Every column is ignored by the mapping; map at least one to a lead field.",
                details=[{"field": "mapping", "message": "every column ignored"}],
            )
        return cls(records, index, first_row + index, width, headers, plan, kind, extra)

    @property
    def body(self) -> list[list[str]]:
        return self.records[self.index + 1 :]

    def table(self, body: list[list[str]], before: int) -> FileTable:
        """``body``'s records as a table; ``before`` is the row number just above them."""
        rows, numbers, kept = _read_rows(body, self.plan, self.width, before)
        return FileTable(
            rows=rows,
            row_numbers=numbers,
            records=kept,
            headers=self.headers,
            mapping=self.plan.mapping,
            matched_by=self.plan.matched_by,
            header_row=self.header_row,
            kind=self.kind,
            **self.extra,
        )


SAMPLE_BYTES = 1 << 20  # what a large CSV file's layout (encoding, delimiter, header) is read from


def read_chunks(
    path: Path,
    rows_per_chunk: int,
    mapping: Mapping[str, str | None] | None = None,
    *,
    sheet: str | None = None,
) -> Iterator[FileTable]:
    """A file of any size as tables of at most ``rows_per_chunk`` records each, read as
    they are needed: the encoding, delimiter, header and column plan of a CSV file come
    from its first megabyte, then the rest is streamed. A workbook, a UTF-16 text file
    or a file under a megabyte is read whole (a workbook within ``files.xlsx``'s limits).

    Row numbers are the file's own. A later part that is not text in the encoding of
    the first raises :class:`BadFile` when it is reached."""
    with path.open("rb") as stream:
        head = stream.read(SAMPLE_BYTES)
        whole = len(head) < SAMPLE_BYTES or xlsx.is_workbook(head)
        if whole or head.startswith((b"\xff\xfe", b"\xfe\xff")):
            found = _Layout.of(head + stream.read(), mapping, sheet)
            yield from _in_chunks(found, found.body, rows_per_chunk)
            return
    found = _sample_layout(head, mapping)
    with path.open(encoding=found.extra["encoding"], newline="") as text:
        records = csvfile.stream_records(text, found.extra["delimiter"])
        for _ in range(found.header_row):  # the preamble and the header: already read
            next(records, None)
        yield from _in_chunks(found, records, rows_per_chunk)


def _sample_layout(head: bytes, mapping: Mapping[str, str | None] | None) -> _Layout:
    """The layout of a large CSV file from its first bytes, cut at a line end; if the cut
    fell inside a quoted cell that spans lines, at an earlier line end."""
    end = len(head)
    for _ in range(5):
        end = head.rfind(b"\n", 0, end)
        if end <= 0:
            break
        try:
            return _Layout.of(head[: end + 1], mapping, None)
        except BadFile:
            end = end // 2
    return _Layout.of(head, mapping, None)


def _in_chunks(
    found: _Layout, records: Iterable[list[str]], rows_per_chunk: int
) -> Iterator[FileTable]:
    before = found.header_row
    chunk: list[list[str]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == rows_per_chunk:
            yield found.table(chunk, before)
            before, chunk = before + len(chunk), []
    if chunk or before == found.header_row:
        yield found.table(chunk, before)


def _width(header: list[str], body: list[list[str]]) -> int:
    """The columns to read: up to the last named header, or the last filled cell of any
    row when that is further right (its column is "Column N")."""
    named = max((i + 1 for i, cell in enumerate(header) if cell.strip()), default=0)
    widest = max(map(len, body), default=0)
    if widest <= named:
        return named
    filled = named
    for record in body:
        if len(record) > filled:
            filled = max([filled, *(i + 1 for i, cell in enumerate(record) if cell.strip())])
    return filled


def _read_rows(
    body: list[list[str]], plan: ColumnPlan, width: int, header_row: int
) -> tuple[list[dict[str, Any]], list[int], list[list[str]]]:
    """The hot loop: one dict per non-blank record."""
    fields = plan.fields
    attributes = [(h, i) for i, h in enumerate(plan.headers) if plan.mapping[h] == ATTRIBUTE]
    full_names = plan.positions(FULL_NAME)
    full = full_names[0] if full_names else None
    own = {name for name, _ in fields}
    fallbacks = list(plan.fallbacks.items())
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    kept: list[list[str]] = []
    strip = str.strip
    for number, record in enumerate(body, start=header_row + 1):
        if len(record) < width:
            if not record:
                continue  # an empty line
            record = record + [""] * (width - len(record))
        if not "".join(record).strip():
            continue  # every cell blank
        row: dict[str, Any] = {name: strip(record[i]) for name, i in fields}
        for name, positions in fallbacks:
            if not row.get(name):
                row[name] = next((v for i in positions if (v := strip(record[i]))), "")
        found = {h: v for h, i in attributes if (v := strip(record[i]))}
        if full is not None and (name := strip(record[full])):
            first, last = layout.split_name(unneutralize(name))
            if not row.get("firstName"):
                row["firstName"] = first
            if not row.get("lastName") and ("lastName" not in own or last):
                row["lastName"] = last
        if "'" in "".join(record):  # rare: one test per record keeps the loop fast
            row = {k: unneutralize(v) for k, v in row.items()}
            found = {k: unneutralize(v) for k, v in found.items()}
        if found:
            row["attributes"] = found
        rows.append(row)
        numbers.append(number)
        kept.append(record[:width])
    return rows, numbers, kept


def problem_rows_csv(table: FileTable, problems: Mapping[int, str], *, header: bool = True) -> str:
    """The rows of a file whose row numbers are in ``problems``, as CSV text with the
    file's header plus a last ``Problem`` column, so a user can fix them in a spreadsheet
    and import that file again. Each cell is written as the value it was read as,
    neutralized like every export (:func:`leads_core.files.export.neutralize`): ``=1+1``
    and ``'=1+1`` are both written ``'=1+1``, so the file imports to the same values."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=table.delimiter or ",", lineterminator="\r\n")
    if header:  # without: the lines of one share of the file, to follow another's
        writer.writerow([neutralize(name) for name in (*table.headers, "Problem")])
    for number, record in zip(table.row_numbers, table.records, strict=True):
        if number in problems:
            cells = [unneutralize(cell.strip()) for cell in record]
            writer.writerow([neutralize(cell) for cell in (*cells, problems[number])])
    return out.getvalue()


def problem_objects_csv(rows: Sequence[Any], problems: Mapping[int, str]) -> str:
    """The rows of a JSON import (``problems`` by 1-based position) as CSV with a
    ``Problem`` column: one column per key any of them has, in first-seen order."""
    chosen = [(n, rows[n - 1]) for n in sorted(problems) if 0 < n <= len(rows)]
    keys: dict[str, None] = {}
    for _, row in chosen:
        if isinstance(row, Mapping):
            keys.update(dict.fromkeys(str(k) for k in row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralize(key) for key in (*keys, "Problem")])
    for number, row in chosen:
        values = row if isinstance(row, Mapping) else {}
        cells = ["" if values.get(k) is None else _text(values.get(k)) for k in keys]
        writer.writerow([neutralize(cell) for cell in (*cells, problems[number])])
    return out.getvalue()


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


@dataclass(frozen=True)
class Glance:
    """How a file reads, without its rows: what a page shows before importing it."""

    table: FileTable  # its rows left out; ``records`` holds the first few as written
    rows: int  # its data rows


def glance(data: bytes, sheet: str | None = None, *, first: int = 5) -> Glance:
    """How ``data`` reads with the automatic matching, and its first ``first`` records.
    Without a ``sheet``, a workbook is read from its first sheet holding an email or
    LinkedIn column (a "Read me" sheet before the leads is passed over)."""
    table = read_upload(data, sheet=sheet)
    if sheet is None and not _has_identity(table):
        for other in table.sheets[1:]:
            try:
                candidate = read_upload(data, sheet=other)
            except (BadFile, ValidationFailed):
                continue
            if _has_identity(candidate):
                table = candidate
                break
    summary = replace(table, rows=[], row_numbers=[], records=table.records[:first])
    return Glance(summary, len(table.rows))


def _has_identity(table: FileTable) -> bool:
    return bool({"email", "linkedinUrl"} & set(table.mapping.values()))
