"""Certificates: public facts once verified; a provider sees its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, Q, QuerySet

from catalog.models import Certification, Offer, ProviderStatus
from catalog.selectors.providers import is_operator, provider_of

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


def certifications_visible_to(
    user: AbstractBaseUser | AnonymousUser,
) -> QuerySet[Certification]:
    """Certificates are public facts once verified; a provider sees all of its
    own, operators see everything."""
    qs = Certification.objects.select_related("scheme", "provider").prefetch_related(
        Prefetch("scope_offers", queryset=Offer.objects.only("id", "name"))
    )
    if is_operator(user):
        return qs
    visible = Q(
        verification=Certification.Verification.VERIFIED, provider__status=ProviderStatus.ACTIVE
    )
    own = provider_of(user)
    if own:
        visible |= Q(provider_id=own.pk)
    return qs.filter(visible)


def certifications_editable_by(
    user: AbstractBaseUser | AnonymousUser,
) -> QuerySet[Certification]:
    own = provider_of(user)
    if own is None:
        return Certification.objects.none()
    return (
        Certification.objects.select_related("scheme", "provider")
        .prefetch_related("scope_offers")
        .filter(provider_id=own.pk)
    )
