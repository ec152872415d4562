"""leads_core.scoring.enrichment: offline email / phone / website facts and the dedupe keys."""

from __future__ import annotations

import random

import pytest
from email_validator import EmailNotValidError, validate_email

from leads_core.scoring import enrichment
from leads_core.scoring.enrichment import (
    Enrichment,
    domain_from_url,
    enrich,
    normalize_email,
    normalize_linkedin_url,
)
from leads_core.scoring.mailboxes import FREE_EMAIL_DOMAINS, ROLE_LOCAL_PARTS


def email_facts(email: str | None, website: str | None = None) -> Enrichment:
    return enrich(email=email, phone=None, website=website)


# --------------------------------------------------------------------------- normalize_email


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Marie.Dubois@TechCorp.com", "marie.dubois@techcorp.com"),
        ("  marie@techcorp.com \t", "marie@techcorp.com"),
        ("not an email", "not an email"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_email(value: str | None, expected: str | None) -> None:
    assert normalize_email(value) == expected


# --------------------------------------------------------------------------- LinkedIn URLs


@pytest.mark.parametrize(
    "value",
    [
        "https://www.linkedin.com/in/mariedubois",
        "https://www.linkedin.com/in/mariedubois/",
        "http://linkedin.com/in/MarieDubois",
        "https://fr.linkedin.com/in/mariedubois/",
        "https://FR.LinkedIn.com/in/MarieDubois?originalSubdomain=fr",
        "https://m.linkedin.com/in/mariedubois/#experience",
        "www.linkedin.com/in/mariedubois",
        "linkedin.com/in/mariedubois/",
        "  https://www.linkedin.com/in/mariedubois/?trk=public_profile&x=1  ",
        "//www.linkedin.com/in/mariedubois",
    ],
)
def test_normalize_linkedin_url_variants(value: str) -> None:
    assert normalize_linkedin_url(value) == "linkedin.com/in/mariedubois"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.linkedin.com/in/%C3%A9milie-durand/", "linkedin.com/in/émilie-durand"),
        ("https://www.linkedin.com/in/Émilie-Durand", "linkedin.com/in/émilie-durand"),
        ("https://www.linkedin.com/company/TechCorp/", "linkedin.com/company/techcorp"),
        ("https://www.Example.com/Path/?q=1#top", "example.com/path"),
        ("HTTP://TechCorp.com/", "techcorp.com"),
        ("mariedubois", "mariedubois"),
        ("", None),
        ("   ", None),
        ("https://", None),
        (None, None),
    ],
)
def test_normalize_linkedin_url_other_values(value: str | None, expected: str | None) -> None:
    assert normalize_linkedin_url(value) == expected


