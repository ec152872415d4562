"""Browser timings of the dashboard for ``bench/dashboard_bench.py``: per page, in headless
Chromium (Debian's, ``devserver.launch_chromium``), a full page load and a sidebar navigation,
each until the page's data is on screen.

- **Full page load** (target <= ``TARGET_LOAD_S``): a fresh browser context (a new Streamlit
  session, an empty HTTP cache: a first visit, or a link opened in a new browser), signed in
  by its session cookie, navigates to the page's URL. Timed in the page from the navigation's
  start (``performance.now()`` is 0 there) to the first animation frame where the page is
  ready (below). Also measured, for information: the same URL loaded again in that context
  (``reload``: Streamlit's JS and CSS from the HTTP cache, a new session).
- **Sidebar navigation** (target <= ``TARGET_NAV_S``): from another page already shown, a
  click on the page's entry in the sidebar navigation, timed in the page from the click to
  the first frame where the page is ready.

Ready (``READY_JS``, checked every animation frame): Streamlit connected and its script run
over (``stApp`` ``data-test-script-state`` = notRunning, no status widget, no stale
element), the page's ``<h1>`` title shown, and its data drawn: the Plotly charts (their SVG),
the data grids with rows (Glide's cells), the metrics with values, per :class:`Target`.

Each measurement also counts the script runs the browser saw (``data-test-script-state``
going to ``running``) and the messages it sent on the WebSocket (a rerun request each, plus
widget and page-change messages): one load should be one run. And the CPU time the server
process spent on it (``/proc/PID/stat``, read before and 1 s after the page was shown):
unlike the seconds, it hardly moves with the other work on a shared machine.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

TARGET_LOAD_S = 2.0
TARGET_NAV_S = 0.5
TIMEOUT_MS = 120_000
VIEWPORT = {"width": 1440, "height": 900}
COOKIE = "leads_session"


@dataclass(frozen=True)
class Target:
    """A page and what must be on screen before it counts as shown."""

    label: str
    path: str  # URL path and query
    nav: str | None  # its entry in the sidebar navigation (None: not there, the Lead page)
    title: str | None  # its <h1>; None: any <h1> (the Lead page, titled by the lead's name)
    charts: int = 0  # Plotly charts drawn
    grids: int = 0  # data grids with rows drawn
    metrics: int = 0  # st.metric values shown
    selector: str | None = None  # one more element that must be there


READY_JS = """([title, charts, grids, metrics, selector]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testScriptState !== 'notRunning'
      || app.dataset.testConnectionState !== 'CONNECTED') return false;
  if (document.querySelector('[data-testid="stStatusWidget"], [data-stale="true"]')) return false;
  const titles = [...document.querySelectorAll('h1')].map(h => h.textContent.trim());
  if (title === null ? titles.length === 0 : !titles.includes(title)) return false;
  const drawn = (sel, inner) => [...document.querySelectorAll(sel)]
      .filter(e => e.querySelector(inner)).length;
  if (drawn('[data-testid="stPlotlyChart"]', 'svg.main-svg') < charts) return false;
  if (drawn('[data-testid="stDataFrame"]', 'td[role="gridcell"]') < grids) return false;
  const values = [...document.querySelectorAll('[data-testid="stMetricValue"]')]
      .filter(v => v.textContent.trim() !== '').length;
  if (values < metrics) return false;
  if (selector !== null && !document.querySelector(selector)) return false;
  return performance.now();
}"""

#: Counts script runs (the app's state attribute turning to "running") in the page.
COUNT_RUNS_JS = """
window.__runs = 0;
new MutationObserver(changes => {
  for (const c of changes) {
    if (c.target.getAttribute('data-test-script-state') === 'running' && c.oldValue !== 'running')
      window.__runs += 1;
  }
}).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
"""

CLICK_JS = """(label) => {
  const links = [...document.querySelectorAll(
      '[data-testid="stSidebarNav"] a[data-testid="stSidebarNavLink"]')];
  const text = a => (a.querySelector('[data-testid="stMarkdownContainer"]') || a).textContent.trim();
  const link = links.find(a => text(a) === label);
  if (!link) throw new Error('no sidebar entry ' + label);
  window.__runs = 0;
  const started = performance.now();
  link.click();
  return started;
}"""


@dataclass
class Sample:
    seconds: float
    runs: int  # script runs the page saw
    sent: int  # WebSocket messages the browser sent
    cpu_s: float | None = None  # the server's CPU time for it


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


CPU_SETTLE_S = 1.0  # the server's work after the page is shown (watchers, cleanup)


def with_cpu(pid: int | None, measure: Callable[[], Sample]) -> Sample:
    if pid is None:
        return measure()
    before = cpu_seconds(pid)
    sample = measure()
    time.sleep(CPU_SETTLE_S)
    sample.cpu_s = cpu_seconds(pid) - before
    return sample


@dataclass
class Timing:
    target: Target
    load: list[Sample] = field(default_factory=list)  # fresh context
    reload: list[Sample] = field(default_factory=list)  # same context, HTTP cache warm
    nav: list[Sample] = field(default_factory=list)
    nav_from: str = ""
    problems: list[str] = field(default_factory=list)

    @staticmethod
    def stats(samples: list[Sample]) -> tuple[float, float] | None:
        if not samples:
            return None
        seconds = [s.seconds for s in samples]
        return statistics.median(seconds), max(seconds)

    @property
    def load_met(self) -> bool:
        found = self.stats(self.load)
        return found is not None and found[1] <= TARGET_LOAD_S

    @property
    def nav_met(self) -> bool | None:
        found = self.stats(self.nav)
        return None if found is None else found[1] <= TARGET_NAV_S


class Sockets:
    """Counts the WebSocket messages a page sends."""

    def __init__(self, page: Page) -> None:
        self.sent = 0
        page.on("websocket", self._watch)

    def _watch(self, socket: Any) -> None:
        socket.on("framesent", self._count)

    def _count(self, _frame: Any) -> None:
        self.sent += 1


def new_context(browser: Browser, base_url: str, cookie: str | None) -> BrowserContext:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(COUNT_RUNS_JS)
    if cookie is not None:
        context.add_cookies(
            [
                {
                    "name": COOKIE,
                    "value": cookie,
                    "url": base_url,
                    "httpOnly": True,
                    "sameSite": "Lax",
                }
            ]
        )
    return context


@contextmanager
def opened(browser: Browser, base_url: str, cookie: str | None) -> Iterator[tuple[Page, Sockets]]:
    context = new_context(browser, base_url, cookie)
    try:
        page = context.new_page()
        yield page, Sockets(page)
    finally:
        context.close()


def _args(target: Target) -> list[Any]:
    return [target.title, target.charts, target.grids, target.metrics, target.selector]


def ready_at(page: Page, target: Target) -> float:
    """``performance.now()`` (ms) of the first frame where ``target`` is shown."""
    handle = page.wait_for_function(READY_JS, arg=_args(target), polling="raf", timeout=TIMEOUT_MS)
    return float(handle.json_value())


def problems_on(page: Page) -> list[str]:
    found = []
    exceptions = page.locator('[data-testid="stException"]').count()
    if exceptions:
        found.append(f"{exceptions} exception box(es)")
    errors = page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
    found += [f"st.error: {text[:120]}" for text in errors]
    return found


def full_load(page: Page, sockets: Sockets, base_url: str, target: Target) -> Sample:
    """Navigate to the target's URL; seconds from the navigation's start to ready."""
    sockets.sent = 0
    page.goto(base_url + target.path, wait_until="commit")
    shown_ms = ready_at(page, target)
    return Sample(shown_ms / 1000, int(page.evaluate("window.__runs")), sockets.sent)


def navigate(page: Page, sockets: Sockets, target: Target) -> Sample:
    """Click the target's sidebar entry; seconds from the click to ready."""
    assert target.nav is not None
    sockets.sent = 0
    clicked_ms = float(page.evaluate(CLICK_JS, target.nav))
    shown_ms = ready_at(page, target)
    return Sample((shown_ms - clicked_ms) / 1000, int(page.evaluate("window.__runs")), sockets.sent)


