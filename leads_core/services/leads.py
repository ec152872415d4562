"""Lead edits: read one lead, change its fields (re-scored when a scored field changes),
add notes, change statuses, delete; each write records the lead's history and refuses
(412) or retries a write that raced another."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlmodel import Session, col, delete, or_, select, update

from leads_core import fields
from leads_core.clock import utcnow
from leads_core.errors import Conflict, NotFound, ValidationFailed
from leads_core.fields import LEAD_STATUSES
from leads_core.identity import NEEDS_IDENTITY, IdentityKeys, identity_keys
from leads_core.schemas import LeadDetail, LeadPublic, LeadUpdate
from leads_core.scoring.assess import assess, search_text
from leads_core.scoring.criteria import CampaignCriteria
from leads_core.services import campaigns, users, versions
from leads_core.storage.models import Lead, LeadActivity
from leads_core.text import drop_nul
from leads_core.webhooks.events import Hooks, changes_of, snapshot


def get_lead(session: Session, lead_id: str, *, expected_version: int | None = None) -> Lead:
    """The lead; with ``expected_version`` (a client's ``If-Match``), 412 unless the lead is
    still at that version."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id!r} not found")
    versions.check_version("lead", lead_id, expected_version, lead.version)
    return lead


def _write_again_if_raced(session: Session, write: Callable[[], versions.T]) -> versions.T:
    return versions.write_again_if_raced(session, "lead", write)


def _activity_for_changes(
    lead_id: str, before: dict[str, Any], after: dict[str, Any], actor: str | None
) -> list[LeadActivity]:
    entries = []
    now = utcnow()
    for name, new in after.items():
        old = before[name]
        if old == new:
            continue
        kind = {"status": "status_change", "notes": "note"}.get(name, "field_change")
        entries.append(
            LeadActivity(
                lead_id=lead_id,
                kind=kind,
                field=to_camel(name),
                old_value=_history_text(old),
                new_value=_history_text(new),
                actor=actor,
                created_at=now,
            )
        )
    return entries


def _history_text(value: Any) -> str | None:
    if value is None:
        return None
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)
    return text[: fields.LONGEST]


def update_lead(
    session: Session,
    lead_id: str,
    changes: LeadUpdate,
    *,
    region: str,
    actor: str | None = None,
    expected_version: int | None = None,
) -> Lead:
    """Apply the fields present in ``changes``; re-score when a scored field changed.

    With ``expected_version``, refuse (412) when the lead has been changed since."""
    return _write_again_if_raced(
        session, lambda: _update_once(session, lead_id, changes, region, actor, expected_version)
    )


def _update_once(
    session: Session,
    lead_id: str,
    changes: LeadUpdate,
    region: str,
    actor: str | None,
    expected_version: int | None,
) -> Lead:
    lead = get_lead(session, lead_id, expected_version=expected_version)
    hooks = Hooks(session)  # before any change: the query must not flush one
    values = changes.model_dump(exclude_unset=True)
    if "status" in values and values["status"] is None:
        raise ValidationFailed("status: cannot be null", details=[{"field": "status"}])
    values = {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}
    changed = {k: v for k, v in values.items() if getattr(lead, k) != v}
    if not changed:
        return lead
    if "owner_id" in changed:  # 422 for an unknown or disabled user
        users.check_owner(session, changed["owner_id"], "ownerId")
    if IDENTITY.intersection(changed):
        after = {name: changed.get(name, getattr(lead, name)) for name in IDENTITY}
        keys = identity_keys(after["email"], after["linkedin_url"])
        if keys.empty:
            raise ValidationFailed(
                NEEDS_IDENTITY,
                details=[{"field": "email", "message": "email or linkedinUrl is required"}],
            )
        _check_identity_free(session, lead, keys)
    campaign = campaigns.get_campaign(session, lead.campaign_id)
    watched = (*changed, "quality_score")
    before = snapshot(lead, watched)
    with session.no_autoflush:  # a duplicate email must surface at commit, as a 409
        history = apply_changes(
            lead,
            changed,
            criteria=campaigns.scoring_criteria(campaign),
            score=lead.quality_score is not None,
            region=region,
            actor=actor,
        )
        hooks.updated(lead, changes_of(before, snapshot(lead, watched)))
        session.add(lead)
        session.add_all(history)
        hooks.write()
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            "another lead in this campaign already has this email or LinkedIn URL",
            details=[{"field": "email", "message": "duplicate in campaign"}],
        ) from None
    return _reread(session, lead)