# --------------------------------------------------------------------------- domain_from_url


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.TechCorp.com/about", "techcorp.com"),
        ("techcorp.com", "techcorp.com"),
        ("www.techcorp.com", "techcorp.com"),
        ("http://techcorp.com:8080/x?y=1#z", "techcorp.com"),
        ("https://user:secret@shop.techcorp.co.uk/", "shop.techcorp.co.uk"),
        ("  https://techcorp.com.  ", "techcorp.com"),
        ("//techcorp.com/path", "techcorp.com"),
        ("techcorp.com?ref=x", "techcorp.com"),
        ("https://brasserie-lumière.fr", "brasserie-lumière.fr"),
        ("garbage", None),
        ("TechCorp", None),
        ("n/a", None),
        ("www.techcorp", None),
        ("http://localhost:8000", None),
        ("192.168.1.1", None),
        ("tech corp.com", None),
        ("https://", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_domain_from_url(value: str | None, expected: str | None) -> None:
    assert domain_from_url(value) == expected


# --------------------------------------------------------------------------- email status


@pytest.mark.parametrize("value", [None, "", "   ", "\t\n"])
def test_missing_email(value: str | None) -> None:
    facts = email_facts(value, website="https://techcorp.com")
    assert facts.email_status == "missing"
    assert facts.email_normalized is None
    assert facts.email_error is None
    assert facts.email_domain is None
    assert (facts.free_email, facts.disposable_email, facts.role_email) == (False, False, False)
    assert facts.email_matches_website is None


def test_valid_email_is_normalized_by_email_validator() -> None:
    facts = email_facts("  Marie.Dubois@TechCorp.COM ")
    assert facts.email_status == "valid"
    assert facts.email_normalized == "Marie.Dubois@techcorp.com"
    assert facts.email_error is None
    assert facts.email_domain == "techcorp.com"
    assert facts.company_domain == "techcorp.com"


def test_rfc2142_mailbox_names_are_lowercased_like_email_validator() -> None:
    assert email_facts("Info@TechCorp.com").email_normalized == "info@techcorp.com"


def test_internationalized_email() -> None:
    facts = email_facts("élodie@École.fr")
    assert facts.email_status == "valid"
    assert facts.email_normalized == "élodie@école.fr"
    assert facts.email_domain == "école.fr"


@pytest.mark.parametrize(
    ("value", "error", "domain"),
    [
        (
            "marie..dubois@techcorp.com",
            "An email address cannot have two periods in a row.",
            "techcorp.com",
        ),
        ("marie.dubois", "An email address must have an @-sign.", None),
        ("marie@", "There must be something after the @-sign.", None),
        ("@techcorp.com", "There must be something before the @-sign.", "techcorp.com"),
        (
            "marie@techcorp",
            "The part after the @-sign is not valid. It should have a period.",
            "techcorp",
        ),
        (
            "marie dubois@techcorp.com",
            "The email address contains invalid characters before the @-sign: SPACE.",
            "techcorp.com",
        ),
        (
            "marie@TechCorp..com",
            "An email address cannot have two periods in a row.",
            "techcorp..com",
        ),
    ],
)
def test_invalid_email(value: str, error: str, domain: str | None) -> None:
    facts = email_facts(value, website="https://techcorp.com")
    assert facts.email_status == "invalid"
    assert facts.email_normalized is None
    assert facts.email_error == error
    assert facts.email_domain == domain
    assert facts.company_domain == "techcorp.com"  # from the website


def test_invalid_email_gives_no_company_domain() -> None:
    assert email_facts("marie..dubois@techcorp.com").company_domain is None


# --------------------------------------------------------------------------- free / disposable / role


@pytest.mark.parametrize(
    "email",
    [
        "marie@gmail.com",
        "marie@GMail.com",
        "marie@yahoo.fr",
        "marie@yahoo.com.br",
        "marie@hotmail.be",
        "marie@outlook.com",
        "marie@icloud.com",
        "marie@gmx.de",
        "marie@orange.fr",
        "marie@free.fr",
        "marie@laposte.net",
        "marie@proton.me",
        "marie@protonmail.com",
    ],
)
def test_free_email(email: str) -> None:
    facts = email_facts(email)
    assert facts.free_email is True
    assert facts.disposable_email is False
    assert facts.company_domain is None


@pytest.mark.parametrize(
    "email", ["marie@techcorp.com", "marie@yahoo-partners.com", "marie@outlook.techcorp.com"]
)
def test_not_free_email(email: str) -> None:
    facts = email_facts(email)
    assert facts.free_email is False
    assert facts.company_domain == email.partition("@")[2]


def test_free_email_domains_table() -> None:
    assert len(FREE_EMAIL_DOMAINS) >= 40
    assert all(d == d.lower().strip() and "." in d for d in FREE_EMAIL_DOMAINS)
    assert {"gmail.com", "orange.fr", "free.fr", "laposte.net", "proton.me"} <= FREE_EMAIL_DOMAINS


@pytest.mark.parametrize(
    "email", ["marie@mailinator.com", "marie@yopmail.com", "marie@x7f.mailinator.com"]
)
def test_disposable_email(email: str) -> None:
    facts = email_facts(email)
    assert facts.disposable_email is True
    assert facts.free_email is False
    assert facts.company_domain is None


@pytest.mark.parametrize(
    "email",
    [
        "info@techcorp.com",
        "Sales@techcorp.com",
        "contact@techcorp.com",
        "hello@techcorp.com",
        "no-reply@techcorp.com",
        "noreply@techcorp.com",
        "support@techcorp.com",
        "jobs@techcorp.com",
        "sales+fr@techcorp.com",
    ],
)
def test_role_email(email: str) -> None:
    facts = email_facts(email)
    assert facts.role_email is True
    assert facts.company_domain == "techcorp.com"


@pytest.mark.parametrize(
    "email", ["marie@techcorp.com", "information.desk.marie@techcorp.com", "salesforce@x.com"]
)
def test_not_role_email(email: str) -> None:
    assert email_facts(email).role_email is False


def test_role_local_parts_table() -> None:
    expected = {"info", "sales", "contact", "hello", "admin", "support", "office", "team"}
    expected |= {"marketing", "noreply", "no-reply", "billing", "jobs", "hr", "press"}
    assert expected <= ROLE_LOCAL_PARTS
    assert all(p == p.lower() for p in ROLE_LOCAL_PARTS)


# --------------------------------------------------------------------------- email vs website


@pytest.mark.parametrize(
    ("email", "website", "expected"),
    [
        ("marie@techcorp.com", "https://techcorp.com", True),
        ("marie@techcorp.com", "https://www.TechCorp.com/about", True),
        ("marie@techcorp.com", "techcorp.com", True),
        ("marie@fr.techcorp.com", "https://www.techcorp.com", True),
        ("marie@techcorp.com", "https://shop.techcorp.com", True),
        ("marie@techcorp.com", "https://othercorp.com", False),
        ("marie@techcorp.com", "https://nottechcorp.com", False),
        ("marie@gmail.com", "https://techcorp.com", False),
        ("marie..dubois@techcorp.com", "https://techcorp.com", True),  # domain is still known
        ("marie@techcorp.com", None, None),
        ("marie@techcorp.com", "   ", None),
        ("marie@techcorp.com", "n/a", None),
        (None, "https://techcorp.com", None),
        ("marie@", "https://techcorp.com", None),
    ],
)
def test_email_matches_website(
    email: str | None, website: str | None, expected: bool | None
) -> None:
    assert email_facts(email, website).email_matches_website is expected


def test_company_domain_prefers_website() -> None:
    facts = email_facts("marie@techcorp.com", "https://www.techcorp-group.com")
    assert facts.company_domain == "techcorp-group.com"
    assert email_facts("marie@gmail.com", "www.techcorp.com").company_domain == "techcorp.com"
    assert email_facts(None, None).company_domain is None


# --------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    ("phone", "region", "e164"),
    [
        ("+33 6 12 34 56 78", "FR", "+33612345678"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("06.12.34.56.78", "FR", "+33612345678"),
        ("0612345678", "FR", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "FR", "+33612345678"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("+1 415-555-2671", "FR", "+14155552671"),
        ("+44 20 7946 0958", "FR", "+442079460958"),
        ("06 12 34 56 78", "fr", "+33612345678"),
    ],
)
def test_valid_phone(phone: str, region: str, e164: str) -> None:
    facts = enrich(email=None, phone=phone, website=None, region=region)
    assert facts.phone_e164 == e164
    assert facts.phone_valid is True


@pytest.mark.parametrize(
    ("phone", "region"),
    [
        ("not a phone", "FR"),
        ("n/a", "FR"),
        ("123", "FR"),
        ("06 12 34", "FR"),
        ("+33 1", "FR"),
        ("00000000000000000000000", "FR"),
        ("(415) 555-2671", "FR"),  # a US number read as French
    ],
)
def test_invalid_phone(phone: str, region: str) -> None:
    facts = enrich(email=None, phone=phone, website=None, region=region)
    assert facts.phone_e164 is None
    assert facts.phone_valid is False


@pytest.mark.parametrize("phone", [None, "", "   "])
def test_missing_phone(phone: str | None) -> None:
    facts = enrich(email=None, phone=phone, website=None)
    assert facts.phone_e164 is None
    assert facts.phone_valid is None


def test_default_region_is_fr() -> None:
    assert enrich(email=None, phone="01 42 68 53 00", website=None).phone_e164 == "+33142685300"


# --------------------------------------------------------------------------- public form


def test_to_public() -> None:
    facts = enrich(
        email="marie.dubois@techcorp.com",
        phone="+33 6 12 34 56 78",
        website="https://www.techcorp.com",
    )
    assert facts.to_public() == {
        "emailStatus": "valid",
        "emailNormalized": "marie.dubois@techcorp.com",
        "emailError": None,
        "emailDomain": "techcorp.com",
        "freeEmail": False,
        "disposableEmail": False,
        "roleEmail": False,
        "emailMatchesWebsite": True,
        "phoneE164": "+33612345678",
        "phoneValid": True,
        "companyDomain": "techcorp.com",
    }


def test_enrichment_is_frozen() -> None:
    facts = email_facts("marie@techcorp.com")
    with pytest.raises(AttributeError):
        facts.email_status = "invalid"  # type: ignore[misc]


# --------------------------------------------------------------------------- email-validator parity

TRICKY_ADDRESSES = [
    "marie.dubois@techcorp.com",
    "Marie.Dubois@TechCorp.COM",
    "POSTMASTER@techcorp.com",
    "Info@techcorp.com",
    "first+tag@techcorp.com",
    "o'brien@techcorp.ie",
    "a!#$%&'*+/=?^_`{|}~-z@techcorp.com",
    "x@techcorp.co.uk",
    "x@xn--cole-9oa.fr",
    "x@ÉCOLE.fr",
    "élodie@école.fr",
    "e\u0301lodie@ecole.fr",
    "x@e\u0301cole.fr",
    "a@b",
    "a@localhost",
    "a@example.invalid",
    "a@test.local",
    "a@[192.168.0.1]",
    "a@b@techcorp.com",
    '"quoted"@techcorp.com',
    '"quo ted"@techcorp.com',
    "Marie <marie@techcorp.com>",
    "<marie@techcorp.com>",
    ".marie@techcorp.com",
    "marie.@techcorp.com",
    "ma..rie@techcorp.com",
    "marie@-techcorp.com",
    "marie@techcorp-.com",
    "marie@tech_corp.com",
    "marie@techcorp.com.",
    "marie@.techcorp.com",
    "marie@techcorp..com",
    "marie@ techcorp.com",
    "marie@techcorp.123",
    "marie@techcorp.c",
    "marie@123.com",
    "marie@techcorp.com<",
    "marie＠techcorp.com",
    "marie\u200b@techcorp.com",
    "marie@techcorp\u200b.com",
    "marie@tech\ncorp.com",
    "marie@" + "a" * 63 + ".com",
    "marie@" + "a" * 64 + ".com",
    "m" * 64 + "@techcorp.com",
    "m" * 65 + "@techcorp.com",
    "m" * 200 + "@techcorp.com",
    "m" * 240 + "@techcorp.com",
    "m" * 241 + "@techcorp.com",
    "m" * 300 + "@techcorp.com",
    "m@" + ".".join(["a" * 60] * 4) + ".com",
    "m" * 10 + "@" + ".".join(["a" * 60] * 3) + "." + "b" * 50 + ".com",
    "m" * 60 + "@" + ".".join(["é" * 30] * 4) + ".fr",
    "m" * 100 + "@" + ".".join(["é" * 20] * 5) + ".fr",
]


def reference(address: str) -> tuple[str | None, str | None]:
    try:
        return validate_email(address, check_deliverability=False).normalized, None
    except EmailNotValidError as exc:
        return None, str(exc)


def enriched(address: str) -> tuple[str | None, str | None]:
    facts = email_facts(address)
    return facts.email_normalized, facts.email_error


@pytest.mark.parametrize("address", TRICKY_ADDRESSES)
def test_same_verdict_as_email_validator(address: str) -> None:
    assert enriched(address) == reference(address)


def test_same_verdict_as_email_validator_on_random_addresses() -> None:
    rnd = random.Random(20240601)
    local_chars = "abcXYZ019._-+'!#=~ \"@é()<>,;:\\"
    domain_chars = "abcXYZ019.-_é @[]"
    domains = ["techcorp.com", "TechCorp.fr", "école.fr", "xn--cole-9oa.fr", "a.b", "x"]
    for _ in range(3000):
        local = "".join(rnd.choice(local_chars) for _ in range(rnd.randint(0, 12)))
        if rnd.random() < 0.5:
            domain = rnd.choice(domains)
        else:
            domain = "".join(rnd.choice(domain_chars) for _ in range(rnd.randint(0, 14)))
        address = (local + "@" + domain).strip()
        if not address:
            continue
        assert enriched(address) == reference(address), address


def test_common_addresses_skip_the_full_validation() -> None:
    """Valid plain addresses are checked once per domain, not once per address."""
    email_facts("warmup@cachecheck-corp.com")
    domain_misses = enrichment._domain_check.cache_info().misses
    full_misses = enrichment._validate_full.cache_info().misses
    for i in range(50):
        assert email_facts(f"Person.{i}@cachecheck-corp.com").email_status == "valid"
    assert enrichment._domain_check.cache_info().misses == domain_misses
    assert enrichment._validate_full.cache_info().misses == full_misses
