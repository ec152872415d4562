"""/v1/webhooks: the endpoints events are sent to; admins only (``manage``), reading
included, as an endpoint's URL and deliveries tell where the workspace's data goes. Thin
routes over ``leads_core.services.webhooks``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from leads_core.access import Action
from leads_core.api.deps import PrincipalDep, SessionDep, SettingsDep
from leads_core.api.guard import needs
from leads_core.services import webhooks as service
from leads_core.storage.webhook_models import WebhookEndpoint
from leads_core.webhook_schemas import (
    DEFAULT_DELIVERIES,
    MAX_DELIVERIES,
    DeliveryAttempt,
    DeliveryList,
    Queued,
    RotateSecret,
    WebhookCreate,
    WebhookList,
    WebhookPublic,
    WebhookUpdate,
    WebhookWithSecret,
)
from leads_core.webhooks import netguard

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
MANAGE = needs(Action.MANAGE)
MAX_SEQ = 2**63 - 1  # PostgreSQL's bigint

WebhookId = Annotated[str, Path(max_length=64, description="`whk_...`")]
DeliveryId = Annotated[
    int, Path(ge=1, le=MAX_SEQ, description="A delivery's id, as its endpoint's deliveries list")
]


def url_resolver() -> netguard.Resolver:
    """How the SSRF guard resolves a URL's host (tests override it: no lookup there)."""
    return netguard.system_resolver


ResolverDep = Annotated[netguard.Resolver, Depends(url_resolver)]

# ------------------------------------------------------------------ routes


def _public(endpoint: WebhookEndpoint) -> WebhookPublic:
    return WebhookPublic.model_validate(endpoint, from_attributes=True)


def _with_secret(endpoint: WebhookEndpoint) -> WebhookWithSecret:
    return WebhookWithSecret.model_validate(endpoint, from_attributes=True)


@router.post(
    "",
    response_model=WebhookWithSecret,
    status_code=201,
    summary="Add a webhook endpoint",
    openapi_extra=MANAGE,
)
def create_webhook(
    data: WebhookCreate,
    session: SessionDep,
    settings: SettingsDep,
    who: PrincipalDep,
    resolve: ResolverDep,
) -> WebhookWithSecret:
    """The answer holds the endpoint's `secret` (`whsec_...`), which verifies the
    signatures: it is shown this once. The URL's host must be a public address (422 naming
    `url` otherwise)."""
    endpoint = service.create_endpoint(
        session,
        data,
        actor=who.label,
        allow_private=settings.webhooks_allow_private,
        resolve=resolve,
    )
    return _with_secret(endpoint)


@router.get(
    "",
    response_model=WebhookList,
    summary="List webhook endpoints",
    openapi_extra=MANAGE,
)
def list_webhooks(session: SessionDep) -> WebhookList:
    """Every endpoint, oldest first, without secrets."""
    rows = service.list_endpoints(session)
    return WebhookList(webhooks=[_public(e) for e in rows], total=len(rows))


@router.get(
    "/{webhook_id}",
    response_model=WebhookPublic,
    summary="Get a webhook endpoint",
    openapi_extra=MANAGE,
)
def get_webhook(webhook_id: WebhookId, session: SessionDep) -> WebhookPublic:
    return _public(service.get_endpoint(session, webhook_id))


@router.patch(
    "/{webhook_id}",
    response_model=WebhookPublic,
    summary="Update, disable or enable a webhook endpoint",
    openapi_extra=MANAGE,
)
def update_webhook(
    webhook_id: WebhookId,
    changes: WebhookUpdate,
    session: SessionDep,
    settings: SettingsDep,
    who: PrincipalDep,
    resolve: ResolverDep,
) -> WebhookPublic:
    """`enabled: false` disables it ("Disabled by" you: its deliveries wait); `true`
    enables it again, also after the worker disabled it for failing."""
    endpoint = service.update_endpoint(
        session,
        webhook_id,
        changes,
        actor=who.label,
        allow_private=settings.webhooks_allow_private,
        resolve=resolve,
    )
    return _public(endpoint)


@router.delete(
    "/{webhook_id}",
    status_code=204,
    summary="Delete a webhook endpoint",
    openapi_extra=MANAGE,
)
def delete_webhook(webhook_id: WebhookId, session: SessionDep) -> Response:
    """The endpoint and its deliveries' history; nothing more is sent to it."""
    service.delete_endpoint(session, webhook_id)
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryList,
    summary="A webhook endpoint's recent deliveries",
    openapi_extra=MANAGE,
)
def list_deliveries(
    webhook_id: WebhookId,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_DELIVERIES)] = DEFAULT_DELIVERIES,
) -> DeliveryList:
    """Each attempt (time, status code, duration, error) and each delivery not tried yet
    (`attempt` null), newest first."""
    rows = service.recent_deliveries(session, webhook_id, limit=limit)
    return DeliveryList(
        deliveries=[DeliveryAttempt.model_validate(r, from_attributes=True) for r in rows]
    )


@router.post(
    "/{webhook_id}/test",
    response_model=Queued,
    status_code=202,
    summary="Send a test event to a webhook endpoint",
    openapi_extra=MANAGE,
)
def send_test(webhook_id: WebhookId, session: SessionDep, who: PrincipalDep) -> Queued:
    """A `webhook.test` event (`{"webhookId", "message"}`) to this endpoint alone, sent
    shortly by the worker; its attempts show in the deliveries. 409 while disabled."""
    event = service.send_test_event(session, webhook_id, actor=who.label)
    return Queued(event_id=event.id, delivery_id=None)


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=WebhookWithSecret,
    summary="Rotate a webhook endpoint's secret",
    openapi_extra=MANAGE,
)
def rotate_secret(
    webhook_id: WebhookId,
    data: RotateSecret,
    session: SessionDep,
) -> WebhookWithSecret:
    """A new `secret`, shown this once; the previous one keeps signing too (a second
    signature) for `overlapHours`, until `previousSecretUntil`."""
    endpoint = service.rotate_secret(session, webhook_id, overlap_hours=data.overlap_hours)
    return _with_secret(endpoint)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/resend",
    response_model=Queued,
    status_code=202,
    summary="Send a delivery again",
    openapi_extra=MANAGE,
)
def resend(webhook_id: WebhookId, delivery_id: DeliveryId, session: SessionDep) -> Queued:
    """A new delivery of the same event (same `webhook-id`) to the endpoint, due now; the
    old one stays in the list as it was."""
    again = service.resend_delivery(session, webhook_id, delivery_id)
    return Queued(event_id=service.event_id_of(session, again), delivery_id=again.seq)
