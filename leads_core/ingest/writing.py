"""Inside an import's write transaction: its prepared rows matched against the leads the
campaign already has (each a duplicate to skip or merge into, or new), the new ones
inserted in one statement, and their "created" history written by the database.

``ingest.importing`` opens and commits the transaction around these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import literal
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from leads_core.clock import iso_utc, utcnow
from leads_core.identity import identity_keys
from leads_core.ids import new_ids
from leads_core.ingest import prepare
from leads_core.ingest.options import Imported, ImportOptions, ImportOutcome
from leads_core.scoring.criteria import CampaignCriteria
from leads_core.services import leads
from leads_core.storage import sql
from leads_core.storage.models import Lead, LeadActivity
from leads_core.webhooks import events


@dataclass
class Context:
    """One request: its options, the criteria its rows were scored with, its batch id."""

    session: Session
    options: ImportOptions
    criteria: CampaignCriteria
    batch_id: str
    timestamps: Sequence[datetime] | None
    hooks: events.Hooks | None = None  # in the write transaction, unless a dry run


def _lookup(session: Session, campaign_id: str, column: Any, keys: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(keys), 900):
        part = keys[start : start + 900]
        rows = session.exec(
            select(column, Lead.id).where(Lead.campaign_id == campaign_id, col(column).in_(part))
        ).all()
        found.update({key: lead_id for key, lead_id in rows})
    return found


@dataclass(frozen=True)
class _Stored:
    """Identity keys already in the campaign -> lead id."""

    by_email: dict[str, str]
    by_linkedin: dict[str, str]

    @classmethod
    def load(
        cls, session: Session, campaign_id: str, keys: Sequence[tuple[str | None, str | None]]
    ) -> _Stored:
        """``keys``: (email key, LinkedIn key) pairs."""
        return cls(
            _lookup(session, campaign_id, Lead.email_key, [e for e, _ in keys if e]),
            _lookup(session, campaign_id, Lead.linkedin_key, [li for _, li in keys if li]),
        )

    def match(self, email: str | None, linkedin: str | None) -> str | None:
        return self.by_email.get(email or "") or self.by_linkedin.get(linkedin or "")


def _identity_taken(ctx: Context, name: str, value: str) -> bool:
    """Is this email / LinkedIn URL already used by a lead of the campaign?"""
    keys = identity_keys(value, None) if name == "email" else identity_keys(None, value)
    pair = (keys.email, keys.linkedin)
    return _Stored.load(ctx.session, ctx.options.campaign_id, [pair]).match(*pair) is not None


class Turns:
    """The import's owners, taken in turn: each lead the import gives an owner gets the
    next one (so their counts differ by at most one)."""

    def __init__(self, owners: Sequence[str]) -> None:
        self.owners = tuple(owners)
        self.taken = 0

    def next(self) -> str | None:
        if not self.owners:
            return None
        owner = self.owners[self.taken % len(self.owners)]
        self.taken += 1
        return owner


def _merge_into(
    ctx: Context, lead_id: str, values: dict[str, Any], outcome: ImportOutcome, turns: Turns
) -> None:
    """``onDuplicate=update``: copy the new non-empty fields onto the stored lead.

    The identity fields (email, LinkedIn URL) that matched are never overwritten; an empty
    one is filled unless another lead of the campaign already uses that value. So is the
    owner: a lead without one gets the import's next owner, an owned lead keeps its own."""
    lead = ctx.session.get(Lead, lead_id)
    if lead is None:  # deleted by another request since _Stored.load found it: the write
        # is rolled back and run again (importing._write_with_retries), and then stores the row as new
        raise StaleDataError(f"lead {lead_id} was deleted during the import")
    if lead.owner_id is None and turns.owners:
        values = {**values, "owner_id": turns.next()}
    if values.get("attributes"):  # the file's attributes added to the lead's own
        values = {**values, "attributes": {**(lead.attributes or {}), **values["attributes"]}}
    changes = {
        name: value
        for name, value in values.items()
        if value not in (None, "") and name != "status" and getattr(lead, name) != value
    }
    for name in ("email", "linkedin_url"):
        if name in changes and (getattr(lead, name) or _identity_taken(ctx, name, changes[name])):
            del changes[name]
    if changes:
        hooks = ctx.hooks if ctx.hooks and ctx.hooks.any_lead_change else None
        watched = (*changes, "quality_score")
        before = events.snapshot(lead, watched) if hooks else {}
        ctx.session.add_all(
            leads.apply_changes(
                lead,
                changes,
                criteria=ctx.criteria,
                score=ctx.options.auto_score or lead.quality_score is not None,
                region=ctx.options.region,
                actor=ctx.options.actor,
            )
        )
        if hooks:
            hooks.updated(lead, events.changes_of(before, events.snapshot(lead, watched)))
    outcome.updated += 1
    outcome.leads.append(Imported(lead.id, lead.quality_score, lead.status))


INSERTED = (
    *("id", "campaign_id", "import_id", "owner_id", "created_at", "updated_at"),
    "last_activity_at",
    *prepare.COLUMNS,
)
"""The columns of the import's bulk insert: what the importer adds, then a prepared row."""
CELL_LEADS = events.CellLeads(prepare.COLUMNS)


def match_and_insert(ctx: Context, fresh: list[prepare.Ready], outcome: ImportOutcome) -> None:
    """Inside the write transaction: each fresh row matched against the campaign's stored
    leads (skipped or merged), the others inserted in one bulk statement."""
    session, options = ctx.session, ctx.options
    stored = _Stored.load(session, options.campaign_id, [(e, li) for _, _, e, li, _ in fresh])
    update, dry_run = options.on_duplicate == "update", options.dry_run
    turns = Turns(options.owners)
    # (id, owner, created, cells): the rows to insert
    new: list[tuple[str, str | None, Any, tuple[Any, ...]]] = []
    ids = new_ids("lead", len(fresh))
    to_driver = sql.driver_value(session, Lead.created_at)
    started = utcnow()
    now, now_text = to_driver(started), iso_utc(started)
    hooks = ctx.hooks if ctx.hooks and ctx.hooks.wants(events.CREATED) else None
    stamps: list[str] = []  # with ``timestamps``: the new leads' creation times as JSON
    for (index, number, email, linkedin, cells), lead_id in zip(fresh, ids, strict=True):
        match = stored.match(email, linkedin)
        if match:
            outcome.existing(number, match, update=update)
            if update and dry_run:
                outcome.updated += 1
            elif update:
                _merge_into(ctx, match, prepare.fields_of(cells), outcome, turns)
            continue
        if dry_run:
            outcome.imported += 1
            continue
        owner = turns.next()
        at = now if ctx.timestamps is None else to_driver(ctx.timestamps[index])
        new.append((lead_id, owner, at, cells))
        if hooks and ctx.timestamps is not None:
            stamps.append(iso_utc(ctx.timestamps[index]))
        outcome.leads.append(Imported(lead_id, cells[prepare.SCORE], cells[prepare.STATUS]))
    # The insert's rows are made as the driver takes them, not kept: 20 MB for 60,000 rows.
    campaign_id, batch_id = options.campaign_id, ctx.batch_id
    rows = ((i, campaign_id, batch_id, owner, at, at, at, *cells) for i, owner, at, cells in new)
    ids = [lead_id for lead_id, _, _, _ in new]
    written = sql.insert_rows(session, sql.table_of(Lead), INSERTED, rows, ids)
    lost = set(ids) - written  # stored by a concurrent import first
    if lost:
        outcome.leads = [lead for lead in outcome.leads if lead.id not in lost]
    if hooks:  # their JSON made from the cells a batch at a time, not kept
        created = (
            CELL_LEADS.lead(i, campaign_id, owner, stamps[n] if stamps else now_text, cells)
            for n, (i, owner, _, cells) in enumerate(new)
            if i not in lost
        )
        hooks.created(created, batch_id)
    outcome.imported += len(written)
    outcome.skipped += len(lost)
    outcome.owner_turns = turns.taken


def record_created(ctx: Context) -> None:
    """One "created" history entry per new lead, written by the database in one statement."""
    table = sql.table_of(LeadActivity)
    source = select(
        col(Lead.id), literal("created"), literal(ctx.options.actor), col(Lead.created_at)
    ).where(col(Lead.import_id) == ctx.batch_id)
    ctx.session.execute(
        table.insert().from_select(["lead_id", "kind", "actor", "created_at"], source)
    )
