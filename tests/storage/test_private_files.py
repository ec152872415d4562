"""The SQLite database is private: its folder and file are created 0700 / 0600 whatever the
umask, SQLite's -wal and -shm follow the file, and an existing file loses others' access."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from leads_core.storage.db import make_engine, make_private_sqlite_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """umask 000, the worst case: anything not set explicitly would be world-writable."""
    before = os.umask(0)
    try:
        yield
    finally:
        os.umask(before)


def test_a_new_database_and_its_folders_are_private(tmp_path: Path, open_umask: None) -> None:
    database = tmp_path / "data" / "nested" / "leads.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:  # WAL: the -wal and -shm files appear
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
            assert mode(database.with_name("leads.db-wal")) == 0o600
            assert mode(database.with_name("leads.db-shm")) == 0o600
    finally:
        engine.dispose()
    assert mode(tmp_path / "data") == 0o700
    assert mode(tmp_path / "data" / "nested") == 0o700
    assert mode(database) == 0o600
    assert mode(tmp_path) == stat.S_IMODE(tmp_path.stat().st_mode)  # not ours: untouched


def test_an_existing_folder_keeps_its_mode(tmp_path: Path, open_umask: None) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    make_private_sqlite_file(shared / "leads.db")
    assert mode(shared) == 0o755
    assert mode(shared / "leads.db") == 0o600
    assert (shared / "leads.db").stat().st_size == 0  # an empty file is an empty database


def test_an_existing_database_loses_group_and_others_access(tmp_path: Path) -> None:
    database = tmp_path / "leads.db"
    database.write_bytes(b"")
    database.chmod(0o664)
    wal = tmp_path / "leads.db-wal"
    wal.write_bytes(b"")
    wal.chmod(0o644)
    make_private_sqlite_file(database)
    assert (mode(database), mode(wal)) == (0o600, 0o600)

    read_only = tmp_path / "read-only.db"
    read_only.write_bytes(b"")
    read_only.chmod(0o444)
    make_private_sqlite_file(read_only)
    assert mode(read_only) == 0o400  # the owner's own bits are the owner's choice
