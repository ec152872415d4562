"""``python -m leads_core``: every command run as a real subprocess on its own database.

Each test gets a new, empty database (an SQLite file not yet created, or a PostgreSQL
database without tables) passed through ``DATABASE_URL``; the values the commands print
and store are checked exactly, against the database read back with SQL and, for the CSV
import, against what ``POST /v1/leads/import/csv`` answers."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import NullPool, create_engine, inspect, make_url, text
from sqlmodel import Session, select

from leads_core.cli import build_parser
from leads_core.errors import Unauthorized
from leads_core.services import apikeys, users
from leads_core.storage import migrations
from leads_core.storage.db import make_engine
from leads_core.storage.models import Lead
from tests.databases import make_pre_migration_database
from tests.expected import SAMPLE_LEADS_MAPPING

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "fixtures" / "sample_leads.csv"
COMMANDS = (
    "init-db",
    "create-api-key",
    "create-user",
    "set-password",
    "list-users",
    "list-api-keys",
    "revoke-api-key",
    "create-campaign",
    "list-campaigns",
    "import-csv",
    "deliver-webhooks",
    "seed-demo",
)
CRITERIA = {"targetPositions": ["CTO"], "targetSources": ["linkedin"], "requiredFields": ["phone"]}


@dataclass(frozen=True)
class SampleCounts:
    data_rows: int
    imported: int
    skipped: int
    error_rows: list[int]


def _readme_row(filename: str) -> dict[str, str]:
    """The row of ``tests/fixtures/README.md``'s summary table for one sample file, keyed
    by column heading."""
    lines = (REPO / "tests" / "fixtures" / "README.md").read_text(encoding="utf-8").splitlines()
    table = [line for line in lines if line.startswith("|")]
    headings = [cell.strip() for cell in table[0].strip("|").split("|")]
    for line in table[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] == f"`{filename}`":
            return dict(zip(headings, cells, strict=True))
    raise AssertionError(f"{filename} is not in tests/fixtures/README.md")


def _cell(row: dict[str, str], heading_start: str) -> str:
    (value,) = [v for k, v in row.items() if k.startswith(heading_start)]
    return value


def _leading_int(text: str) -> int:
    match = re.match(r"\d+", text)
    assert match, text
    return int(match.group())


def _rows_in(text: str) -> list[int]:
    """``"3 (rows 16, 24, 33)"`` -> ``[16, 24, 33]``."""
    inside = re.search(r"\(rows? ([\d, ]+)\)", text)
    return [int(n) for n in inside.group(1).split(",")] if inside else []


@pytest.fixture(scope="module")
def sample() -> SampleCounts:
    """What importing ``sample_leads.csv`` into an empty campaign gives, as documented in
    tests/fixtures/README.md (40 data rows; 34 leads, 3 duplicates, rows 16, 24, 33 rejected
    when this was written)."""
    row = _readme_row("sample_leads.csv")
    counts = SampleCounts(
        data_rows=_leading_int(_cell(row, "data rows read")),
        imported=_leading_int(_cell(row, "leads after import")),
        skipped=_leading_int(_cell(row, "skipped as duplicates")),
        error_rows=_rows_in(_cell(row, "rows without email and LinkedIn")),
    )
    assert counts.imported + counts.skipped + len(counts.error_rows) == counts.data_rows
    return counts


class Cli:
    """Runs ``python -m leads_core`` from the repository root against one database."""

    def __init__(self, url: str):
        self.url = url

    @property
    def sqlite_path(self) -> Path | None:
        url = make_url(self.url)
        return Path(url.database) if url.get_backend_name() == "sqlite" else None

    def run(
        self,
        *args: str,
        expect: int = 0,
        env: dict[str, str] | None = None,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": self.url, "PYTHONIOENCODING": "utf-8", **(env or {})}
        result = subprocess.run(
            [sys.executable, "-m", "leads_core", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            input=input,
        )
        assert result.returncode == expect, (
            f"exit {result.returncode} != {expect}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result

    def last_line(self, *args: str) -> str:
        return self.run(*args).stdout.splitlines()[-1]

    def _engine(self):
        return create_engine(self.url, poolclass=NullPool)

    def tables(self) -> set[str]:
        """The tables the database has; none before a command creates the schema (and an
        SQLite file that does not exist is not created by looking)."""
        path = self.sqlite_path
        if path is not None and not path.exists():
            return set()
        engine = self._engine()
        try:
            return set(inspect(engine).get_table_names())
        finally:
            engine.dispose()

    def query(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        engine = self._engine()
        try:
            with engine.connect() as db:
                return [tuple(row) for row in db.execute(text(sql), params)]
        finally:
            engine.dispose()

    def scalar(self, sql: str, **params: Any) -> Any:
        (row,) = self.query(sql, **params)
        return row[0]


def _json(value: Any) -> Any:
    """A JSON column's value: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


