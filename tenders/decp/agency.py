"""The buyer's page: every contract of an agency, and where it stands
with the DECP (published, below the threshold, holder unidentified, not
awarded yet, or no contract)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from tenders import selectors
from tenders.decp.entries import ORDER, TENDER, Holder, publication_blocker
from tenders.decp.queries import holder_of, order_subject
from tenders.models import Agency, Order, OrderStatus, Procedure, Tender, TenderStatus

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

PUBLISHED = "published"
NOT_AWARDED = "not_awarded"
NO_CONTRACT = "no_contract"


@dataclass(frozen=True)
class AgencyContractRow:
    kind: str
    reference: str
    subject: str
    status: str  # the tender's or order's own status
    procedure: str  # the procedure's name in the reader's language
    holder_name: str
    amount: Decimal | None
    decp_state: str  # PUBLISHED, BELOW_THRESHOLD, HOLDER_UNIDENTIFIED, NOT_AWARDED, NO_CONTRACT
    published_on: date | None


def _decp_state(amount: Decimal, holders: tuple[Holder, ...], threshold: Decimal) -> str:
    return publication_blocker(amount=amount, holders=holders, threshold=threshold) or PUBLISHED


def _tender_row(tender: Tender, threshold: Decimal) -> AgencyContractRow:
    award = (
        getattr(tender, "award", None) if tender.status == TenderStatus.CONTRACT_SIGNED else None
    )
    if award is None:
        ended = tender.status in (TenderStatus.UNSUCCESSFUL, TenderStatus.CANCELLED)
        return AgencyContractRow(
            TENDER,
            tender.reference,
            tender.title,
            tender.status,
            Procedure(tender.procedure).label,
            "",
            None,
            NO_CONTRACT if ended else NOT_AWARDED,
            None,
        )
    holder = award.response.provider
    state = _decp_state(award.amount, (holder_of(holder),), threshold)
    return AgencyContractRow(
        TENDER,
        tender.reference,
        tender.title,
        tender.status,
        Procedure(tender.procedure).label,
        holder.name,
        award.amount,
        state,
        timezone.localdate(award.contract_signed_at) if state == PUBLISHED else None,
    )


def _order_row(order: Order, threshold: Decimal) -> AgencyContractRow:
    procedure = Procedure.DIRECT.label
    subject = order_subject(order)
    if order.status != OrderStatus.ACCEPTED:
        state = NOT_AWARDED if order.status == OrderStatus.PLACED else NO_CONTRACT
        return AgencyContractRow(
            ORDER,
            order.reference,
            subject,
            order.status,
            procedure,
            order.provider.name,
            order.total,
            state,
            None,
        )
    state = _decp_state(order.total, (holder_of(order.provider),), threshold)
    return AgencyContractRow(
        ORDER,
        order.reference,
        subject,
        order.status,
        procedure,
        order.provider.name,
        order.total,
        state,
        timezone.localdate(order.decided_at) if state == PUBLISHED else None,
    )


def agency_contract_rows(
    *, agency: Agency, user: AbstractBaseUser | AnonymousUser
) -> list[AgencyContractRow]:
    """What the reader may see of an agency's contracts: its public tenders
    (its own members also see drafts, through the tenders selector) and its
    accepted orders — concluded contracts, public like awards — plus the
    pending and refused orders the reader may already see."""
    threshold = settings.DECP_THRESHOLD
    tenders = (
        selectors.tenders_visible_to(user)
        .filter(agency=agency)
        .select_related("award__response__provider")
        .order_by("-created_at", "-id")
    )
    visible_orders = selectors.orders_visible_to(user).filter(agency=agency).values("pk")
    orders = (
        Order.objects.filter(agency=agency)
        .filter(Q(status=OrderStatus.ACCEPTED) | Q(pk__in=visible_orders))
        .select_related("provider", "offer")
        .order_by("-placed_at", "-id")
    )
    return [_tender_row(t, threshold) for t in tenders] + [_order_row(o, threshold) for o in orders]


def agencies_listed() -> QuerySet[Agency]:
    return Agency.objects.only("name", "slug").order_by("name")