def _origin(target: Target, targets: list[Target]) -> Target:
    """Where a sidebar navigation to ``target`` starts: Home, or Leads for Home."""
    return next(t for t in targets if t.nav and t.nav != target.nav and t.title)


def measure(
    browser: Browser,
    base_url: str,
    cookie: str | None,
    targets: list[Target],
    repeat: int,
    server_pid: int | None = None,
) -> list[Timing]:
    timings = [Timing(t) for t in targets]
    print(
        f"\nbrowser: {repeat} full load(s) per page in a fresh context (+ a reload), "
        f"then {repeat} sidebar navigation(s); targets <= {TARGET_LOAD_S} s / {TARGET_NAV_S} s"
    )
    for timing in timings:
        target = timing.target
        for _ in range(repeat):
            with opened(browser, base_url, cookie) as (page, sockets):
                try:
                    timing.load.append(
                        with_cpu(server_pid, partial(full_load, page, sockets, base_url, target))
                    )
                    timing.reload.append(full_load(page, sockets, base_url, target))
                except Exception as exc:  # a timeout: report it, go on
                    timing.problems.append(f"load: {str(exc).splitlines()[0]}")
                    break
                timing.problems += [p for p in problems_on(page) if p not in timing.problems]
        if target.nav is not None:
            origin = _origin(target, targets)
            timing.nav_from = origin.label
            with opened(browser, base_url, cookie) as (page, sockets):
                try:
                    full_load(page, sockets, base_url, origin)
                    for _ in range(repeat):
                        timing.nav.append(
                            with_cpu(server_pid, partial(navigate, page, sockets, target))
                        )
                        navigate(page, sockets, origin)
                except Exception as exc:
                    timing.problems.append(f"navigation: {str(exc).splitlines()[0]}")
        print("  " + line(timing), flush=True)
        for problem in timing.problems:
            print(f"      PROBLEM: {problem}", flush=True)
        time.sleep(0.2)
    return timings


