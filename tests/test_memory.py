"""leads_core.memory and sql.shrink_memory: what an import does once it is over."""

from __future__ import annotations

import platform

import pytest
from sqlmodel import Session

from leads_core import memory
from leads_core.storage import sql


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_free_memory_is_given_back_through_glibcs_malloc_trim() -> None:
    assert memory._libc() is not None
    assert memory.release_free_memory() is None  # and it does not fail when called again
    assert memory.release_free_memory() is None


def test_shrinking_sqlites_page_cache_leaves_no_transaction_open(
    session: Session, engine_name: str
) -> None:
    session.execute(sql.text("SELECT 1"))
    session.commit()

    sql.shrink_memory(session)

    assert not session.in_transaction()
    if engine_name == "sqlite":  # the connection still works, its cache empty
        assert session.execute(sql.text("PRAGMA cache_size")).scalar_one() == -65536
