"""The settings: declared once, read from the environment once, validated at start-up.

:class:`EnvSettings` (pydantic-settings) is the one declaration: each environment variable's
name (the field's alias), type, default, minimum and help text. ``SETTINGS`` lists them for
``tests/test_docs.py``, which fails when one is missing from the README.

:func:`load_settings` reads the variables through that class and returns a :class:`Settings`,
the frozen value the rest of the code uses (sizes in bytes, the SQLite path absolute, the region
upper-cased). ``load_settings(mapping)`` reads that mapping alone, never ``os.environ``;
:func:`get_settings` reads ``os.environ`` once per process. An unknown ``LEADS_*`` variable or
an invalid value raises :class:`ConfigError`, whose message names the variable(s).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import phonenumbers
from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from leads_core.web.hosts import parse_host_names

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


class ConfigError(RuntimeError):
    """A setting has a value the product cannot run with."""


# --- how a variable's text is read; a ValueError's message follows the variable's name --------
def _whole_number(raw: str | int) -> int:
    try:
        return int(raw)  # int(), not pydantic's parser, which would take "1.0"
    except ValueError:
        raise ValueError(f"must be a whole number, got {raw!r}") from None


def _database_url(raw: str) -> str:
    if raw.startswith("sqlite:///") and not raw.startswith("sqlite:////"):
        relative = raw.removeprefix("sqlite:///")
        if relative and relative != ":memory:":
            return f"sqlite:///{PROJECT_ROOT / relative}"
    if not raw.startswith(("sqlite:", "postgresql")):
        raise ValueError(
            f"must be a sqlite:/// or postgresql+psycopg:// URL, got {raw.split(':')[0]!r}"
        )
    return raw


def _host_names(raw: str) -> str:
    try:
        return ",".join(parse_host_names(raw))
    except ValueError as exc:
        raise ValueError(
            f"must be comma-separated host names such as leads.example.com: {exc}"
        ) from None


def _region(raw: str) -> str:
    region = raw.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"must be a region code such as FR or US, got {raw!r}")
    return region


def _sso_new_users(raw: str) -> str:
    value = raw.strip().lower()
    if value not in SSO_NEW_USERS:
        raise ValueError(f"must be refuse or viewer, got {raw!r}")
    return value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
SSO_NEW_USERS = ("refuse", "viewer")
SsoNewUsers = Annotated[str, AfterValidator(_sso_new_users)]
#: Settings that were removed, and what replaces them: refused with this message.
RETIRED = {
    "LEADS_DASHBOARD_PASSWORD": "LEADS_DASHBOARD_PASSWORD is retired: create users with "
    "`python -m leads_core create-user EMAIL --name NAME --role admin`; see README "
    "'Upgrading: from the dashboard password to users'",
}


class EnvSettings(BaseSettings):
    """The environment variables, in README order, each with its default and help text."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    database_url: Annotated[str, AfterValidator(_database_url)] = Field(
        default="sqlite:///data/leads.db",
        alias="DATABASE_URL",
        description="SQLAlchemy URL of the database. A relative SQLite path is resolved against "
        "the project folder; the file and its folder are created on first start.",
    )
    phone_region: Annotated[str, AfterValidator(_region)] = Field(
        default="FR",
        alias="LEADS_PHONE_REGION",
        description="Region (ISO 3166 alpha-2) used to read phone numbers written without a "
        "+country code.",
    )
    max_upload_mb: WholeNumber = Field(
        default=10,
        ge=1,
        alias="LEADS_MAX_UPLOAD_MB",
        description="Largest CSV file accepted by the import, in megabytes (larger files get 413).",
    )
    max_import_rows: WholeNumber = Field(
        default=100_000,
        ge=1,
        alias="LEADS_MAX_IMPORT_ROWS",
        description="Largest number of leads accepted in one import request (JSON array or CSV "
        "rows).",
    )
    db_pool_size: WholeNumber = Field(
        default=5,
        ge=1,
        alias="LEADS_DB_POOL_SIZE",
        description="Database connections each app process keeps open (SQLAlchemy pool_size). "
        "On PostgreSQL, processes x (pool size + overflow) must stay under max_connections.",
    )
    db_max_overflow: WholeNumber = Field(
        default=10,
        ge=0,
        alias="LEADS_DB_MAX_OVERFLOW",
        description="Extra connections a process may open beyond the pool under load, closed "
        "when returned (SQLAlchemy max_overflow; 0 for none).",
    )
    max_body_mb: WholeNumber = Field(
        default=32,
        ge=1,
        alias="LEADS_MAX_BODY_MB",
        description="Largest request body the API reads, in megabytes (413 beyond, before any "
        "work); a CSV upload may be LEADS_MAX_UPLOAD_MB plus 1 MB of form overhead.",
    )
    rate_limit_per_minute: WholeNumber = Field(
        default=1000,
        ge=0,
        alias="LEADS_RATE_LIMIT_PER_MINUTE",
        description="Requests each API key may make per minute, in bursts of up to that many, "
        "refilled evenly (429 with Retry-After beyond; RateLimit-* headers on every keyed "
        "answer); shared by all app processes on PostgreSQL, in memory on SQLite; 0 turns the "
        "limit off.",
    )
    allowed_hosts: Annotated[str, AfterValidator(_host_names)] = Field(
        default="",
        alias="LEADS_ALLOWED_HOSTS",
        description="Host names (comma-separated, e.g. leads.example.com) the server answers "
        "to besides localhost, 127.0.0.1 and ::1: the name browsers use to reach it. Any other "
        "Host header gets 421 (protection against DNS rebinding).",
    )
    auth_failure_limit: WholeNumber = Field(
        default=10,
        ge=0,
        alias="LEADS_AUTH_FAILURE_LIMIT",
        description="Wrong passwords (per account and per client address) and wrong API keys "
        "(per client address) accepted in 5 minutes; beyond, 429 until the oldest is 5 "
        "minutes old. 0 turns the throttle off.",
    )
    sso_new_users: SsoNewUsers = Field(
        default="refuse",
        alias="LEADS_SSO_NEW_USERS",
        description="What a single sign-on (st.login, [auth] in .streamlit/secrets.toml) does "
        "with an email no user has: refuse it (refuse), or create that user as a viewer "
        "(viewer).",
    )
    sqlite_busy_timeout_ms: WholeNumber = Field(
        default=60_000,
        ge=1,
        alias="LEADS_SQLITE_BUSY_TIMEOUT_MS",
        description="How long a SQLite writer waits for the write lock, in milliseconds. An "
        "import holds it while it writes (100,000 rows: about 15 s here), so this must be "
        "longer.",
    )
    import_workers: WholeNumber = Field(
        default=0,
        ge=0,
        alias="LEADS_IMPORT_WORKERS",
        description="Processes that validate, enrich and score an import's rows before it "
        "writes them; 0 means one per CPU this process may use, 1 prepares them in the "
        "request's own thread.",
    )
    webhooks_allow_private: bool = Field(
        default=False,
        alias="LEADS_WEBHOOKS_ALLOW_PRIVATE",
        description="1: webhook URLs may point at loopback, private and link-local addresses "
        "(a receiver on this machine or the office network). Otherwise they are refused (422) "
        "and checked again at each delivery. Cloud metadata addresses are always refused.",
    )
    webhooks_worker: bool = Field(
        default=True,
        alias="LEADS_WEBHOOKS_WORKER",
        description="1: each app process delivers webhooks from a background thread (several "
        "processes on one database never send the same delivery at once). 0: this process "
        "does not; another one must (an app process with 1, or `python -m leads_core "
        "deliver-webhooks`).",
    )


