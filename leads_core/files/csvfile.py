"""CSV bytes -> records of cell text: the text encoding and the delimiter are found here;
which record is the header and what each column means is ``files.reading``'s work.

1. **Not text** - an empty file, a file with NUL bytes (that is not UTF-16 with its byte
   order mark), a known binary signature (PNG, PDF, ZIP ...) or more than ~10 % control
   characters raises :class:`~leads_core.errors.BadFile`.
2. **Encoding** - UTF-16 when the file starts with its byte order mark (Excel's "Unicode
   Text"); else strict UTF-8 (``"utf-8-sig"`` with a byte order mark, ``"utf-8"``
   without); when that fails ``charset_normalizer`` chooses among the Western single-byte
   encodings (``cp1252``, ``latin-1``, ``iso8859-15``); a file holding bytes 0x80-0x9F
   (``€``, curly quotes, ``œ`` in Windows-1252) is read as ``cp1252``; the last resort is
   ``latin-1``, which decodes anything.
3. **Delimiter** - one of ``,`` ``;`` tab ``|``: an Excel ``sep=;`` first line is obeyed
   and skipped; otherwise the delimiter whose reading of the first lines gives the best
   header (``files.layout``), then the one occurring most often outside quotes in the first
   line, a tie settled by which gives the same number of cells on the next lines.

**Record numbers** are the numbers a spreadsheet shows: record *N* of the file is row
*N*; a record whose quoted cell spans several physical lines is one row; blank lines
count. An Excel ``sep=`` line is not counted (Excel hides it).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

import charset_normalizer

from leads_core.errors import BadFile

#: Delimiters recognised, in order of preference when nothing else decides.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")


@dataclass(frozen=True)
class CsvRecords:
    records: list[list[str]]  # records[i] is spreadsheet row i + 1
    encoding: str
    delimiter: str


# --------------------------------------------------------------------------- bytes -> text

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x05\x06", "an empty ZIP archive"),
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


_CONTROL_CHARS = {code: None for code in _CONTROL_BYTES}


def _check_controls(sample: str | bytes) -> None:
    if isinstance(sample, bytes):
        kept = len(sample.translate(None, _CONTROL_BYTES))
    else:
        kept = len(sample.translate(_CONTROL_CHARS))
    if len(sample) - kept > _MAX_CONTROL_RATIO * len(sample):
        raise _not_text("it is mostly binary data (control characters)")


def _text(data: bytes) -> tuple[str, str]:
    """Rules 1 and 2: ``(text, encoding name)``, or :class:`BadFile`."""
    if data.startswith(_UTF16_BOMS):  # Excel's "Unicode Text" (tab-separated)
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_text("it starts like UTF-16 text but is not valid UTF-16") from None
        _check_controls(text[:_SNIFF_BYTES])
        return text.replace("\x00", ""), "utf-16"
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            raise _not_text(f"it looks like {what}")
    if b"\x00" in data:
        raise _not_text("it contains NUL bytes, so it is binary data")
    _check_controls(data[:_SNIFF_BYTES])
    return _decode(data)


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


# --------------------------------------------------------------------------- records


def _reader(text: str, delimiter: str) -> Any:
    # skipinitialspace: `a@x.fr, "Acme, Inc"` (space after the delimiter) is quoted.
    return csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', skipinitialspace=True
    )


def stream_records(text: TextIO, delimiter: str) -> Iterator[list[str]]:
    """The records of an open text file, read as they are needed (the CLI's large files):
    a ``sep=`` first line is skipped, a broken quote or a byte that is not text in the
    file's encoding raises :class:`BadFile` when it is reached."""
    reader = csv.reader(text, delimiter=delimiter, quotechar='"', skipinitialspace=True)
    try:
        if not _SEP_HINT.match(text.readline()):
            text.seek(0)
        with _csv_errors(reader):
            yield from reader
    except UnicodeDecodeError as exc:
        raise BadFile(
            f"The file is not {text.encoding} text after line {reader.line_num} ({exc.reason}). "
            "Save it as UTF-8 and import it again."
        ) from None


@contextmanager
def _csv_errors(reader: Any) -> Iterator[None]:
    try:
        yield
    except csv.Error as exc:
        raise BadFile(
            f"The CSV file could not be read near row {reader.line_num}: {exc}. "
            "Check for a quote that is never closed."
        ) from exc


def _head(text: str, delimiter: str, count: int) -> list[list[str]]:
    """The first ``count`` records of ``text`` read with ``delimiter`` (errors ignored:
    a wrong delimiter may leave a quote open)."""
    reader = _reader(text[:_SNIFF_BYTES], delimiter)
    head: list[list[str]] = []
    try:
        for record in reader:
            head.append(record)
            if len(head) >= count:
                break
    except csv.Error:
        pass
    return head


HeaderScore = Callable[[list[list[str]]], float]
"""How good the best header among these first records is (``files.layout``)."""


def read_records(data: bytes, header_score: HeaderScore | None = None) -> CsvRecords:
    """Every record of a CSV file (rules 1-3 of the module docstring)."""
    if not data.strip():
        raise BadFile("The uploaded file is empty: a CSV file needs a header line and data rows.")
    text, encoding = _text(data)
    hint = _SEP_HINT.match(text)
    if hint and hint.group(1) in DELIMITERS:
        delimiter = hint.group(1)
        text = text[hint.end() :]
    else:
        delimiter = _choose_delimiter(text, header_score)
    reader = _reader(text, delimiter)
    with _csv_errors(reader):
        records = list(reader)
    return CsvRecords(records, encoding, delimiter)


def _choose_delimiter(text: str, header_score: HeaderScore | None) -> str:
    guess = _detect_delimiter(text)
    if header_score is None:
        return guess
    scores = {d: header_score(_head(text, d, 60)) for d in DELIMITERS}
    best = max(scores.values())
    if best <= 0 or scores[guess] == best:
        return guess
    return next(d for d in DELIMITERS if scores[d] == best)
