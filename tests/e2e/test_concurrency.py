"""Eight API clients at once against one real app (``streamlit run app.py``) for
``E2E_CONCURRENCY_SECONDS`` (default 30): JSON and CSV imports whose rows overlap between
clients and within a request, PATCHes of leads anyone created (status, notes, email -
colliding emails get 409), deletes (404 when another client deleted first) and reads.

Every answer is recorded with the moment it was asked and answered; afterwards the
database itself is read and must hold exactly what the answers promised: no 5xx, no
"database is locked" anywhere, every acknowledged lead present unless an acknowledged
DELETE removed it, every acknowledged PATCH applied (its note is in the history) and the
last one kept when nothing else could have come after it, no rejected PATCH applied,
no two leads of a campaign with one email or LinkedIn profile, and every import's rows
counted once as imported, skipped or in error.

Run with ``-s`` to see the throughput and latencies. The issue asks this of SQLite; the
same run on PostgreSQL costs nothing more, so it runs on both engines.

The mix's imports are small (20-220 rows). A large one holds SQLite's write lock longer
than the busy timeout and the other writers then fail: the last test shows it, marked as
an expected failure until that is fixed."""

from __future__ import annotations

import csv
import io
import itertools
import os
import random
import sqlite3
import statistics
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import NullPool, create_engine, make_url, text

from leads_core.identity import identity_keys
from tests.databases import TestDatabases
from tests.e2e.conftest import cli_last_line
from tests.support.devserver import free_port, start_app, stop_app, wait_healthy

REPO = Path(__file__).resolve().parents[2]
DURATION_S = float(os.environ.get("E2E_CONCURRENCY_SECONDS", "30"))  # not LEADS_*: the app
CLIENTS = 8  # refuses unknown LEADS_* variables, and it inherits this environment
CAMPAIGNS = ("cmp_conc_a", "cmp_conc_b", "cmp_conc_c")
POOL = 6000  # identities per campaign that imports draw from: clients overlap
STATUSES = ("new", "contacted", "replied", "qualified", "converted", "rejected")
MIX = {  # operation -> weight
    "import-json": 18,
    "import-csv": 10,
    "patch": 34,
    "delete": 10,
    "list": 20,
    "get": 8,
}
ACCEPTED = {  # what each operation may answer; anything else is a failure
    "import-json": {200},
    "import-csv": {200},
    "patch": {200, 404, 409},
    "delete": {204, 404},
    "list": {200},
    "get": {200, 404},
}
LOCKED = "database is locked"

pytestmark = pytest.mark.slow


# ---------------------------------------------------------------- the server


@dataclass
class App:
    base_url: str
    database_url: str
    env: dict[str, str]
    log_path: Path

    def cli(self, *args: str) -> str:
        """``python -m leads_core ...`` on the app's database; the last line of stdout."""
        return cli_last_line(self.env, *args)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def app(tmp_path: Path, test_databases: TestDatabases) -> Iterator[App]:
    """A server of our own on a new database, without the per-key rate limit."""
    database_url = test_databases.new(tmp_path)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LEADS_RATE_LIMIT_PER_MINUTE": "0",
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    app = App(f"http://127.0.0.1:{port}", database_url, env, tmp_path / "server.log")
    proc = start_app(env, port, app.log_path)
    try:
        try:
            wait_healthy(proc, port)
        except RuntimeError as exc:
            pytest.fail(f"{exc}:\n{app.log()}")
        yield app
    finally:
        stop_app(proc)
        test_databases.drop(database_url)


# ---------------------------------------------------------------- what the clients did