class _GivenVariables(EnvSettings):
    """:class:`EnvSettings` over the variables passed to it, with no ``os.environ`` behind them."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


@dataclass(frozen=True)
class Setting:
    """One variable as the README documents it."""

    env: str
    default: str
    help: str


def _documented(name: str, declared: FieldInfo) -> Setting:
    if declared.alias is None or declared.description is None:
        raise TypeError(f"EnvSettings.{name} needs an alias (its variable) and a description")
    return Setting(declared.alias, str(declared.default), declared.description)


SETTINGS: tuple[Setting, ...] = tuple(
    _documented(name, declared) for name, declared in EnvSettings.model_fields.items()
)


def _default(name: str) -> Any:
    return EnvSettings.model_fields[name].default


@dataclass(frozen=True)
class Settings:
    """The settings as the code uses them; the defaults are :class:`EnvSettings`'s."""

    database_url: str
    phone_region: str
    max_upload_bytes: int
    max_import_rows: int
    sqlite_busy_timeout_ms: int
    db_pool_size: int = _default("db_pool_size")
    db_max_overflow: int = _default("db_max_overflow")
    max_body_bytes: int = _default("max_body_mb") * MB
    rate_limit_per_minute: int = _default("rate_limit_per_minute")
    import_workers: int = 1
    auth_failure_limit: int = _default("auth_failure_limit")
    allowed_hosts: tuple[str, ...] = ()
    sso_new_users: str = _default("sso_new_users")
    webhooks_allow_private: bool = False
    webhooks_worker: bool = True


def _explain(error: ErrorDetails) -> str:
    env = error["loc"][0]
    if error["type"] == "greater_than_equal":
        minimum = error["ctx"]["ge"]
        limit = "greater than 0" if minimum == 1 else f"{minimum} or more"
        return f"{env} must be {limit}, got {error['input']}"
    if error["type"] == "value_error":
        return f"{env} {error['ctx']['error']}"
    return f"{env}: {error['msg']}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    variables: Mapping[str, str] = os.environ if environ is None else environ
    retired = [message for env, message in RETIRED.items() if env in variables]
    if retired:
        raise ConfigError("; ".join(retired))
    known = [s.env for s in SETTINGS]
    unknown = sorted(k for k in variables if k.startswith("LEADS_") and k not in known)
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    try:
        env = EnvSettings() if environ is None else _GivenVariables.model_validate(dict(environ))
    except ValidationError as invalid:
        raise ConfigError("; ".join(_explain(e) for e in invalid.errors())) from None
    return Settings(
        database_url=env.database_url,
        phone_region=env.phone_region,
        max_upload_bytes=env.max_upload_mb * MB,
        max_import_rows=env.max_import_rows,
        sqlite_busy_timeout_ms=env.sqlite_busy_timeout_ms,
        db_pool_size=env.db_pool_size,
        db_max_overflow=env.db_max_overflow,
        max_body_bytes=env.max_body_mb * MB,
        rate_limit_per_minute=env.rate_limit_per_minute,
        import_workers=env.import_workers or available_cpus(),
        auth_failure_limit=env.auth_failure_limit,
        allowed_hosts=tuple(filter(None, env.allowed_hosts.split(","))),
        sso_new_users=env.sso_new_users,
        webhooks_allow_private=env.webhooks_allow_private,
        webhooks_worker=env.webhooks_worker,
    )


def available_cpus() -> int:
    """CPUs this process may run on (its affinity, which a container limits), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
