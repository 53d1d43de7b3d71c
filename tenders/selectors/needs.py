"""Eligibility inputs: what a tender or an order needs (``Need``) and an
offer as the eligibility rules read it (``OfferSnapshot``)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from catalog import policy
from catalog import selectors as catalog_selectors
from catalog.models import Offer, OfferAssessment, ProviderStatus, SensitivityLevel
from tenders.eligibility import Need, OfferSnapshot
from tenders.models import Agency, Tender


def levels_by_code() -> dict[str, SensitivityLevel]:
    return {level.code: level for level in SensitivityLevel.objects.all()}


def required_level(
    *,
    agency: Agency,
    level: str,
    flags: list[str],
    levels: dict[str, SensitivityLevel] | None = None,
) -> SensitivityLevel:
    """The level a need demands: the stated one, raised for health data of
    State bodies (doctrine « cloud au centre »: health data is N2 for them).
    ``levels`` (from ``levels_by_code``) spares a query per tender in lists."""
    stated = (
        levels[level] if levels and level in levels else SensitivityLevel.objects.get(code=level)
    )
    floor = agency.buyer_category.health_min_level if "HEALTH" in flags else None
    if floor is not None and floor.rank > stated.rank:
        return floor
    return stated


def need_for(
    *,
    agency: Agency,
    level: str,
    flags: list[str],
    category: str | None,
    location: str,
    unit: str,
    quantity: Decimal,
    months: int | None = None,
    levels: dict[str, SensitivityLevel] | None = None,
) -> Need:
    required = required_level(agency=agency, level=level, flags=flags, levels=levels)
    return Need(
        level=required.code,
        level_rank=required.rank,
        flags=tuple(sorted(flags)),
        category=category,
        location=location,
        unit=unit,
        quantity=Decimal(quantity),
        months=months,
    )


def need_of(tender: Tender, levels: dict[str, SensitivityLevel] | None = None) -> Need:
    return need_for(
        agency=tender.agency,
        level=tender.level,
        flags=list(tender.flags),
        category=tender.category,
        location=tender.location_constraint,
        unit=tender.unit,
        quantity=tender.quantity,
        months=tender.duration_months,
        levels=levels,
    )


def offer_snapshot(offer_id: int, *, live: bool = False) -> OfferSnapshot:
    """An offer as the eligibility rules read it. By default with its stored
    assessment (what matching used); ``live`` runs the policy engine on
    today's facts instead, for the decisions that must hold *now* — a
    submission, an order — even if a certificate expired this morning and
    the beat has not re-assessed the offer yet."""
    offer = Offer.objects.select_related("provider").get(pk=offer_id)
    level: str | None
    rank: int | None
    if live:
        facts = catalog_selectors.offer_facts([offer_id])
        result = policy.assess(facts[0], catalog_selectors.policy_current(), timezone.localdate())
        level, rank, flags, checks = (
            result.level or None,
            result.level_rank,
            result.flags,
            result.checks_data(),
        )
        if level is None:
            rank = None
    else:
        assessment = OfferAssessment.objects.filter(offer_id=offer_id).first()
        level = assessment.level if assessment else None
        rank = assessment.level_rank if assessment else None
        flags = assessment.flags if assessment else []
        checks = assessment.checks if assessment else []
    return OfferSnapshot(
        id=offer.pk,
        status=offer.status,
        provider_active=offer.provider.status == ProviderStatus.ACTIVE,
        category=offer.category,
        unit=offer.unit,
        data_countries=tuple(offer.data_countries),
        minimum_commitment=offer.minimum_commitment,
        capacity=offer.capacity,
        level=level,
        level_rank=rank,
        flags=tuple(flags),
        failed_checks=tuple(c for c in checks if not c["passed"]),
        minimum_months=offer.minimum_months,
    )
