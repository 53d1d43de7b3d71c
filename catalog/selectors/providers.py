"""Who acts for which provider, and the providers a user may see or edit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from catalog.models import Provider, ProviderMembership, ProviderStatus

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


def provider_of(user: AbstractBaseUser | AnonymousUser) -> Provider | None:
    """The provider a user acts for, or None (anonymous, agency, operator)."""
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    if user_id is None:
        return None
    membership = (
        ProviderMembership.objects.select_related("provider").filter(user_id=user_id).first()
    )
    return membership.provider if membership else None


def is_operator(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False))


def providers_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Provider]:
    qs = Provider.objects.prefetch_related("stakes")
    if is_operator(user):
        return qs
    own = provider_of(user)
    visible = Q(status=ProviderStatus.ACTIVE)
    if own:
        visible |= Q(pk=own.pk)
    return qs.filter(visible)


def providers_editable_by(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Provider]:
    own = provider_of(user)
    if own is None:
        return Provider.objects.none()
    return Provider.objects.prefetch_related("stakes").filter(pk=own.pk)
