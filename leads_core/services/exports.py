"""The API's CSV export of every lead a list's filters match (``GET /v1/leads/export.csv``),
streamed: the columns and cells of the dashboard's export (``leads_core.files.export``),
read in one transaction of its own (one snapshot of the leads, whatever is written
meanwhile), in two passes: the attribute columns first (one small column), then the leads,
in batches. Memory stays flat however many leads match."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from leads_core.files import export
from leads_core.services import campaigns, queries
from leads_core.services.filtering import LeadFilters
from leads_core.storage.models import Lead

BATCH = 1000


def csv_chunks(
    engine: Engine, *, filters: LeadFilters, sort: str | None, batch: int = BATCH
) -> Iterator[bytes]:
    """The CSV file's bytes, chunk by chunk. Opens its own session: the request's is closed
    by the time the response streams."""
    with Session(engine) as session, session.begin():
        yield from csv_of(session, filters=filters, sort=sort, batch=batch)


def csv_of(
    session: Session, *, filters: LeadFilters, sort: str | None, batch: int = BATCH
) -> Iterator[bytes]:
    found = attributes(session, filters=filters, sort=sort, batch=batch)
    keys = export.attribute_names(found)
    leads = queries.iter_leads(session, filters=filters, sort=sort, batch=batch)
    yield from export.stream_leads_csv(
        _forgotten(session, leads),
        attribute_keys=keys,
        campaign_names=campaigns.names(session),
    )


def attributes(
    session: Session, *, filters: LeadFilters, sort: str | None, batch: int = BATCH
) -> Iterator[Mapping[str, str] | None]:
    """The ``attributes`` of every lead matching ``filters``, in ``sort`` order (the
    columns come in the order first met, as in the dashboard's export)."""
    statement = (
        select(Lead.attributes)
        .where(*queries.filter_clauses(filters))
        .order_by(*queries.parse_sort(sort))
        .execution_options(yield_per=batch)
    )
    yield from session.exec(statement)


def _forgotten(session: Session, leads: Iterator[Lead]) -> Iterator[Lead]:
    """The leads, each let go by the session once written."""
    for lead in leads:
        yield lead
        session.expunge(lead)
