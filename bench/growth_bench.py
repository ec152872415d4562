"""Growth benchmark: the import and list figures at several sizes (default 10,000, 100,000
and 1,000,000 leads), to show how their cost grows (expected: list latency flat, import
linear).

    .venv/bin/python -m bench.growth_bench [--sizes 10000,100000,1000000] [--requests 500]
        [--engine sqlite|postgresql] [--list-db 1000000=/tmp/bench/fts-1m.db]

For each N, smallest first, one after the other:

1. Import, with ``import_bench``'s functions: N generated rows (its seed, ~1% repeats) in
   CSV files under the 10 MB upload limit (~63,000 rows each), POSTed one after another
   to ``/v1/leads/import/csv`` into ONE campaign of a fresh database under ``streamlit
   run``, then its floor (``pandas.read_csv`` + ``executemany``) on the same files. The
   stored count is checked as ``import_bench`` checks it.
2. List, with ``list_bench``'s functions: its ``--requests`` mixed ``GET /v1/leads`` (each
   on a new connection) and 200 ``GET /v1/leads/{id}`` on N demo leads in 20 campaigns,
   seeded with ``seed-demo`` into a temporary database, or an SQLite file given with
   ``--list-db N=PATH`` (reused when it holds N leads or more, as ``list_bench --db``).

Prints one table: N | import s | import rows/s | floor s | ratio | list p50 | list p95 |
detail p50, then how each grew from one N to the next. Exit status 1 when a count is
wrong or a request fails.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import import_bench, list_bench

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)


@dataclass
class Imported:
    """import_bench at one N."""

    files: int  # CSV files, one request each
    api: import_bench.ApiRun
    floor: import_bench.Timing
    expected: int  # leads the import should store
    problems: list[str]

    @property
    def ratio(self) -> float:
        return self.api.timing.seconds / self.floor.seconds


@dataclass
class Point:
    """The figures at one N."""

    n: int
    imported: Imported
    list_target: list_bench.Target
    lists: list[list_bench.Fetch]
    details: list[list_bench.Fetch]
    problems: list[str]

    @property
    def list_p50(self) -> float:
        return statistics.median(f.ms for f in self.lists)


def measure_import(n: int, engine: str, workdir: Path) -> Imported:
    print(f"[import {n:,}] generating {n:,} rows (seed {import_bench.SEED}) ...", flush=True)
    rows, duplicates = import_bench.generate_rows(n, import_bench.SEED)
    files = import_bench.write_csv_files(rows, workdir)
    del rows
    print(f"[import {n:,}] {len(files)} CSV file(s), {duplicates} duplicate row(s)", flush=True)
    with import_bench.databases(engine, workdir) as target:
        api, log = import_bench.run_api(target, files, n, workdir)
        print(f"[import {n:,}] timing the floor ...", flush=True)
        floor, _ = import_bench.time_floor(files, target, n)
    problems = []
    expected = n - duplicates
    if not api.stored == expected == api.imported or api.errors:
        problems.append(
            f"import {n}: stored {api.stored}, imported {api.imported}, errors {api.errors}; "
            f"expected {expected}"
        )
    if "Traceback" in log:
        problems.append(f"import {n}: server log has a Traceback:\n{log[-4000:]}")
    return Imported(len(files), api, floor, expected, problems)


def measure_list(
    n: int, args: argparse.Namespace, workdir: Path
) -> tuple[list_bench.Target, list_bench.Results]:
    """list_bench at N leads, on ``--list-db``'s file for N or a freshly seeded one."""
    argv = ["--engine", args.engine, "--leads", str(n), "--requests", str(args.requests)]
    if n in args.list_db:
        argv += ["--db", str(args.list_db[n])]
    list_args = list_bench.parse_args(argv)
    print(f"[list {n:,}] list_bench {' '.join(argv)}", flush=True)
    with list_bench.database(list_args, workdir) as target:
        return target, list_bench.run_server(target, list_args, workdir)


