"""Sealed responses: the only way to read responses is
``responses_visible_to``, which gives a provider its own and an agency its
tender's responses only once the deadline has CLOSED the tender. Counts go
through the same selector, and so does every lookup by id
(``response_of``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from catalog import selectors as catalog_selectors
from tenders.models import ResponseStatus, Tender, TenderResponse, TenderStatus
from tenders.selectors.agencies import agency_of

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

SEALED_STATUSES = (TenderStatus.DRAFT, TenderStatus.PUBLISHED)


def responses_sealed(tender: Tender) -> bool:
    """Sealed until the deadline closes the tender, and for good when it never
    did: a tender cancelled while published never opens its responses (a
    buyer must not cancel to peek at the prices and start again)."""
    return tender.status in SEALED_STATUSES or tender.closed_at is None


def responses_visible_to(
    user: AbstractBaseUser | AnonymousUser, tender: Tender
) -> QuerySet[TenderResponse]:
    """A provider sees its own responses; the agency (and the operator) sees
    the live responses only after the deadline has closed the tender;
    nobody else sees any."""
    qs = TenderResponse.objects.select_related("provider", "offer", "tender").filter(tender=tender)
    provider = catalog_selectors.provider_of(user)
    if provider is not None:
        return qs.filter(provider_id=provider.pk)
    if responses_sealed(tender):
        return qs.none()
    agency = agency_of(user)
    if (agency and agency.pk == tender.agency_id) or catalog_selectors.is_operator(user):
        return qs.filter(status=ResponseStatus.SUBMITTED)
    return qs.none()


def response_of(
    user: AbstractBaseUser | AnonymousUser, tender: Tender, public_id: uuid.UUID | str
) -> TenderResponse | None:
    """The response ``public_id`` of ``tender`` if ``user`` reads it, else
    None. Every door that takes a response id (API and HTML) looks it up
    here: the scope of ``responses_visible_to`` is decided before any id is
    compared, so while the responses are sealed a real id and a made-up one
    give the same None (for anyone but a provider, without even a query
    whose time could differ); a provider's scope is its own responses."""
    try:
        key = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError:
        return None
    return responses_visible_to(user, tender).filter(public_id=key).first()


def responses_of_provider(user: AbstractBaseUser | AnonymousUser) -> QuerySet[TenderResponse]:
    """Every response of the user's provider, across tenders, newest first:
    its own only (a sealed response never leaves its provider)."""
    provider = catalog_selectors.provider_of(user)
    if provider is None:
        return TenderResponse.objects.none()
    return (
        TenderResponse.objects.select_related("tender__agency", "offer")
        .filter(provider_id=provider.pk)
        .order_by("-submitted_at", "-id")
    )
