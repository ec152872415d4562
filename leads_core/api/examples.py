"""Examples the OpenAPI document shows for the list, its export and the bulk update."""

from __future__ import annotations

from typing import Any

LEAD: dict[str, Any] = {
    "id": "lead_789xyz",
    "firstName": "Marie",
    "lastName": "Dubois",
    "email": "marie.dubois@techcorp.com",
    "company": "TechCorp SAS",
    "position": "CTO",
    "qualityScore": 92,
    "source": "linkedin",
    "linkedinUrl": "https://linkedin.com/in/mariedubois",
    "phone": "+33 6 12 34 56 78",
    "website": "https://techcorp.com",
    "status": "contacted",
    "campaignId": "cmp_123",
    "ownerId": None,
    "createdAt": "2025-01-20T10:00:00Z",
}
NEXT_CURSOR = (
    "eyJ2IjoxLCJzIjoiLWNyZWF0ZWRBdCIsImYiOiI0NGIxMzZmYmY0YjM2ODE4IiwiayI6WyIyMDI1LTAxLTIwVDEw"
    "OjAwOjAwKzAwOjAwIiwibGVhZF83ODl4eXoiXX0"
)
LIST_ANSWER: dict[str, Any] = {
    "leads": [LEAD],
    "total": 287,
    "page": 1,
    "totalPages": 287,
    "nextCursor": NEXT_CURSOR,
}
BULK_REQUEST: dict[str, Any] = {
    "ids": ["lead_789xyz", "lead_456def", "lead_gone01"],
    "changes": {"status": "contacted", "ownerId": None},
    "ifMatch": {"lead_456def": '"3"'},
}
BULK_ANSWER: dict[str, Any] = {
    "results": [
        {"id": "lead_789xyz", "status": 200, "lead": LEAD, "etag": '"5"', "error": None},
        {
            "id": "lead_456def",
            "status": 412,
            "lead": None,
            "etag": None,
            "error": {
                "code": "precondition_failed",
                "message": "lead lead_456def was changed by someone else since you read it "
                "(you sent version 3, it is now at 4); read it again and redo your change",
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
    '"lead_789xyz","cmp_123","Paris CTOs","Marie","Dubois","marie.dubois@techcorp.com",...,92,'
    '"\'=HYPERLINK(""http://x"")","2025-01-20T10:00:00Z","2025-01-21T08:00:00Z"\r\n'
)