def _check_identity_free(session: Session, lead: Lead, keys: IdentityKeys) -> None:
    """409 naming the field when another lead of the campaign has this email / LinkedIn."""
    for field, label, column, key in (
        ("email", "email", Lead.email_key, keys.email),
        ("linkedinUrl", "LinkedIn URL", Lead.linkedin_key, keys.linkedin),
    ):
        if key is None:
            continue
        other = session.exec(
            select(Lead.id).where(
                Lead.campaign_id == lead.campaign_id, column == key, Lead.id != lead.id
            )
        ).first()
        if other:
            raise Conflict(
                f"another lead in this campaign ({other}) already has this {label}",
                details=[{"field": field, "message": "duplicate in campaign"}],
            )


IDENTITY = frozenset({"email", "linkedin_url"})
"""The fields a lead's identity keys (its duplicate check) are made of."""
DERIVED_FROM = tuple(dict.fromkeys((*fields.SCORED, *fields.SEARCHED, "attributes")))
"""What the score, the enrichment or the search text is made of: a change re-assesses."""


def scored_fields(lead: Lead) -> dict[str, Any]:
    return {name: getattr(lead, name) for name in DERIVED_FROM}


def apply_changes(
    lead: Lead,
    changed: dict[str, Any],
    *,
    criteria: CampaignCriteria,
    score: bool,
    region: str,
    actor: str | None,
) -> list[LeadActivity]:
    """Set ``changed`` (snake_case fields) on the lead, refresh its identity keys, and its
    enrichment and score when a scored field changed. Returns the history entries to add.

    Shared by edits (PATCH, dashboard) and ``onDuplicate=update`` imports."""
    before = {name: getattr(lead, name) for name in changed}
    for name, value in changed.items():
        setattr(lead, name, value)
    if IDENTITY.intersection(changed):
        # Otherwise the keys stay: an import may have keyed the lead by a value it kept in
        # the attributes, not in the field (``ingest.prepare``).
        keys = identity_keys(lead.email, lead.linkedin_url)
        lead.email_key, lead.linkedin_key = keys.email, keys.linkedin
    if any(name in DERIVED_FROM for name in changed):
        result = assess(scored_fields(lead), criteria, score=score, region=region)
        for name, value in result.columns().items():
            setattr(lead, name, value)
    lead.updated_at = lead.last_activity_at = utcnow()
    return _activity_for_changes(lead.id, before, changed, actor)


def touch(session: Session, lead_id: str, at: datetime) -> None:
    """Record that a person did something with the lead at ``at`` (a task added or done,
    a call logged) in its ``last_activity_at``, unless something later is there already.
    Not a change of the lead: its version stays (an open form can still be saved)."""
    last = col(Lead.last_activity_at)
    session.execute(
        update(Lead)
        .where(col(Lead.id) == lead_id, or_(last.is_(None), last < at))
        .values(last_activity_at=at)
        .execution_options(synchronize_session=False)
    )


MAX_NOTES = fields.BY_NAME["notes"].max_length


def add_note(session: Session, lead_id: str, text: str, *, actor: str | None = None) -> Lead:
    """Append a dated line to the lead's notes; the history records the note itself."""
    text = drop_nul(text).strip()
    if not text:
        raise ValidationFailed("note: write something", details=[{"field": "note"}])
    return _write_again_if_raced(session, lambda: _add_note_once(session, lead_id, text, actor))


def _add_note_once(session: Session, lead_id: str, text: str, actor: str | None) -> Lead:
    lead = get_lead(session, lead_id)
    hooks = Hooks(session)
    now = utcnow()
    line = f"[{now:%Y-%m-%d %H:%M} UTC] {text}"
    notes = f"{lead.notes}\n{line}" if lead.notes else line
    if len(notes) > MAX_NOTES:
        raise ValidationFailed(
            f"notes: at most {MAX_NOTES} characters; shorten the notes first",
            details=[{"field": "notes", "message": "too long"}],
        )
    before = snapshot(lead, ("notes",))
    lead.notes, lead.updated_at, lead.last_activity_at = notes, now, now
    lead.search_text = search_text(scored_fields(lead))
    hooks.updated(lead, changes_of(before, {"notes": notes}))
    hooks.write()
    session.add(lead)
    session.add(
        LeadActivity(
            lead_id=lead.id, kind="note", field="notes", new_value=text, actor=actor, created_at=now
        )
    )
    session.commit()
    return _reread(session, lead)