@dataclass
class Call:
    """One request: what it asked, when, and what it got."""

    kind: str
    client: int
    started: float
    ended: float = 0.0
    status: int = 0  # 0: no answer (the exception is in ``body``)
    body: Any = None
    lead_id: str | None = None  # patch, delete, get
    changes: dict[str, Any] = field(default_factory=dict)  # patch
    rows: int = 0  # imports: rows sent
    repeats: int = 0  # imports: rows repeating an earlier row of the same request
    invalid: int = 0  # imports: rows with neither email nor LinkedIn URL

    @property
    def latency_ms(self) -> float:
        return (self.ended - self.started) * 1000

    def describe(self) -> str:
        what = self.lead_id or f"{self.rows} rows"
        return f"{self.kind} {what} {self.changes or ''} -> {self.status}: {str(self.body)[:400]}"

    @property
    def failed(self) -> bool:
        answer = self.body if isinstance(self.body, str) else repr(self.body)
        return self.status not in ACCEPTED[self.kind] or LOCKED in answer


@dataclass
class Known:
    """Lead ids acknowledged by imports, shared by the clients to pick PATCH and DELETE
    targets (recent ones more often, so clients meet on the same leads)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: list[tuple[str, str]] = field(default_factory=list)  # (lead id, campaign)

    def add(self, campaign: str, lead_ids: list[str]) -> None:
        with self.lock:
            self.ids.extend((lead_id, campaign) for lead_id in lead_ids)

    def pick(self, rng: random.Random) -> tuple[str, str] | None:
        with self.lock:
            if not self.ids:
                return None
            recent = self.ids[-60:]
            return rng.choice(recent if rng.random() < 0.6 else self.ids)


def identity(campaign: str, n: int, rng: random.Random) -> dict[str, str]:
    """Lead ``n`` of a campaign's pool: an email, a LinkedIn URL, or both."""
    tag = CAMPAIGNS.index(campaign)
    email = f"u{n}.c{tag}@pool.example"
    linkedin = f"https://www.linkedin.com/in/u{n}-c{tag}"
    kind = n % 10
    if kind == 0:
        return {"linkedinUrl": linkedin}
    if kind == 1:
        return {"email": email, "linkedinUrl": linkedin}
    return {"email": email.upper() if rng.random() < 0.2 else email}


def repeat_of(row: dict[str, str]) -> dict[str, str]:
    """The same person written differently: email case, LinkedIn URL with a query."""
    again = {k: v for k, v in row.items() if k in ("email", "linkedinUrl")}
    if "email" in again:
        again["email"] = again["email"].swapcase()
    elif "linkedinUrl" in again:
        again["linkedinUrl"] = again["linkedinUrl"].replace("https://www.", "http://") + "/?x=1"
    return {**again, "company": "Repeat Co"}


