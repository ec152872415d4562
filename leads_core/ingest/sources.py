"""Where an import's rows come from, and where they are prepared.

- :class:`Rows`: rows this process holds (a JSON request, a file read here, a CLI chunk),
  prepared inline or sent in parts to the pool's workers;
- :class:`FileShares`: an uploaded file the pool's workers read themselves, each
  preparing its share, so the app process never holds the file's rows - only the prepared
  cells that come back (a 10 MB file: about 100 MB less at the peak).

Either gives the importer the prepared parts in row order, the number of rows, the file's
reading (without its rows) and, once the errors are known, the problem-rows CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from leads_core.errors import PayloadTooLarge, ValidationFailed
from leads_core.files import reading
from leads_core.ingest import pool, prepare
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import ImportRowError

Progress = Callable[[int, int], None]


class Source(Protocol):
    table: reading.FileTable | None  # the file, if the rows come from one (rows left out)

    def count(self) -> int: ...

    def prepare(
        self, job: prepare.Job, workers: int, progress: Progress | None
    ) -> list[prepare.Prepared]: ...

    def problems(self, errors: list[ImportRowError]) -> str | None: ...


def check_count(rows: int, options: ImportOptions, *, from_file: bool) -> None:
    """413 beyond the request's row limit; 422 for a file with a header and no rows."""
    if rows > options.max_rows:
        raise PayloadTooLarge(
            f"{rows} leads in one request; the limit is {options.max_rows}. Split the import.",
            details=[
                {"field": "leads", "message": f"at most {options.max_rows} leads per request"}
            ],
        )
    if from_file and not rows:
        raise ValidationFailed(
            "The file has a header but no data rows: nothing to import.",
            details=[{"field": "file", "message": "no data rows"}],
        )


def _until_commit(progress: Progress | None) -> Progress | None:
    """``progress`` while preparing, but for its last step (rows in all), which the
    importer reports once it has committed."""
    if progress is None:
        return None

    def prepared(done: int, total: int) -> None:
        if done < total:
            progress(done, total)

    return prepared


def _as_tuples(errors: list[ImportRowError]) -> list[prepare.RowError]:
    return [(error.row, error.field, error.message) for error in errors]


@dataclass
class Rows:
    """Rows held here; ``numbers`` are what errors report."""

    rows: Sequence[Any]
    numbers: list[int]
    table: reading.FileTable | None = None

    def count(self) -> int:
        return len(self.rows)

    def prepare(
        self, job: prepare.Job, workers: int, progress: Progress | None
    ) -> list[prepare.Prepared]:
        headers = prepare.headers_of(self.table.mapping) if self.table else {}
        job = replace(job, rows=self.rows, numbers=self.numbers, start=0, headers=headers)
        return pool.run(job, workers, _until_commit(progress))

    def problems(self, errors: list[ImportRowError]) -> str | None:
        if not errors:
            return None
        problems = prepare.problem_texts(_as_tuples(errors))
        if self.table is not None:
            return reading.problem_rows_csv(self.table, problems)
        return reading.problem_objects_csv(self.rows, problems)


@dataclass
class FileShares:
    """An uploaded file read and prepared by ``workers`` worker processes."""

    data: bytes
    options: ImportOptions
    table: reading.FileTable | None = None
    rows: int = 0
    lines: list[str] = field(default_factory=list)

    def count(self) -> int:
        return self.rows

    def prepare(
        self, job: prepare.Job, workers: int, progress: Progress | None
    ) -> list[prepare.Prepared]:
        first = prepare.FileShare(
            self.data, self.options.mapping, self.options.sheet, 0, workers, job
        )
        shares = pool.run_shares(first, workers, _until_commit(progress))
        self.table, self.rows = shares[0].file, shares[0].rows
        self.lines = [share.problem_lines for share in shares]
        check_count(self.rows, self.options, from_file=True)
        return [share.prepared for share in shares]

    def problems(self, errors: list[ImportRowError]) -> str | None:
        if not errors or self.table is None:
            return None
        header = reading.problem_rows_csv(self.table, {})
        return header + "".join(self.lines)
