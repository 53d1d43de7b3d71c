"""The award decision as each reader may know it (R2181-3), and the
complaints against it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from catalog import selectors as catalog_selectors
from tenders.models import (
    Award,
    Complaint,
    ResponseStatus,
    Tender,
    TenderResponse,
    TenderStatus,
    WithdrawnAward,
)
from tenders.selectors.agencies import agency_of
from tenders.selectors.evaluation import RankedResponse, ranking
from tenders.selectors.responses import responses_sealed

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


@dataclass(frozen=True)
class DecisionNotice:
    """What a reader may know of a tender's award decision. ``own`` is the
    reader's ranked response (a tenderer), ``ranking`` every ranked
    response (the buyer and the operator only), ``winner`` the winner's row
    (tenderers, the buyer and the operator: R2181-3)."""

    tender: Tender
    award: Award | None
    withdrawn: list[WithdrawnAward]
    ranking: list[RankedResponse]
    own: RankedResponse | None
    winner: RankedResponse | None
    complaints: list[Complaint]
    standstill_running: bool
    is_buyer: bool
    is_tenderer: bool


def complaints_visible_to(
    user: AbstractBaseUser | AnonymousUser, tender: Tender
) -> QuerySet[Complaint]:
    """The buyer and the operator see every complaint of the tender, a
    provider its own; nobody else any."""
    qs = Complaint.objects.filter(tender=tender).select_related("provider")
    if catalog_selectors.is_operator(user):
        return qs
    agency = agency_of(user)
    if agency and agency.pk == tender.agency_id:
        return qs
    provider = catalog_selectors.provider_of(user)
    return qs.filter(provider_id=provider.pk) if provider else qs.none()


def decision_notice(user: AbstractBaseUser | AnonymousUser, tender: Tender) -> DecisionNotice:
    award = (
        Award.objects.select_related("response__provider", "response__offer")
        .filter(tender_id=tender.pk)
        .first()
    )
    withdrawn = list(
        WithdrawnAward.objects.filter(tender_id=tender.pk).select_related("response__provider")
    )
    agency = agency_of(user)
    is_buyer = bool(agency and agency.pk == tender.agency_id) or catalog_selectors.is_operator(user)
    provider = catalog_selectors.provider_of(user)
    ranked: list[RankedResponse] = []
    if not responses_sealed(tender):
        live = list(
            TenderResponse.objects.filter(
                tender=tender, status=ResponseStatus.SUBMITTED
            ).select_related("provider", "offer")
        )
        ranked = ranking(live, tender)
    own = next((r for r in ranked if provider and r.response.provider_id == provider.pk), None)
    winner = next((r for r in ranked if award and r.response.pk == award.response_id), None)
    return DecisionNotice(
        tender=tender,
        award=award,
        withdrawn=withdrawn,
        ranking=ranked if is_buyer else [],
        own=own,
        winner=winner if (is_buyer or own) else None,
        complaints=list(complaints_visible_to(user, tender)),
        standstill_running=bool(
            award
            and award.standstill_ends_at
            and tender.status == TenderStatus.AWARDED
            and timezone.now() < award.standstill_ends_at
        ),
        is_buyer=is_buyer,
        is_tenderer=own is not None,
    )
