"""Bulk changes to every lead matching a list's filters ("all 12,345 matching"), in batches.

Each batch is a page of matching ids in id order, after the last id of the previous batch
(keyset: a change that takes a lead out of the filters, such as a new status when the list
is filtered by status, moves no other lead in or out of the batches still to come), handed
to the per-id functions of :mod:`leads_core.services.leads`, which write the history entries
and commit; memory stays flat however many leads match."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from leads_core.errors import LeadsError, ValidationFailed
from leads_core.schemas import LeadUpdate
from leads_core.services import leads, queries, users
from leads_core.services.queries import LeadFilters
from leads_core.storage.models import Lead

BATCH = 500


def matching_ids(
    session: Session, filters: LeadFilters, *, batch: int = BATCH
) -> Iterator[list[str]]:
    """The ids of the leads matching ``filters``, ``batch`` at a time, in id order; each
    batch is read when the previous one has been used (changed, deleted)."""
    queries.validate_filters(session, filters)
    after: str | None = None
    while True:
        statement = select(Lead.id).where(*queries.filter_clauses(filters))
        if after is not None:
            statement = statement.where(col(Lead.id) > after)
        ids = list(session.exec(statement.order_by(col(Lead.id)).limit(batch)))
        if not ids:
            return
        yield ids
        if len(ids) < batch:
            return
        after = ids[-1]


def _each_batch(
    session: Session, filters: LeadFilters, change: Callable[[Sequence[str]], int], batch: int
) -> int:
    return sum(change(ids) for ids in matching_ids(session, filters, batch=batch))


def set_status_matching(
    session: Session,
    filters: LeadFilters,
    status: str,
    *,
    actor: str | None = None,
    batch: int = BATCH,
) -> int:
    """Move every lead matching ``filters`` to ``status``; how many changed."""
    return _each_batch(
        session, filters, lambda ids: leads.set_status(session, ids, status, actor=actor), batch
    )


def set_owner_matching(
    session: Session,
    filters: LeadFilters,
    owner_id: str | None,
    *,
    actor: str | None = None,
    batch: int = BATCH,
) -> int:
    """Give every lead matching ``filters`` to ``owner_id`` (None: unassigned); how many
    changed. An unknown or disabled owner is refused (422) before any change."""
    return _each_batch(
        session, filters, lambda ids: leads.set_owner(session, ids, owner_id, actor=actor), batch
    )


def delete_matching(session: Session, filters: LeadFilters, *, batch: int = BATCH) -> int:
    """Delete every lead matching ``filters`` with its history; how many were deleted."""
    return _each_batch(session, filters, lambda ids: leads.delete_leads(session, ids), batch)


@dataclass(frozen=True)
class Outcome:
    """One lead's result of :func:`update_each`: the lead as changed, or the error."""

    lead_id: str
    lead: Lead | None = None
    error: LeadsError | None = None


def update_each(
    session: Session,
    lead_ids: Sequence[str],
    changes: LeadUpdate,
    *,
    region: str,
    actor: str | None = None,
    expected: Mapping[str, int | None] | None = None,
) -> list[Outcome]:
    """Apply ``changes`` to each lead through :func:`leads.update_lead` (its history,
    re-score and checks; one commit per lead), in order: a lead that cannot be changed (404,
    409, 412, 422) is reported and the others are still changed. ``expected``: lead id ->
    the version it must be at (its ``If-Match``). Changes invalid whatever the lead are
    refused (422) before any lead is changed."""
    check_changes(session, changes, lead_ids)
    if stray := sorted(set(expected or {}) - set(lead_ids)):
        raise ValidationFailed(
            f"ifMatch: {stray[0]!r} is not one of ids; give a version for the leads changed",
            details=[{"field": "ifMatch", "location": "body", "message": "not in ids"}],
        )
    outcomes = []
    for lead_id in lead_ids:
        try:
            lead = leads.update_lead(
                session,
                lead_id,
                changes,
                region=region,
                actor=actor,
                expected_version=(expected or {}).get(lead_id),
            )
        except LeadsError as error:
            session.rollback()
            outcomes.append(Outcome(lead_id, error=error))
        else:
            outcomes.append(Outcome(lead_id, lead=lead))
    return outcomes


def check_changes(session: Session, changes: LeadUpdate, lead_ids: Sequence[str]) -> None:
    """422 for what would fail on every lead: a null status, an owner that is no enabled
    user, an id named twice."""
    values = changes.model_dump(exclude_unset=True)
    if "status" in values and values["status"] is None:
        raise ValidationFailed("status: cannot be null", details=[{"field": "status"}])
    if "owner_id" in values:
        users.check_owner(session, values["owner_id"], "ownerId")
    if repeated := [i for i, count in Counter(lead_ids).items() if count > 1]:
        raise ValidationFailed(
            f"ids: {repeated[0]!r} is named more than once; name each lead once",
            details=[{"field": "ids", "location": "body", "message": "repeated id"}],
        )
