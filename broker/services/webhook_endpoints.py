"""Webhook endpoints: an organisation registers, changes and deletes them,
each change audited."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from broker import webhooks
from broker.models import WebhookEndpoint
from broker.services._common import BrokerError, _invalid
from broker.services.audit import audit_append

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from broker.selectors import Organisation


MAX_ENDPOINTS_PER_ORGANISATION = 20


def _webhook_url_clean(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 500:
        raise _invalid("url", _("At most 500 characters."))
    try:
        webhooks.resolve(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)
    except webhooks.UnsafeUrl as exc:
        raise _invalid("url", str(exc)) from None
    return url


def _event_types_clean(event_types: Iterable[str] | None) -> list[str]:
    wanted = sorted(set(event_types or []))
    if not wanted:
        raise _invalid("event_types", _("Subscribe to at least one event type."))
    unknown = [code for code in wanted if code not in webhooks.EVENT_TYPES]
    if unknown:
        raise _invalid(
            "event_types",
            _("Unknown event types %(unknown)s; see docs/webhooks.md.") % {"unknown": unknown},
        )
    return wanted


@transaction.atomic
def webhook_endpoint_create(
    *,
    organisation: Organisation,
    actor: User,
    url: str,
    event_types: list[str],
    active: bool = True,
) -> WebhookEndpoint:
    """Register an endpoint. Its ``secret`` is generated here and shown to
    the caller this once."""
    if WebhookEndpoint.objects.filter(organisation.rows).count() >= MAX_ENDPOINTS_PER_ORGANISATION:
        raise BrokerError(
            _("An organisation has at most %(maximum)s webhook endpoints.")
            % {"maximum": MAX_ENDPOINTS_PER_ORGANISATION},
            code="limit_reached",
            http_status=409,
        )
    endpoint = WebhookEndpoint.objects.create(
        **organisation.owner_fields,
        url=_webhook_url_clean(url),
        event_types=_event_types_clean(event_types),
        active=bool(active),
        secret="whsec_" + secrets.token_hex(32),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_append(
        actor=actor,
        organisation=organisation.name,
        action="webhook.create",
        object_type="webhookendpoint",
        object_id=endpoint.pk,
        data={"url": endpoint.url, "event_types": endpoint.event_types},
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor: User,
    organisation: Organisation | None = None,
    url: str | None = None,
    event_types: list[str] | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given. ``organisation`` is the caller's; None when the
    operator acts (Django admin)."""
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if url is not None:
        locked.url = _webhook_url_clean(url)
    if event_types is not None:
        locked.event_types = _event_types_clean(event_types)
    if active is not None:
        locked.active = active
    locked.save()
    audit_append(
        actor=actor,
        organisation=organisation.name if organisation else "operator",
        action="webhook.update",
        object_type="webhookendpoint",
        object_id=locked.pk,
        data={"url": locked.url, "event_types": locked.event_types, "active": locked.active},
    )
    return locked


@transaction.atomic
def webhook_endpoint_delete(
    *, endpoint: WebhookEndpoint, organisation: Organisation, actor: User
) -> None:
    audit_append(
        actor=actor,
        organisation=organisation.name,
        action="webhook.delete",
        object_type="webhookendpoint",
        object_id=endpoint.pk,
        data={"url": endpoint.url},
    )
    endpoint.delete()
