"""Realistic demo data: campaigns with criteria, leads over twelve months, every source
and status, a few invalid and duplicate emails. Goes through the normal import path
(``importing.import_leads``) so demo leads are scored exactly like real ones."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from leads_core.clock import utcnow
from leads_core.ingest import importing
from leads_core.ingest.options import ImportOptions
from leads_core.schemas import CampaignCreate, CampaignCriteria
from leads_core.services import campaigns

FIRST_NAMES = [
    "Marie",
    "Jean",
    "Camille",
    "Lucas",
    "Chloé",
    "Hugo",
    "Léa",
    "Louis",
    "Emma",
    "Gabriel",
    "Sarah",
    "Thomas",
    "Inès",
    "Nathan",
    "Olivia",
    "James",
    "Emily",
    "Michael",
    "Sophie",
    "Daniel",
    "Charlotte",
    "Oliver",
    "Amelia",
    "Jack",
    "Isabella",
    "Noah",
    "Ava",
    "Liam",
    "Mia",
    "Ethan",
    "Hannah",
    "Lukas",
    "Anna",
    "Paul",
    "Lena",
    "Felix",
    "Elena",
    "Marco",
    "Giulia",
    "Pablo",
    "Lucía",
]
LAST_NAMES = [
    "Dubois",
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Taylor",
    "Clarke",
    "Walker",
    "Wright",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Rossi",
    "Russo",
    "Bianchi",
    "Fernández",
    "López",
    "Martínez",
    "O'Brien",
    "Nguyen",
]
COMPANIES = (
    ("TechCorp SAS", "techcorp.com"),
    ("Startup IO", "startup.io"),
    ("Nordwind GmbH", "nordwind.de"),
    ("Bluefin Analytics", "bluefin-analytics.com"),
    ("Atelier Numérique", "atelier-numerique.fr"),
    ("Cloudhaven", "cloudhaven.io"),
    ("Greenfield Logistics", "greenfield-logistics.co.uk"),
    ("Pixelmint", "pixelmint.com"),
    ("Orbital Data", "orbitaldata.ai"),
    ("Maison Lumière", "maisonlumiere.fr"),
    ("Quantix Labs", "quantixlabs.com"),
    ("Harbor & Co", "harborandco.com"),
    ("Vela Health", "velahealth.com"),
    ("Brightpath Learning", "brightpath.edu"),
    ("Ferro Industrie", "ferro-industrie.it"),
    ("Sol y Mar Viajes", "solymarviajes.es"),
)
POSITIONS = (
    "CTO",
    "CEO",
    "Co-founder & CEO",
    "VP Engineering",
    "Head of Sales",
    "Sales Manager",
    "Marketing Director",
    "Head of Growth",
    "Software Engineer",
    "Product Manager",
    "Founder",
    "COO",
    "Head of Data",
    "Account Executive",
    "Operations Manager",
    "Intern",
)
SOURCES = (
    ("linkedin", 30),
    ("website", 20),
    ("referral", 10),
    ("event", 8),
    ("instagram", 8),
    ("email", 7),
    ("webinar", 5),
    ("partner", 4),
    ("purchased_list", 4),
    ("tiktok", 2),
    ("fax", 2),
)
STATUSES = (
    ("new", 45),
    ("contacted", 22),
    ("replied", 10),
    ("qualified", 9),
    ("converted", 5),
    ("rejected", 9),
)
FREE_MAIL = ("gmail.com", "yahoo.fr", "outlook.com", "hotmail.com")
CAMPAIGN_TEMPLATES: tuple[tuple[str, list[str], list[str], list[str]], ...] = (
    (
        "Q1 CTO outreach",
        ["CTO", "VP Engineering", "Head of Data"],
        ["linkedin", "referral"],
        ["phone"],
    ),
    ("Inbound website leads", [], ["website", "webinar"], ["company"]),
    ("Founders EMEA", ["Founder", "CEO", "Co-founder"], [], ["linkedinUrl"]),
    ("Sales leaders", ["Head of Sales", "Sales Manager", "Account Executive"], ["linkedin"], []),
    (
        "Marketing summit 2026",
        ["Marketing Director", "Head of Growth"],
        ["event"],
        ["phone", "company"],
    ),
)


@dataclass(frozen=True)
class DemoResult:
    campaign_ids: list[str]
    imported: int
    skipped: int
    errors: int


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _ascii(text: str) -> str:
    table = str.maketrans("éèêëàâäîïôöûüçñíóúáÉ'", "eeeeaaaiioouucniouaE-")
    return text.translate(table).lower()


def demo_lead(rng: random.Random, n: int) -> dict[str, Any]:
    """Lead number ``n`` (unique email for unique n)."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    company, domain = rng.choice(COMPANIES)
    source = _weighted(rng, SOURCES)
    roll = rng.random()
    local = f"{_ascii(first)}.{_ascii(last)}{n}"
    if roll < 0.03:
        email = f"{local}@@{domain}"  # invalid: kept in the attributes, scored as no email
    elif roll < 0.18:
        email = f"{local}@{rng.choice(FREE_MAIL)}"
    elif roll < 0.21:
        email = f"contact{n}@{domain}"
    else:
        email = f"{local}@{domain}"
    lead: dict[str, Any] = {
        "firstName": first,
        "lastName": last if rng.random() > 0.05 else None,
        "email": email if rng.random() > 0.04 else None,
        "company": company if rng.random() > 0.08 else None,
        "position": rng.choice(POSITIONS) if rng.random() > 0.1 else None,
        "source": source,
        "linkedinUrl": f"https://www.linkedin.com/in/{_ascii(first)}{_ascii(last)}{n}"
        if rng.random() > 0.25
        else None,
        "phone": f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)}"
        if rng.random() > 0.4
        else None,
        "website": f"https://{domain}" if rng.random() > 0.3 else None,
        "status": _weighted(rng, STATUSES),
    }
    if not lead["email"] and not lead["linkedinUrl"]:
        lead["email"] = f"{local}@{domain}"
    return lead