@pytest.fixture
def cli(empty_db_url: str) -> Cli:
    return Cli(empty_db_url)


@pytest.fixture
def cli_session(cli: Cli) -> Iterator[Session]:
    """A session on the CLI's database (its schema created by a first command)."""
    cli.run("init-db")
    engine = make_engine(cli.url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


def _json_stdout(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The whole stdout must be the JSON summary: progress goes to stderr."""
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- help


def test_parser_help_names_every_command() -> None:
    text = build_parser().format_help()
    for command in COMMANDS:
        assert command in text


@pytest.mark.slow
def test_help_lists_the_commands(cli: Cli) -> None:
    result = cli.run("--help")
    assert result.stdout.startswith("usage: python -m leads_core")
    listed = re.findall(r"^ {4}([a-z][a-z-]+)", result.stdout, flags=re.MULTILINE)
    assert listed == list(COMMANDS)
    assert result.stderr == ""
    assert cli.tables() == set()  # --help opens no database


@pytest.mark.slow
def test_unknown_command_exits_2_with_usage(cli: Cli) -> None:
    result = cli.run("frobnicate", expect=2)
    assert "invalid choice: 'frobnicate'" in result.stderr
    assert cli.tables() == set()


# --------------------------------------------------------------------------- init-db


@pytest.mark.slow
def test_init_db_migrates_an_empty_database_to_the_newest_revision(cli: Cli) -> None:
    assert cli.tables() == set()
    result = cli.run("init-db")
    assert result.stdout == f"database ready: {make_url(cli.url)}\n"
    engine_only = {"lead_search", "rate_limit"}  # SQLite's search index; PostgreSQL's limit
    assert {t for t in cli.tables() if not t.startswith(tuple(engine_only))} == {
        "alembic_version",
        "api_key",
        "campaign",
        "import_batch",
        "lead",
        "lead_activity",
        "idempotent_request",
        *("app_user", "user_token", "task"),
        "saved_view",
        *("webhook_endpoint", "webhook_event", "webhook_delivery", "webhook_attempt"),
        "lead_count",
    }
    assert cli.scalar("SELECT version_num FROM alembic_version") == migrations.head()
    assert cli.scalar("SELECT count(*) FROM lead") == 0
    # Idempotent: a second run keeps the data and says the same.
    cli.run("create-campaign", "Kept", "--id", "cmp_kept")
    assert cli.run("init-db").stdout == result.stdout
    assert cli.query("SELECT id FROM campaign") == [("cmp_kept",)]


@pytest.mark.slow
def test_init_db_refuses_a_pre_migration_database_it_cannot_adopt(cli: Cli) -> None:
    engine = create_engine(cli.url, poolclass=NullPool)
    make_pre_migration_database(engine)  # as builds before migrations made it
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_lead_source"))  # ... but not quite
    engine.dispose()

    result = cli.run("init-db", expect=1)
    assert result.stdout == ""
    assert result.stderr.startswith(
        "error: this database was created before migrations, by a build whose tables differ "
        "from the first migration (lead)"
    )
    assert "alembic_version" not in cli.tables()


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_init_db_creates_the_sqlite_file_in_wal_mode(cli: Cli) -> None:
    assert cli.sqlite_path is not None and not cli.sqlite_path.exists()
    cli.run("init-db")
    assert cli.sqlite_path.is_file()
    assert cli.scalar("PRAGMA journal_mode") == "wal"


# --------------------------------------------------------------------------- API keys


@pytest.mark.slow
def test_create_api_key_prints_the_key_last_and_stores_only_its_hash(
    cli: Cli, cli_session: Session
) -> None:
    lines = cli.run("create-api-key", "zapier").stdout.splitlines()
    plain = lines[-1]
    assert re.fullmatch(r"lw_[A-Za-z0-9_-]{43}", plain)
    (key_id,) = re.findall(r"^created API key (key_\w+) \(zapier\)", lines[0])

    rows = cli.query("SELECT id, name, prefix, key_hash, revoked_at FROM api_key")
    assert rows == [
        (key_id, "zapier", plain[:11], hashlib.sha256(plain.encode()).hexdigest(), None)
    ]
    # The plain key is nowhere in the database: not in any column of any table.
    for table in cli.tables():
        for row in cli.query(f'SELECT * FROM "{table}"'):
            assert not any(plain in str(cell) for cell in row), table
    if cli.sqlite_path is not None:  # nor in the file's bytes (free pages included)
        assert plain.encode() not in cli.sqlite_path.read_bytes()

    assert apikeys.authenticate(cli_session, plain)[0].id == key_id


def test_users_and_their_keys_from_the_command_line(cli: Cli, cli_session: Session) -> None:
    created = cli.run(
        "create-user",
        "Ann@Acme.test",
        "--name",
        "Ann Lee",
        "--role",
        "member",
        input="correct horse battery\n",
    ).stdout.splitlines()
    user_id = created[-1]
    assert re.fullmatch(r"usr_[0-9a-z]{14}", user_id)
    assert created[0] == "created member Ann Lee <ann@acme.test> with a password; user id:"
    # the password is stored as an Argon2 hash only, and signs in
    (stored,) = cli.query("SELECT password_hash FROM app_user")
    assert stored[0].startswith("$argon2id$") and "correct horse" not in stored[0]
    assert users.check_password(cli_session, "ann@acme.test", "correct horse battery").id == user_id

    plain = cli.last_line("create-api-key", "zap", "--user", "ann@acme.test", "--scope", "read")
    key, who = apikeys.authenticate(cli_session, plain)
    assert (key.scope, who.user_id, who.role.value, who.scope.value) == (
        "read",
        user_id,
        "member",
        "read",
    )
    cli.run("set-password", "ann@acme.test", input="a new long password\n")
    cli_session.expire_all()
    assert users.check_password(cli_session, "ann@acme.test", "a new long password")
    with pytest.raises(Unauthorized):
        users.check_password(cli_session, "ann@acme.test", "correct horse battery")
    header, row = cli.run("list-users").stdout.splitlines()
    assert header.split() == ["ID", "EMAIL", "NAME", "ROLE", "STATE"]
    assert row.split() == [user_id, "ann@acme.test", "Ann", "Lee", "member", "active"]
    # bad input: a clear message, exit 1, nothing stored
    bad = cli.run(
        "create-user",
        "not-an-email",
        "--name",
        "X",
        "--role",
        "admin",
        expect=1,
        input="correct horse battery\n",
    )
    assert "is not an email address" in bad.stderr
    short = cli.run(
        "create-user", "bo@acme.test", "--name", "Bo", "--role", "viewer", expect=1, input="short\n"
    )
    assert short.stderr.startswith("error: a password has 10 to 1000 characters\n")
    missing = cli.run("create-api-key", "k", "--user", "nobody@acme.test", expect=1)
    assert missing.stderr.startswith("error: no user with email 'nobody@acme.test'\n")
    assert cli.query("SELECT count(*) FROM app_user") == [(1,)]


@pytest.mark.slow
def test_create_api_key_without_a_name_fails(cli: Cli) -> None:
    result = cli.run("create-api-key", "   ", expect=1)
    assert result.stdout == ""
    assert result.stderr == "error: an API key needs a name\n"


@pytest.mark.slow
def test_list_api_keys_shows_prefix_name_last_use_and_state(cli: Cli, cli_session: Session) -> None:
    first = cli.last_line("create-api-key", "zapier")
    second = cli.last_line("create-api-key", "n8n workflow")
    apikeys.authenticate(cli_session, second)  # stamps last_used_at

    header, *rows = cli.run("list-api-keys").stdout.splitlines()
    assert header.split() == [
        *("ID", "PREFIX", "NAME", "USER", "SCOPE", "CREATED", "LAST", "USED", "STATE")
    ]
    assert len(rows) == 2
    n8n, zapier = rows  # newest first
    assert zapier.split()[1:5] == [first[:11], "zapier", "(system)", "write"]
    assert zapier.split()[-2:] == ["never", "active"]
    assert n8n.split()[1:6] == [second[:11], "n8n", "workflow", "(system)", "write"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", n8n.split()[-2])
    assert n8n.split()[-1] == "active"
    assert first not in zapier and second not in n8n  # never the whole key


@pytest.mark.slow
def test_revoke_api_key_by_prefix_then_the_key_fails_authentication(
    cli: Cli, cli_session: Session
) -> None:
    plain = cli.last_line("create-api-key", "old laptop")
    keep = cli.last_line("create-api-key", "server")
    assert apikeys.authenticate(cli_session, plain)[0].name == "old laptop"

    result = cli.run("revoke-api-key", plain[:11])
    assert re.fullmatch(rf"revoked key_\w+ \({plain[:11]}…, old laptop\)\n", result.stdout)

    with pytest.raises(Unauthorized):
        apikeys.authenticate(cli_session, plain)
    assert apikeys.authenticate(cli_session, keep)[0].name == "server"
    states = [line.split()[-1] for line in cli.run("list-api-keys").stdout.splitlines()[1:]]
    assert states == ["active", "revoked"]  # newest first: "server" was made after


@pytest.mark.slow
def test_revoke_unknown_key_exits_1(cli: Cli) -> None:
    result = cli.run("revoke-api-key", "lw_nothere", expect=1)
    assert result.stderr == "error: no API key with id or prefix 'lw_nothere'\n"


# --------------------------------------------------------------------------- campaigns


@pytest.mark.slow
def test_create_campaign_prints_its_id_last_and_stores_the_criteria(cli: Cli) -> None:
    result = cli.run(
        "create-campaign", "Q1 CTO outreach", "--id", "cmp_x", "--criteria", json.dumps(CRITERIA)
    )
    assert result.stdout == "created campaign 'Q1 CTO outreach'\ncmp_x\n"
    rows = cli.query("SELECT id, name, criteria FROM campaign")
    assert [(i, n, _json(c)) for i, n, c in rows] == [("cmp_x", "Q1 CTO outreach", CRITERIA)]

    generated = cli.last_line("create-campaign", "No criteria")
    assert re.fullmatch(r"cmp_[a-z0-9]+", generated)
    assert _json(cli.scalar("SELECT criteria FROM campaign WHERE id = :id", id=generated)) == {
        "targetPositions": [],
        "targetSources": [],
        "requiredFields": [],
    }
    listed = cli.run("list-campaigns").stdout.splitlines()
    assert listed[0] == f"cmp_x\tQ1 CTO outreach\t{json.dumps(CRITERIA)}"
    assert listed[1].startswith(f"{generated}\tNo criteria\t")


@pytest.mark.slow
def test_create_campaign_with_an_existing_id_exits_1(cli: Cli) -> None:
    cli.run("create-campaign", "First", "--id", "cmp_x")
    result = cli.run("create-campaign", "Second", "--id", "cmp_x", expect=1)
    assert result.stdout == ""
    assert "already exists" in result.stderr
    assert result.stderr == "error: campaign 'cmp_x' already exists\n"
    assert cli.query("SELECT id, name FROM campaign") == [("cmp_x", "First")]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--criteria", "{targetPositions: [CTO]}"],
            "error: --criteria: not valid JSON (Expecting property name enclosed in double quotes)",
        ),
        (
            ["--criteria", '["CTO"]'],
            "error: value: Input should be a valid dictionary or instance of CampaignCriteria",
        ),
        (
            ["--criteria", '{"requiredFields": ["shoeSize"]}'],
            "error: requiredFields.0: String should match pattern",
        ),
        (["--id", "campaign-1"], "error: id: String should match pattern"),
    ],
    ids=["not-json", "not-an-object", "unknown-required-field", "bad-id"],
)
def test_create_campaign_with_bad_input_exits_1_with_a_message(
    cli: Cli, args: list[str], message: str
) -> None:
    result = cli.run("create-campaign", "Bad", *args, expect=1)
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- import-csv


@pytest.mark.slow
def test_import_csv_prints_the_same_summary_as_the_api(
    cli: Cli, client: TestClient, campaign, sample: SampleCounts
) -> None:
    cli.run("create-campaign", "CLI import", "--id", "cmp_x")
    result = cli.run("import-csv", str(SAMPLE.relative_to(REPO)), "--campaign", "cmp_x")

    summary = _json_stdout(result)
    import_id = summary.pop("importId")
    assert re.fullmatch(r"imp_[0-9a-z]{14}", import_id)
    assert summary == {
        "imported": sample.imported,
        "skipped": sample.skipped,
        "errors": [
            {"row": row, "field": "email", "message": "a lead needs an email or a LinkedIn URL"}
            for row in sample.error_rows
        ],
        "updated": 0,
        "dryRun": False,
        "rows": sample.data_rows,
        "inFileDuplicates": sample.skipped,
        "alreadyInCampaign": 0,
        "warnings": [
            {
                "row": 22,
                "field": "email",
                "message": "'not-an-email' is not a valid email address: kept in the lead's "
                "attributes as 'E-mail Address'",
            }
        ],
        # Rows 19, 28 and 36 repeat rows 2, 15 and 23 (tests/fixtures/README.md).
        "duplicates": [
            {"row": 19, "repeatsRow": 2, "leadId": None},
            {"row": 28, "repeatsRow": 15, "leadId": None},
            {"row": 36, "repeatsRow": 23, "leadId": None},
        ],
        "csv": {
            "kind": "csv",
            "encoding": "utf-8-sig",
            "delimiter": ";",
            "sheet": None,
            "sheets": [],
            "headerRow": 1,
            "mapping": SAMPLE_LEADS_MAPPING,
            "matchedBy": {
                h: None if f == "attribute" else "header" for h, f in SAMPLE_LEADS_MAPPING.items()
            },
            "ignoredColumns": [],
            "attributeColumns": ["Favourite colour"],
        },
    }
    # The progress bar is on stderr and reached every row.
    assert "importing sample_leads.csv" in result.stderr
    assert f"{sample.data_rows}/{sample.data_rows}" in result.stderr

    response = client.post(
        "/v1/leads/import/csv",
        data={"campaignId": campaign.id},
        files={"file": ("sample_leads.csv", SAMPLE.read_bytes(), "text/csv")},
    )
    assert response.status_code == 200
    api = response.json()
    assert len(api.pop("leads")) == sample.imported
    assert re.fullmatch(r"imp_[0-9a-z]{14}", api.pop("importId"))
    assert api == summary

    assert cli.scalar("SELECT count(*) FROM lead WHERE campaign_id = 'cmp_x'") == sample.imported
    assert cli.query("SELECT origin, filename, imported, skipped, errors FROM import_batch") == [
        ("cli", "sample_leads.csv", sample.imported, sample.skipped, len(sample.error_rows))
    ]
    # Importing the same file again stores nothing new: every valid row is a duplicate.
    again = _json_stdout(cli.run("import-csv", str(SAMPLE), "--campaign", "cmp_x"))
    assert (again["imported"], again["skipped"]) == (0, sample.imported + sample.skipped)
    assert cli.scalar("SELECT count(*) FROM lead") == sample.imported


@pytest.mark.slow
def test_import_csv_takes_a_large_file_in_chunks_each_all_or_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    """LEADS_MAX_IMPORT_ROWS=50 makes a 120-row file "large": three transactions, one line
    each on stderr, the summed summary with its chunks on stdout, file row numbers kept."""
    lines = ["Email,Company"] + [f"lead{n}@acme.io,Acme {n}" for n in range(120)]
    lines[90] = "lead3@ACME.io,Acme again"  # row 91 repeats row 5, which is in chunk 1
    lines[100] = ",Nobody"  # row 101: no email
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli.run("create-campaign", "Big", "--id", "cmp_x")

    result = cli.run(
        "import-csv", str(path), "--campaign", "cmp_x", env={"LEADS_MAX_IMPORT_ROWS": "50"}
    )

    summary = _json_stdout(result)
    assert (summary["imported"], summary["skipped"], summary["rows"]) == (118, 1, 120)
    assert summary["errors"] == [
        {"row": 101, "field": "email", "message": "a lead needs an email or a LinkedIn URL"}
    ]
    assert summary["importId"] is None
    assert [d["row"] for d in summary["duplicates"]] == [91]
    assert summary["alreadyInCampaign"] == 1  # found in the campaign: chunk 1 was committed
    chunks = summary["chunks"]
    assert [(c["rows"], c["imported"], c["skipped"], c["errors"]) for c in chunks] == [
        (50, 50, 0, 0),
        (50, 48, 1, 1),
        (20, 20, 0, 0),
    ]
    for chunk, rows in zip(chunks, ("rows 2-51", "rows 52-101", "rows 102-121"), strict=True):
        assert f"{rows}: imported" in result.stderr
        assert chunk["importId"] in result.stderr
    assert cli.scalar("SELECT count(*) FROM lead") == 118
    assert cli.scalar("SELECT count(*) FROM import_batch") == 3


@pytest.mark.slow
def test_import_csv_skips_a_linkedin_duplicate_of_a_lead_that_has_an_email(cli: Cli) -> None:
    # Row 28 (no email) repeats row 15's LinkedIn profile without "www." and trailing "/".
    cli.run("create-campaign", "CLI import", "--id", "cmp_x")
    cli.run("import-csv", str(SAMPLE), "--campaign", "cmp_x")
    sophies = cli.query(
        "SELECT email, linkedin_url FROM lead WHERE linkedin_url LIKE '%/sophie-bernard-7a1b2c%'"
    )
    assert sophies == [
        ("sophie.bernard@alpaga.io", "https://www.linkedin.com/in/sophie-bernard-7a1b2c/")
    ]


@pytest.mark.slow
def test_import_csv_into_an_unknown_campaign_exits_1(cli: Cli) -> None:
    cli.run("init-db")
    result = cli.run("import-csv", str(SAMPLE), "--campaign", "cmp_nope", expect=1)
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == "error: campaign 'cmp_nope' not found"
    assert cli.scalar("SELECT count(*) FROM import_batch") == 0


@pytest.mark.slow
def test_import_csv_of_a_missing_file_exits_1(cli: Cli, tmp_path: Path) -> None:
    cli.run("create-campaign", "C", "--id", "cmp_x")
    missing = tmp_path / "nope.csv"
    result = cli.run("import-csv", str(missing), "--campaign", "cmp_x", expect=1)
    assert result.stdout == ""
    assert result.stderr == f"error: {missing}: no such file\n"


@pytest.mark.slow
def test_import_csv_with_a_mapping(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "col_a,col_b,col_c,Job Title\n"
        "Marie,marie.dubois@techcorp.com,TechCorp SAS,CTO\n"
        "Jean,jean.martin@startup.io,Startup IO,VP Engineering\n",
        encoding="utf-8",
    )
    cli.run("create-campaign", "C", "--id", "cmp_x")
    mapping = {"col_a": "firstName", "col_b": "email", "col_c": "company", "Job Title": None}
    result = cli.run(
        "import-csv", str(path), "--campaign", "cmp_x", "--mapping", json.dumps(mapping)
    )
    summary = _json_stdout(result)
    assert (summary["imported"], summary["skipped"], summary["errors"]) == (2, 0, [])
    assert summary["csv"] == {
        "kind": "csv",
        "encoding": "utf-8",
        "delimiter": ",",
        "sheet": None,
        "sheets": [],
        "headerRow": 1,
        "mapping": mapping,
        "matchedBy": dict.fromkeys(mapping, "mapping"),
        "ignoredColumns": ["Job Title"],
        "attributeColumns": [],
    }
    rows = cli.query("SELECT first_name, email, company, position FROM lead ORDER BY first_name")
    assert rows == [
        ("Jean", "jean.martin@startup.io", "Startup IO", None),
        ("Marie", "marie.dubois@techcorp.com", "TechCorp SAS", None),
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ("{bad", "error: Invalid column mapping: not valid JSON"),
        ('{"First Name": "shoeSize"}', "error: Invalid column mapping: column 'First Name'"),
        ('{"Nope": "email"}', "error: Invalid column mapping: column 'Nope' is not in the file"),
    ],
    ids=["not-json", "unknown-field", "unknown-column"],
)
def test_import_csv_with_a_bad_mapping_exits_1(cli: Cli, mapping: str, message: str) -> None:
    cli.run("create-campaign", "C", "--id", "cmp_x")
    result = cli.run(
        "import-csv", str(SAMPLE), "--campaign", "cmp_x", "--mapping", mapping, expect=1
    )
    assert result.stdout == ""
    assert any(line.startswith(message) for line in result.stderr.splitlines())
    assert "Traceback" not in result.stderr
    assert cli.scalar("SELECT count(*) FROM lead") == 0


@pytest.mark.slow
def test_import_csv_with_a_mapping_that_is_not_an_object_exits_1_cleanly(cli: Cli) -> None:
    cli.run("create-campaign", "C", "--id", "cmp_x")
    result = cli.run(
        "import-csv", str(SAMPLE), "--campaign", "cmp_x", "--mapping", '["email"]', expect=1
    )
    assert "Traceback" not in result.stderr
    assert any(
        line.startswith("error: Invalid column mapping: expected an object")
        for line in result.stderr.splitlines()
    )


# --------------------------------------------------------------------------- seed-demo


@pytest.mark.slow
def test_seed_demo_stores_exactly_n_varied_leads(cli: Cli) -> None:
    result = cli.run("seed-demo", "--leads", "300")
    assert re.fullmatch(
        r"seeded 300 leads in 5 campaigns \(\d+ duplicate attempts skipped, 0 rows rejected\)",
        result.stdout.splitlines()[-1],
    )
    assert "seeding demo leads" in result.stderr

    assert cli.scalar("SELECT count(*) FROM lead") == 300
    assert cli.scalar("SELECT count(*) FROM campaign") == 5
    per_campaign = [
        n for (_, n) in cli.query("SELECT campaign_id, count(*) FROM lead GROUP BY campaign_id")
    ]
    assert len(per_campaign) == 5 and sum(per_campaign) == 300 and min(per_campaign) >= 50

    statuses = dict(cli.query("SELECT status, count(*) FROM lead GROUP BY status"))
    assert set(statuses) == {"new", "contacted", "replied", "qualified", "converted", "rejected"}
    assert statuses["new"] == max(statuses.values())  # most leads were never contacted

    sources = dict(cli.query("SELECT source, count(*) FROM lead GROUP BY source"))
    assert len(sources) >= 6 and None not in sources
    assert max(sources, key=sources.__getitem__) == "linkedin"

    engine = make_engine(cli.url)
    with Session(engine) as session:
        leads = session.exec(select(Lead)).all()
    engine.dispose()
    created = [lead.created_at for lead in leads]
    assert 90 < (max(created) - min(created)).days <= 366
    assert len({(c.year, c.month) for c in created}) >= 10

    email_status = Counter(lead.enrichment["emailStatus"] for lead in leads)
    assert email_status["valid"] > 250
    assert sum(email_status.values()) == 300
    # An invalid email ("@@") is set aside in the lead's attributes, never lost; such a lead
    # has no email and scores 0 of the 30 email points. Every lead is scored.
    set_aside = [lead for lead in leads if "@@" in (lead.attributes or {}).get("Email", "")]
    assert set_aside and all(lead.email is None for lead in set_aside)
    assert all(lead.quality_score is not None for lead in leads)
    assert {lead.score_breakdown["emailValidity"] for lead in set_aside} == {0}
    assert cli.scalar("SELECT count(*) FROM lead_activity WHERE kind = 'created'") == 300


@pytest.mark.slow
def test_import_csv_gives_the_leads_to_owners_in_turn(
    cli: Cli, cli_session: Session, tmp_path: Path
) -> None:
    """``--owner`` takes users' emails; several share the new leads out in row order, and
    the next chunk of a large file goes on with the next owner."""
    from leads_core.services import users

    ann = users.create_user(cli_session, email="ann@acme.com", name="Ann", role="member")
    bob = users.create_user(cli_session, email="bob@acme.com", name="Bob", role="member")
    lines = ["Email"] + [f"lead{n}@acme.io" for n in range(5)]
    path = tmp_path / "owned.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli.run("create-campaign", "Owned", "--id", "cmp_x")

    cli.run(
        "import-csv",
        str(path),
        "--campaign",
        "cmp_x",
        "--owner",
        "ANN@acme.com, bob@acme.com",
        env={"LEADS_MAX_IMPORT_ROWS": "3"},
    )

    owners = dict(cli.query("SELECT email, owner_id FROM lead"))
    assert [owners[f"lead{n}@acme.io"] for n in range(5)] == [
        ann.id,
        bob.id,
        ann.id,
        bob.id,
        ann.id,
    ]
    failed = cli.run(
        "import-csv", str(path), "--campaign", "cmp_x", "--owner", "zed@acme.com", expect=1
    )
    assert "no user with email 'zed@acme.com'" in failed.stderr
