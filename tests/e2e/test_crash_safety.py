"""kill -9 of the app during a large import: after a restart the SQLite file is intact
(``PRAGMA integrity_check``, ``foreign_key_check``, FTS5's integrity-check against the
lead table) and the import is either fully there - every lead, its "created" history
entry, its search index entry and the batch row - or not there at all.

One database, one server at a time, three imports of ``E2E_CRASH_ROWS`` (default 60,000)
rows in a ~5 MB CSV, each into its own campaign, and three moments to kill the server's
whole process group:

1. in the import's transaction before anything reached the disk: the write lock has been
   held for a while, the write-ahead log has not grown (the new pages are in the cache);
2. with uncommitted pages in the write-ahead log: the cache (64 MiB, ``db.py``) spilled
   and the ``-wal`` file grew by megabytes that recovery must ignore (60,000 rows are
   about twice what the cache holds; far fewer would never spill before the commit);
3. right after the answer came back: the commit is in the write-ahead log, maybe not yet
   checkpointed into the database file, and must survive.

Signals, not delays: the moments are found by watching the database (its write lock, the
size of its ``-wal`` file), so they hold on a slow or a busy machine. At every look a
second connection must also see none or all of the import's leads."""

from __future__ import annotations

import csv
import io
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url

from tests.databases import TestDatabases
from tests.e2e.conftest import cli_last_line
from tests.support.devserver import free_port, start_app, stop_app, wait_healthy

REPO = Path(__file__).resolve().parents[2]
ROWS = int(os.environ.get("E2E_CRASH_ROWS", "60000"))  # not LEADS_*: the app refuses those
HELD_S = 0.5  # moment 1: the import's write lock held this long, continuously
SPILLED_BYTES = 8 << 20  # moment 2: the -wal file this much larger than before the import
DEADLINE_S = 240.0  # for any one moment to come

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]


# ---------------------------------------------------------------- servers


@dataclass
class Servers:
    """Starts the app on one database as often as needed; stops every process it started."""

    workdir: Path
    database_url: str
    env: dict[str, str]
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    base_url: str = ""

    @property
    def path(self) -> Path:
        return Path(make_url(self.database_url).database or "")

    def start(self) -> None:
        port = free_port()
        log = self.workdir / f"server-{len(self.started)}.log"
        self.proc = start_app(self.env, port, log)
        self.started.append(self.proc)
        self.logs.append(log)
        try:
            wait_healthy(self.proc, port)
        except RuntimeError as exc:
            pytest.fail(f"the app did not start: {exc}:\n{log.read_text(errors='replace')}")
        self.base_url = f"http://127.0.0.1:{port}"

    def kill(self) -> None:
        """SIGKILL the whole process group: no handler, no atexit, no checkpoint runs."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def cli(self, *args: str) -> str:
        return cli_last_line(self.env, *args)

    def stop_all(self) -> None:
        for proc in self.started:
            stop_app(proc)  # by process group; returns at once for a killed one


@pytest.fixture
def servers(tmp_path: Path, test_databases: TestDatabases) -> Iterator[Servers]:
    database_url = test_databases.new(tmp_path)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LEADS_RATE_LIMIT_PER_MINUTE": "0",
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    servers = Servers(tmp_path, database_url, env)
    try:
        servers.start()
        yield servers
    finally:
        servers.stop_all()


# ---------------------------------------------------------------- the import


def big_csv(token: str) -> bytes:
    """ROWS distinct leads; every company holds ``token``, which the search index finds."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["First Name", "Last Name", "Email", "Company", "Title", "Source", "Phone"])
    for n in range(ROWS):
        writer.writerow(
            [f"Ann{n}", f"Lee{n}", f"ann.lee{n}@corp{n % 997}.com", f"{token} Corp {n % 997}",
             "CTO" if n % 3 else "Engineer", "linkedin", f"+33 6 12 {n // 10000 % 100:02d} {n % 10000:04d}"]
        )  # fmt: skip
    return out.getvalue().encode()