def _reread(session: Session, lead: Lead) -> Lead:
    """The lead as committed; 404 when another request deleted it right after our commit."""
    lead_id = session.identity_key(instance=lead)[1][0]  # lead.id would reload it too
    try:
        session.refresh(lead)
    except InvalidRequestError:
        raise NotFound(f"lead {lead_id!r} was deleted by someone else just now") from None
    return lead


def delete_lead(session: Session, lead_id: str, *, expected_version: int | None = None) -> None:
    """Delete the lead and its history; with ``expected_version``, only if still at it."""

    def delete_once() -> None:
        lead = get_lead(session, lead_id, expected_version=expected_version)
        hooks = Hooks(session)
        hooks.deleted(lead)
        hooks.write()
        session.delete(lead)
        session.commit()

    _write_again_if_raced(session, delete_once)


def delete_leads(session: Session, lead_ids: Sequence[str]) -> int:
    """Delete the given leads (their history goes with them); returns how many existed."""
    ids = list(dict.fromkeys(lead_ids))
    if not ids:
        return 0
    hooks = Hooks(session)
    deleted = hooks.delete(delete(Lead).where(col(Lead.id).in_(ids)))
    hooks.write()
    session.commit()
    return deleted


def set_status(
    session: Session, lead_ids: Sequence[str], status: str, *, actor: str | None = None
) -> int:
    """Move the given leads to ``status``, one history entry per lead that changed;
    returns how many changed. Unknown ids are ignored (the lead may have been deleted)."""
    if status not in LEAD_STATUSES:
        raise ValidationFailed(
            f"status: unknown status {status!r}; use one of {', '.join(LEAD_STATUSES)}",
            details=[{"field": "status", "message": "unknown status"}],
        )

    def set_once() -> int:
        hooks = Hooks(session)
        rows = session.exec(
            select(Lead).where(col(Lead.id).in_(list(lead_ids)), Lead.status != status)
        ).all()
        for lead in rows:
            before, after = {"status": lead.status}, {"status": status}
            session.add_all(_activity_for_changes(lead.id, before, after, actor))
            lead.status, lead.updated_at = status, utcnow()
            lead.last_activity_at = lead.updated_at
            session.add(lead)
            hooks.updated(lead, changes_of(before, after))
        hooks.write()
        session.commit()
        return len(rows)

    return _write_again_if_raced(session, set_once)


def set_owner(
    session: Session, lead_ids: Sequence[str], owner_id: str | None, *, actor: str | None = None
) -> int:
    """Give the given leads to ``owner_id`` (an enabled user; None unassigns them), one
    history entry per lead that changed; returns how many changed. Unknown ids are ignored
    (the lead may have been deleted); an unknown or disabled owner is refused (422)."""
    users.check_owner(session, owner_id, "ownerId")

    def set_once() -> int:
        hooks = Hooks(session)
        owner = col(Lead.owner_id)
        differs = (
            owner.is_not(None) if owner_id is None else or_(owner.is_(None), owner != owner_id)
        )
        rows = session.exec(select(Lead).where(col(Lead.id).in_(list(lead_ids)), differs)).all()
        for lead in rows:
            before, after = {"owner_id": lead.owner_id}, {"owner_id": owner_id}
            session.add_all(_activity_for_changes(lead.id, before, after, actor))
            lead.owner_id, lead.updated_at = owner_id, utcnow()
            lead.last_activity_at = lead.updated_at
            session.add(lead)
            hooks.updated(lead, changes_of(before, after))
        hooks.write()
        session.commit()
        return len(rows)

    return _write_again_if_raced(session, set_once)


def lead_activity(session: Session, lead_id: str) -> list[LeadActivity]:
    get_lead(session, lead_id)
    return list(
        session.exec(
            select(LeadActivity)
            .where(LeadActivity.lead_id == lead_id)
            .order_by(col(LeadActivity.created_at), col(LeadActivity.id))
        )
    )


def to_public(lead: Lead) -> LeadPublic:
    return LeadPublic.model_validate(lead, from_attributes=True)


def to_detail(lead: Lead) -> LeadDetail:
    return LeadDetail.model_validate(lead, from_attributes=True)