def measure(n: int, args: argparse.Namespace) -> Point:
    workdir = Path(tempfile.mkdtemp(prefix=f"leads-growth-{n}-"))
    try:
        (workdir / "import").mkdir()
        (workdir / "list").mkdir()
        imported = measure_import(n, args.engine, workdir / "import")
        shutil.rmtree(workdir / "import")  # its database and files: ~2 GB at 1M
        target, results = measure_list(n, args, workdir / "list")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    lists = [f for _, f in results.lists]
    problems = imported.problems + results.problems
    return Point(n, imported, target, lists, results.details, problems)


# --------------------------------------------------------------------------- report


def report(points: list[Point], args: argparse.Namespace) -> None:
    first = points[0]
    print()
    print(
        f"growth: engine {args.engine} ({first.list_target.version}); import = import_bench "
        "(N generated rows, ~1% repeats, POST /v1/leads/import/csv file after file into one "
        "campaign of a fresh database) vs its floor; list = list_bench "
        f"({args.requests} mixed GET /v1/leads + {list_bench.DETAIL_REQUESTS} GET "
        "/v1/leads/{id}, each on a new connection) on N demo leads in 20 campaigns"
    )
    print()
    print(
        f"{'N':>10} {'import s':>9} {'import rows/s':>14} {'floor s':>8} {'ratio':>6} "
        f"{'list p50':>9} {'list p95':>9} {'detail p50':>11}"
    )
    for p in points:
        api, floor = p.imported.api.timing, p.imported.floor
        print(
            f"{p.n:>10,} {api.seconds:>9.2f} {api.rate:>14,.0f} {floor.seconds:>8.2f} "
            f"{p.imported.ratio:>5.1f}x {p.list_p50:>9.1f} "
            f"{list_bench.percentile([f.ms for f in p.lists], 95):>9.1f} "
            f"{statistics.median(f.ms for f in p.details):>11.1f}"
        )
    print("(list and detail in ms)")
    for p in points:
        print(
            f"  N = {p.n:,}: {p.imported.files} import request(s), {p.imported.api.stored:,} "
            f"stored of {p.imported.expected:,} expected; list database: {p.list_target.seeding}"
        )
    for before, after in zip(points, points[1:], strict=False):
        grew = after.imported.api.timing.seconds / before.imported.api.timing.seconds
        print(
            f"  {before.n:,} -> {after.n:,} leads (x{after.n / before.n:g}): import time "
            f"x{grew:.2f}, floor x{after.imported.floor.seconds / before.imported.floor.seconds:.2f}"
            f", list p50 x{after.list_p50 / before.list_p50:.2f}"
        )


# --------------------------------------------------------------------------- main


def list_db(value: str) -> tuple[int, Path]:
    n, _, path = value.partition("=")
    if not n.isdigit() or not path:
        raise argparse.ArgumentTypeError(f"{value!r}: use N=PATH, e.g. 1000000=/tmp/leads.db")
    return int(n), Path(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="the Ns, comma-separated (default 10000,100000,1000000)",
    )
    parser.add_argument("--requests", type=int, default=500, help="list requests (default 500)")
    parser.add_argument("--engine", choices=import_bench.ENGINES, default="sqlite")
    parser.add_argument(
        "--list-db",
        type=list_db,
        action="append",
        default=[],
        metavar="N=PATH",
        help="an SQLite file of N demo leads for the list benchmark at N (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(size) for size in args.sizes.split(",")})
    except ValueError:
        parser.error(f"--sizes {args.sizes!r}: comma-separated numbers")
    if sizes[0] < 1 or args.requests < 1:
        parser.error("--sizes and --requests must be at least 1")
    args.list_db = dict(args.list_db)
    if args.list_db and args.engine != "sqlite":
        parser.error("--list-db is an SQLite file: only with --engine sqlite")

    points = [measure(n, args) for n in sizes]
    report(points, args)
    problems = [problem for point in points for problem in point.problems]
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