def create_demo_campaigns(session: Session, count: int, rng: random.Random) -> list[str]:
    ids = []
    for i in range(count):
        name, positions, sources, required = CAMPAIGN_TEMPLATES[i % len(CAMPAIGN_TEMPLATES)]
        suffix = f" #{i // len(CAMPAIGN_TEMPLATES) + 1}" if i >= len(CAMPAIGN_TEMPLATES) else ""
        criteria = CampaignCriteria(
            target_positions=positions, target_sources=sources, required_fields=required
        )
        campaign = campaigns.create_campaign(
            session, data=CampaignCreate(name=name + suffix, criteria=criteria)
        )
        ids.append(campaign.id)
    return ids


def seed_demo(
    session: Session,
    *,
    leads: int,
    campaigns_count: int = 5,
    region: str = "FR",
    seed: int = 7,
    chunk: int = 50_000,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int = 1,
) -> DemoResult:
    """Store ``leads`` demo leads (plus ~2% duplicate attempts, which the import skips),
    prepared on ``workers`` processes as an import's rows are."""
    rng = random.Random(seed)
    now = now or utcnow()
    ids = create_demo_campaigns(session, campaigns_count, rng)
    imported = skipped = errors = 0
    for start in range(0, leads, chunk):
        size = min(chunk, leads - start)
        by_campaign: dict[str, tuple[list[dict[str, Any]], list[datetime]]] = {
            c: ([], []) for c in ids
        }
        for n in range(start, start + size):
            rows, stamps = by_campaign[ids[n % len(ids)]]
            rows.append(demo_lead(rng, n))
            stamps.append(now - timedelta(days=rng.random() * 365))
            if rng.random() < 0.02:  # a duplicate attempt: same email, other case
                twin = dict(rows[-1])
                twin["email"] = (twin["email"] or "").upper() or None
                rows.append(twin)
                stamps.append(stamps[-1])
        for campaign_id, (rows, stamps) in by_campaign.items():
            if not rows:
                continue
            outcome = importing.import_leads(
                session,
                rows,
                ImportOptions(
                    campaign_id=campaign_id,
                    region=region,
                    max_rows=len(rows),
                    origin="seed",
                    actor="seed-demo",
                    workers=workers,
                ),
                timestamps=stamps,
            )
            imported += outcome.imported
            skipped += outcome.skipped
            errors += len(outcome.errors)
        if progress:
            progress(start + size, leads)
    return DemoResult(campaign_ids=ids, imported=imported, skipped=skipped, errors=errors)
