"""Read-only queries that turn ``Award`` and ``Order`` rows into DECP
``Contract``\\ s, for the downloads, the ``export_decp`` command and the
change feed (``tenders.decp.feed``)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from catalog.models import Subcontractor
from tenders.decp.entries import ORDER, TENDER, Contract, Holder, document, marche_entry
from tenders.models import (
    Agency,
    Award,
    Order,
    OrderStatus,
    Procedure,
    ResponseStatus,
    TenderResponse,
    TenderStatus,
)


def _awards() -> QuerySet[Award]:
    """Awards of AWARDED tenders (nothing exists before the award), with the
    offers received and whether the winning offer declares subcontractors."""
    live = (
        TenderResponse.objects.filter(
            tender_id=OuterRef("tender_id"), status=ResponseStatus.SUBMITTED
        )
        .order_by()
        .values("tender_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Award.objects.filter(
            tender__status=TenderStatus.CONTRACT_SIGNED, contract_signed_at__isnull=False
        )
        .select_related("tender__agency", "response__provider")
        .annotate(
            offers_received=Coalesce(Subquery(live), 0),
            subcontracted=Exists(
                Subcontractor.objects.filter(offer_id=OuterRef("response__offer_id"))
            ),
        )
    )


def _accepted_orders() -> QuerySet[Order]:
    return (
        Order.objects.filter(status=OrderStatus.ACCEPTED, decided_at__isnull=False)
        .select_related("agency", "provider", "offer")
        .annotate(subcontracted=Exists(Subcontractor.objects.filter(offer_id=OuterRef("offer_id"))))
    )


def holder_of(provider) -> Holder:
    return Holder(siren=provider.siren, vat_number=provider.vat_number)


def contract_from_award(award: Award) -> Contract:
    tender = award.tender
    return Contract(
        kind=TENDER,
        pk=award.pk,
        reference=tender.reference,
        buyer_siret=tender.agency.siret,
        subject=tender.title,
        cpv_code=tender.cpv_code,
        procedure=tender.procedure,
        duration_months=tender.duration_months,
        amount=award.amount,
        published_at=award.contract_signed_at,
        holders=(holder_of(award.response.provider),),
        offers_received=max(getattr(award, "offers_received", 1), 1),
        subcontracting_declared=bool(getattr(award, "subcontracted", False)),
    )


def order_subject(order: Order) -> str:
    return f"Achat direct sur catalogue : {order.offer.name}"


def contract_from_order(order: Order) -> Contract:
    return Contract(
        kind=ORDER,
        pk=order.pk,
        reference=order.reference,
        buyer_siret=order.agency.siret,
        subject=order_subject(order),
        cpv_code=order.offer.cpv_code,
        procedure=Procedure.DIRECT,
        duration_months=order.duration_months,
        amount=order.total,
        published_at=order.decided_at,
        holders=(holder_of(order.provider),),
        subcontracting_declared=bool(getattr(order, "subcontracted", False)),
    )


def _identified(provider: str) -> Q:
    # SQL twin of holder_identifier() is not None.
    return ~Q(**{f"{provider}__siren": ""}) | ~Q(**{f"{provider}__vat_number": ""})


def publishable(
    *, agency: Agency | None = None, threshold: Decimal | None = None
) -> tuple[QuerySet[Award], QuerySet[Order]]:
    """The awards and orders in the DECP (``publication_blocker`` in SQL),
    in publication order."""
    threshold = settings.DECP_THRESHOLD if threshold is None else threshold
    awards = _awards().filter(_identified("response__provider"), amount__gte=threshold)
    orders = _accepted_orders().filter(_identified("provider"), total__gte=threshold)
    if agency is not None:
        awards = awards.filter(tender__agency=agency)
        orders = orders.filter(agency=agency)
    return awards.order_by("contract_signed_at", "pk"), orders.order_by("decided_at", "pk")


def publishable_contracts(
    *, agency: Agency | None = None, threshold: Decimal | None = None
) -> list[Contract]:
    """Contracts in the DECP, in publication order. Two queries whatever
    the count."""
    awards, orders = publishable(agency=agency, threshold=threshold)
    contracts = [contract_from_award(a) for a in awards] + [contract_from_order(o) for o in orders]
    contracts.sort(key=lambda contract: contract.position)
    return contracts


def decp_document(*, agency: Agency | None = None) -> dict:
    """The whole DECP document (the downloads and ``export_decp``)."""
    return document([marche_entry(c) for c in publishable_contracts(agency=agency)])


def decp_count() -> int:
    awards, orders = publishable()
    return awards.count() + orders.count()
