"""Dashboard benchmark: every page's script run on a 1,000,000-lead database, and the app's RSS.

    .venv/bin/python -m bench.dashboard_bench [--db bench/.data/leads-1m.db] [--leads 1000000]
        [--repeat 3] [--no-rss] [--browser-repeat 3] [--browser-only] | --quick

Targets: every page's script run takes <= 1.5 s with 1,000,000 leads in the database, the app
process stays under 500 MB RSS, and in Chromium a full page load shows the page's data in
<= 2 s and a sidebar navigation in <= 0.5 s (section 5).

Every run is a signed-in admin's (:data:`BENCH_USER`, made in the database when missing): the
sign-in gate reads the session from the database on every run, as it does for a user.

1. Database: reuses ``--db`` when it holds at least ``--leads`` leads, else seeds it as a
   user would, ``DATABASE_URL=sqlite:///PATH python -m leads_core seed-demo --leads N
   --campaigns 20`` (~4-5 minutes for 1,000,000 leads; progress on stderr), into
   ``PATH.partial`` renamed when done. An existing file with fewer leads is not touched: the
   script stops and asks for another path. ``--quick`` seeds 20,000 leads in a temporary
   folder instead (a smoke test in about a minute).
2. Page timings, in this process, with ``streamlit.testing.v1.AppTest`` on the real app.py
   (st.navigation, the sidebar filters, the URL parameters): the wall time of ``at.run()``,
   the whole script run (app.py, the page, its SQL, its charts and tables serialized), not
   the browser's drawing. Views: every page, the lead page on one lead, and filtered views
   of Leads and Analytics by URL parameters, as links to them open them (``minScore``,
   ``campaignId`` = the largest campaign, ``status``, ``source``, ``q``, ``sort``, ``page``
   up to the last one, which the pagination offers).
   - warm-up: one run of every page first, timed but kept out of the table: the first run
     of a page in a process pays its imports (pandas, plotly...); a real server pays them once,
     for its first visitor. These figures are printed apart.
   - COLD: ``st.cache_data.clear()``, the engine's connection pool disposed (so SQLite's own
     page cache is empty; the OS file cache is not dropped), a fresh AppTest (a new browser
     session). AppTest must run app.py once before it can switch page: that run (Home) is
     made before the caches are cleared and is not timed. Repeated ``--repeat`` times:
     median and max (a view whose cold run took over 10 s is not repeated).
   - WARM: the same AppTest run again right after each cold run (cached aggregates, same
     session): the median.
   A view fails when its run raised (``at.exception``), showed an ``st.error``, or did not
   show the expected page title.
3. Memory: starts the product as a user does, ``streamlit run app.py`` on a free port with
   ``DATABASE_URL`` on the same database, waits for ``/_stcore/health``, reads the server
   process's RSS (VmRSS in /proc/PID/status, MB of 10^6 bytes; VmHWM is its peak), then
   opens every view in headless Chromium (Playwright, ``devserver.launch_chromium``:
   Debian's /usr/bin/chromium; one tab, a new session per load), waits until the script
   run is over (``stApp`` ``data-test-script-state`` = notRunning, the title or an
   exception box shown, no status widget) plus a short settle, and reads RSS again. The
   time from ``page.goto`` to the end of the script run is printed per view, for
   information (it adds the frontend's start-up, the websocket and the drawing to the
   script run, and the server's first imports).
4. Browser timings (``bench/browser_timing.py``, which says how each is timed and what
   "shown" means per page), on a server of their own: per page a full load in a fresh
   browser context (``--browser-repeat`` times, median and max), the same URL reloaded
   (JavaScript from the HTTP cache), and a sidebar navigation from another page; the script
   runs each one caused and the server's CPU time for it. The server's first visit of each
   page is timed apart. ``--browser-repeat 0`` skips them, ``--browser-only`` does only them.
5. Prints machine information (with the load average: this machine is shared), the database
   (size, leads), the tables, and the same tables in Markdown for the README.

Exit status 1 when a view fails (exception, error box, wrong page, browser exception, a
Traceback in the server log); missed time or memory targets are reported, not failed.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
from playwright.sync_api import Page, sync_playwright
from streamlit.testing.v1 import AppTest

from bench import browser_timing
from bench.browser_timing import Target
from dashboard import auth
from dashboard.filters import DEFAULT_PAGE_SIZE
from leads_core import config
from leads_core.access import Role
from leads_core.errors import NotFound
from leads_core.services import users
from leads_core.storage import db
from tests.support.devserver import (
    NO_RATE_LIMIT,
    free_port,
    launch_chromium,
    start_app,
    stop_app,
    wait_healthy,
)

REPO = Path(__file__).resolve().parent.parent

DEFAULT_DB = REPO / "bench" / ".data" / "leads-1m.db"
DEFAULT_LEADS = 1_000_000
QUICK_LEADS = 20_000
CAMPAIGNS = 20
TARGET_S = 1.5
TARGET_RSS_MB = 500.0
APP = str(REPO / "app.py")
TOO_SLOW_TO_REPEAT_S = 10.0
RUN_TIMEOUT_S = 300.0  # one AppTest script run; a slow page is measured, not cut off
START_DEADLINE_S = 120.0
BROWSER_TIMEOUT_MS = 120_000
SETTLE_S = 0.5
SEARCH_WORD = "martin"  # a common last name in the demo data
#: The admin the benchmark signs in as (made in the database when missing): every run goes
#: through the sign-in gate as a signed-in user's does.
BENCH_USER = "bench-admin@example.com"


@dataclass(frozen=True)
class View:
    label: str
    page: str  # the page script, relative to app.py
    url_path: str  # its st.navigation url_path ("" for Home)
    title: str | None  # the st.title it must show; None: any title (the lead page)
    params: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        return f"/{self.url_path}" + (f"?{query}" if query else "")


@dataclass
class PageResult:
    view: View
    warmup_s: float | None = None
    cold_s: list[float] = field(default_factory=list)
    warm_s: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def cold_median(self) -> float:
        return statistics.median(self.cold_s)

    @property
    def cold_max(self) -> float:
        return max(self.cold_s)

    @property
    def warm_median(self) -> float:
        return statistics.median(self.warm_s)

    @property
    def met(self) -> bool:
        return not self.problems and self.cold_max <= TARGET_S and self.warm_median <= TARGET_S


@dataclass
class BrowserVisit:
    view: View
    seconds: float
    rss_mb: float
    problems: list[str]


@dataclass
class MemoryResult:
    pid: int
    command: str
    rss_start_mb: float
    rss_end_mb: float = 0.0
    peak_mb: float = 0.0
    children: list[str] = field(default_factory=list)
    visits: list[BrowserVisit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- database


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def count_leads(path: Path) -> int:
    """Leads in the file; 0 when it has no lead table (not a leads database)."""
    with read_only(path) as conn:
        try:
            return conn.execute("SELECT count(*) FROM lead").fetchone()[0]
        except sqlite3.DatabaseError:
            return 0


def seed(path: Path, leads: int) -> None:
    """``python -m leads_core seed-demo`` into ``PATH.partial``, renamed when it is done."""
    partial = path.with_name(path.name + ".partial")
    for stale in (partial, *(partial.with_name(partial.name + s) for s in ("-wal", "-shm"))):
        stale.unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{partial}", "PYTHONUNBUFFERED": "1"}
    print(
        f"seeding {leads:,} demo leads in {CAMPAIGNS} campaigns into {path} "
        "(progress on stderr; ~4-5 minutes per million) ...",
        flush=True,
    )
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "leads_core", "seed-demo", "--leads", str(leads)]
        + ["--campaigns", str(CAMPAIGNS)],
        cwd=REPO,
        env=env,
        stdout=sys.stderr,
        check=True,
    )
    with sqlite3.connect(partial) as conn:  # fold the WAL into the file before the rename
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.with_name(partial.name + "-wal").unlink(missing_ok=True)
    partial.with_name(partial.name + "-shm").unlink(missing_ok=True)
    partial.rename(path)
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)


def prepare_database(path: Path, leads: int) -> None:
    if path.exists():
        found = count_leads(path)
        if found >= leads:
            print(f"reusing {path} ({found:,} leads)", flush=True)
            return
        raise SystemExit(
            f"{path} exists with {found:,} leads, fewer than --leads {leads:,}: "
            "delete it or pass another --db (it is not overwritten)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.parent == DEFAULT_DB.parent:
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# benchmark databases, made by bench/dashboard_bench.py\n*\n")
    seed(path, leads)


@dataclass(frozen=True)
class DbFacts:
    leads: int
    campaigns: int
    file_mb: float
    lead_id: str
    campaign_id: str
    campaign_leads: int


def db_facts(path: Path) -> DbFacts:
    """The counts, and the lead and campaign the views open (the largest campaign; a
    scored lead from the middle of the table, so its page has a score chart)."""
    with read_only(path) as conn:
        leads = conn.execute("SELECT count(*) FROM lead").fetchone()[0]
        campaigns = conn.execute("SELECT count(*) FROM campaign").fetchone()[0]
        campaign_id, campaign_leads = conn.execute(
            "SELECT campaign_id, count(*) FROM lead GROUP BY campaign_id "
            "ORDER BY count(*) DESC, campaign_id LIMIT 1"
        ).fetchone()
        row = (
            conn.execute(
                "SELECT id FROM lead WHERE quality_score IS NOT NULL ORDER BY id LIMIT 1 OFFSET ?",
                (leads // 2,),
            ).fetchone()
            or conn.execute("SELECT id FROM lead ORDER BY id LIMIT 1").fetchone()
        )
    conn.close()
    size = sum(
        p.stat().st_size
        for p in (path, path.with_name(path.name + "-wal"))
        if p.exists()  # the WAL holds committed pages not yet in the main file
    )
    return DbFacts(leads, campaigns, size / 1e6, row[0], campaign_id, campaign_leads)


def views(facts: DbFacts) -> list[View]:
    leads = ("pages/leads.py", "leads", "Leads")
    analytics = ("pages/analytics.py", "analytics", "Analytics")
    cid = facts.campaign_id
    last_page = str(max(1, math.ceil(facts.leads / DEFAULT_PAGE_SIZE)))
    return [
        View("Home", "pages/home.py", "", "Leads workspace"),
        View("Leads", *leads),
        View("Leads minScore=85", *leads, {"minScore": "85"}),
        View("Leads campaignId=<largest>", *leads, {"campaignId": cid}),
        View("Leads status=new", *leads, {"status": "new"}),
        View("Leads source=linkedin", *leads, {"source": "linkedin"}),
        View(f"Leads q={SEARCH_WORD}", *leads, {"q": SEARCH_WORD}),
        View("Leads sort=lastName", *leads, {"sort": "lastName"}),
        View("Leads sort=-createdAt page=100", *leads, {"sort": "-createdAt", "page": "100"}),
        View(f"Leads page={last_page} (last)", *leads, {"page": last_page}),
        View("Lead (one lead)", "pages/lead.py", "lead", None, {"id": facts.lead_id}),
        View("Import", "pages/import_csv.py", "import", "Import leads"),
        View("Analytics", *analytics),
        View("Analytics minScore=85", *analytics, {"minScore": "85"}),
        View("Analytics campaignId=<largest>", *analytics, {"campaignId": cid}),
        View("Analytics status=new", *analytics, {"status": "new"}),
        View("Analytics source=linkedin", *analytics, {"source": "linkedin"}),
        View(f"Analytics q={SEARCH_WORD}", *analytics, {"q": SEARCH_WORD}),
        View("Campaigns", "pages/campaigns.py", "campaigns", "Campaigns"),
        View("API keys", "pages/api_keys.py", "api-keys", "API keys"),
    ]


def browser_targets(facts: DbFacts) -> list[Target]:
    """Every page, for the browser timings, and what shows its data."""
    return [
        Target("Home", "/", "Home", "Leads workspace", metrics=4),
        Target("Leads", "/leads", "Leads", "Leads", grids=1),
        Target("Lead", f"/lead?id={facts.lead_id}", None, None, charts=1, grids=1),
        Target("Analytics", "/analytics", "Analytics", "Analytics", charts=6, metrics=4),
        Target("Campaigns", "/campaigns", "Campaigns", "Campaigns", grids=1),
        Target(
            "Import",
            "/import",
            "Import",
            "Import leads",
            selector='[data-testid="stFileUploaderDropzone"]',
        ),
        Target("Imports", "/imports", "Import history", "Import history", grids=1),
        Target("Team", "/team", "Team", "Team", grids=1),
        Target("API keys", "/api-keys", "API keys", "API keys"),
    ]


# --------------------------------------------------------------------------- page timings


def use_database(path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{path.resolve()}"
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()


def sign_in_bench_user() -> str:
    """A session cookie of :data:`BENCH_USER` (an admin, made when missing); AppTest's runs
    in this process send it, as a signed-in browser does."""
    with db.session_scope() as session:
        try:
            user = users.find_user(session, BENCH_USER)
        except NotFound:
            user = users.create_user(session, email=BENCH_USER, name="Bench", role=Role.ADMIN)
        cookie = users.start_session(session, user)
    auth.session_cookie = lambda: cookie
    return cookie


def reset_caches() -> None:
    # Outside a script run, clear() logs two harmless warnings each time: keep them out.
    for name in (
        "streamlit.runtime.caching.cache_data_api",
        "streamlit.runtime.scriptrunner_utils.script_run_context",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)
    st.cache_data.clear()
    db.get_engine().dispose()


def open_app(view: View) -> AppTest:
    """A new session on ``view``'s page, ready for the timed run: app.py has run once
    (Home, untimed) so AppTest can switch page."""
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S)
    if view.page != "pages/home.py":
        at.run()
        at.switch_page(view.page)
    at.query_params.update(view.params)
    return at


def timed_run(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    return time.perf_counter() - started


def check(at: AppTest, view: View) -> list[str]:
    problems = [f"exception: {e.value}" for e in at.exception]
    problems += [f"st.error: {e.value}" for e in at.error]
    titles = [t.value for t in at.title]
    if view.title is None and not titles:
        problems.append("no title")
    elif view.title is not None and view.title not in titles:
        problems.append(f"title {titles!r}, expected {view.title!r}")
    return problems


def detail(at: AppTest) -> str:
    """What the view showed: the Leads caption, the Analytics lead count."""
    for caption in at.caption:
        match = re.search(r"\*\*([\d,]+)\*\* leads match", caption.value)
        if match:
            return f"{match.group(1)} match"
    for metric in at.metric:
        if metric.label == "Leads":
            return f"{metric.value} leads"
    return ""


def time_pages(all_views: list[View], repeat: int) -> list[PageResult]:
    results = [PageResult(v) for v in all_views]
    print("\nwarm-up: a first run of each page pays its imports (once per server process)")
    seen: set[str] = set()
    for result in results:
        if result.view.page in seen:
            continue
        seen.add(result.view.page)
        reset_caches()
        at = open_app(result.view)
        result.warmup_s = timed_run(at)
        print(f"  {result.view.page:24} {result.warmup_s:7.2f} s", flush=True)

    print(f"\ntiming {len(results)} views: {repeat} cold run(s) + 1 warm run each")
    for result in results:
        for _ in range(repeat):
            if result.cold_s and result.cold_s[-1] > TOO_SLOW_TO_REPEAT_S:
                break  # measured; repeating would only make the benchmark long
            at = open_app(result.view)
            reset_caches()
            result.cold_s.append(timed_run(at))
            result.problems += [p for p in check(at, result.view) if p not in result.problems]
            result.detail = detail(at) or result.detail
            result.warm_s.append(timed_run(at))
            result.problems += [p for p in check(at, result.view) if p not in result.problems]
        mark = "✓" if result.met else "✗"
        print(
            f"  {mark} {result.view.label:32} cold "
            + " ".join(f"{s:.2f}" for s in result.cold_s)
            + f"  warm {' '.join(f'{s:.2f}' for s in result.warm_s)}  {result.detail}",
            flush=True,
        )
        for problem in result.problems:
            print(f"      PROBLEM: {problem}", flush=True)
    db.get_engine().dispose()
    return results


# --------------------------------------------------------------------------- memory


def proc_fields(path: str) -> dict[str, str]:
    """``Key: value`` lines of a /proc file (status, meminfo)."""
    text = Path(path).read_text()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def mb(pid: int, key: str) -> float:
    """VmRSS / VmHWM of a process in MB of 10^6 bytes (the file counts kB of 1024)."""
    return int(proc_fields(f"/proc/{pid}/status")[key].split()[0]) * 1024 / 1e6


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with_children = (task / "children").read_text().split()
        for child in map(int, with_children):
            found += [child, *descendants(child)]
    return found


def wait_rendered(page: Page, view: View) -> None:
    """Until the script run is over and the page shows its title (or an exception box)."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]',
        state="attached",
        timeout=BROWSER_TIMEOUT_MS,
    )
    heading = page.locator("h1")
    if view.title is not None:
        heading = heading.filter(has_text=view.title)
    shown = heading.or_(page.locator('[data-testid="stException"]'))
    shown.first.wait_for(state="visible", timeout=BROWSER_TIMEOUT_MS)
    page.wait_for_selector(
        '[data-testid="stStatusWidget"]', state="detached", timeout=BROWSER_TIMEOUT_MS
    )


