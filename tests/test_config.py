"""leads_core.config: one settings object, refused at start-up when a value is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from leads_core.config import (
    PROJECT_ROOT,
    SETTINGS,
    ConfigError,
    Settings,
    available_cpus,
    load_settings,
)

ROOT = Path(__file__).resolve().parent.parent


def test_project_root_is_the_repository() -> None:
    assert PROJECT_ROOT == ROOT
    assert (PROJECT_ROOT / "leads_core" / "config.py").is_file()


def test_defaults() -> None:
    assert load_settings({}) == Settings(
        database_url=f"sqlite:///{ROOT}/data/leads.db",
        phone_region="FR",
        max_upload_bytes=10 * 1024 * 1024,
        max_import_rows=100_000,
        sqlite_busy_timeout_ms=60000,
        import_workers=available_cpus(),
    )


def test_every_setting_documents_itself() -> None:
    assert [s.env for s in SETTINGS] == [
        "DATABASE_URL",
        "LEADS_PHONE_REGION",
        "LEADS_MAX_UPLOAD_MB",
        "LEADS_MAX_IMPORT_ROWS",
        "LEADS_DB_POOL_SIZE",
        "LEADS_DB_MAX_OVERFLOW",
        "LEADS_MAX_BODY_MB",
        "LEADS_RATE_LIMIT_PER_MINUTE",
        "LEADS_ALLOWED_HOSTS",
        "LEADS_AUTH_FAILURE_LIMIT",
        "LEADS_SSO_NEW_USERS",
        "LEADS_SQLITE_BUSY_TIMEOUT_MS",
        "LEADS_IMPORT_WORKERS",
        "LEADS_WEBHOOKS_ALLOW_PRIVATE",
        "LEADS_WEBHOOKS_WORKER",
    ]
    assert all(len(s.help) > 20 for s in SETTINGS)
    assert [s.env for s in SETTINGS if not s.default] == ["LEADS_ALLOWED_HOSTS"]


def test_values_from_the_environment() -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "postgresql+psycopg://leads:secret@db:5432/leads",
            "LEADS_PHONE_REGION": " us ",
            "LEADS_MAX_UPLOAD_MB": "25",
            "LEADS_MAX_IMPORT_ROWS": "500",
            "LEADS_SQLITE_BUSY_TIMEOUT_MS": "100",
            "LEADS_DB_POOL_SIZE": "20",
            "LEADS_DB_MAX_OVERFLOW": "0",
            "LEADS_MAX_BODY_MB": "2",
            "LEADS_RATE_LIMIT_PER_MINUTE": "0",
            "LEADS_SSO_NEW_USERS": " Viewer ",
            "LEADS_IMPORT_WORKERS": "3",
            "LEADS_WEBHOOKS_ALLOW_PRIVATE": "1",
            "LEADS_WEBHOOKS_WORKER": "0",
            "LEADS_ALLOWED_HOSTS": "Leads.Example.com, 192.0.2.10,[2001:db8::1],",
            "PATH": "/usr/bin",  # other variables are none of our business
        }
    )

    assert settings == Settings(
        database_url="postgresql+psycopg://leads:secret@db:5432/leads",
        phone_region="US",
        max_upload_bytes=25 * 1024 * 1024,
        max_import_rows=500,
        sqlite_busy_timeout_ms=100,
        db_pool_size=20,
        db_max_overflow=0,
        max_body_bytes=2 * 1024 * 1024,
        rate_limit_per_minute=0,
        import_workers=3,
        allowed_hosts=("leads.example.com", "192.0.2.10", "2001:db8::1"),
        sso_new_users="viewer",
        webhooks_allow_private=True,
        webhooks_worker=False,
    )


def test_relative_sqlite_path_is_resolved_against_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    settings = load_settings({"DATABASE_URL": "sqlite:///var/other.db"})

    assert settings.database_url == f"sqlite:///{ROOT}/var/other.db"
    assert settings.database_url == "sqlite:///" + str(ROOT / "var" / "other.db")


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////tmp/leads/absolute.db",
        "sqlite:///:memory:",
        "sqlite://",
        "postgresql://localhost/leads",
        "postgresql+psycopg://u:p@localhost:5433/leads?sslmode=require",
    ],
)
def test_urls_kept_as_given(url: str) -> None:
    assert load_settings({"DATABASE_URL": url}).database_url == url


@pytest.mark.parametrize(
    "url",
    ["mysql://root@localhost/leads", "postgres://u@h/db", "leads.db", "", "http://example.com"],
)
def test_unsupported_database_url(url: str) -> None:
    with pytest.raises(ConfigError, match="^DATABASE_URL must be a sqlite:/// or postgresql"):
        load_settings({"DATABASE_URL": url})


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("LEADS_MAX_UPLOAD_MB", "ten", "LEADS_MAX_UPLOAD_MB must be a whole number, got 'ten'"),
        ("LEADS_MAX_UPLOAD_MB", "1.5", "LEADS_MAX_UPLOAD_MB must be a whole number, got '1.5'"),
        ("LEADS_MAX_UPLOAD_MB", "0", "LEADS_MAX_UPLOAD_MB must be greater than 0, got 0"),
        ("LEADS_MAX_IMPORT_ROWS", "", "LEADS_MAX_IMPORT_ROWS must be a whole number, got ''"),
        ("LEADS_MAX_IMPORT_ROWS", "-5", "LEADS_MAX_IMPORT_ROWS must be greater than 0, got -5"),
        (
            "LEADS_SQLITE_BUSY_TIMEOUT_MS",
            "5s",
            "LEADS_SQLITE_BUSY_TIMEOUT_MS must be a whole number, got '5s'",
        ),
        ("LEADS_DB_POOL_SIZE", "0", "LEADS_DB_POOL_SIZE must be greater than 0, got 0"),
        ("LEADS_DB_MAX_OVERFLOW", "-1", "LEADS_DB_MAX_OVERFLOW must be 0 or more, got -1"),
    ],
)
def test_bad_numbers(env: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({env: value})

    assert str(raised.value) == message


@pytest.mark.parametrize("region", ["ZZ", "France", "", "F R"])
def test_bad_phone_region(region: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"LEADS_PHONE_REGION": region})

    assert str(raised.value) == (
        f"LEADS_PHONE_REGION must be a region code such as FR or US, got {region!r}"
    )


def test_import_workers_default_to_the_cpus_this_process_may_use() -> None:
    assert load_settings({"LEADS_IMPORT_WORKERS": "0"}).import_workers == available_cpus()
    assert load_settings({"LEADS_IMPORT_WORKERS": "1"}).import_workers == 1
    with pytest.raises(ConfigError, match="LEADS_IMPORT_WORKERS must be 0 or more, got -1"):
        load_settings({"LEADS_IMPORT_WORKERS": "-1"})


@pytest.mark.parametrize(
    "value", ["https://leads.example.com", "leads.example.com:443", "*", "*.example.com", "a b"]
)
def test_allowed_hosts_are_names_only(value: str) -> None:
    with pytest.raises(
        ConfigError, match="^LEADS_ALLOWED_HOSTS must be comma-separated host names"
    ):
        load_settings({"LEADS_ALLOWED_HOSTS": value})


def test_unknown_leads_variables_are_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"LEADS_MAX_UPLOAD": "10", "LEADS_REGION": "FR", "OTHER_THING": "1"})

    assert str(raised.value) == (
        "unknown setting(s) LEADS_MAX_UPLOAD, LEADS_REGION; known: DATABASE_URL, "
        "LEADS_ALLOWED_HOSTS, LEADS_AUTH_FAILURE_LIMIT, LEADS_DB_MAX_OVERFLOW, LEADS_DB_POOL_SIZE, "
        "LEADS_IMPORT_WORKERS, LEADS_MAX_BODY_MB, LEADS_MAX_IMPORT_ROWS, LEADS_MAX_UPLOAD_MB, LEADS_PHONE_REGION, "
        "LEADS_RATE_LIMIT_PER_MINUTE, LEADS_SQLITE_BUSY_TIMEOUT_MS, LEADS_SSO_NEW_USERS, "
        "LEADS_WEBHOOKS_ALLOW_PRIVATE, LEADS_WEBHOOKS_WORKER"
    )


def test_the_retired_dashboard_password_is_refused_with_the_way_to_upgrade() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"LEADS_DASHBOARD_PASSWORD": "correct horse"})

    assert str(raised.value) == (
        "LEADS_DASHBOARD_PASSWORD is retired: create users with `python -m leads_core "
        "create-user EMAIL --name NAME --role admin`; see README 'Upgrading: from the dashboard "
        "password to users'"
    )
    assert "correct horse" not in str(raised.value)


@pytest.mark.parametrize("value", ["refuse", "viewer", "VIEWER"])
def test_sso_new_users(value: str) -> None:
    assert load_settings({"LEADS_SSO_NEW_USERS": value}).sso_new_users == value.lower()
    assert load_settings({}).sso_new_users == "refuse"


def test_sso_new_users_refuses_other_roles() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"LEADS_SSO_NEW_USERS": "admin"})

    assert str(raised.value) == "LEADS_SSO_NEW_USERS must be refuse or viewer, got 'admin'"


def test_process_environment_is_read_when_none_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADS_MAX_IMPORT_ROWS", "7")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///:memory:")

    settings = load_settings()

    assert (settings.max_import_rows, settings.database_url) == (7, "sqlite:///:memory:")
    monkeypatch.setenv("LEADS_TYPO", "1")
    with pytest.raises(ConfigError, match="unknown setting\\(s\\) LEADS_TYPO"):
        load_settings()
