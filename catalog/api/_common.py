"""What the catalogue's API views share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from catalog import selectors
from catalog.models import Provider

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def provider_or_403(user: AbstractBaseUser | AnonymousUser) -> Provider:
    """The provider ``user`` acts for: 401 when signed out, 403 without one."""
    if not user.is_authenticated:
        raise NotAuthenticated()
    provider = selectors.provider_of(user)
    if provider is None:
        raise PermissionDenied("Only members of a provider can manage catalogue entries.")
    return provider