def server_env(db_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        **NO_RATE_LIMIT,
        "DATABASE_URL": f"sqlite:///{db_path.resolve()}",
        "PYTHONUNBUFFERED": "1",
    }


def measure_browser(
    db_path: Path, targets: list[Target], workdir: Path, cookie: str, repeat: int
) -> tuple[list[browser_timing.Timing], list[str]]:
    """The browser timings (``bench/browser_timing.py``) on a server of their own. The server's
    first visit pays its imports (pandas, Plotly...): one load of each page first, printed
    apart; the st.cache_data aggregates then stay as that visit left them (warm, as for a
    workspace nobody is writing to: AppTest's cold figures above are the cost after a write)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = workdir / "server-browser.log"
    print(f"\nstarting streamlit run app.py on port {port} for the browser timings ...", flush=True)
    proc = start_app(server_env(db_path), port, log_path)
    problems: list[str] = []
    try:
        wait_healthy(proc, port, deadline_s=START_DEADLINE_S)
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                print("first visit of each page on the new server (imports, cold caches):")
                for target in targets:
                    with browser_timing.opened(browser, base_url, cookie) as (page, sockets):
                        sample = browser_timing.full_load(page, sockets, base_url, target)
                    print(f"  {target.label:12} {sample.seconds:6.2f} s", flush=True)
                timings = browser_timing.measure(
                    browser, base_url, cookie, targets, repeat, server_pid=proc.pid
                )
            finally:
                browser.close()
    finally:
        stop_app(proc)
    log = log_path.read_text(errors="replace")
    if "Traceback" in log:
        problems.append("server log has a Traceback:\n" + log[-4000:])
    return timings, problems


BASELINE_APP = 'import streamlit as st\n\nst.title("Hello")\nst.write("One line of text.")\n'


def measure_baseline(workdir: Path, repeat: int) -> list[float]:
    """Streamlit's own cost: full loads (fresh context) of a two-line app, ``streamlit run``
    the same way, no database, no sign-in. What no page of ours can go below."""
    script = workdir / "hello.py"
    script.write_text(BASELINE_APP)
    port = free_port()
    log_path = workdir / "server-hello.log"
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    command += ["--server.headless", "true", "--server.fileWatcherType", "none"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    target = Target("Hello", "/", None, "Hello")
    base_url = f"http://127.0.0.1:{port}"
    seconds: list[float] = []
    try:
        wait_healthy(proc, port, deadline_s=START_DEADLINE_S)
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                for _ in range(repeat + 1):  # the first one pays the server's first run
                    with browser_timing.opened(browser, base_url, None) as (page, sockets):
                        seconds.append(
                            browser_timing.full_load(page, sockets, base_url, target).seconds
                        )
            finally:
                browser.close()
    finally:
        stop_app(proc)
    return seconds[1:]


def measure_memory(
    db_path: Path, all_views: list[View], workdir: Path, cookie: str | None
) -> MemoryResult:
    env = server_env(db_path)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = workdir / "server.log"
    print(f"\nstarting streamlit run app.py on port {port} (log {log_path}) ...", flush=True)
    proc = start_app(env, port, log_path)
    try:
        started = time.perf_counter()
        wait_healthy(proc, port, deadline_s=START_DEADLINE_S)
        print(f"healthy after {time.perf_counter() - started:.1f} s", flush=True)
        time.sleep(SETTLE_S)
        memory = MemoryResult(proc.pid, command_line(proc.pid), mb(proc.pid, "VmRSS"))
        print(f"server pid {proc.pid}: {memory.command}")
        print(f"RSS after start: {memory.rss_start_mb:.0f} MB", flush=True)
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                context = browser_timing.new_context(browser, base_url, cookie)
                page = context.new_page()
                for view in all_views:
                    if proc.poll() is not None:
                        memory.problems.append(f"the server exited ({proc.returncode})")
                        break
                    began = time.perf_counter()
                    page.goto(base_url + view.url, wait_until="domcontentloaded")
                    problems: list[str] = []
                    try:
                        wait_rendered(page, view)
                    except Exception as exc:  # a timeout: report it, go on
                        problems.append(f"not rendered: {str(exc).splitlines()[0]}")
                    seconds = time.perf_counter() - began
                    time.sleep(SETTLE_S)
                    exceptions = page.locator('[data-testid="stException"]').count()
                    if exceptions:
                        problems.append(f"{exceptions} exception box(es) on the page")
                    visit = BrowserVisit(view, seconds, mb(proc.pid, "VmRSS"), problems)
                    memory.visits.append(visit)
                    print(
                        f"  {view.label:32} {seconds:6.2f} s  RSS {visit.rss_mb:5.0f} MB"
                        + "".join(f"  PROBLEM: {p}" for p in problems),
                        flush=True,
                    )
            finally:
                browser.close()
        if proc.poll() is None:
            memory.rss_end_mb = mb(proc.pid, "VmRSS")
            memory.peak_mb = mb(proc.pid, "VmHWM")
            memory.children = [
                f"{child} {command_line(child)[:60]} RSS {mb(child, 'VmRSS'):.0f} MB"
                for child in descendants(proc.pid)
            ]
    finally:
        stop_app(proc)
    log = log_path.read_text(errors="replace")
    if "Traceback" in log:
        memory.problems.append("server log has a Traceback:\n" + log[-4000:])
    return memory


# --------------------------------------------------------------------------- report


def machine_info(load_at_start: float) -> list[str]:
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = int(proc_fields("/proc/meminfo")["MemTotal"].split()[0]) * 1024 / 1e9
    return [
        f"machine: {os.cpu_count()} CPU core(s) ({len(os.sched_getaffinity(0))} usable), "
        f"{cpu}, {mem_gb:.0f} GB RAM",
        f"python {platform.python_version()}, streamlit {st.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.platform()}",
        f"load average (1 min): {load_at_start:.2f} at start, {os.getloadavg()[0]:.2f} at the "
        "end (other work on the machine inflates the timings)",
    ]


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def report(
    facts: DbFacts,
    db_path: Path,
    results: list[PageResult],
    memory: MemoryResult | None,
    repeat: int,
    load_at_start: float,
) -> None:
    print("\n" + "=" * 78)
    for line in machine_info(load_at_start):
        print(line)
    print(
        f"database: {db_path} ({facts.file_mb:,.0f} MB), {facts.leads:,} leads in "
        f"{facts.campaigns} campaigns; largest campaign {facts.campaign_id} "
        f"({facts.campaign_leads:,} leads); lead page on {facts.lead_id}"
    )
    print(
        f"AppTest script runs; cold = empty st.cache_data + new engine + new session, "
        f"{repeat} run(s); warm = the same session again (median); target <= {TARGET_S} s"
    )
    print()
    browser = {v.view.label: v.seconds for v in memory.visits} if memory else {}
    print(
        f"  {'view':32} {'cold med':>8} {'cold max':>8} {'runs':>4} {'warm':>6}  target "
        f"{'browser*':>8}  shows"
    )
    for r in results:
        seconds = browser.get(r.view.label)
        print(
            f"{mark(r.met)} {r.view.label:32} {r.cold_median:8.2f} {r.cold_max:8.2f} "
            f"{len(r.cold_s):4} {r.warm_median:6.2f}  {'met' if r.met else 'MISSED':6} "
            f"{'-' if seconds is None else f'{seconds:.2f}':>8}  {r.detail}"
        )
    met = sum(r.met for r in results)
    print(f"{met} of {len(results)} views within {TARGET_S} s (cold max and warm median)")
    if memory is not None:
        print(
            "* browser: one full page load in Chromium on a fresh server, for information: "
            "frontend start-up (~0.3 s), websocket, the script run, drawing; the first view to "
            "use a module pays its import in the server"
        )
    if memory is not None:
        print(
            f"{mark(memory.rss_start_mb <= TARGET_RSS_MB)} app RSS after start "
            f"{memory.rss_start_mb:.0f} MB; "
            f"{mark(memory.rss_end_mb <= TARGET_RSS_MB)} after {len(memory.visits)} views in "
            f"Chromium {memory.rss_end_mb:.0f} MB; "
            f"{mark(memory.peak_mb <= TARGET_RSS_MB)} peak (VmHWM) {memory.peak_mb:.0f} MB; "
            f"target < {TARGET_RSS_MB:.0f} MB"
        )
        if memory.children:
            print("server child processes: " + "; ".join(memory.children))

    print("\nMarkdown:\n")
    print(f"| Page | Cold median | Cold max | Warm | Target ≤ {TARGET_S} s |")
    print("|---|---|---|---|---|")
    for r in results:
        runs = "" if len(r.cold_s) == repeat else f" ({len(r.cold_s)} run)"
        print(
            f"| {r.view.label} | {r.cold_median:.2f} s{runs} | {r.cold_max:.2f} s | "
            f"{r.warm_median:.2f} s | {mark(r.met)} |"
        )
    if memory is not None:
        print()
        print(f"| App process RSS | MB | Target < {TARGET_RSS_MB:.0f} MB |")
        print("|---|---|---|")
        for label, value in (
            ("After start", memory.rss_start_mb),
            (f"After opening the {len(memory.visits)} views", memory.rss_end_mb),
            ("Peak (VmHWM)", memory.peak_mb),
        ):
            print(f"| {label} | {value:.0f} | {mark(value <= TARGET_RSS_MB)} |")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"SQLite file, reused or seeded (default {DEFAULT_DB.relative_to(REPO)})",
    )
    parser.add_argument(
        "--leads",
        type=int,
        default=None,
        help=f"leads the database must hold (default {DEFAULT_LEADS}; {QUICK_LEADS} with --quick)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="cold runs per view (default 3)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {QUICK_LEADS} leads in a temporary folder",
    )
    parser.add_argument(
        "--no-rss", action="store_true", help="skip the server and browser (memory) part"
    )
    parser.add_argument(
        "--browser-repeat",
        type=int,
        default=3,
        help="full loads and sidebar navigations per page in Chromium (default 3; 0: none)",
    )
    parser.add_argument(
        "--browser-only",
        action="store_true",
        help="only the Chromium timings (no AppTest runs, no memory part)",
    )
    args = parser.parse_args(argv)
    if args.quick and args.db is not None:
        parser.error("--quick seeds a temporary database: do not pass --db with it")
    leads = args.leads if args.leads is not None else QUICK_LEADS if args.quick else DEFAULT_LEADS
    if leads < 1 or args.repeat < 1 or args.browser_repeat < 0:
        parser.error("--leads and --repeat must be at least 1, --browser-repeat at least 0")

    workdir = Path(tempfile.mkdtemp(prefix="leads-dashboard-bench-"))
    db_path = (workdir / "leads.db" if args.quick else args.db or DEFAULT_DB).resolve()
    failed = False
    load_at_start = os.getloadavg()[0]
    try:
        prepare_database(db_path, leads)
        facts = db_facts(db_path)
        all_views = views(facts)
        use_database(db_path)
        cookie = sign_in_bench_user()
        results = [] if args.browser_only else time_pages(all_views, args.repeat)
        failed = any(r.problems for r in results)
        memory = None
        if not args.no_rss and not args.browser_only:
            memory = measure_memory(db_path, all_views, workdir, cookie)
            failed = failed or bool(memory.problems) or any(v.problems for v in memory.visits)
            for problem in memory.problems:
                print(problem)
        timings: list[browser_timing.Timing] = []
        baseline: list[float] = []
        if args.browser_repeat:
            load_before = os.getloadavg()[0]
            timings, problems = measure_browser(
                db_path, browser_targets(facts), workdir, cookie, args.browser_repeat
            )
            failed = failed or bool(problems) or any(t.problems for t in timings)
            for problem in problems:
                print(problem)
            baseline = measure_baseline(workdir, args.browser_repeat)
            print(
                f"load average (1 min) {load_before:.2f} before the browser timings, "
                f"{os.getloadavg()[0]:.2f} after"
            )
        if results:
            report(facts, db_path, results, memory, args.repeat, load_at_start)
        else:
            print("\n" + "\n".join(machine_info(load_at_start)))
        if timings:
            browser_timing.report(timings, args.browser_repeat)
            print(
                "\nStreamlit alone (a two-line app, same server, fresh context): full load "
                f"median {statistics.median(baseline):.2f} s, max {max(baseline):.2f} s "
                f"({', '.join(f'{s:.2f}' for s in baseline)})"
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        print("\nFAILED: some views did not render cleanly (see PROBLEM lines above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
