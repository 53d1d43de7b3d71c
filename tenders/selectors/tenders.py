"""Tenders as each reader may see them (the one scoping rule), and what
hangs off a tender: clarifications, the shortlist, a provider's
opportunities."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from catalog import selectors as catalog_selectors
from tenders.models import (
    Clarification,
    Invitation,
    ResponseStatus,
    ShortlistEntry,
    Tender,
    TenderResponse,
    TenderStatus,
)
from tenders.selectors.agencies import agency_of

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

PUBLIC_STATUSES = (
    TenderStatus.PUBLISHED,
    TenderStatus.CLOSED,
    TenderStatus.AWARDED,
    TenderStatus.CONTRACT_SIGNED,
    TenderStatus.UNSUCCESSFUL,
    TenderStatus.CANCELLED,
)


def _tender_shape(qs: QuerySet[Tender]) -> QuerySet[Tender]:
    # The output shows the required level, which reads the buyer category's
    # health floor: joined here rather than fetched once per row.
    return qs.select_related("agency__buyer_category__health_min_level")


def tender_for_output(pk: int) -> Tender:
    """A tender fresh from the database, shaped for its JSON."""
    return _tender_shape(Tender.objects.all()).get(pk=pk)


def tenders_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Tender]:
    """Published-and-later tenders for everyone; an agency also sees its own
    drafts; operators see everything. Cancelled drafts stay private."""
    qs = _tender_shape(Tender.objects.all())
    if catalog_selectors.is_operator(user):
        return qs
    visible = Q(status__in=PUBLIC_STATUSES, published_at__isnull=False)
    agency = agency_of(user)
    if agency:
        visible |= Q(agency_id=agency.pk)
    return qs.filter(visible)


def tenders_managed_by(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Tender]:
    agency = agency_of(user)
    if agency is None:
        return Tender.objects.none()
    return _tender_shape(Tender.objects.filter(agency_id=agency.pk))


def opportunities_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Tender]:
    """Published tenders still open for responses on whose shortlist one of
    the user's provider's offers stands, or to which it was invited;
    soonest deadline first, with ``responded`` (it has a live response)."""
    provider = catalog_selectors.provider_of(user)
    if provider is None:
        return Tender.objects.none()
    shortlisted = ShortlistEntry.objects.filter(
        tender_id=OuterRef("pk"), offer__provider_id=provider.pk
    )
    invited = Invitation.objects.filter(tender_id=OuterRef("pk"), provider_id=provider.pk)
    live = TenderResponse.objects.filter(
        tender_id=OuterRef("pk"), provider_id=provider.pk, status=ResponseStatus.SUBMITTED
    )
    return (
        tenders_visible_to(user)
        .filter(status=TenderStatus.PUBLISHED, response_deadline__gt=timezone.now())
        .filter(Exists(shortlisted) | Exists(invited))
        .annotate(responded=Exists(live))
        .order_by("response_deadline", "pk")
    )


def clarifications_of(tender: Tender) -> QuerySet[Clarification]:
    return Clarification.objects.filter(tender=tender).select_related("provider")


def shortlist_of(tender: Tender) -> QuerySet[ShortlistEntry]:
    return (
        ShortlistEntry.objects.filter(tender=tender)
        .select_related("offer__provider")
        .order_by("rank")
    )
