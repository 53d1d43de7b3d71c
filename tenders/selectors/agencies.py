"""Who acts for which agency."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenders.models import Agency, AgencyMembership

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


def agency_membership_of(user: AbstractBaseUser | AnonymousUser) -> AgencyMembership | None:
    # getattr: None reads as anonymous, as in catalog's provider_of.
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    if user_id is None:
        return None
    return (
        AgencyMembership.objects.select_related("agency__buyer_category")
        .filter(user_id=user_id)
        .first()
    )


def agency_of(user: AbstractBaseUser | AnonymousUser) -> Agency | None:
    membership = agency_membership_of(user)
    return membership.agency if membership else None