@dataclass
class Upload:
    """A CSV import posted from a thread: the answer, or the error the kill caused."""

    response: httpx.Response | None = None
    error: httpx.HTTPError | None = None
    began: float = 0.0
    thread: threading.Thread | None = None

    def start(self, base_url: str, key: str, campaign: str, data: bytes) -> Upload:
        def send() -> None:
            headers = {"Authorization": f"Bearer {key}"}
            try:
                with httpx.Client(base_url=base_url, headers=headers, timeout=600) as client:
                    self.response = client.post(
                        "/v1/leads/import/csv",
                        data={"campaignId": campaign},
                        files={"file": (f"{campaign}.csv", data, "text/csv")},
                    )
            except httpx.HTTPError as exc:
                self.error = exc

        self.thread = threading.Thread(target=send, name=f"import-{campaign}", daemon=True)
        self.began = time.monotonic()
        self.thread.start()
        return self

    @property
    def done(self) -> bool:
        return self.thread is not None and not self.thread.is_alive()


# ---------------------------------------------------------------- signals from the database


def write_lock_held(path: Path) -> bool:
    """Does another connection hold the database's write lock? (BEGIN IMMEDIATE fails at
    once; the probe never waits and never writes.)"""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc), exc
        return True
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


def wal_size(path: Path) -> int:
    try:
        return Path(f"{path}-wal").stat().st_size
    except FileNotFoundError:
        return 0


def visible_leads(path: Path, campaign: str) -> int:
    """How many of the campaign's leads another connection sees now."""
    reader = sqlite3.connect(path, timeout=5)
    try:
        return reader.execute(
            "SELECT count(*) FROM lead WHERE campaign_id = ?", (campaign,)
        ).fetchone()[0]
    finally:
        reader.close()


@dataclass
class Watch:
    """The database while one import runs: the moments to kill it are found here, and at
    every look a reader must see none or all of the import's leads (one transaction)."""

    path: Path
    campaign: str
    upload: Upload
    wal_before: int

    def until(self, condition: Callable[[], bool], what: str, *, or_answered: bool = False) -> None:
        """Poll every 20 ms until ``condition`` holds (or, if allowed, the import answers)."""
        deadline = time.monotonic() + DEADLINE_S
        while True:
            seen = visible_leads(self.path, self.campaign)
            assert seen in (0, ROWS), f"a reader sees {seen} of the {ROWS} leads mid-import"
            if condition():
                return
            if self.upload.done:
                assert or_answered, f"the import ended before {what}: {self.upload.response}"
                return
            assert time.monotonic() < deadline, f"no {what} after {DEADLINE_S:.0f} s"
            time.sleep(0.02)  # polling the database's state, bounded by the deadline


def lock_held_for(path: Path, seconds: float) -> Callable[[], bool]:
    since: list[float] = []

    def condition() -> bool:
        if not write_lock_held(path):
            since.clear()
            return False
        since[:1] = since[:1] or [time.monotonic()]
        return time.monotonic() - since[0] >= seconds

    return condition


# ---------------------------------------------------------------- checks after a restart


@dataclass
class Found:
    leads: int
    created_history: int
    indexed: int  # leads the search index finds by the import's token
    batches: list[tuple[Any, ...]]
    ids: set[str]


