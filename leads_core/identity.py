"""The duplicate rule: a lead is a duplicate of another in the same campaign when their
normalized emails match, or their normalized LinkedIn URLs match. The keys are stored with
each lead (``email_key``, ``linkedin_key``) under a unique constraint per campaign."""

from __future__ import annotations

from dataclasses import dataclass

from leads_core.scoring.enrichment import normalize_email, normalize_linkedin_url

NEEDS_IDENTITY = "a lead needs an email or a LinkedIn URL"


@dataclass(frozen=True, slots=True)
class IdentityKeys:
    """A lead's keys under the duplicate rule (None: no such value)."""

    email: str | None
    linkedin: str | None

    def columns(self) -> dict[str, str | None]:
        return {"email_key": self.email, "linkedin_key": self.linkedin}

    @property
    def empty(self) -> bool:
        return self.email is None and self.linkedin is None


def identity_keys(email: str | None, linkedin_url: str | None) -> IdentityKeys:
    return IdentityKeys(normalize_email(email), normalize_linkedin_url(linkedin_url))
