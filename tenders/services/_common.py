"""What every service of the demand side shares: the one domain error,
field and conflict refusals, the domain event (the broker writes the audit
chain in the same transaction), number checks and reference numbers."""

from __future__ import annotations

import zlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from core.errors import DomainError
from core.numbers import decimal_parse
from tenders import signals

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db import models

    from tenders.models import Order, Tender


class TenderError(DomainError):
    """The one domain error of the demand side (mapped once to HTTP)."""


def _invalid(field: str, message: str) -> TenderError:
    return TenderError(message, fields={field: [message]})


def _conflict(message: str, code: str = "conflict") -> TenderError:
    return TenderError(message, code=code, http_status=409)


def _event(
    action: str,
    *,
    actor: User | None,
    obj: models.Model,
    organisation: str = "",
    data: dict[str, Any] | None = None,
    tender_id: int | None = None,
) -> None:
    signals.tender_event.send(
        sender=type(obj),
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        organisation=organisation,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        data=data or {},
        tender_id=tender_id,
    )


CENT = Decimal("0.01")


def _whole(value: Any, low: int, high: int) -> bool:
    # bool is an int subclass: True must not pass for 1.
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _decimal(
    field: str,
    value: Any,
    *,
    minimum: Decimal = Decimal("0"),
    column: models.DecimalField | None = None,
) -> Decimal:
    """A finite number at least ``minimum`` that fits ``column`` (the model
    field that stores it): core's one bounded parse, as a TenderError."""
    return decimal_parse(field, value, column=column, minimum=minimum, error=TenderError)


def _next_reference(prefix: str, model: type[Tender | Order]) -> str:
    """The next free ``PREFIX-YEAR-NNNNN``. Two creations at once would read
    the same last number: a transaction-scoped advisory lock per stem makes
    them take turns (the caller is atomic, so the lock lasts until its
    row is committed)."""
    year = timezone.localdate().year
    stem = f"{prefix}-{year}-"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(stem.encode())])
    last = (
        model.objects.filter(reference__startswith=stem)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{number:05d}"
