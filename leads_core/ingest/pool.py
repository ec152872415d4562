"""Where the CPU part of an import runs: inline for one worker or a small request,
otherwise in a pool of worker processes shared by every import of this process
(``LEADS_IMPORT_WORKERS``, default the number of CPUs this process may use).

The pool is started on first use from a ``forkserver`` (a clean interpreter; each worker
forks from it and imports the preparing code once): never forked from the app's own
process, whose server threads hold locks a fork would copy. A worker that
dies (killed, out of memory) breaks the pool: the request waiting on it gets
:class:`ImportUnavailable` (503 with ``Retry-After``, nothing written) and the next
request starts a fresh pool.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TypeVar

from leads_core.errors import LeadsError
from leads_core.ingest.prepare import (
    FileShare,
    Job,
    Prepared,
    PreparedShare,
    prepare,
    prepare_share,
)

T = TypeVar("T")
INLINE_ROWS = 2000  # a request this small is prepared inline: a worker round trip costs more
CHUNK_ROWS = 2500  # rows per job sent to a worker (progress granularity)
RETRY_AFTER_S = 5
PARENT_CHECK_S = 1.0  # how often a worker checks that the app is still there


class ImportUnavailable(LeadsError):
    """A worker process of the import pool died during this request."""

    status = 503
    code = "import_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "An import worker stopped while preparing this request; nothing was written. "
            f"Send the request again in {RETRY_AFTER_S} s."
        )
        self.headers = {"Retry-After": str(RETRY_AFTER_S)}


_lock = threading.Lock()
_executor: ProcessPoolExecutor | None = None
_size = 0


def _pool(workers: int) -> ProcessPoolExecutor:
    global _executor, _size
    with _lock:
        # A pool broken while idle (a worker killed between imports) is replaced, not
        # blamed on this request.
        if _executor is None or _size != workers or getattr(_executor, "_broken", False):
            if _executor is not None:
                _executor.shutdown(wait=False, cancel_futures=True)
            # The forkserver imports the program's main module as "__mp_main__" (as spawn
            # does), so a main script must keep its work under `if __name__ == "__main__"`
            # (Streamlit's and `python -m leads_core`'s do). Each worker imports the
            # preparing code once, on its first part.
            context = multiprocessing.get_context("forkserver")
            _executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=_exit_with,
                initargs=(os.getpid(),),
            )
            _size = workers
        return _executor


def _exit_with(app_pid: int) -> None:
    """In each worker: exit once the app process is gone. Killed with -9 (or by the OOM
    killer), the app cannot stop its pool, and the workers, waiting for work, would stay."""

    def watch() -> None:
        while _running(app_pid):
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="leads-import-worker-watch", daemon=True).start()


def _running(pid: int) -> bool:
    """Is process ``pid`` running (not gone, not a zombie waiting to be reaped)?"""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel whether the number is still in use
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


@contextmanager
def _pooled(workers: int) -> Iterator[ProcessPoolExecutor]:
    """The pool, for a piece of work: a worker dying during it discards the pool and ends
    the request with :class:`ImportUnavailable` (the next request gets a new pool)."""
    executor = _pool(workers)
    try:
        yield executor
    except BrokenProcessPool:
        _discard(executor)
        raise ImportUnavailable() from None


def _discard(broken: ProcessPoolExecutor) -> None:
    global _executor
    with _lock:
        if _executor is broken:
            _executor = None
    broken.shutdown(wait=False, cancel_futures=True)


def worker_pids() -> list[int]:
    """The pool's worker processes (none before the first pooled import)."""
    with _lock:
        processes = getattr(_executor, "_processes", None) or {}
        return sorted(processes)


def shutdown() -> None:
    """Stop the pool's workers (tests; the process exiting does it too)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)


def split(job: Job, size: int) -> Iterator[Job]:
    for start in range(0, len(job.rows), size):
        yield replace(
            job,
            rows=job.rows[start : start + size],
            numbers=job.numbers[start : start + size],
            start=job.start + start,
        )


def run(
    job: Job, workers: int, progress: Callable[[int, int], None] | None = None
) -> list[Prepared]:
    """``prepare`` every row of ``job``, in order, on ``workers`` processes (inline for one
    or a small job); ``progress(rows prepared, rows in all)`` after each part."""
    parts = list(split(job, CHUNK_ROWS))
    results: list[Prepared] = []

    def collect(result: Prepared, part: Job) -> None:
        results.append(result)
        if progress:
            progress(part.start + len(part.rows) - job.start, len(job.rows))

    if workers <= 1 or len(job.rows) <= INLINE_ROWS:
        for part in parts:
            collect(prepare(part), part)
        return results
    with _pooled(workers) as executor:
        futures: list[Future[Prepared]] = [executor.submit(prepare, part) for part in parts]
        for future, part in zip(futures, parts, strict=True):
            collect(future.result(), part)
    return results


def call(function: Callable[..., T], *args: Any, workers: int) -> T:
    """``function(*args)`` in a worker process (here with one worker): for a one-off read of
    a large file whose transient objects would otherwise stay in the app's memory."""
    if workers <= 1:
        return function(*args)
    with _pooled(workers) as executor:
        return executor.submit(function, *args).result()


def run_shares(
    share: FileShare, workers: int, progress: Callable[[int, int], None] | None = None
) -> list[PreparedShare]:
    """An uploaded file read and prepared by ``workers`` processes, each its share of the
    rows (``share`` is the first; the others are made from it); ``progress(rows prepared,
    rows in all)`` as each share comes back."""
    results: list[PreparedShare] = []
    with _pooled(workers) as executor:
        futures = [
            executor.submit(prepare_share, replace(share, share=n, shares=workers))
            for n in range(workers)
        ]
        for future in futures:
            results.append(future.result())
            if progress:
                done = sum(len(r.prepared.ready) + _rows_in_error(r) for r in results)
                progress(done, results[0].rows)
    return results


def _rows_in_error(share: PreparedShare) -> int:
    return len({row for row, _, _ in share.prepared.errors})