def import_rows(campaign: str, rng: random.Random, count: int) -> tuple[list[dict], int, int]:
    """``count`` rows from the campaign's pool, ~10% of them repeating an earlier row of
    the same request and sometimes one row without an identity. (rows, repeats, invalid)"""
    numbers = rng.sample(range(POOL), count)
    rows: list[dict[str, str]] = []
    for n in numbers:
        rows.append(
            {
                **identity(campaign, n, rng),
                "firstName": f"Ann{n}",
                "lastName": f"Lee{n}",
                "company": f"Corp {n % 50}",
                "position": rng.choice(["CTO", "VP Engineering", "Engineer", "Founder"]),
                "source": rng.choice(["linkedin", "referral", "website"]),
            }
        )
    repeats = [repeat_of(rng.choice(rows)) for _ in range(count // 10)]
    invalid = [{"firstName": "Nobody", "company": "No identity"}] if rng.random() < 0.3 else []
    everything = rows + repeats + invalid
    rng.shuffle(everything)
    # A repeat shuffled before its original is the one imported and the original skipped:
    # either way, one lead per person and one row skipped.
    return everything, len(repeats), len(invalid)


def as_csv(rows: list[dict[str, str]]) -> bytes:
    columns = ["firstName", "lastName", "email", "linkedinUrl", "company", "position", "source"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


class Client:
    """One API client: its own connection (kept alive), its own random sequence."""

    def __init__(self, number: int, app: App, key: str, known: Known, deadline: float) -> None:
        self.number = number
        self.rng = random.Random(1000 + number)
        self.http = httpx.Client(
            base_url=app.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        )
        self.known = known
        self.deadline = deadline
        self.calls: list[Call] = []
        self.sequence = itertools.count()

    def run(self) -> None:
        kinds, weights = zip(*MIX.items(), strict=True)
        with self.http:
            while time.monotonic() < self.deadline:
                kind = self.rng.choices(kinds, weights)[0]
                call = getattr(self, kind.replace("-", "_"))()
                if call is not None:
                    self.calls.append(call)

    def _send(self, call: Call, method: str, url: str, **kwargs: Any) -> Call:
        call.started = time.monotonic()
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            call.ended, call.body = time.monotonic(), f"{type(exc).__name__}: {exc}"
            return call
        call.ended, call.status = time.monotonic(), response.status_code
        try:
            call.body = response.json() if response.content else None
        except ValueError:
            call.body = response.text
        return call

    def _import(self, kind: str, campaign: str, rows: list[dict], repeats: int, invalid: int):
        call = Call(kind, self.number, 0.0, rows=len(rows), repeats=repeats, invalid=invalid)
        if kind == "import-json":
            self._send(call, "POST", "/v1/leads", json={"campaignId": campaign, "leads": rows})
        else:
            self._send(
                call,
                "POST",
                "/v1/leads/import/csv",
                data={"campaignId": campaign},
                files={"file": (f"c{self.number}.csv", as_csv(rows), "text/csv")},
            )
        if call.status == 200:
            self.known.add(campaign, [lead["id"] for lead in call.body["leads"]])
        return call

    def import_json(self) -> Call:
        campaign = self.rng.choice(CAMPAIGNS)
        rows, repeats, invalid = import_rows(campaign, self.rng, self.rng.randint(20, 80))
        return self._import("import-json", campaign, rows, repeats, invalid)

    def import_csv(self) -> Call:
        campaign = self.rng.choice(CAMPAIGNS)
        rows, repeats, invalid = import_rows(campaign, self.rng, self.rng.randint(50, 200))
        return self._import("import-csv", campaign, rows, repeats, invalid)

    def patch(self) -> Call | None:
        target = self.known.pick(self.rng)
        if target is None:
            return None
        lead_id, campaign = target
        token = f"note-c{self.number}-{next(self.sequence)}"  # unique: traceable in the history
        changes: dict[str, Any] = {"notes": token}
        if self.rng.random() < 0.5:
            changes["status"] = self.rng.choice(STATUSES)
        if self.rng.random() < 0.25:
            if self.rng.random() < 0.5:  # someone's email, likely: 409
                n = self.rng.randrange(POOL)
                changes["email"] = f"u{n}.c{CAMPAIGNS.index(campaign)}@pool.example"
            else:
                changes["email"] = f"{token}@patched.example"
        call = Call("patch", self.number, 0.0, lead_id=lead_id, changes=changes)
        return self._send(call, "PATCH", f"/v1/leads/{lead_id}", json=changes)

    def delete(self) -> Call | None:
        target = self.known.pick(self.rng)
        if target is None:
            return None
        call = Call("delete", self.number, 0.0, lead_id=target[0])
        return self._send(call, "DELETE", f"/v1/leads/{target[0]}")

    def list(self) -> Call:
        params: dict[str, Any] = {"campaignId": self.rng.choice(CAMPAIGNS), "limit": 50}
        if self.rng.random() < 0.3:
            params["q"] = f"corp {self.rng.randrange(50)}"
        if self.rng.random() < 0.3:
            params["sort"] = "-qualityScore"
        return self._send(Call("list", self.number, 0.0), "GET", "/v1/leads", params=params)

    def get(self) -> Call | None:
        target = self.known.pick(self.rng)
        if target is None:
            return None
        call = Call("get", self.number, 0.0, lead_id=target[0])
        return self._send(call, "GET", f"/v1/leads/{target[0]}")


# ---------------------------------------------------------------- what the database holds


@dataclass
class Stored:
    leads: dict[str, dict[str, Any]]  # id -> row (campaign_id, email, keys, status, notes)
    notes_history: dict[str, set[str]]  # lead id -> the notes its history records
    without_created: list[str]  # leads with no "created" history entry
    duplicates: list[tuple]  # (campaign, key column, key, count) shared by several leads


def read_database(database_url: str) -> Stored:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as db:
            leads = {
                row["id"]: dict(row)
                for row in db.execute(
                    text(
                        "SELECT id, campaign_id, email, linkedin_url, email_key, linkedin_key, "
                        "status, notes FROM lead"
                    )
                ).mappings()
            }
            notes_history: dict[str, set[str]] = defaultdict(set)
            for lead_id, value in db.execute(
                text("SELECT lead_id, new_value FROM lead_activity WHERE kind = 'note'")
            ):
                notes_history[lead_id].add(value)
            without_created = list(
                db.execute(
                    text(
                        "SELECT id FROM lead WHERE NOT EXISTS (SELECT 1 FROM lead_activity a "
                        "WHERE a.lead_id = lead.id AND a.kind = 'created')"
                    )
                ).scalars()
            )
            duplicates = [
                (*row, column)
                for column in ("email_key", "linkedin_key")
                for row in db.execute(
                    text(
                        f"SELECT campaign_id, {column}, count(*) FROM lead "
                        f"WHERE {column} IS NOT NULL GROUP BY campaign_id, {column} "
                        "HAVING count(*) > 1"
                    )
                )
            ]
            if engine.dialect.name == "sqlite":
                assert db.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert db.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                db.exec_driver_sql(  # rank 1: the index against the lead table too
                    "INSERT INTO lead_search(lead_search, rank) VALUES('integrity-check', 1)"
                )
                db.rollback()
    finally:
        engine.dispose()
    return Stored(leads, notes_history, without_created, duplicates)


# ---------------------------------------------------------------- checks


def check_imports(calls: list[Call]) -> set[str]:
    """Each acknowledged import counted every row once; returns the lead ids it created."""
    created: list[str] = []
    for call in calls:
        if call.kind.startswith("import") and call.status == 200:
            body = call.body
            counted = body["imported"] + body["skipped"] + len(body["errors"])
            assert counted == call.rows, (call.rows, body["imported"], body["skipped"])
            assert len(body["errors"]) == call.invalid, body["errors"]
            assert body["skipped"] >= call.repeats, (call.repeats, body["skipped"])
            assert len(body["leads"]) == body["imported"]
            created.extend(lead["id"] for lead in body["leads"])
    assert len(created) == len(set(created)), "a lead id was returned by two imports"
    return set(created)


def last_unambiguous(calls: list[Call], name: str) -> Call | None:
    """The acknowledged PATCH of ``name`` that surely ran last: it began after every other
    PATCH of that field that may have applied had been answered. None when two overlap."""
    applied = [c for c in calls if name in c.changes and c.status not in (404, 409)]
    acknowledged = [c for c in applied if c.status == 200]
    if not acknowledged:
        return None
    last = max(acknowledged, key=lambda c: c.ended)
    if all(other is last or other.ended < last.started for other in applied):
        return last
    return None


def check_patches(calls: list[Call], stored: Stored, deleted: set[str]) -> Counter:
    """Every acknowledged PATCH applied (its unique note in the history), no rejected one
    applied, and the last PATCH of each field kept when it is unambiguous."""
    figures: Counter = Counter()
    patches = [c for c in calls if c.kind == "patch"]
    all_notes = {value for values in stored.notes_history.values() for value in values}
    stored_notes = {row["notes"] for row in stored.leads.values()}
    by_lead: dict[str, list[Call]] = defaultdict(list)
    for call in patches:
        token = call.changes["notes"]
        if call.status == 200:
            if call.lead_id not in deleted:
                assert token in stored.notes_history[call.lead_id], f"PATCH lost: {call}"
                figures["acknowledged patches found in the history"] += 1
        else:
            assert token not in all_notes and token not in stored_notes, f"rejected, yet: {call}"
            figures[f"patches answered {call.status}, not applied"] += 1
            if call.status == 409 and "email" not in call.changes:
                figures["patches answered 409 with no email change (contention)"] += 1
        by_lead[call.lead_id].append(call)
    for lead_id, lead_calls in by_lead.items():
        if lead_id in deleted:
            continue
        row = stored.leads[lead_id]
        for name in ("notes", "status", "email"):
            last = last_unambiguous(lead_calls, name)
            if last is None:
                figures[f"{name}: ambiguous or never set"] += 1
                continue
            assert row[name] == last.changes[name], (lead_id, name, row[name], last)
            figures[f"{name}: last acknowledged value checked"] += 1
    return figures


def check_keys(stored: Stored) -> None:
    """The stored identity keys are those of the stored email and LinkedIn URL, and no two
    leads of a campaign share one."""
    assert stored.duplicates == []
    for row in stored.leads.values():
        keys = identity_keys(row["email"], row["linkedin_url"])
        assert (row["email_key"], row["linkedin_key"]) == (keys.email, keys.linkedin), row


def report(calls: list[Call], elapsed: float) -> None:
    print(f"\n{len(calls)} requests from {CLIENTS} clients in {elapsed:.1f} s")
    print(f"{'kind':<12}{'count':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  answers")
    kinds = sorted({c.kind for c in calls})
    for kind in [*kinds, "all"]:
        mine = [c for c in calls if kind in (c.kind, "all")]
        latencies = sorted(c.latency_ms for c in mine)
        p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else latencies[0]
        answers = Counter(c.status for c in mine)
        print(
            f"{kind:<12}{len(mine):>7}{len(mine) / elapsed:>8.1f}{statistics.median(latencies):>9.1f}"
            f"{p95:>9.1f}{latencies[-1]:>9.1f}  {dict(sorted(answers.items()))}"
        )
    rows = sum(c.body["imported"] for c in calls if c.kind.startswith("import") and c.status == 200)
    print(f"leads imported: {rows} ({rows / elapsed:.0f}/s)")


# ---------------------------------------------------------------- the test


def test_eight_clients_mixing_imports_edits_and_deletes_lose_and_duplicate_nothing(
    app: App,
) -> None:
    key = app.cli("create-api-key", "concurrency")
    for campaign in CAMPAIGNS:
        app.cli("create-campaign", campaign, "--id", campaign)

    known = Known()
    began = time.monotonic()
    clients = [Client(n, app, key, known, began + DURATION_S) for n in range(CLIENTS)]
    threads = [threading.Thread(target=c.run, name=f"client-{c.number}") for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DURATION_S + 120)
    assert not any(t.is_alive() for t in threads), "a client is still waiting for an answer"
    elapsed = time.monotonic() - began
    calls = sorted((c for client in clients for c in client.calls), key=lambda c: c.started)
    report(calls, elapsed)

    failed = [c for c in calls if c.failed]
    assert failed == [], (
        f"{len(failed)} of {len(calls)} requests failed: "
        f"{dict(Counter((c.kind, c.status) for c in failed))}\n"
        + "\n".join(c.describe() for c in failed[:5])
        + f"\n--- server log, end:\n{app.log()[-4000:]}"
    )
    assert LOCKED not in app.log()

    created = check_imports(calls)
    deleted = {c.lead_id for c in calls if c.kind == "delete" and c.status == 204}
    assert deleted <= created
    stored = read_database(app.database_url)
    ours = {lead_id for lead_id, row in stored.leads.items() if row["campaign_id"] in CAMPAIGNS}
    # Exactly what the answers promised: nothing acknowledged is missing, nothing deleted
    # is back, and nothing is there that no answer mentioned.
    assert sorted(created - deleted - ours) == [], "acknowledged leads missing"
    assert sorted(ours & deleted) == [], "deleted leads present"
    assert sorted(ours - created) == [], "leads no import acknowledged"
    assert stored.without_created == []
    check_keys(stored)
    figures = check_patches(calls, stored, deleted)
    for line, count in sorted(figures.items()):
        print(f"{line}: {count}")
    assert figures["acknowledged patches found in the history"] > 0
    assert figures["status: last acknowledged value checked"] > 0
    assert figures["email: last acknowledged value checked"] > 0
    assert Counter(c.status for c in calls if c.kind == "patch")[409] > 0  # collisions tried
    assert Counter(c.status for c in calls if c.kind == "delete")[204] > 0


# ---------------------------------------------------------------- a large import meanwhile

LARGE_IMPORT_ROWS = 80_000  # ~7 MB, within the documented limits (10 MB, 100,000 rows)


def write_lock_held(database_url: str) -> bool:
    """Does a connection hold SQLite's write lock? (BEGIN IMMEDIATE fails at once.)"""
    probe = sqlite3.connect(make_url(database_url).database or "", timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    else:
        probe.rollback()
        return False
    finally:
        probe.close()


@pytest.mark.sqlite_only
def test_writes_made_during_a_large_import_wait_for_it_and_succeed(app: App) -> None:
    key = app.cli("create-api-key", "large")
    other_key = app.cli("create-api-key", "first-use")  # authenticating it writes last_used_at
    app.cli("create-campaign", "Large", "--id", "cmp_large")
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=app.base_url, headers=headers, timeout=120) as http:
        lead = http.post(
            "/v1/leads", json={"campaignId": "cmp_large", "leads": [{"email": "a@b.io"}]}
        )
        lead_id = lead.json()["leads"][0]["id"]
    rows = [
        {"email": f"bulk{n}@corp{n % 997}.example", "company": f"Corp {n % 997}"}
        for n in range(LARGE_IMPORT_ROWS)
    ]
    data = as_csv(rows)
    answers: dict[str, int | str] = {}

    def send(name: str, method: str, url: str, key_: str = key, **kwargs: Any) -> None:
        began = time.monotonic()
        try:
            response = httpx.request(
                method,
                app.base_url + url,
                headers={"Authorization": f"Bearer {key_}"},
                timeout=300,
                **kwargs,
            )
            answers[name] = response.status_code
        except httpx.HTTPError as exc:
            answers[name] = repr(exc)
        answers[f"{name} s"] = f"{time.monotonic() - began:.1f}"

    large = threading.Thread(
        target=send,
        args=("large import", "POST", "/v1/leads/import/csv"),
        kwargs={"data": {"campaignId": "cmp_large"}, "files": {"file": ("l.csv", data)}},
    )
    large.start()
    deadline = time.monotonic() + 120
    while not write_lock_held(app.database_url):  # the import's transaction has begun
        assert large.is_alive() and time.monotonic() < deadline, answers
        time.sleep(0.02)  # polling the lock, bounded by the deadline
    others = [
        threading.Thread(target=send, args=args, kwargs=kwargs)
        for args, kwargs in (
            (("patch", "PATCH", f"/v1/leads/{lead_id}"), {"json": {"status": "contacted"}}),
            (("small import", "POST", "/v1/leads"),
             {"json": {"campaignId": "cmp_large", "leads": [{"email": "c@d.io"}]}}),
            (("read with a new key", "GET", "/v1/leads?limit=1", other_key), {}),
        )
    ]  # fmt: skip
    for thread in others:
        thread.start()
    for thread in others:
        thread.join(timeout=300)
    print(f"\nduring a {LARGE_IMPORT_ROWS}-row import: {answers}")
    assert [answers[name] for name in ("patch", "small import", "read with a new key")] == [
        200,
        200,
        200,
    ], answers
    large.join(timeout=300)
    assert answers["large import"] == 200, answers
    assert LOCKED not in app.log()
