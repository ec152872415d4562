"""reading.read_chunks: a file of any size, streamed in chunks, reads exactly as the whole
file does (same rows, same row numbers), whatever its encoding, delimiter and quoting."""

from __future__ import annotations

from pathlib import Path

import pytest

from leads_core.errors import BadFile
from leads_core.files import reading

HEADER = "Notes: exported from LinkedIn\n\nFirst Name;Last Name;Email;Company;Notes\n"


def rows(count: int) -> str:
    lines = []
    for n in range(count):
        note = f'"line one\nline two of {n}"' if n % 7 == 0 else f'"a; b {n}"'
        lines.append(f"Zoë{n};Müller;zoe{n}@acme.fr;Acme {n};{note}\n")
        if n % 11 == 0:
            lines.append(";;;;\n")  # a blank record keeps its number
    return "".join(lines)


@pytest.fixture
def small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 300-byte "first megabyte", so a few kilobytes are streamed like a large file."""
    monkeypatch.setattr(reading, "SAMPLE_BYTES", 300)


def chunks_of(path: Path, size: int) -> list[reading.FileTable]:
    return list(reading.read_chunks(path, size))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_streamed_chunks_read_like_the_whole_file(
    tmp_path: Path, small_sample: None, encoding: str
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes((HEADER + rows(100)).encode(encoding))
    whole = reading.read_upload(path.read_bytes())

    parts = chunks_of(path, 30)

    assert len(parts) == 4  # 110 records (10 of them blank: read, not kept) by 30
    assert [len(p.records) for p in parts] == [len(p.rows) for p in parts] == [27, 28, 27, 18]
    assert [row for p in parts for row in p.rows] == whole.rows
    assert [n for p in parts for n in p.row_numbers] == whole.row_numbers
    assert whole.row_numbers[:3] == [4, 6, 7]  # after the preamble, blank record 5 skipped
    assert parts[0].rows[0]["notes"] == "line one\nline two of 0"
    assert {(p.header_row, p.encoding, p.delimiter) for p in parts} == {(3, encoding, ";")}


def test_a_sep_line_and_a_file_under_the_sample_size(tmp_path: Path, small_sample: None) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("sep=;\n" + HEADER + rows(40), encoding="utf-8")
    whole = reading.read_upload(path.read_bytes())

    parts = chunks_of(path, 1000)

    assert len(parts) == 1
    assert (parts[0].rows, parts[0].row_numbers) == (whole.rows, whole.row_numbers)
    small = tmp_path / "small.csv"
    small.write_text("Email\na@acme.io\nb@acme.io\n", encoding="utf-8")
    assert [p.rows for p in chunks_of(small, 1)] == [
        [{"email": "a@acme.io"}],
        [{"email": "b@acme.io"}],
    ]


def test_a_file_with_a_header_and_no_rows_is_one_empty_chunk(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("Email,Company\n", encoding="utf-8")

    (only,) = chunks_of(path, 10)

    assert (only.rows, only.headers) == ([], ["Email", "Company"])


def test_bytes_that_are_not_the_files_encoding_further_on_are_a_clear_error(
    tmp_path: Path, small_sample: None
) -> None:
    path = tmp_path / "mixed.csv"
    good = (HEADER + rows(600)).encode("utf-8")  # ~25 kB: decoded 8 kB at a time
    path.write_bytes(good + "Zoé;X;z@acme.fr;;\n".encode("cp1252"))

    read: list[reading.FileTable] = []
    with pytest.raises(BadFile, match="not utf-8 text after line"):
        for part in reading.read_chunks(path, 20):
            read.append(part)

    assert 10 <= len(read) < 30  # the chunks before the bad bytes were read
