"""Schemathesis against the real server: every /v1 operation of the OpenAPI document the
running app serves at /v1/openapi.json, called with a valid API key, must answer as that
document says - no server error, and status, content type, headers and body as documented.

The server is this module's own (its own new database; ``LEADS_RATE_LIMIT_PER_MINUTE=0``
and ``LEADS_AUTH_FAILURE_LIMIT=0`` so the run is never throttled, not even by the
``ignored_auth`` check's wrong keys), given an API key, campaigns and the sample CSV's leads
through the CLI. Their ids are schemathesis dictionaries: half the time a path, query or
body names a campaign or lead that exists (so the 200 answers are checked too), else a
generated one (so are the 404s). The DELETE operations get ids of their own, so they do
not empty the database the other operations read.

Phases: examples, coverage (schemathesis' deterministic boundary and negative values for
each parameter), fuzzing (hypothesis, ``MAX_EXAMPLES`` per operation), derandomized with
no example database: the same code and data give the same requests (about 2,800; 178 s on
SQLite with the machine's 2 cores shared by several test runs). The stateful phase is off:
the document declares no links.

Every built-in check is on but ``max_response_time`` (the API states no limit; the
benchmarks measure speed): not_a_server_error, status_code_conformance,
content_type_conformance, response_schema_conformance, response_headers_conformance,
negative_data_rejection, positive_data_acceptance, missing_required_header, ignored_auth,
unsupported_method, allow_header_conformance; use_after_free and
ensure_resource_availability have nothing to check without the stateful phase, nor
object_level_authorization with one API key.

``TOLERATED`` lists findings that do not fail the run, each matched by operation, check
and a text in the failure or the response, and printed on every run with its reason:
refusals no JSON Schema can describe (``by design``). Any other finding
fails the test, which lists each once: operation, check, request (as curl), response."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import engine
from schemathesis.engine import events

from tests.databases import TestDatabases
from tests.e2e import fuzz_webhooks
from tests.e2e.conftest import cli_last_line, run_cli
from tests.support.devserver import free_port, start_app, stop_app, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-fuzz")]

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "fixtures" / "sample_leads.csv"
MAX_EXAMPLES = 50
SEED = 20240611
#: Campaigns the fuzzer reads and changes (the first with the sample's leads), and those
#: only ``DELETE /campaigns/{campaign_id}`` gets (the first with leads, for the 409).
CAMPAIGNS = ("cmp_fuzz_leads", "cmp_fuzz_empty")
DOOMED_CAMPAIGNS = ("cmp_doomed_leads", "cmp_doomed_empty")
#: How many of the sample's leads only ``DELETE /leads/{lead_id}`` gets.
DOOMED_LEADS = 8
KNOWN_ID_PROBABILITY = 0.5
#: Webhook endpoints the fuzzer reads and changes, and those only DELETE gets.
WEBHOOKS, DOOMED_WEBHOOKS = 2, 2


@dataclass(frozen=True)
class Tolerated:
    """A finding reported on every run without failing it (see the module docstring)."""

    operations: tuple[str, ...]  # empty: any
    check: str
    marker: str  # in the failure's message or the response body
    reason: str  # "by design: ..."


TOLERATED = (
    Tolerated(
        ("PATCH /leads", "PATCH /leads/{lead_id}", "POST /leads"),
        "negative_data_rejection",
        "violating propertyNames",
        "by design: an attribute whose value is blank is dropped before its name is checked "
        '(an empty header over an empty cell is no attribute), so `{"": ""}` is '
        "accepted as no attributes",
    ),
    Tolerated(
        ("GET /leads", "GET /leads/export.csv"),
        "positive_data_acceptance",
        '"message":"no such user"',
        "by design: an ownerId filter naming no user is refused (422) rather than matching "
        "nothing silently, which depends on the stored users",
    ),
    Tolerated(
        ("POST /leads", "POST /leads/import/csv"),
        "positive_data_acceptance",
        "is no user; give an enabled user's id",
        "by design: an ownerId naming no enabled user is refused (422, issue 16), which "
        "depends on the stored users",
    ),
    Tolerated(
        ("GET /leads", "GET /leads/export.csv", "GET /tasks", "GET /imports"),
        "positive_data_acceptance",
        "text cannot contain NUL characters",
        "by design: text holding a NUL character is refused (422; PostgreSQL cannot store "
        "one), which JSON Schema cannot say of every string",
    ),
    Tolerated(
        ("PATCH /leads/{lead_id}", "PATCH /leads"),
        "positive_data_acceptance",
        "is not a",
        "by design: an email, website or linkedinUrl that is not one is refused (422, "
        "leads_core.validation), a syntax no JSON Schema pattern states in full",
    ),
    Tolerated(
        ("GET /leads", "GET /leads/export.csv"),
        "positive_data_acceptance",
        " is after ",
        "by design: a date range ending before it starts is refused (422), a rule across "
        "two parameters",
    ),
    Tolerated(
        ("GET /leads", "GET /leads/export.csv"),
        "positive_data_acceptance",
        "is not a date such as",
        "by design: a day that is no date of the calendar (2026-02-30) is refused (422), "
        "which the parameter's pattern cannot say",
    ),
    Tolerated(
        ("PATCH /leads/{lead_id}",),
        "positive_data_acceptance",
        "a lead needs an email or a LinkedIn URL",
        "by design: clearing a lead's email and LinkedIn URL both is refused (422), a rule "
        "across fields and the lead's stored state",
    ),
    Tolerated(
        ("POST /leads/import/csv",),
        "positive_data_acceptance",
        '"code":"bad_file"',
        "by design: the upload must be CSV text (400 otherwise), which JSON Schema cannot say",
    ),
    Tolerated(
        ("POST /leads/import/csv",),
        "positive_data_acceptance",
        '"field":"mapping"',
        "by design: `mapping` is JSON text naming the file's headers, and without it the "
        "headers must name lead fields (422 otherwise)",
    ),
    Tolerated(
        ("POST /leads/import/csv",),
        "positive_data_acceptance",
        '"field":"file"',
        "by design: the file must hold a header and data rows (422 otherwise), which JSON "
        "Schema cannot say",
    ),
    Tolerated(
        ("POST /leads/import/csv",),
        "positive_data_acceptance",
        "rows of the file can be imported",
        "by design: a file none of whose rows can be imported is refused (422) rather than "
        "reported as a success",
    ),
    Tolerated(
        ("POST /leads", "POST /leads/import/csv"),
        "positive_data_acceptance",
        "was already used for a different request",
        "by design: an Idempotency-Key reused for another request is refused (422)",
    ),
    Tolerated(
        ("PATCH /leads/{lead_id}", "DELETE /leads/{lead_id}"),
        "positive_data_acceptance",
        '"code":"precondition_failed"',
        "by design: an If-Match naming a version the lead is not at is refused (412), which "
        "depends on the lead's stored state",
    ),
    Tolerated(
        ("POST /leads/{lead_id}/tasks", "PATCH /tasks/{task_id}", "GET /tasks", "PATCH /leads")
        + ("PATCH /leads/{lead_id}",),
        "positive_data_acceptance",
        '"field":"ownerId"',
        "by design: `ownerId` must name an enabled user (422 otherwise), which depends on the "
        "stored users",
    ),
    Tolerated(
        ("POST /webhooks", "PATCH /webhooks/{webhook_id}"),
        "positive_data_acceptance",
        '"field":"url"',
        "by design: a webhook URL must be http(s) to a host the SSRF guard allows (422), "
        "which no JSON Schema can say",
    ),
    Tolerated(
        ("POST /webhooks/{webhook_id}/test",),
        "positive_data_acceptance",
        '"code":"conflict"',
        "by design: a disabled endpoint gets no test event (409), which depends on its state",
    ),
    Tolerated(
        ("PATCH /tasks/{task_id}",),
        "positive_data_acceptance",
        '"code":"precondition_failed"',
        "by design: an If-Match naming a version the task is not at is refused (412)",
    ),
    Tolerated(
        ("GET /leads",),
        "positive_data_acceptance",
        '"field":"cursor"',
        "by design: a cursor is opaque, only one this API returned (for the same filters and "
        "sort) is taken, and `page` with `cursor` is refused (422)",
    ),
    Tolerated(
        ("GET /leads",),
        "positive_data_acceptance",
        '"message":"not with cursor"',
        "by design: a cursor walks in creation order only, so that each lead is seen once "
        "(another sort with `cursor` -> 422), a rule across two parameters",
    ),
    Tolerated(
        ("PATCH /leads",),
        "positive_data_acceptance",
        '"field":"ifMatch"',
        "by design: `ifMatch` names leads of `ids` only (422 otherwise), a rule across two fields",
    ),
    Tolerated(
        ("POST /leads/{lead_id}/activity",),
        "positive_data_acceptance",
        '"message":"in the future"',
        "by design: an activity is logged once it has happened (`at` up to a minute ahead)",
    ),
)


@dataclass
class FuzzTarget:
    base_url: str
    api_key: str
    lead_ids: list[str]
    doomed_lead_ids: list[str]
    webhook_ids: list[str]
    doomed_webhook_ids: list[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@dataclass
class Finding:
    operation: str
    check: str
    title: str
    message: str
    request: str
    response: str
    tolerated: Tolerated | None
    times: int = 1

    def describe(self) -> str:
        lines = [
            f"{self.operation} - {self.check}: {self.title} (x{self.times}, the first shown)",
            _indent(self.message),
            "  request:  " + self.request,
            "  response: " + self.response,
        ]
        if self.tolerated is not None:
            lines.append("  tolerated, " + self.tolerated.reason)
        return "\n".join(lines)


@dataclass
class Run:
    findings: dict[tuple[str, ...], Finding] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    cases: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def failures(self) -> list[Finding]:
        return [f for f in self.findings.values() if f.tolerated is None]

    def tolerated(self) -> list[Finding]:
        return [f for f in self.findings.values() if f.tolerated is not None]

    def summary(self) -> str:
        return (
            f"schemathesis: {sum(self.cases.values())} requests to {len(self.cases)} operations "
            f"in {self.seconds:.0f} s, {len(self.failures())} failures, {len(self.errors)} "
            f"errors, {len(self.tolerated())} tolerated"
        )

    def report(self) -> str:
        parts = [self.summary(), *(f.describe() for f in self.failures()), *self.errors]
        return "\n\n".join(parts)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.strip().splitlines())


@pytest.fixture(scope="module")
def target(
    tmp_path_factory: pytest.TempPathFactory, test_databases: TestDatabases
) -> Iterator[FuzzTarget]:
    workdir = tmp_path_factory.mktemp("fuzz-server")
    database_url = test_databases.new(workdir, migrated=False)
    log_path = workdir / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LEADS_RATE_LIMIT_PER_MINUTE": "0",
        "LEADS_AUTH_FAILURE_LIMIT": "0",
        # loopback receivers allowed: the fuzzer's URLs are all made loopback ones
        # (tests/e2e/fuzz_webhooks.py), so nothing is looked up or sent off loopback
        "LEADS_WEBHOOKS_ALLOW_PRIVATE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    port = free_port()
    proc = start_app(env, port, log_path)
    try:
        try:
            wait_healthy(proc, port)
        except RuntimeError as exc:
            pytest.fail(f"{exc}:\n{log_path.read_text(encoding='utf-8', errors='replace')}")
        api_key = cli_last_line(env, "create-api-key", "fuzz")
        for campaign_id in CAMPAIGNS + DOOMED_CAMPAIGNS:
            run_cli(env, "create-campaign", campaign_id, "--id", campaign_id)
        for campaign_id in (CAMPAIGNS[0], DOOMED_CAMPAIGNS[0]):
            run_cli(env, "import-csv", str(SAMPLE), "--campaign", campaign_id)
        base_url = f"http://127.0.0.1:{port}"
        lead_ids = _lead_ids(base_url, api_key, CAMPAIGNS[0])
        assert len(lead_ids) > 2 * DOOMED_LEADS, lead_ids
        webhook_ids = fuzz_webhooks.create_endpoints(base_url, api_key, WEBHOOKS + DOOMED_WEBHOOKS)
        yield FuzzTarget(
            base_url=base_url,
            api_key=api_key,
            lead_ids=lead_ids[DOOMED_LEADS:],
            doomed_lead_ids=lead_ids[:DOOMED_LEADS],
            webhook_ids=webhook_ids[DOOMED_WEBHOOKS:],
            doomed_webhook_ids=webhook_ids[:DOOMED_WEBHOOKS],
            log_path=log_path,
        )
    finally:
        stop_app(proc)
        test_databases.drop(database_url)


def _lead_ids(base_url: str, api_key: str, campaign_id: str) -> list[str]:
    response = httpx.get(
        f"{base_url}/v1/leads",
        params={"campaignId": campaign_id, "limit": 200, "sort": "email"},
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=30,
    )
    response.raise_for_status()
    return [lead["id"] for lead in response.json()["leads"]]


def fuzz_config(target: FuzzTarget) -> schemathesis.Config:
    def known(dictionary: str) -> dict[str, Any]:
        return {"dictionary": dictionary, "probability": KNOWN_ID_PROBABILITY}

    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {target.api_key}"},
            "continue-on-failure": True,
            "request-timeout": 30,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "stateful": {"enabled": False},
                # ids captured from responses are new each run: the run would not repeat
                "fuzzing": {"extra-data-sources": {"responses": False}},
            },
            "checks": {"enabled": True},  # max_response_time: off without a limit
            "dictionaries": {
                "campaigns": {"values": list(CAMPAIGNS)},
                "doomed_campaigns": {"values": list(DOOMED_CAMPAIGNS)},
                "leads": {"values": target.lead_ids},
                "doomed_leads": {"values": target.doomed_lead_ids},
                "webhooks": {"values": target.webhook_ids},
                "doomed_webhooks": {"values": target.doomed_webhook_ids},
            },
            "parameters": {
                "path.campaign_id": known("campaigns"),
                "query.campaignId": known("campaigns"),
                "body.campaignId": known("campaigns"),
                "path.lead_id": known("leads"),
                "path.webhook_id": known("webhooks"),
            },
            "operations": [
                {
                    "include-name": "DELETE /campaigns/{campaign_id}",
                    "parameters": {"path.campaign_id": known("doomed_campaigns")},
                },
                {
                    "include-name": "DELETE /leads/{lead_id}",
                    "parameters": {"path.lead_id": known("doomed_leads")},
                },
                {
                    "include-name": "DELETE /webhooks/{webhook_id}",
                    "parameters": {"path.webhook_id": known("doomed_webhooks")},
                },
            ],
        }
    )


def run_schemathesis(target: FuzzTarget) -> Run:
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(
        f"{target.base_url}/v1/openapi.json", config=fuzz_config(target)
    )
    run = Run()
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(run, event.recorder)
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"error in {event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            run.errors.append(f"fatal error: {event.exception!r}")
    run.seconds = time.monotonic() - started
    return run


def _record(run: Run, recorder: Any) -> None:
    """Each failing check of a scenario, once per (operation, check, kind, status, what
    tolerates it)."""
    run.cases[recorder.label] = run.cases.get(recorder.label, 0) + len(recorder.cases)
    for case_id, checks in recorder.checks.items():
        interaction = recorder.interactions.get(case_id)
        response = interaction.response if interaction is not None else None
        for check in checks:
            if check.failure_info is None:
                continue
            failure = check.failure_info.failure
            status = "none" if response is None else str(response.status_code)
            body = "" if response is None else response.content.decode("utf-8", "replace")
            tolerated = _tolerated(recorder.label, check.name, f"{failure.message}\n{body}")
            key = (recorder.label, check.name, failure.title, status, tolerated)
            if key in run.findings:
                run.findings[key].times += 1
                continue
            run.findings[key] = Finding(
                operation=recorder.label,
                check=check.name,
                title=f"{failure.code} {failure.title}",
                message=failure.message,
                request=check.failure_info.code_sample,
                response=f"{status} {body[:1000]}",
                tolerated=tolerated,
            )


def _tolerated(operation: str, check: str, text: str) -> Tolerated | None:
    for entry in TOLERATED:
        if (
            entry.check == check
            and (not entry.operations or operation in entry.operations)
            and entry.marker in text
        ):
            return entry
    return None


def _documented_operations(target: FuzzTarget) -> set[str]:
    document = httpx.get(f"{target.base_url}/v1/openapi.json", timeout=30).json()
    return {
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    }


def test_every_operation_answers_as_documented(target: FuzzTarget) -> None:
    run = run_schemathesis(target)
    print(run.summary(), run.cases, *(f.describe() for f in run.tolerated()), sep="\n\n")
    assert set(run.cases) == _documented_operations(target)  # each one was exercised
    assert not run.failures() and not run.errors, run.report()
    assert "Traceback" not in target.log(), target.log()
    assert fuzz_webhooks.off_loopback_endpoints(target.base_url, target.api_key) == []
    assert fuzz_webhooks.LOOKUP_MARK not in target.log(), target.log()
