"""Who may reach the dashboard (dashboard/exposure.py), without a server: which
addresses only this machine reaches, and where the password comes from (the environment,
else Streamlit's secrets). tests/e2e/test_exposure.py runs real servers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1.util import patch_config_options

from dashboard import exposure
from leads_core.config import ConfigError, get_settings

REFUSAL = [
    "Not starting: server.address is {address}, which other machines can reach, and the "
    "dashboard has no password.",
    "Either set LEADS_DASHBOARD_PASSWORD (or dashboard_password in .streamlit/secrets.toml)",
    "or keep the default address 127.0.0.1",
    'See README.md, "Exposing the server".',
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


def test_a_password_allows_any_address() -> None:
    assert exposure.exposure_problem("0.0.0.0", "s3cret") is None
    assert exposure.exposure_problem("127.0.0.1", None) is None
    problem = exposure.exposure_problem("0.0.0.0", None)
    assert problem is not None
    assert [line in problem for line in REFUSAL[1:]] == [True] * 3
    assert "(empty: every interface)" in (exposure.exposure_problem("", None) or "")


@pytest.fixture
def secrets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """st.secrets read from this (not yet written) file alone; no LEADS_DASHBOARD_PASSWORD."""
    monkeypatch.delenv("LEADS_DASHBOARD_PASSWORD", raising=False)
    get_settings.cache_clear()
    path = tmp_path / "secrets.toml"
    secrets = Secrets()
    monkeypatch.setattr(st, "secrets", secrets)
    with patch_config_options({"secrets.files": [str(path)]}):
        yield path
    secrets._reset()  # Streamlit put root-level secrets in os.environ; take them out
    get_settings.cache_clear()


def test_no_secrets_file_is_no_password_and_no_warning(
    secrets_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert exposure.dashboard_password() is None
    assert [r.getMessage() for r in caplog.records if r.levelname != "DEBUG"] == []


def test_the_password_from_secrets(secrets_file: Path) -> None:
    secrets_file.write_text('dashboard_password = "from secrets"\n', encoding="utf-8")
    assert exposure.dashboard_password() == "from secrets"


def test_the_environment_wins_over_secrets(
    secrets_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets_file.write_text('dashboard_password = "from secrets"\n', encoding="utf-8")
    monkeypatch.setenv("LEADS_DASHBOARD_PASSWORD", "from env")
    get_settings.cache_clear()
    assert exposure.dashboard_password() == "from env"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('dashboard_password = "unterminated\n', "cannot read Streamlit's secrets"),
        ("dashboard_password = 1234\n", "dashboard_password in Streamlit's secrets must be"),
    ],
)
def test_unreadable_secrets_stop_rather_than_leave_the_dashboard_open(
    secrets_file: Path, content: str, message: str
) -> None:
    secrets_file.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        exposure.dashboard_password()
    assert "1234" not in str(raised.value)  # the value itself is never in a message
