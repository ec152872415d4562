"""An example on every operation of the OpenAPI document: each request body, each success
answer and each error, as the API really sends them (``tests/api/test_openapi.py`` checks
each against its schema, and that none is missing).

A route may carry its own examples (FastAPI's ``openapi_examples``, or ``responses=`` with
content); :func:`add_examples` fills in what is missing from :data:`OPERATIONS` and
:data:`ERRORS` once, when the document is first built."""

from __future__ import annotations

from typing import Any

from leads_core.api import webhook_examples

LEAD_ID = "lead_kqv7y3u2bhfo2t"
CAMPAIGN_ID = "cmp_q4_saas"
IMPORT_ID = "imp_9h83p4ibwjtixc"
WHEN = "2026-12-03T18:30:38Z"

LEAD: dict[str, Any] = {
    "id": LEAD_ID,
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": "ada@analytical.io",
    "company": "Analytical Engines",
    "position": "CTO",
    "qualityScore": 85,
    "source": "linkedin",
    "linkedinUrl": None,
    "phone": "+44 20 7946 0958",
    "website": None,
    "status": "new",
    "campaignId": CAMPAIGN_ID,
    "ownerId": None,
    "createdAt": WHEN,
}
LEAD_DETAIL: dict[str, Any] = {
    **LEAD,
    "status": "contacted",
    "notes": None,
    "attributes": {"Connected On": "12 Mar 2024"},
    "updatedAt": "2026-12-03T18:41:02Z",
    "scoreBreakdown": {
        "emailValidity": 30,
        "profileCompleteness": 16,
        "companyData": 11,
        "sourceReliability": 13,
        "campaignMatch": 15,
    },
    "scoreReasons": {
        "emailValidity": "corporate address on a valid domain",
        "profileCompleteness": "missing LinkedIn URL",
        "companyData": "company name; no website; company email domain",
        "sourceReliability": "source 'linkedin' rated 13/15",
        "campaignMatch": "Campaign criteria: 3 of 3 check(s) met. Position 'CTO' matches "
        "the campaign's target 'CTO' (+7). Source 'linkedin' is one of the campaign's target "
        "sources (+4). Every required field is filled: Phone (+4)",
    },
    "enrichment": {
        "emailStatus": "valid",
        "emailNormalized": "ada@analytical.io",
        "emailError": None,
        "emailDomain": "analytical.io",
        "freeEmail": False,
        "disposableEmail": False,
        "roleEmail": False,
        "emailMatchesWebsite": None,
        "phoneE164": "+442079460958",
        "phoneValid": True,
        "companyDomain": "analytical.io",
    },
    "version": 2,
}
CAMPAIGN: dict[str, Any] = {
    "id": CAMPAIGN_ID,
    "name": "Q4 SaaS outreach",
    "criteria": {
        "targetPositions": ["CTO", "VP Engineering"],
        "targetSources": ["linkedin"],
        "requiredFields": ["phone"],
    },
    "createdAt": WHEN,
    "updatedAt": WHEN,
}
IMPORTED: dict[str, Any] = {
    "imported": 1,
    "skipped": 0,
    "errors": [{"row": 3, "field": "email", "message": "email or linkedinUrl is required"}],
    "leads": [{"id": LEAD_ID, "qualityScore": 85, "status": "new"}],
    "updated": 0,
    "importId": IMPORT_ID,
    "dryRun": False,
    "rows": 3,
    "inFileDuplicates": 1,
    "alreadyInCampaign": 0,
    "duplicates": [{"row": 2, "repeatsRow": 1, "leadId": None}],
    "warnings": [],
}
CSV_READ: dict[str, Any] = {
    "kind": "csv",
    "encoding": "utf-8",
    "delimiter": ",",
    "sheet": None,
    "sheets": [],
    "headerRow": 4,
    "mapping": {"First Name": "firstName", "Last Name": "lastName", "URL": "linkedinUrl"},
    "matchedBy": {"First Name": "header", "Last Name": "header", "URL": "values"},
    "ignoredColumns": [],
    "attributeColumns": ["Connected On"],
}
IMPORT: dict[str, Any] = {
    "id": IMPORT_ID,
    "campaignId": CAMPAIGN_ID,
    "origin": "api-csv",
    "filename": "Connections.csv",
    "user": "api:crm-sync",
    "sheet": None,
    "mapping": {"First Name": "firstName", "Last Name": "lastName", "URL": "linkedinUrl"},
    "rows": 3,
    "imported": 1,
    "updated": 0,
    "skipped": 1,
    "errors": 1,
    "createdAt": WHEN,
    "undoneAt": None,
    "undoDeleted": None,
    "undoKept": None,
}
ACTIVITY: dict[str, Any] = {
    "kind": "call",
    "field": None,
    "oldValue": None,
    "newValue": "Called: interested in a demo next week",
    "actor": "ann@acme.test",
    "createdAt": WHEN,
}
TASK: dict[str, Any] = {
    "id": "tsk_icdy12mioyvre5",
    "leadId": LEAD_ID,
    "title": "Send the pricing",
    "dueAt": "2026-12-10T09:00:00Z",
    "ownerId": "usr_3k9d0a7c2m1x5b",
    "done": False,
    "doneAt": None,
    "createdAt": WHEN,
    "updatedAt": WHEN,
    "createdBy": "ann@acme.test",
    "version": 1,
}

