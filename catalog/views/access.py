"""Who enters the catalogue's spaces, and the root of their breadcrumbs:
one decorator per audience (``core.web.role_required``), used by the
catalogue's views and by the tender views of the same audience."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import MemberRole
from catalog.selectors import is_operator, provider_of
from core.web import breadcrumb, role_required


def _operator(user: AbstractBaseUser | AnonymousUser) -> AbstractBaseUser | AnonymousUser | None:
    return user if is_operator(user) else None


# The provider's spaces (catalogue and tenders): the view reads ``request.provider``.
provider_member_required = role_required(
    provider_of,
    attribute="provider",
    denied=gettext_lazy("This space is for members of a cloud provider."),
)

# The operator's console does not announce itself: a 404 for anyone else.
operator_required = role_required(_operator, attribute="operator")


def is_provider_admin(request: HttpRequest) -> bool:
    """The signed-in user administers the provider they act for."""
    membership = getattr(request.user, "provider_membership", None)
    return membership is not None and membership.role == MemberRole.ADMIN


def provider_crumbs(current: str, *links: tuple[str, str]) -> dict:
    """A breadcrumb inside the provider's space."""
    return breadcrumb(current, (reverse("provider-dashboard"), _("Provider space")), *links)
