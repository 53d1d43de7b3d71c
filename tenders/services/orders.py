"""Direct purchases below the threshold: an agency orders an eligible
catalogue offer, its provider accepts or declines. ``ORDER_TRANSITIONS``
and ``_order_transition`` are the state machine and its guarded setter."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import services as catalog_services
from catalog import units
from catalog.models import Offer
from tenders import eligibility, selectors
from tenders.models import Agency, Order, OrderStatus, SourcingFile
from tenders.services._common import (
    TenderError,
    _conflict,
    _decimal,
    _event,
    _invalid,
    _next_reference,
    _whole,
)
from tenders.services.lifecycle import _tender_clean
from tenders.services.sourcing import _sourcing_file_usable, sourcing_file_offer_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import User


ORDER_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PLACED: {OrderStatus.ACCEPTED, OrderStatus.DECLINED, OrderStatus.CANCELLED},
    OrderStatus.ACCEPTED: set(),
    OrderStatus.DECLINED: set(),
    OrderStatus.CANCELLED: set(),
}


def _order_transition(
    order: Order, target: str, *, actor: User, organisation: str, reason: str = ""
) -> Order:
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if target not in ORDER_TRANSITIONS[locked.status]:
        raise _conflict(
            _("A %(status)s order cannot become %(target)s.")
            % {"status": OrderStatus(locked.status).label, "target": OrderStatus(target).label},
            code="transition_not_allowed",
        )
    previous = locked.status
    locked.status = target
    locked.status_reason = reason
    locked.decided_at = timezone.now()
    locked.decided_by = actor if getattr(actor, "pk", None) else None
    locked.save()
    _event(
        f"order.{target}",
        actor=actor,
        obj=locked,
        organisation=organisation,
        data={"from": previous, "to": target, "reason": reason},
    )
    return locked


@transaction.atomic
def order_place(
    *,
    agency: Agency,
    actor: User,
    offer: Offer,
    quantity: Any,
    duration_months: int,
    level: str = "N0",
    flags: list[str] | None = None,
    sourcing_file: SourcingFile | None = None,
) -> Order:
    """Order an eligible catalogue offer directly, below the threshold; the
    eligibility is re-checked now, against the stated sensitivity. Started
    from a locked ``sourcing_file``, the offer must be one of its frozen
    result and the order stays linked to it."""
    if sourcing_file is not None:
        _sourcing_file_usable(sourcing_file, agency)
        if offer.pk not in sourcing_file_offer_ids(sourcing_file):
            raise _invalid("offer", _("This offer is not in the sourcing file's locked result."))
    quantity = _decimal(
        "quantity", quantity, minimum=Decimal("0.01"), column=Order._meta.get_field("quantity")
    )
    if not _whole(duration_months, 1, 120):
        raise _invalid("duration_months", _("A whole number of months between 1 and 120."))
    clean = _tender_clean({"level": level, "flags": flags or []}, instance=None)
    offer = Offer.objects.select_related("provider").get(pk=offer.pk)
    need = selectors.need_for(
        agency=agency,
        level=clean["level"],
        flags=clean["flags"],
        category=None,
        location="",
        unit=offer.unit,
        quantity=quantity,
        months=duration_months,
    )
    failed = eligibility.failures(need, selectors.offer_snapshot(offer.pk, live=True))
    if failed:
        raise TenderError(
            _("This offer is not eligible for this order."),
            code="not_eligible",
            fields={"offer": [f["rule"] for f in failed]},
        )
    total = units.estimated_cost(
        normalised_price=offer.normalised_price,
        quantity=quantity,
        unit=offer.unit,
        months=duration_months,
    )
    if total >= settings.DIRECT_PURCHASE_THRESHOLD:
        raise _invalid(
            "quantity",
            _(
                "A direct purchase stays below %(threshold)s € excl. VAT (this one is %(total)s €): publish a tender instead."
            )
            % {"threshold": settings.DIRECT_PURCHASE_THRESHOLD, "total": total},
        )
    order = Order.objects.create(
        agency=agency,
        offer=offer,
        provider=offer.provider,
        quantity=quantity,
        duration_months=duration_months,
        unit_price=offer.unit_price,
        normalised_price=offer.normalised_price,
        total=total,
        level=clean["level"],
        flags=clean["flags"],
        placed_by=actor if getattr(actor, "pk", None) else None,
        reference=_next_reference("CMD", Order),
        sourcing_file=sourcing_file,
    )
    _event(
        "order.place",
        actor=actor,
        obj=order,
        organisation=agency.name,
        data={
            "offer_id": offer.pk,
            "total": str(total),
            **({"sourcing_file_id": sourcing_file.pk} if sourcing_file is not None else {}),
        },
    )
    return order


@transaction.atomic
def order_accept(*, order: Order, actor: User) -> Order:
    catalog_services.provider_compliance_require(order.provider)
    return _order_transition(
        order, OrderStatus.ACCEPTED, actor=actor, organisation=order.provider.name
    )


@transaction.atomic
def order_decline(*, order: Order, actor: User, reason: str) -> Order:
    if not (reason or "").strip():
        raise _invalid("reason", _("A reason is required to decline an order."))
    return _order_transition(
        order,
        OrderStatus.DECLINED,
        actor=actor,
        organisation=order.provider.name,
        reason=reason.strip(),
    )


@transaction.atomic
def order_cancel(*, order: Order, actor: User, reason: str = "") -> Order:
    return _order_transition(
        order,
        OrderStatus.CANCELLED,
        actor=actor,
        organisation=order.agency.name,
        reason=(reason or "").strip(),
    )