NEXT_CURSOR = (
    "eyJ2IjoxLCJzIjoiLWNyZWF0ZWRBdCIsImYiOiI0NGIxMzZmYmY0YjM2ODE4IiwiayI6WyIyMDI1LTAxLTIwVDEw"
    "OjAwOjAwKzAwOjAwIiwibGVhZF83ODl4eXoiXX0"
)
LIST_ANSWER: dict[str, Any] = {
    "leads": [LEAD],
    "total": 287,
    "page": 1,
    "totalPages": 6,
    "nextCursor": NEXT_CURSOR,
}
BULK_REQUEST: dict[str, Any] = {
    "ids": [LEAD_ID, "lead_456defghijkm", "lead_gone01"],
    "changes": {"status": "contacted", "ownerId": None},
    "ifMatch": {"lead_456defghijkm": '"3"'},
}
BULK_ANSWER: dict[str, Any] = {
    "results": [
        {"id": LEAD_ID, "status": 200, "lead": LEAD, "etag": '"5"', "error": None},
        {
            "id": "lead_456defghijkm",
            "status": 412,
            "lead": None,
            "etag": None,
            "error": {
                "code": "precondition_failed",
                "message": "lead lead_456defghijkm was changed by someone else since you read "
                "it (you sent version 3, it is now at 4); read it again and redo your change",
                "details": [{"field": "If-Match", "message": "current version is 4"}],
            },
        },
        {
            "id": "lead_gone01",
            "status": 404,
            "lead": None,
            "etag": None,
            "error": {
                "code": "not_found",
                "message": "lead 'lead_gone01' not found",
                "details": [],
            },
        },
    ],
    "updated": 1,
    "failed": 2,
}
EXPORT_CSV = (
    '\ufeff"id","campaignId","Campaign","firstName","lastName","email",...,"qualityScore",'
    '"notes","createdAt","updatedAt"\r\n'
    f'"{LEAD_ID}","{CAMPAIGN_ID}","Q4 SaaS outreach","Ada","Lovelace","ada@analytical.io",...,85,'
    '"\'=HYPERLINK(""http://x"")","2026-12-03T18:30:38Z","2026-12-03T18:41:02Z"\r\n'
)


def _page(name: str, items: list[Any]) -> dict[str, Any]:
    return {name: items, "total": 1, "page": 1, "totalPages": 1}


