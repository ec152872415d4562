"""One settings object, read from the environment once, validated at start-up.

Every setting is declared with its default and a help text (like Datasette's
``Setting``); ``tests/test_docs.py`` fails when one is missing from the README.
An invalid value stops the process with a message naming the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import phonenumbers

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        "sqlite:///data/leads.db",
        "SQLAlchemy URL of the database. A relative SQLite path is resolved against the "
        "project folder; the file and its folder are created on first start.",
    ),
    Setting(
        "LEADS_PHONE_REGION",
        "FR",
        "Region (ISO 3166 alpha-2) used to read phone numbers written without a +country code.",
    ),
    Setting(
        "LEADS_MAX_UPLOAD_MB",
        "10",
        "Largest CSV file accepted by the import, in megabytes (larger files get 413).",
    ),
    Setting(
        "LEADS_MAX_IMPORT_ROWS",
        "100000",
        "Largest number of leads accepted in one import request (JSON array or CSV rows).",
    ),
    Setting(
        "LEADS_DB_POOL_SIZE",
        "5",
        "Database connections each app process keeps open (SQLAlchemy pool_size). On "
        "PostgreSQL, processes x (pool size + overflow) must stay under max_connections.",
    ),
    Setting(
        "LEADS_DB_MAX_OVERFLOW",
        "10",
        "Extra connections a process may open beyond the pool under load, closed when "
        "returned (SQLAlchemy max_overflow; 0 for none).",
    ),
    Setting(
        "LEADS_MAX_BODY_MB",
        "32",
        "Largest request body the API reads, in megabytes (413 beyond, before any work); a "
        "CSV upload may be LEADS_MAX_UPLOAD_MB plus 1 MB of form overhead.",
    ),
    Setting(
        "LEADS_RATE_LIMIT_PER_MINUTE",
        "1000",
        "Requests each API key may make per minute, in bursts of up to that many (429 with "
        "Retry-After beyond); 0 turns the limit off.",
    ),
    Setting(
        "LEADS_DASHBOARD_PASSWORD",
        "",
        "Password the dashboard asks for (also read from dashboard_password in "
        ".streamlit/secrets.toml). Without one the server only listens on 127.0.0.1.",
    ),
    Setting(
        "LEADS_SQLITE_BUSY_TIMEOUT_MS",
        "60000",
        "How long a SQLite writer waits for the write lock, in milliseconds. An import holds it "
        "for its whole transaction (100,000 rows: 15-25 s here), so this must be longer.",
    ),
)


class ConfigError(RuntimeError):
    """A setting has a value the product cannot run with."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    phone_region: str
    max_upload_bytes: int
    max_import_rows: int
    sqlite_busy_timeout_ms: int
    db_pool_size: int = 5
    db_max_overflow: int = 10
    max_body_bytes: int = 32 * 1024 * 1024
    rate_limit_per_minute: int = 1000
    dashboard_password: str | None = field(default=None, repr=False)  # a secret: never logged


def _positive_int(env: str, raw: str, *, minimum: int = 1) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{env} must be a whole number, got {raw!r}") from None
    if value < minimum:
        limit = "greater than 0" if minimum == 1 else f"{minimum} or more"
        raise ConfigError(f"{env} must be {limit}, got {value}")
    return value


def _database_url(raw: str) -> str:
    if raw.startswith("sqlite:///") and not raw.startswith("sqlite:////"):
        relative = raw.removeprefix("sqlite:///")
        if relative and relative != ":memory:":
            return f"sqlite:///{PROJECT_ROOT / relative}"
    if not raw.startswith(("sqlite:", "postgresql")):
        raise ConfigError(
            f"DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL, got {raw.split(':')[0]!r}"
        )
    return raw


def _region(raw: str) -> str:
    region = raw.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"LEADS_PHONE_REGION must be a region code such as FR or US, got {raw!r}")
    return region


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    known = {s.env for s in SETTINGS}
    value = {s.env: env.get(s.env, s.default) for s in SETTINGS}
    unknown = sorted(k for k in env if k.startswith("LEADS_") and k not in known)
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return Settings(
        database_url=_database_url(value["DATABASE_URL"]),
        phone_region=_region(value["LEADS_PHONE_REGION"]),
        max_upload_bytes=_positive_int("LEADS_MAX_UPLOAD_MB", value["LEADS_MAX_UPLOAD_MB"])
        * 1024
        * 1024,
        max_import_rows=_positive_int("LEADS_MAX_IMPORT_ROWS", value["LEADS_MAX_IMPORT_ROWS"]),
        sqlite_busy_timeout_ms=_positive_int(
            "LEADS_SQLITE_BUSY_TIMEOUT_MS", value["LEADS_SQLITE_BUSY_TIMEOUT_MS"]
        ),
        db_pool_size=_positive_int("LEADS_DB_POOL_SIZE", value["LEADS_DB_POOL_SIZE"]),
        db_max_overflow=_positive_int(
            "LEADS_DB_MAX_OVERFLOW", value["LEADS_DB_MAX_OVERFLOW"], minimum=0
        ),
        max_body_bytes=_positive_int("LEADS_MAX_BODY_MB", value["LEADS_MAX_BODY_MB"]) * 1024 * 1024,
        rate_limit_per_minute=_positive_int(
            "LEADS_RATE_LIMIT_PER_MINUTE", value["LEADS_RATE_LIMIT_PER_MINUTE"], minimum=0
        ),
        dashboard_password=value["LEADS_DASHBOARD_PASSWORD"] or None,
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
