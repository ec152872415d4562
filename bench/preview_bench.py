"""What a preview (dry run) and an .xlsx upload cost, next to the import itself.

    .venv/bin/python -m bench.preview_bench [--rows 50000]

On N demo leads (``leads_core.ingest.demo.demo_lead``, fixed seed, with three extra columns
that become attributes) in one file under the 10 MB upload limit, as CSV and as .xlsx, into a
fresh SQLite database in a temporary folder (in-process, no server: the figures are the
import's own work), it times and prints:

1. reading the file alone (``files.reading.read_upload``: detection, mapping, rows), CSV
   and .xlsx (the workbook is read by python-calamine in a child process);
2. the preview (``dryRun``): reading, validation, in-file duplicates and the duplicate
   check against the campaign; no scoring, nothing written;
3. the import itself (everything, one transaction);
4. the preview again once the leads are stored (every row is then "already in the
   campaign": the lookups find them all);

and the ratio preview / import (the target: a preview costs about what the import's
validation does, so well under the import). Peak memory of this process is printed last.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from sqlmodel import Session

from leads_core.config import load_settings
from leads_core.files.reading import read_upload
from leads_core.ingest import importing
from leads_core.ingest.demo import demo_lead
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import CampaignCreate
from leads_core.services import campaigns
from leads_core.storage.db import get_engine, init_db

HEADERS = ["First Name", "Last Name", "Email", "Company", "Job Title", "LinkedIn", "Phone"]
EXTRA = ["Region", "Team size", "Met at"]
REGIONS = ["Bretagne", "Île-de-France", "Occitanie", "Nord", "Grand Est"]


def demo_rows(count: int) -> list[list[str]]:
    rng = random.Random(7)
    rows = []
    for n in range(count):
        lead = demo_lead(rng, n)
        rows.append(
            [
                lead.get("firstName") or "",
                lead.get("lastName") or "",
                lead.get("email") or "",
                lead.get("company") or "",
                lead.get("position") or "",
                lead.get("linkedinUrl") or "",
                lead.get("phone") or "",
                rng.choice(REGIONS),
                str(rng.randint(1, 500)),
                rng.choice(["Lyon fair", "Webinar", "Referral"]),
            ]
        )
    return rows


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS + EXTRA)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Leads")
    sheet.append(HEADERS + EXTRA)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def timed(label: str, action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:7.2f} s")
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    rows = demo_rows(args.rows)
    csv_data, xlsx_data = as_csv(rows), as_xlsx(rows)
    print(
        f"{args.rows:,} rows: CSV {len(csv_data) / 1e6:.1f} MB, .xlsx {len(xlsx_data) / 1e6:.1f} MB"
    )
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            {
                "DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.db'}",
                "LEADS_MAX_IMPORT_ROWS": "100000",
            }
        )
        engine = get_engine(settings)
        init_db(engine)
        with Session(engine) as session:
            campaign = campaigns.create_campaign(session, data=CampaignCreate(name="Bench")).id

            def run(dry_run: bool) -> importing.ImportOutcome:
                options = ImportOptions.from_settings(
                    settings, campaign_id=campaign, dry_run=dry_run, origin="cli"
                )
                return importing.import_file(session, csv_data, options)

            read_csv, _ = timed("read the CSV (read_upload)", lambda: read_upload(csv_data))
            timed("read the .xlsx (read_upload, calamine child)", lambda: read_upload(xlsx_data))
            preview, seen = timed("preview (dryRun) into an empty campaign", lambda: run(True))
            full, done = timed("import", lambda: run(False))
            again, stored = timed("preview again, every lead stored", lambda: run(True))
    print(
        f"preview / import: {preview / full:.2f} (empty campaign), {again / full:.2f} "
        f"(leads stored); reading is {read_csv / preview:.0%} of the preview"
    )
    print(
        f"counts: preview new {seen.imported:,}, import {done.imported:,}, "
        f"preview again already in campaign {stored.response().already_in_campaign:,}"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
