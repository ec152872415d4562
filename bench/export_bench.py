"""Export benchmark: the memory of ``GET /v1/leads/export.csv``'s stream at 100,000 and at
1,000,000 leads, which must stay flat (the stream holds one batch of leads, not the file).

    .venv/bin/python -m bench.export_bench [--db /work/bench1m/leads-1m.db] [--batch 1000]

Reads an existing SQLite database READ-ONLY (``mode=ro&immutable=1``: nothing is written,
not even a WAL index; the database is not migrated), with the app's page cache (64 MiB,
as ``leads_core.storage.db`` sets it), and runs, in this process, the generator the route
streams (``services.exports.csv_of``: the attribute pass, then ``queries.iter_leads`` in
batches, through ``files.export.stream_leads_csv``) for every lead, throwing the bytes
away as a client's socket would take them. Prints the peak RSS (``VmHWM``) and the current
RSS (``VmRSS``) before the export and when 100,000, 250,000, 500,000 and every lead have
been written, with the time and bytes so far; then the same for one filtered export
(``--filter``, default ``status=new``). Constant memory: the peak at 1,000,000 leads is the
peak at 100,000 (within a few MB)."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, event, func
from sqlmodel import Session, select

from leads_core.services import exports, queries
from leads_core.services.filtering import filters_from_params
from leads_core.storage.models import Lead

DEFAULT_DB = Path("/work/bench1m/leads-1m.db")
MARKS = (100_000, 250_000, 500_000, 1_000_000)


def memory_mb() -> tuple[float, float]:
    """(peak RSS, current RSS) of this process, in MB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            found[name] = int(value.split()[0]) / 1024
    return found["VmHWM"], found["VmRSS"]


def read_only_engine(path: Path):  # noqa: ANN201 - an Engine
    uri = f"file:{path}?mode=ro&immutable=1"
    engine = create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)
    )

    @event.listens_for(engine, "connect")
    def pragmas(connection, _record) -> None:  # noqa: ANN001 - the DB-API's connection
        connection.execute("PRAGMA cache_size=-65536")  # as the app

    return engine


def run(engine, params: dict[str, str], batch: int) -> None:  # noqa: ANN001
    filters = filters_from_params(params, me=None)
    with Session(engine) as session:
        matching = session.exec(
            select(func.count()).select_from(Lead).where(*queries.filter_clauses(filters))
        ).one()
    label = "&".join(f"{k}={v}" for k, v in params.items()) or "(no filter)"
    print(f"\nexport {label}: {matching:,} leads, batch {batch}")
    print(f"{'leads written':>14} {'seconds':>8} {'MB out':>8} {'peak RSS MB':>12} {'RSS MB':>8}")
    peak, now = memory_mb()
    print(f"{'before':>14} {0:8.1f} {0:8.0f} {peak:12.1f} {now:8.1f}")
    started, written, lines = time.monotonic(), 0, -1  # the header is no lead
    marks = [m for m in MARKS if m < matching] + [matching]
    with Session(engine) as session:
        for chunk in exports.csv_of(session, filters=filters, sort=None, batch=batch):
            written += len(chunk)
            lines += chunk.count(b"\r\n")  # no field of the demo data holds a line break
            while marks and lines >= marks[0]:
                peak, now = memory_mb()
                seconds = time.monotonic() - started
                print(
                    f"{marks.pop(0):>14,} {seconds:8.1f} {written / 1e6:8.0f} {peak:12.1f} {now:8.1f}"
                )
    assert lines == matching, (lines, matching)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--batch", type=int, default=exports.BATCH)
    parser.add_argument(
        "--filter", default="status=new", help="one filter for a second run (none: no second run)"
    )
    args = parser.parse_args(argv)
    if not args.db.exists():
        sys.exit(f"{args.db}: no such database (seed one with seed-demo)")
    print(f"python {sys.version.split()[0]}, pid {os.getpid()}, database {args.db} (read-only)")
    engine = read_only_engine(args.db)
    run(engine, {}, args.batch)
    if args.filter != "none":
        name, _, value = args.filter.partition("=")
        run(engine, {name: value} if name else {}, args.batch)


if __name__ == "__main__":
    main()
