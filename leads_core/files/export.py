"""Leads written as CSV for a spreadsheet: the dashboard's exports.

Every text cell is quoted and numbers are not (Python 3.12's ``csv.QUOTE_STRINGS``, which
3.11 lacks: :func:`_cell` gives ``str`` for text and ``int`` for numbers, written with
``QUOTE_NONNUMERIC``). A spreadsheet that splits a line on another separator than ours - a
European Excel reading ``;`` - then still sees each text as a quoted string, never a bare
``=1+1`` that it would evaluate. Each lead carries its campaign's name beside its id
(``Campaign``, looked up once per export by the caller: ``campaigns.names``).

Every cell is neutralized per OWASP's CSV injection guidance: a cell beginning with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so that Excel,
LibreOffice or Google Sheets show it as text instead of running it as a formula.

The prefix is reversible, so an export imports again unchanged: :func:`neutralize` adds a
``'`` to every value that starts with a trigger once its leading ``'`` are set aside (so
``'=x`` is written ``''=x``), and the CSV import (:mod:`leads_core.files.csvfile`) reads every
cell, stripped of surrounding whitespace, through :func:`unneutralize`, which removes
exactly that one ``'``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from leads_core.clock import iso_utc
from leads_core.fields import FIELDS
from leads_core.storage.models import Lead

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CAMPAIGN_NAME = "Campaign"
"""The header of the campaign's name, beside ``campaignId`` (not a lead attribute)."""
MAX_EXPORT_ROWS = 100_000
"""Most leads in one dashboard download (about 30 MB): the file is built in the app's
memory, which must stay small at a million leads. Narrow the filters for more."""


def _export_columns() -> tuple[tuple[str, str], ...]:
    """The lead's id, its campaign's id and name, its exported fields (``leads_core.fields``) with the
    score before the long texts (notes), then when it was created and changed."""
    short = [f for f in FIELDS if f.exported and f.kind != "long"]
    long = [f for f in FIELDS if f.exported and f.kind == "long"]
    return (
        ("id", "id"),
        ("campaignId", "campaign_id"),
        (CAMPAIGN_NAME, CAMPAIGN_NAME),
        *((f.api_name, f.name) for f in short),
        ("qualityScore", "quality_score"),
        *((f.api_name, f.name) for f in long),
        ("createdAt", "created_at"),
        ("updatedAt", "updated_at"),
    )


#: (CSV header, Lead attribute). The headers are the API's field names, so an exported
#: file imports again with every column matched.
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = _export_columns()


def neutralize(value: str) -> str:
    """``=SUM(A1)`` -> ``'=SUM(A1)``, ``'=x`` -> ``''=x``; anything else unchanged.

    The result never begins with a trigger, and :func:`unneutralize` gives ``value`` back."""
    return "'" + value if value.lstrip("'").startswith(FORMULA_TRIGGERS) else value


def unneutralize(cell: str) -> str:
    """A cell as :func:`neutralize` wrote it -> the value: ``'=SUM(A1)`` -> ``=SUM(A1)``,
    ``''=x`` -> ``'=x``. A cell not beginning with ``'`` (``=1``, ``O'Neil``), or whose
    text after its leading ``'`` does not begin with a trigger (``'tis``), is unchanged."""
    if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_TRIGGERS):
        return cell[1:]
    return cell


def _cell(value: object) -> str | int:
    """A number as it is (written unquoted), anything else as neutralized text (quoted)."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):  # the quality score
        return value
    if isinstance(value, datetime):  # created_at and updated_at
        return iso_utc(value)
    return neutralize(str(value))


def _writer(out: io.TextIOBase | io.StringIO) -> Any:
    """Every text cell quoted, numbers bare; lines end with CRLF as spreadsheets write."""
    return csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)


def _lead_cells(lead: Lead, campaign_names: Mapping[str, str]) -> list[str | int]:
    return [
        _cell(
            campaign_names.get(lead.campaign_id) if name == CAMPAIGN_NAME else getattr(lead, name)
        )
        for _, name in EXPORT_COLUMNS
    ]


def write_leads_csv(
    leads: Iterable[Lead], out: io.TextIOBase, *, campaign_names: Mapping[str, str]
) -> int:
    """Write a header and one line per lead to ``out``; returns the number of leads.

    The lead's fields come first (:data:`EXPORT_COLUMNS`), then one column per attribute
    any exported lead has, in the order first met (the file's other columns come back as
    they were imported). The lines are written to memory first, as the attribute columns
    are known only at the end: each line's own cells, then its attributes.
    ``campaign_names`` (campaign id -> name) gives the ``Campaign`` column."""
    body = io.StringIO()
    writer = _writer(body)
    ends: list[int] = []
    attributes: list[dict[str, str] | None] = []
    keys: dict[str, None] = {}
    for lead in leads:
        writer.writerow(_lead_cells(lead, campaign_names))
        ends.append(body.tell() - 2)  # where the line's own cells end
        found = lead.attributes or None
        if found:
            keys.update(dict.fromkeys(found))
        attributes.append(found)
    _writer(out).writerow([*(h for h, _ in EXPORT_COLUMNS), *map(neutralize, keys)])
    text, start = body.getvalue(), 0
    tail = io.StringIO()
    tail_writer = _writer(tail)
    names = list(keys)
    for end, found in zip(ends, attributes, strict=True):
        out.write(text[start:end])
        start = end + 2
        if not names:
            out.write("\r\n")
            continue
        tail.seek(0)
        tail.truncate()
        tail_writer.writerow([_cell((found or {}).get(k)) for k in names])
        out.write("," + tail.getvalue())
    return len(ends)


def attribute_names(documents: Iterable[Mapping[str, str] | None]) -> list[str]:
    """The attribute columns of leads with these ``attributes``, in the order first met (as
    :func:`write_leads_csv` finds them)."""
    keys: dict[str, None] = {}
    for found in documents:
        if found:
            keys.update(dict.fromkeys(found))
    return list(keys)


def stream_leads_csv(
    leads: Iterable[Lead],
    *,
    attribute_keys: Sequence[str],
    campaign_names: Mapping[str, str],
    chunk: int = 64 * 1024,
) -> Iterator[bytes]:
    """The bytes :func:`leads_csv_bytes` gives for ``leads``, in chunks of about ``chunk``
    bytes, made as the leads come: the attribute columns are known beforehand
    (:func:`attribute_names` of the same leads), so no line waits for the last lead."""
    out = io.StringIO()
    writer = _writer(out)
    out.write("\ufeff")  # the byte order mark, as utf-8-sig writes it
    writer.writerow([*(h for h, _ in EXPORT_COLUMNS), *map(neutralize, attribute_keys)])
    for lead in leads:
        found = lead.attributes or {}
        writer.writerow(
            [*_lead_cells(lead, campaign_names), *(_cell(found.get(k)) for k in attribute_keys)]
        )
        if out.tell() >= chunk:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def leads_csv_bytes(leads: Iterable[Lead], *, campaign_names: Mapping[str, str]) -> bytes:
    """UTF-8 with a byte order mark, so Excel shows accents right on double-click."""
    out = io.StringIO()
    write_leads_csv(leads, out, campaign_names=campaign_names)
    return out.getvalue().encode("utf-8-sig")
