"""What webhooks cost an import: the same N-row CSV file imported with no endpoint, and
with an enabled endpoint subscribed to every event type (its ``lead.created`` batches of
100 and its ``import.completed`` written in the import's transaction), runs alternating.

    .venv/bin/python -m bench.webhook_import_bench [--rows 100000] [--pairs 3]
        [--engine sqlite|postgresql] [--workers 2] [--first none|endpoint]

Each run imports the file (``bench.import_bench``'s demo leads, ~1% repeats) into a new,
empty database (SQLite: a new file; PostgreSQL: a new database of a throwaway cluster)
through ``ingest.importing.import_file`` in one transaction, as the CLI and the API do, and
is timed end to end (read, prepare on ``--workers`` processes, write, commit), for its
write transaction alone (``outcome.timings["write"]``), and by the CPU time of this process
(everything but the preparing workers, which do the same work on both sides): on a busy
shared machine the CPU time is the steadier figure of what the events add. The runs go off, on, on, off, off,
on ... (each pair in turn order), after an untimed small import that starts the pool of
workers, so a change in the machine's load meets both sides.

The events' own time is also measured directly in each run with an endpoint: the time
spent inside ``webhooks.events.Hooks.created``, ``.import_completed`` and ``.write`` (building
the leads' JSON and the bodies, inserting the rows), a figure the machine's noise moves
much less than the difference of two runs' times (which swings 10-15% here between two
runs of the same side). It misses only what the inserted rows cost the commit.

Prints each run, then the median of each side and on / off; exit 1 when a run stores
the wrong number of leads or events. The target (issue 18): on <= 1.10 x off."""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from sqlmodel import Session, func, select

from bench.import_bench import (
    create_database,
    csv_bytes,
    generate_rows,
    postgres_cluster,
    setup_database,
)
from leads_core.ids import new_id
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.storage.db import make_engine
from leads_core.storage.models import Lead
from leads_core.storage.webhook_models import WebhookEndpoint, WebhookEvent
from leads_core.webhooks.events import Hooks
from leads_core.webhooks.outbox import EVENT_TYPES
from tests.support.pgcluster import PgCluster

SEED = 18
CAMPAIGN_ID = "cmp_bench"


class Run(NamedTuple):
    seconds: float  # wall clock, end to end
    write: float  # wall clock, the write transaction
    cpu: float  # CPU seconds of this process (reading, matching, writing, the events)
    events: int
    in_events: float  # wall clock inside the events' code (see the module's docstring)


class EventClock:
    """Time spent inside the outermost call of the events' methods of ``Hooks``."""

    METHODS = ("created", "import_completed", "write")

    def __init__(self) -> None:
        self.seconds = 0.0
        self.depth = 0
        for name in self.METHODS:
            setattr(Hooks, name, self.timed(getattr(Hooks, name)))

    def timed(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            self.depth += 1
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.depth -= 1
                if not self.depth:
                    self.seconds += time.perf_counter() - started

        return run


def run_once(url: str, data: bytes, *, hooked: bool, workers: int, clock: EventClock) -> Run:
    """One import into a new database at ``url``."""
    setup_database(url, CAMPAIGN_ID)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            if hooked:
                session.add(
                    WebhookEndpoint(
                        id=new_id("whk"),
                        url="http://127.0.0.1:9/bench",
                        events=list(EVENT_TYPES),
                        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                    )
                )
                session.commit()
            options = ImportOptions(
                campaign_id=CAMPAIGN_ID,
                region="FR",
                max_rows=len(data),
                max_bytes=len(data) + 1,
                origin="cli",
                filename="bench.csv",
                workers=workers,
            )
            clock.seconds = 0.0
            started, cpu = time.perf_counter(), time.process_time()
            outcome = importing.import_file(session, data, options)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            stored = session.exec(select(func.count()).select_from(Lead)).one()
            events = session.exec(select(func.count()).select_from(WebhookEvent)).one()
        if stored != outcome.imported:
            raise SystemExit(f"stored {stored} leads, the import says {outcome.imported}")
        expected = -(-outcome.imported // 100) + 1 if hooked else 0
        if events != expected:
            raise SystemExit(f"{events} events written, expected {expected}")
        return Run(seconds, outcome.timings["write"], cpu, events, clock.seconds)
    finally:
        engine.dispose()


@contextlib.contextmanager
def database_urls(engine_name: str) -> Iterator[Iterator[str]]:
    """A new empty database's URL each time one is taken."""
    if engine_name == "postgresql":
        with postgres_cluster() as cluster:
            yield _pg_urls(cluster)
        return
    with tempfile.TemporaryDirectory(prefix="webhook-bench-") as folder:
        yield (f"sqlite:///{Path(folder) / f'run{n}.db'}" for n in range(1_000_000))


def _pg_urls(cluster: PgCluster) -> Iterator[str]:
    for n in range(1_000_000):
        create_database(cluster, f"run{n}")
        yield cluster.url(f"run{n}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--first", choices=("none", "endpoint"), default="none", help="the side of run 1"
    )
    args = parser.parse_args()
    rows, repeats = generate_rows(args.rows, SEED)
    data = csv_bytes(rows)
    print(
        f"{args.rows:,} rows ({repeats:,} repeats, {len(data) / 1_048_576:.1f} MB), "
        f"{args.engine}, {args.workers} workers, load average before: {_load()}",
        flush=True,
    )
    turns = ((False, True), (True, False))
    if args.first == "endpoint":
        turns = turns[::-1]
    order = [hooked for n in range(args.pairs) for hooked in turns[n % 2]]
    runs: dict[bool, list[Run]] = {False: [], True: []}
    clock = EventClock()  # wraps the events' methods of Hooks from here on
    with database_urls(args.engine) as urls:
        # Untimed: the first import starts the pool of workers, whichever side it is.
        run_once(
            next(urls), csv_bytes(rows[:1000]), hooked=False, workers=args.workers, clock=clock
        )
        for number, hooked in enumerate(order, 1):
            run = run_once(next(urls), data, hooked=hooked, workers=args.workers, clock=clock)
            runs[hooked].append(run)
            print(
                f"run {number:2d} {'endpoint' if hooked else 'none    '}: {run.seconds:7.2f} s "
                f"(write {run.write:6.2f} s, CPU here {run.cpu:6.2f} s) {run.events:5d} events "
                f"({run.in_events:4.2f} s in their code), load {_load()}",
                flush=True,
            )
    print(
        f"median of {args.pairs} runs each (load average after: {_load()}); target on/off <= 1.10"
    )
    for name in Run._fields[:3]:
        off, on = (statistics.median(getattr(r, name) for r in runs[h]) for h in (False, True))
        print(f"  {name:8s} none {off:7.2f} s | endpoint {on:7.2f} s | on/off {on / off:.3f}")
    for name in Run._fields[:2]:
        share = statistics.median(run.in_events / getattr(run, name) for run in runs[True])
        print(
            f"  the events' own time: {share:.1%} of the {name} time (median, runs with an endpoint)"
        )
    return 0


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
