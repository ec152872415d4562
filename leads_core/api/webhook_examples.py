"""The OpenAPI examples of /v1/webhooks (``leads_core.api.examples`` adds them)."""

from __future__ import annotations

from typing import Any

ENDPOINT: dict[str, Any] = {
    "id": "whk_3k9f2m8q1x7c4v",
    "url": "https://hooks.example.com/leads",
    "events": ["lead.created", "lead.status_changed"],
    "description": "CRM sync",
    "enabled": True,
    "disabledReason": None,
    "failingSince": None,
    "previousSecretUntil": None,
    "createdBy": "api:ops",
    "createdAt": "2026-12-03T18:11:04Z",
    "updatedAt": "2026-12-03T18:11:04Z",
}
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DISABLED = {
    **ENDPOINT,
    "enabled": False,
    "disabledReason": "Disabled by ann@acme.test",
    "updatedAt": "2026-12-04T09:00:00Z",
}
ATTEMPT: dict[str, Any] = {
    "deliveryId": 42,
    "eventId": "msg_8d2k4m6p9q1r3s",
    "eventType": "lead.status_changed",
    "state": "pending",
    "attempt": 1,
    "at": "2026-12-03T18:12:00Z",
    "statusCode": 500,
    "durationMs": 84.2,
    "error": "500 Internal Server Error",
    "nextAttemptAt": "2026-12-03T18:12:05Z",
}
QUEUED = {"eventId": "msg_8d2k4m6p9q1r3s", "deliveryId": 43}

WEBHOOKS = "/webhooks/{webhook_id}"
OPERATIONS: dict[tuple[str, str], dict[str | int, Any]] = {
    ("POST", "/webhooks"): {
        "request": {k: ENDPOINT[k] for k in ("url", "events", "description")},
        201: {**ENDPOINT, "secret": SECRET},
    },
    ("GET", "/webhooks"): {200: {"webhooks": [ENDPOINT], "total": 1}},
    ("GET", WEBHOOKS): {200: ENDPOINT},
    ("PATCH", WEBHOOKS): {"request": {"enabled": False}, 200: DISABLED},
    ("GET", f"{WEBHOOKS}/deliveries"): {200: {"deliveries": [ATTEMPT]}},
    ("POST", f"{WEBHOOKS}/test"): {
        202: {"eventId": "msg_8d2k4m6p9q1r3s", "deliveryId": None},
    },
    ("POST", f"{WEBHOOKS}/rotate-secret"): {
        "request": {"overlapHours": 24},
        200: {**ENDPOINT, "secret": SECRET, "previousSecretUntil": "2026-12-04T18:11:04Z"},
    },
    ("POST", f"{WEBHOOKS}/deliveries/{{delivery_id}}/resend"): {202: QUEUED},
}