def check_file(path: Path) -> None:
    """The whole file is sound: b-trees, foreign keys, the FTS5 index against its table."""
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        # rank = 1: also against the lead table (plain 'integrity-check' checks only the
        # index's own structure for an external-content table such as this one)
        try:
            db.execute("INSERT INTO lead_search(lead_search, rank) VALUES('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            pytest.fail(f"the search index disagrees with the lead table: {exc}")
    finally:
        db.close()


def find(path: Path, campaign: str, token: str) -> Found:
    db = sqlite3.connect(path, timeout=30)
    try:
        ids = {
            row[0] for row in db.execute("SELECT id FROM lead WHERE campaign_id = ?", (campaign,))
        }
        (created,) = db.execute(
            "SELECT count(*) FROM lead_activity a JOIN lead l ON l.id = a.lead_id "
            "WHERE l.campaign_id = ? AND a.kind = 'created'",
            (campaign,),
        ).fetchone()
        (indexed,) = db.execute(
            "SELECT count(*) FROM lead_search WHERE lead_search MATCH ?", (f'"{token}"',)
        ).fetchone()
        batches = db.execute(
            "SELECT imported, skipped, errors FROM import_batch WHERE campaign_id = ?",
            (campaign,),
        ).fetchall()
    finally:
        db.close()
    return Found(len(ids), created, indexed, batches, ids)


def check_all_or_nothing(found: Found, upload: Upload) -> str:
    """Every trace of the import, or none; returns which."""
    if found.leads == 0:
        assert (found.created_history, found.indexed, found.batches) == (0, 0, [])
        assert upload.response is None, "an acknowledged import is missing"
        return "absent"
    assert (found.leads, found.created_history, found.indexed) == (ROWS, ROWS, ROWS)
    assert found.batches == [(ROWS, 0, 0)]
    if upload.response is not None:
        body = upload.response.json()
        assert (body["imported"], body["skipped"], body["errors"]) == (ROWS, 0, [])
        assert {lead["id"] for lead in body["leads"]} == found.ids
    return "present"


# ---------------------------------------------------------------- the test


@dataclass
class Moment:
    name: str
    wait: Callable[[Watch], None]  # returns when it is time to kill
    expect: str  # what must be found after the restart: "absent" or "present"


def before_the_cache_spills(watch: Watch) -> None:
    watch.until(lock_held_for(watch.path, HELD_S), "the import's write lock")
    assert wal_size(watch.path) < watch.wal_before + SPILLED_BYTES, "spilled: moment 2, not 1"


def uncommitted_pages_in_the_log(watch: Watch) -> None:
    def spilled_while_writing() -> bool:
        grown = wal_size(watch.path) >= watch.wal_before + SPILLED_BYTES
        return grown and write_lock_held(watch.path)

    watch.until(spilled_while_writing, "a spilled cache")


def answered(watch: Watch) -> None:
    watch.until(lambda: False, "the answer", or_answered=True)
    response = watch.upload.response
    assert response is not None, watch.upload.error
    assert response.status_code == 200, response.text[:2000]


MOMENTS = (
    Moment("in the transaction, before the cache spilled", before_the_cache_spills, "absent"),
    Moment("uncommitted pages in the -wal file", uncommitted_pages_in_the_log, "absent"),
    Moment("right after the answer", answered, "present"),
)


def test_kill_9_during_a_large_import_leaves_it_all_or_nothing_and_the_file_intact(
    servers: Servers,
) -> None:
    key = servers.cli("create-api-key", "crash")
    for number, moment in enumerate(MOMENTS):
        campaign, token = f"cmp_crash_{number}", f"kx{number}q"
        servers.cli("create-campaign", f"Crash {number}", "--id", campaign)
        data = big_csv(token)
        wal_before = wal_size(servers.path)
        upload = Upload().start(servers.base_url, key, campaign, data)
        moment.wait(Watch(servers.path, campaign, upload, wal_before))
        killed_after = time.monotonic() - upload.began
        wal_at_kill = wal_size(servers.path)
        servers.kill()
        assert upload.thread is not None
        upload.thread.join(timeout=30)

        restart = time.monotonic()
        servers.start()  # must start on the file as the kill left it
        restarted_in = time.monotonic() - restart
        check_file(servers.path)
        found = find(servers.path, campaign, token)
        outcome = check_all_or_nothing(found, upload)
        print(
            f"\n{moment.name}: killed {killed_after:.2f} s into a {len(data) / 1e6:.1f} MB, "
            f"{ROWS}-row import (-wal {wal_before / 1e6:.1f} -> {wal_at_kill / 1e6:.1f} MB, "
            f"answered: {upload.response is not None}); restarted in {restarted_in:.1f} s; "
            f"import {outcome} ({found.leads} leads)"
        )
        assert outcome == moment.expect, moment.name
        # The restarted app serves what the file holds.
        with httpx.Client(
            base_url=servers.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as client:
            listed = client.get("/v1/leads", params={"campaignId": campaign, "limit": 1})
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == found.leads
    for log in servers.logs:
        assert "database is locked" not in log.read_text(errors="replace"), log