def _fmt(samples: list[Sample]) -> str:
    found = Timing.stats(samples)
    return "   -        -  " if found is None else f"{found[0]:5.2f} {found[1]:5.2f}"


def _runs(samples: list[Sample]) -> str:
    return "/".join(sorted({str(s.runs) for s in samples})) or "-"


def cpu(samples: list[Sample]) -> float | None:
    """The median server CPU time of these samples."""
    found = [s.cpu_s for s in samples if s.cpu_s is not None]
    return statistics.median(found) if found else None


def _cpu(samples: list[Sample]) -> str:
    found = cpu(samples)
    return "-" if found is None else f"{found:.2f}"


def line(t: Timing) -> str:
    nav_mark = {None: " ", True: "✓", False: "✗"}[t.nav_met]
    return (
        f"{'✓' if t.load_met else '✗'} {t.target.label:12} load {_fmt(t.load)} "
        f"(runs {_runs(t.load)}, sent {max((s.sent for s in t.load), default=0)}, "
        f"server CPU {_cpu(t.load)} s)  reload {_fmt(t.reload)}  {nav_mark} nav {_fmt(t.nav)} "
        f"(runs {_runs(t.nav)}, server CPU {_cpu(t.nav)} s)"
    )


def report(timings: list[Timing], repeat: int) -> None:
    print(
        f"\nIn Chromium, seconds (median / max of {repeat}): full load in a fresh context "
        f"(target <= {TARGET_LOAD_S} s), reload in the same context (HTTP cache warm, for "
        f"information), sidebar navigation (target <= {TARGET_NAV_S} s); runs = script runs "
        "the page saw"
    )
    print(
        f"  {'page':12} {'load med':>8} {'max':>5} {'':2} {'reload':>6} {'max':>5}  "
        f"{'nav med':>7} {'max':>5} {'':2} {'runs':>5}  from"
    )
    for t in timings:
        load, reload, nav = Timing.stats(t.load), Timing.stats(t.reload), Timing.stats(t.nav)
        nav_text = "   -      -   " if nav is None else f"{nav[0]:7.2f} {nav[1]:5.2f}"
        nav_mark = {None: "  ", True: "✓ ", False: "✗ "}[t.nav_met]
        print(
            f"  {t.target.label:12} "
            + ("    -       " if load is None else f"{load[0]:8.2f} {load[1]:5.2f}")
            + f" {'✓ ' if t.load_met else '✗ '}"
            + ("   -      - " if reload is None else f"{reload[0]:6.2f} {reload[1]:5.2f}")
            + f"  {nav_text} {nav_mark}"
            + f"{_runs(t.load)}/{_runs(t.nav):>3}  {_cpu(t.load):>5} / {_cpu(t.nav):<5}  "
            + t.nav_from
        )
    print("\nMarkdown:\n")
    print(
        f"| Page | Full load median | max | ≤ {TARGET_LOAD_S:g} s | Reload median | "
        f"Sidebar nav median | max | ≤ {TARGET_NAV_S:g} s | Server CPU load / nav |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for t in timings:
        load, reload, nav = Timing.stats(t.load), Timing.stats(t.reload), Timing.stats(t.nav)
        cells = [
            t.target.label,
            "-" if load is None else f"{load[0]:.2f} s",
            "-" if load is None else f"{load[1]:.2f} s",
            "✓" if t.load_met else "✗",
            "-" if reload is None else f"{reload[0]:.2f} s",
            "-" if nav is None else f"{nav[0]:.2f} s",
            "-" if nav is None else f"{nav[1]:.2f} s",
            {None: "n/a", True: "✓", False: "✗"}[t.nav_met],
            f"{_cpu(t.load)} / {_cpu(t.nav)} s",
        ]
        print("| " + " | ".join(cells) + " |")
