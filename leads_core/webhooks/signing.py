"""Standard Webhooks signatures (https://www.standardwebhooks.com), made with the
``standardwebhooks`` package: the headers ``webhook-id`` (the event's ``msg_...`` id, the
same for every attempt), ``webhook-timestamp`` (Unix seconds of the attempt) and
``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` under the
endpoint's secret).

During a rotation's overlap the previous secret signs too: the header then holds both
signatures, space-separated, and a receiver still holding the old secret verifies the
message as well as one holding the new one."""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks import Webhook

from leads_core.clock import as_utc
from leads_core.storage.webhook_models import WebhookEndpoint


def secrets_of(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets signing at ``now``: the current one, then the previous one while its
    overlap lasts."""
    signing = [endpoint.secret]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and as_utc(until) > now:
        signing.append(endpoint.previous_secret)
    return signing


def headers(msg_id: str, body: str, secrets: list[str], sent_at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt, signed with each of ``secrets``."""
    at = sent_at.astimezone(UTC).replace(microsecond=0)
    signatures = " ".join(Webhook(secret).sign(msg_id, at, body) for secret in secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }
