"""tests.support.pgcluster: the throwaway PostgreSQL server the tests and benchmarks start."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import NullPool, create_engine, text

from tests.support import pgcluster


def test_missing_server_programs_are_an_error_that_says_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pgcluster.glob, "glob", lambda _pattern: [])
    monkeypatch.setattr(pgcluster.shutil, "which", lambda _name: None)
    with pytest.raises(pgcluster.PostgresUnavailable, match="apt-get install -y postgresql"):
        pgcluster.find_bindir()


def test_the_newest_installed_version_is_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    found = ["/usr/lib/postgresql/9/bin/initdb", "/usr/lib/postgresql/15/bin/initdb"]
    monkeypatch.setattr(pgcluster.glob, "glob", lambda _pattern: found)
    assert str(pgcluster.find_bindir()) == "/usr/lib/postgresql/15/bin"


@pytest.mark.postgresql_only
def test_a_cluster_serves_on_loopback_and_stop_removes_everything() -> None:
    cluster = pgcluster.start_cluster()
    try:
        pid = cluster.pid
        assert pid is not None and os.path.exists(f"/proc/{pid}")
        engine = create_engine(cluster.url(), poolclass=NullPool)
        with engine.connect() as connection:
            assert connection.execute(text("SHOW listen_addresses")).scalar() == "127.0.0.1"
            assert connection.execute(text("SHOW fsync")).scalar() == "off"
            assert connection.execute(text("SELECT current_user")).scalar() == "postgres"
        engine.dispose()
        if os.geteuid() == 0:  # initdb refuses root: the server runs as postgres
            assert cluster.run_as == "postgres"
            assert cluster.data.stat().st_uid != 0
    finally:
        cluster.stop()
    assert not cluster.root.exists()
    assert not os.path.exists(f"/proc/{pid}") or _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "Z"
    except FileNotFoundError:
        return True
