"""Versioned rows (leads, tasks): the ``If-Match`` check and the retry of a write that lost
a race, shared by the services that edit them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from leads_core.errors import Conflict, PreconditionFailed

T = TypeVar("T")
EDIT_ATTEMPTS = 3


def check_version(what: str, row_id: str, expected: int | None, current: int) -> None:
    """412 when a client's ``If-Match`` (``expected``) is not the row's ``current`` version."""
    if expected is not None and current != expected:
        raise PreconditionFailed(
            f"{what} {row_id} was changed by someone else since you read it (you sent version "
            f"{expected}, it is now at {current}); read it again and redo your change",
            details=[{"field": "If-Match", "message": f"current version is {current}"}],
        )


def write_again_if_raced(session: Session, what: str, write: Callable[[], T]) -> T:
    """Run ``write`` (read the row, change it, commit) again when another writer changed
    the row between our read and our commit: the version counter made our UPDATE or DELETE
    match nothing. The next attempt reads their change; one with an expected version then
    answers 412, as it would have had it come a moment later. 409 after ``EDIT_ATTEMPTS``."""
    for attempt in range(1, EDIT_ATTEMPTS + 1):
        try:
            return write()
        except StaleDataError:
            session.rollback()
            if attempt == EDIT_ATTEMPTS:
                raise Conflict(
                    f"the {what} is being changed by others right now; try again"
                ) from None
    raise AssertionError("unreachable")  # pragma: no cover
