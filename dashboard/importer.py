"""The Import page's pieces: how a file was read (cached per file), the column mapping as
an editable table in people's words, and the preview and result figures."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import pandas as pd
import streamlit as st

from dashboard.feedback import field_words
from dashboard.safe import EMPTY, md
from leads_core.config import get_settings
from leads_core.fields import BY_API_NAME, FIELDS
from leads_core.files import reading
from leads_core.files.headers import ATTRIBUTE, FULL_NAME
from leads_core.ingest import importing, pool
from leads_core.ingest.options import ImportOutcome

FULL_NAME_LABEL = "Full name (split into first and last)"
ATTRIBUTE_LABEL = "Keep as an attribute"
IGNORE_LABEL = "Ignore"
TARGET_LABELS: dict[str | None, str] = {
    **{f.api_name: f.label for f in FIELDS},
    FULL_NAME: FULL_NAME_LABEL,
    ATTRIBUTE: ATTRIBUTE_LABEL,
    None: IGNORE_LABEL,
}
LABEL_TARGETS = {label: target for target, label in TARGET_LABELS.items()}
MATCHED_BY = {"header": "its header", "values": "its values", "mapping": "your choice"}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
PREVIEW_ROWS = 5


@dataclass(frozen=True)
class Inspection:
    """What the page shows of a file before importing it (small: cached per file)."""

    headers: list[str]
    mapping: dict[str, str | None]
    matched_by: dict[str, str | None]
    first_rows: list[list[str]]
    rows: int
    header_row: int
    kind: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    sheets: tuple[str, ...]

    def how_read(self, name: str, size: int) -> str:
        where = (
            f"header on row {self.header_row}, {plural(self.rows, 'row')}, "
            f"{plural(len(self.headers), 'column')}"
        )
        if self.kind == "xlsx":
            return (
                f"**{md(name)}** - {size / 1024:,.0f} KB, Excel workbook, "
                f"sheet **{md(self.sheet)}**, {where}."
            )
        delimiter = DELIMITER_NAMES.get(self.delimiter or "", repr(self.delimiter))
        return (
            f"**{md(name)}** - {size / 1024:,.0f} KB, read as **{self.encoding}**, delimiter "
            f"**{delimiter}**, {where}."
        )


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@st.cache_data(max_entries=8, show_spinner="Reading the file…")
def inspect(_data: bytes, file_digest: str, sheet: str | None) -> Inspection:
    """How the file reads with the automatic matching (``file_digest`` is the cache key;
    the bytes are not hashed again). Without a ``sheet``, a workbook opens on its first
    sheet holding an email or LinkedIn column (a "Read me" sheet before the leads is
    passed over). Raises ``LeadsError`` for a file that cannot be read."""
    # A large file is read in an import worker: its rows never enter the app's memory.
    workers = importing.workers_for_file(len(_data), get_settings().import_workers)
    found = pool.call(partial(reading.glance, first=PREVIEW_ROWS), _data, sheet, workers=workers)
    table = found.table
    return Inspection(
        headers=table.headers,
        mapping=table.mapping,
        matched_by=dict(table.matched_by),
        first_rows=table.records,
        rows=found.rows,
        header_row=table.header_row,
        kind=table.kind,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
        sheets=table.sheets,
    )


def mapping_table(found: Inspection) -> pd.DataFrame:
    examples = [
        next((r[i] for r in found.first_rows if i < len(r) and r[i].strip()), "")
        for i in range(len(found.headers))
    ]
    return pd.DataFrame(
        {
            "Column": found.headers,
            "Example": examples,
            "Matched by": [
                MATCHED_BY.get(found.matched_by.get(h) or "", EMPTY) for h in found.headers
            ],
            "Import as": [TARGET_LABELS[found.mapping[h]] for h in found.headers],
        }
    )


def edit_mapping(found: Inspection, key: str) -> dict[str, str | None]:
    """The mapping table, editable in its last column; returns the user's changes to the
    automatic mapping (header -> target), which is what an import is given."""
    edited = st.data_editor(
        mapping_table(found),
        hide_index=True,
        disabled=["Column", "Example", "Matched by"],
        column_config={
            "Import as": st.column_config.SelectboxColumn(
                "Import as", options=list(LABEL_TARGETS), required=True, width="medium"
            ),
            "Example": st.column_config.TextColumn(width="medium"),
        },
        key=key,
        width="stretch",
        height=min(38 + 35 * len(found.headers), 720),  # every column in view, up to 20
    )
    changes: dict[str, str | None] = {}
    for header, label in zip(edited["Column"], edited["Import as"], strict=True):
        target = LABEL_TARGETS.get(label, found.mapping[header])
        if target != found.mapping[header]:
            changes[header] = target
    return changes


def mapping_problems(found: Inspection, changes: Mapping[str, str | None]) -> list[str]:
    """What makes a mapping impossible, in words (the same rules as the import's)."""
    final = {**found.mapping, **changes}
    problems = []
    for target in {t for t in final.values() if t not in (None, ATTRIBUTE)}:
        columns = [h for h, t in final.items() if t == target]
        if len(columns) > 1:
            problems.append(
                f"{TARGET_LABELS[target]} is chosen for {len(columns)} columns "
                f"({md(', '.join(columns))}): keep one."
            )
    if not ({"email", "linkedinUrl"} & set(final.values())):
        problems.append("No column is imported as Email or LinkedIn URL: each lead needs one.")
    return problems


OWNER_MODES = {
    "nobody": "Nobody",
    "one": "One member",
    "turns": "Several members, in turn",
}


def owner_choice(names: Mapping[str, str], enabled: Sequence[str]) -> tuple[list[str], str | None]:
    """Who the new leads go to: nobody, one member, or several in turn (row order). Returns
    the chosen user ids and what is missing, if anything. Drawn only when users exist."""
    if not enabled:
        return [], None
    mode = st.radio(
        "Owner of the new leads",
        list(OWNER_MODES),
        format_func=OWNER_MODES.__getitem__,
        key="import_owner_mode",
        horizontal=True,
        help="A lead already in the campaign that the import updates gets an owner only "
        "if it has none.",
    )
    if mode == "one":
        one = st.selectbox(
            "Owner",
            enabled,
            index=None,
            format_func=names.__getitem__,
            placeholder="Choose the member",
            key="import_owner",
        )
        return ([one], None) if one else ([], "Choose the owner of the new leads.")
    if mode == "turns":
        several = st.multiselect(
            "Owners, in turn",
            enabled,
            format_func=names.__getitem__,
            placeholder="Choose the members",
            key="import_owners",
            help="The new leads go to each in turn, in the file's row order.",
        )
        return (list(several), None) if several else ([], "Choose the members to share with.")
    return [], None


def show_counts(outcome: ImportOutcome, *, preview: bool) -> None:
    """The figures of a preview (what would happen) or of an import (what happened)."""
    response = outcome.response()
    rows_with_errors = len({e.row for e in outcome.errors})
    columns = st.columns(5)
    columns[0].metric("New leads" if preview else "Imported", f"{outcome.imported:,}")
    columns[1].metric("Repeats inside the file", f"{response.in_file_duplicates:,}")
    label = "will be updated" if outcome.updated else "skipped"
    columns[2].metric(f"Already in the campaign ({label})", f"{response.already_in_campaign:,}")
    columns[3].metric("Rows with errors", f"{rows_with_errors:,}")
    columns[4].metric("Rows in the file", f"{outcome.rows:,}")
    if outcome.duplicates:
        with st.expander(f"Duplicates ({len(outcome.duplicates):,})"):
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Row": d.row,
                            "Repeats row": d.repeats_row,
                            "Lead already in the campaign": d.lead_id,
                        }
                        for d in outcome.duplicates[:1000]
                    ]
                ),
                hide_index=True,
                placeholder=EMPTY,
            )
    show_warnings(outcome, preview=preview)
    if outcome.errors:
        st.markdown("**Rows that will not import**" if preview else "**Rows not imported**")
        st.dataframe(
            [
                {"Row": e.row, "Field": field_words(e.field or ""), "What to fix": e.message}
                for e in outcome.errors[:1000]
            ],
            hide_index=True,
            placeholder=EMPTY,
        )


def show_warnings(outcome: ImportOutcome, *, preview: bool) -> None:
    """The values kept out of their field (an email, web site or LinkedIn link that is not
    one, kept in the lead's attributes), counted per field, then row by row."""
    if not outcome.warnings:
        return
    counts = Counter(BY_API_NAME[w.field].label for w in outcome.warnings)
    each = ", ".join(f"{label} {count:,}" for label, count in counts.items())
    verb = (
        "will be kept" if preview else ("was kept" if len(outcome.warnings) == 1 else "were kept")
    )
    st.warning(
        f"{plural(len(outcome.warnings), 'value')} {verb} in the leads' attributes, not in "
        f"their field, as they are not one ({each}). The rows are imported."
    )
    st.dataframe(
        pd.DataFrame(
            [
                {"Row": w.row, "Field": BY_API_NAME[w.field].label, "What": w.message}
                for w in outcome.warnings[:1000]
            ]
        ),
        hide_index=True,
    )
