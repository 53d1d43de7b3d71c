"""Direct purchases as each reader may see them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from catalog import selectors as catalog_selectors
from tenders.models import Order
from tenders.selectors.agencies import agency_of

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


def orders_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Order]:
    qs = Order.objects.select_related("agency", "offer", "provider")
    if catalog_selectors.is_operator(user):
        return qs
    agency = agency_of(user)
    if agency:
        return qs.filter(agency_id=agency.pk)
    provider = catalog_selectors.provider_of(user)
    if provider:
        return qs.filter(provider_id=provider.pk)
    return qs.none()
