"""Who may reach the dashboard before anyone signs in (dashboard/exposure.py), without a
server: which addresses only this machine reaches, the refusal while no user exists, and
the retired password in Streamlit's secrets. tests/e2e/test_exposure.py runs real servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1.util import patch_config_options

from dashboard import exposure
from leads_core.access import Role
from leads_core.config import ConfigError, get_settings
from leads_core.services import users
from leads_core.storage import db

REFUSAL = [
    "Not starting: server.address is {address}, which other machines can reach, and the "
    "workspace has no user yet, so nobody would have to sign in.",
    "python -m leads_core create-user EMAIL --name NAME --role admin",
    "or keep the default address 127.0.0.1",
    'See README.md, "Users and sign-in".',
]


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),  # Streamlit binds every interface
        (None, False),
        ("192.168.1.10", False),
        ("leads.example.com", False),
    ],
)
def test_which_addresses_only_this_machine_reaches(address: str | None, loopback: bool) -> None:
    assert exposure.is_loopback(address) is loopback


def test_a_user_allows_any_address() -> None:
    assert exposure.exposure_problem("0.0.0.0", True) is None
    assert exposure.exposure_problem("127.0.0.1", False) is None
    problem = exposure.exposure_problem("0.0.0.0", False)
    assert problem is not None
    assert [line.format(address="0.0.0.0") in problem for line in REFUSAL] == [True] * 4
    assert "(empty: every interface)" in (exposure.exposure_problem("", False) or "")


def test_the_start_looks_for_users_in_the_configured_database(
    monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    try:
        with patch_config_options({"server.address": "0.0.0.0", "secrets.files": []}):
            with pytest.raises(SystemExit) as refused:
                exposure.refuse_unprotected_exposure()
            assert str(refused.value).startswith(REFUSAL[0].format(address="0.0.0.0"))
            with db.session_scope() as session:
                users.create_user(session, email="a@b.co", name="A", role=Role.ADMIN)
            exposure.refuse_unprotected_exposure()  # returns: someone must sign in now
    finally:
        db.get_engine().dispose()
        db.get_engine.cache_clear()
        get_settings.cache_clear()


def test_the_retired_password_variable_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADS_DASHBOARD_PASSWORD", "correct horse")
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as refused:
            exposure.refuse_unprotected_exposure()
    finally:
        monkeypatch.delenv("LEADS_DASHBOARD_PASSWORD")
        get_settings.cache_clear()
    assert str(refused.value).startswith("Not starting: LEADS_DASHBOARD_PASSWORD is retired")
    assert "correct horse" not in str(refused.value)


@pytest.fixture
def secrets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """st.secrets read from this (not yet written) file alone."""
    path = tmp_path / "secrets.toml"
    secrets = Secrets()
    monkeypatch.setattr(st, "secrets", secrets)
    with patch_config_options({"secrets.files": [str(path)]}):
        yield path
    secrets._reset()  # Streamlit put root-level secrets in os.environ; take them out


def test_no_secrets_file_is_fine_and_no_warning(
    secrets_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    exposure.refuse_retired_secret()
    assert [r.getMessage() for r in caplog.records if r.levelname != "DEBUG"] == []


def test_the_retired_password_in_secrets_is_refused(secrets_file: Path) -> None:
    secrets_file.write_text('dashboard_password = "hunter2 hunter2"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        exposure.refuse_retired_secret()
    assert str(raised.value) == (
        "dashboard_password in .streamlit/secrets.toml is retired: create users with "
        "`python -m leads_core create-user EMAIL --name NAME --role admin`; see README "
        "'Upgrading: from the dashboard password to users'; then delete dashboard_password "
        "from secrets.toml"
    )
    assert "hunter2" not in str(raised.value)


def test_unreadable_secrets_stop_the_start(secrets_file: Path) -> None:
    secrets_file.write_text('dashboard_password = "unterminated\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read Streamlit's secrets"):
        exposure.refuse_retired_secret()
