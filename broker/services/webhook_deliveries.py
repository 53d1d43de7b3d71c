"""Webhook deliveries: one row per endpoint and event, written in the
transaction of the event and sent after it commits (``broker.tasks``
sends them: see ``broker.signals``); each attempt claimed, made, logged and
followed by the back-off."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from broker import selectors, signals, webhooks
from broker.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from broker.services._common import BrokerError


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return safe


def _deliveries_send_after_commit(pairs: list[tuple[int, int]]) -> None:
    if pairs:
        signals.webhook_attempts_due.send(sender=WebhookDelivery, attempts=pairs)


def _deliveries_create(
    endpoints: Iterable[WebhookEndpoint], *, event_type: str, event_id: str, data: dict[str, Any]
) -> list[WebhookDelivery]:
    """One delivery per endpoint, in the caller's transaction, sent after
    commit. The same event twice (a re-run) creates nothing new."""
    now = timezone.now()
    payload = {
        "id": event_id,
        "type": event_type,
        "created_at": now.isoformat(),
        "data": _json_safe(data),
    }
    created = []
    for endpoint in endpoints:
        delivery, fresh = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            event_id=event_id[:120],
            defaults={"event_type": event_type, "payload": payload, "next_attempt_at": now},
        )
        if fresh:
            created.append(delivery)
    _deliveries_send_after_commit([(delivery.pk, 1) for delivery in created])
    return created


def webhook_event_emit(
    *,
    event_type: str,
    event_id: str,
    data: dict[str, Any],
    provider_ids: Iterable[int] = (),
    agency_ids: Iterable[int] = (),
) -> list[WebhookDelivery]:
    """Queue ``event_type`` for the subscribed endpoints of these
    organisations. ``data`` carries ids, references, statuses and public
    facts only: never the content of a sealed response."""
    endpoints = selectors.webhook_endpoints_listening(
        event_type=event_type, provider_ids=provider_ids, agency_ids=agency_ids
    )
    return _deliveries_create(endpoints, event_type=event_type, event_id=event_id, data=data)


@transaction.atomic
def webhook_ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``ping`` to one endpoint, subscribed or not, to test it."""
    if not endpoint.active:
        raise BrokerError(
            _("This endpoint is inactive: activate it first."), code="inactive", http_status=409
        )
    (delivery,) = _deliveries_create(
        [endpoint],
        event_type=webhooks.PING,
        event_id=f"ping:{uuid.uuid4().hex}",
        data={
            "endpoint": {
                "id": endpoint.pk,
                "url": endpoint.url,
                "event_types": endpoint.event_types,
            },
            "message": "Guichet Cloud can reach this endpoint.",
        },
    )
    return delivery


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, as a new attempt with the same idempotency
    key, whatever its status; a failure goes on with the back-off."""
    locked = (
        WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    )
    if not locked.endpoint.active:
        raise BrokerError(
            _("This endpoint is inactive: activate it first."), code="inactive", http_status=409
        )
    locked.status = DeliveryStatus.PENDING
    locked.next_attempt_at = timezone.now()
    locked.save(update_fields=["status", "next_attempt_at"])
    _deliveries_send_after_commit([(locked.pk, locked.attempts + 1)])
    return locked


@dataclass(frozen=True)
class AttemptOutcome:
    delivery_id: int
    attempt: int
    status: str
    status_code: int | None
    retry_in: int | None  # seconds until the next attempt, if one is due


def _lease() -> timedelta:
    # Long enough for one send to every address of a host; until then the
    # sweeper leaves a claimed delivery alone.
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 4 + 60)


def webhook_attempt(*, delivery_id: int, attempt: int) -> AttemptOutcome | None:
    """Make attempt number ``attempt`` of a pending delivery, log it, and
    decide what follows. Returns None when that attempt is not due any
    more (already made by a concurrent task, the sweeper or a manual
    redelivery, or the delivery is settled): a second run sends nothing.

    The claim is a conditional UPDATE, not a lock held over the network."""
    now = timezone.now()
    with transaction.atomic():
        claimed = WebhookDelivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            attempts=attempt - 1,
        ).update(attempts=attempt, next_attempt_at=now + _lease())
        if not claimed:
            return None
        log = WebhookAttempt.objects.create(delivery_id=delivery_id, number=attempt, at=now)
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    final = True
    if not endpoint.active:
        result = webhooks.SendResult(None, 0, "The endpoint is inactive.")
    else:
        try:
            # Checked again at each send: the name may resolve elsewhere now.
            target = webhooks.resolve(
                endpoint.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS
            )
        except webhooks.UnsafeUrl as exc:
            result = webhooks.SendResult(None, 0, f"Refused: {exc}")
        else:
            final = False
            body = webhooks.body_bytes(delivery.payload)
            key = str(delivery.idempotency_key)
            result = webhooks.post(
                target,
                body,
                {
                    "Content-Type": "application/json",
                    "Guichet-Event": delivery.event_type,
                    "Guichet-Delivery": key,
                    "Idempotency-Key": key,
                    "Guichet-Attempt": str(attempt),
                    "Guichet-Signature": webhooks.signature(
                        endpoint.secret, int(time.time()), body
                    ),
                },
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            )
    return _attempt_record(delivery, log, result, final=final or attempt >= webhooks.MAX_ATTEMPTS)


def _attempt_record(
    delivery: WebhookDelivery, log: WebhookAttempt, result: webhooks.SendResult, *, final: bool
) -> AttemptOutcome:
    now = timezone.now()
    log.status_code, log.duration_ms, log.error = (
        result.status_code,
        result.duration_ms,
        result.error[:500],
    )
    log.save(update_fields=["status_code", "duration_ms", "error"])
    fields: dict[str, Any] = {
        "last_status_code": result.status_code,
        "last_duration_ms": result.duration_ms,
        "last_error": result.error[:500],
    }
    retry_in = None
    if result.ok:
        fields.update(status=DeliveryStatus.SUCCEEDED, delivered_at=now, next_attempt_at=None)
    elif final:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        retry_in = webhooks.backoff(log.number)
        fields.update(next_attempt_at=now + timedelta(seconds=retry_in))
    # Unless a later attempt was claimed meanwhile (a manual redelivery):
    # its outcome, not this one, decides what follows.
    updated = WebhookDelivery.objects.filter(pk=delivery.pk, attempts=log.number).update(**fields)
    status = fields.get("status", DeliveryStatus.PENDING)
    return AttemptOutcome(
        delivery.pk, log.number, status, result.status_code, retry_in if updated else None
    )


def webhook_deliveries_due(
    *, now: datetime | None = None, grace_seconds: int = 60, limit: int = 500
) -> list[tuple[int, int]]:
    """Pending deliveries whose next attempt is overdue by more than the
    grace (its task was lost: Redis down at commit, a worker killed), as
    ``(delivery id, next attempt number)``."""
    cutoff = (now or timezone.now()) - timedelta(seconds=grace_seconds)
    return [
        (pk, attempts + 1)
        for pk, attempts in WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=cutoff,
        )
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:limit]
    ]
