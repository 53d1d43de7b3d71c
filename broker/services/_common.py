"""What the broker's services share: the one domain error and its
shorthands, and the "last used" stamp of credentials."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.errors import DomainError

if TYPE_CHECKING:
    from broker.selectors import Organisation


class BrokerError(DomainError):
    """The one domain error of the broker (mapped once to HTTP by
    ``config.api.exception_handler``)."""


def _invalid(field: str, message: str) -> BrokerError:
    return BrokerError(message, fields={field: [message]})


def _admins_only(organisation: Organisation, message: str) -> None:
    if not organisation.is_admin:
        raise BrokerError(
            message % {"name": organisation.name}, code="permission_denied", http_status=403
        )


# last_used_at is written at most this often per credential (API key,
# token): a busy integration does not turn every read into a write.
TOUCH_INTERVAL = timedelta(minutes=1)


def touch_last_used(row: models.Model, *, now: datetime | None = None) -> None:
    """Stamp ``row.last_used_at`` unless it was stamped less than
    ``TOUCH_INTERVAL`` ago."""
    now = now or timezone.now()
    last = row.last_used_at  # type: ignore[attr-defined]
    if last is not None and now - last < TOUCH_INTERVAL:
        return
    # Conditional: of concurrent requests, one writes.
    type(row)._default_manager.filter(pk=row.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_INTERVAL)
    ).update(last_used_at=now)
    row.last_used_at = now  # type: ignore[attr-defined]