#: (METHOD, path under /v1) -> {"request": body, status: answer}; a str answer is text.
#: Added after FastAPI has built the document: examples given to a route lose their nulls
#: (FastAPI writes its document with ``exclude_none``).
OPERATIONS: dict[tuple[str, str], dict[str | int, Any]] = {
    ("GET", "/leads"): {200: LIST_ANSWER},
    ("PATCH", "/leads"): {"request": BULK_REQUEST, 200: BULK_ANSWER},
    ("GET", "/leads/export.csv"): {200: EXPORT_CSV},
    ("POST", "/leads"): {
        "request": {
            "campaignId": CAMPAIGN_ID,
            "autoScore": True,
            "leads": [
                {k: LEAD[k] for k in ("firstName", "lastName", "email", "company", "position")},
                {"firstName": "Ada", "email": "ADA@analytical.io"},
                {"firstName": "Charles", "lastName": "Babbage"},
            ],
        },
        200: IMPORTED,
    },
    ("POST", "/leads/import/csv"): {
        "request": {"file": "Connections.csv", "campaignId": CAMPAIGN_ID, "autoScore": True},
        200: {**IMPORTED, "csv": CSV_READ},
    },
    ("GET", "/leads/{lead_id}"): {200: LEAD_DETAIL},
    ("PATCH", "/leads/{lead_id}"): {
        "request": {"status": "contacted", "phone": "+44 20 7946 0958"},
        200: LEAD_DETAIL,
    },
    ("GET", "/leads/{lead_id}/activity"): {
        200: [
            {**ACTIVITY, "kind": "created", "newValue": None, "actor": "api:crm-sync"},
            {**ACTIVITY, "kind": "status_change", "field": "status", "oldValue": "new"}
            | {"newValue": "contacted"},
        ]
    },
    ("POST", "/leads/{lead_id}/activity"): {
        "request": {"type": "call", "body": ACTIVITY["newValue"], "at": WHEN},
        201: ACTIVITY,
    },
    ("GET", "/leads/{lead_id}/tasks"): {200: [TASK]},
    ("POST", "/leads/{lead_id}/tasks"): {
        "request": {"title": TASK["title"], "dueAt": TASK["dueAt"], "ownerId": TASK["ownerId"]},
        201: TASK,
    },
    ("GET", "/tasks"): {200: _page("tasks", [TASK])},
    ("PATCH", "/tasks/{task_id}"): {
        "request": {"done": True},
        200: {**TASK, "done": True, "doneAt": WHEN, "version": 2},
    },
    ("GET", "/campaigns"): {200: {"campaigns": [CAMPAIGN], "total": 1}},
    ("POST", "/campaigns"): {
        "request": {k: CAMPAIGN[k] for k in ("id", "name", "criteria")},
        201: CAMPAIGN,
    },
    ("GET", "/campaigns/{campaign_id}"): {200: CAMPAIGN},
    ("PATCH", "/campaigns/{campaign_id}"): {
        "request": {"name": "Q4 SaaS outreach (EMEA)"},
        200: {**CAMPAIGN, "name": "Q4 SaaS outreach (EMEA)"},
    },
    ("POST", "/campaigns/{campaign_id}/rescore"): {200: {"changed": 412}},
    ("GET", "/imports"): {200: _page("imports", [IMPORT])},
    ("GET", "/imports/{import_id}"): {200: IMPORT},
    ("DELETE", "/imports/{import_id}"): {200: {"deleted": 1, "kept": 0}},
    ("GET", "/imports/{import_id}/problems.csv"): {
        200: "\ufeffFirst Name,Last Name,URL,Problem\r\n"
        "Charles,Babbage,,email or linkedinUrl is required\r\n"
    },
    ("GET", "/me"): {
        200: {"id": "usr_3k9d0a7c2m1x5b", "email": "ann@acme.test", "name": "Ann", "role": "member"}
    },
}

OPERATIONS.update(webhook_examples.OPERATIONS)

#: One error answer per status, in the API's one error shape.
ERRORS: dict[int, tuple[str, str, list[dict[str, Any]]]] = {
    400: ("bad_request", "the request body is not valid JSON", []),
    401: ("unauthorized", "missing or invalid API key", []),
    403: ("forbidden", "a viewer may not change leads, campaigns, imports or tasks", []),
    404: ("not_found", f"lead {LEAD_ID!r} not found", []),
    409: (
        "conflict",
        "another lead in this campaign (lead_4wou0vq2d3o35n) already has this email",
        [{"field": "email", "message": "duplicate in campaign"}],
    ),
    412: (
        "precondition_failed",
        f"lead {LEAD_ID} was changed by someone else since you read it (you sent version 2, "
        "it is now at 3); read it again and redo your change",
        [{"field": "If-Match", "message": "current version is 3"}],
    ),
    413: (
        "payload_too_large",
        "the request body is larger than 32 MB, the most this endpoint reads; split the "
        "import into smaller requests",
        [],
    ),
    422: (
        "validation_error",
        "limit: Input should be less than or equal to 200",
        [{"field": "limit", "location": "query", "message": "less than or equal to 200"}],
    ),
    429: (
        "rate_limited",
        "more than 1000 requests a minute with this API key; retry after 2 s",
        [{"retryAfter": 2}],
    ),
    503: (
        "database_busy",
        "the database is busy with a long write (an import); nothing was changed - retry",
        [],
    ),
}


def error_example(status: int) -> dict[str, Any]:
    code, message, details = ERRORS[status]
    return {"error": {"code": code, "message": message, "details": details}}


def add_examples(document: dict[str, Any]) -> None:
    """Give every request body and answer of ``document`` an example where it has none."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            known = OPERATIONS.get((method.upper(), path), {})
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                if "request" in known:
                    media.setdefault("example", known["request"])
            for status, response in operation["responses"].items():
                example = known.get(int(status)) if status.isdigit() else None
                if example is None and status.isdigit() and int(status) in ERRORS:
                    example = error_example(int(status))
                for media in response.get("content", {}).values():
                    if example is not None and not _has_example(media):
                        media["example"] = example


def _has_example(media: dict[str, Any]) -> bool:
    return "example" in media or "examples" in media
