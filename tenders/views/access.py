"""Who enters the buyer's spaces (tenders, orders, sourcing files): one
decorator, the agency in ``request.agency``. The provider's and the
operator's decorators are the catalogue's (``catalog.views.access``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.web import breadcrumb, role_required
from tenders.selectors import agency_of

agency_member_required = role_required(
    agency_of,
    attribute="agency",
    denied=gettext_lazy("This space is for members of a public buyer."),
)


def agency_crumbs(current: str, *links: tuple[str, str]) -> dict:
    """A breadcrumb inside the buyer's space."""
    return breadcrumb(current, (reverse("agency-dashboard"), _("Buyer space")), *links)
