"""What the catalogue's services share: the one error, field checks,
the operator's record and the request for a re-assessment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext as _
from django_countries import countries as iso_countries

from catalog import signals
from catalog.errors import CatalogError
from catalog.models import Offer, OperatorAction
from core.numbers import decimal_parse

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _invalid(field: str, message: str) -> CatalogError:
    return CatalogError(message, fields={field: [message]})


def _forbidden(message: str) -> CatalogError:
    return CatalogError(message, code="forbidden", http_status=403)


def _country(field: str, code: str) -> str:
    code = (code or "").strip().upper()
    if code not in iso_countries:
        raise _invalid(
            field, _("'%(code)s' is not an ISO 3166-1 alpha-2 country code.") % {"code": code}
        )
    return code


def _countries(field: str, codes: Iterable[str]) -> list[str]:
    if isinstance(codes, str):
        codes = [c for c in codes.split(",") if c.strip()]
    return sorted({_country(field, code) for code in codes})


def _decimal(
    field: str,
    value: Any,
    *,
    column: models.DecimalField | None = None,
    minimum: Decimal | None = Decimal("0"),
    maximum: Decimal | None = None,
    exact: bool = False,
) -> Decimal:
    """A catalogue number (core.numbers.decimal_parse), refused as a
    CatalogError; ``column`` is the model field that stores it."""
    return decimal_parse(
        field,
        value,
        column=column,
        minimum=minimum,
        maximum=maximum,
        exact=exact,
        error=CatalogError,
    )


def _column(model: type[models.Model], name: str) -> models.DecimalField:
    """The decimal field that stores ``name``: its digits bound the value."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.DecimalField)
    return field


def _date(field: str, value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _invalid(field, _("A date in YYYY-MM-DD form is required.")) from None


def _required_reason(reason: str, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", missing)
    return reason


def _operator_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    reason: str = "",
    data: dict | None = None,
) -> None:
    OperatorAction.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.model_name or "",
        object_id=obj.pk,
        reason=reason,
        data=data or {},
    )
    signals.operator_decided.send(
        sender=type(obj),
        actor=actor,
        action=action,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        data={"reason": reason, **(data or {})},
    )


def assessment_request(*, offer_ids: list[int] | None, reason: str) -> None:
    """Ask for these offers (None: all) to be re-assessed after commit."""
    signals.offer_inputs_changed.send(sender=Offer, offer_ids=offer_ids, reason=reason)
