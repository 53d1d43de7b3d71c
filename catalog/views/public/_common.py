"""What the public pages share: facet links, the level badge of a result
row, htmx fragments (pages, prices with VAT and breadcrumbs come from
``core``)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from catalog import selectors, units
from catalog.forms_public import label_of
from catalog.models import (
    Certification,
    CertificationStatus,
    Offer,
    SensitivityLevel,
    ServiceCategory,
)

PAGE_SIZE = 20


def _query_with(request: HttpRequest, **changes: str | None) -> str:
    """The current query string with some parameters replaced (None drops
    one) and the page reset: the link behind a facet."""
    query = request.GET.copy()
    query.pop("page", None)
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return "?" + query.urlencode()


def _levels() -> dict[str, SensitivityLevel]:
    return {lv.code: lv for lv in SensitivityLevel.objects.order_by("rank")}


def _decorate(offers, levels: dict[str, SensitivityLevel]) -> None:
    """Attach what a result row shows: the level badge text and the
    normalised price label."""
    offers = list(offers)
    used_by = selectors.offers_used_by([offer.pk for offer in offers])
    for offer in offers:
        offer.used_by_count = len(used_by.get(offer.pk, []))
        assessment = getattr(offer, "assessment", None)
        level = levels.get(assessment.level) if assessment and assessment.level else None
        offer.level_code = level.code if level else ""
        offer.level_label = label_of(level) if level else ""
        offer.normalised_label = units.NORMALISED_LABELS.get(
            offer.normalised_unit, offer.normalised_unit
        )
        offer.unit_label = (
            units.UNITS[offer.unit].label if offer.unit in units.UNITS else offer.unit
        )
        offer.category_label = (
            ServiceCategory(offer.category).label
            if offer.category in ServiceCategory.values
            else offer.category
        )


def wants_fragment(request: HttpRequest) -> bool:
    """htmx swaps the filters and results in place; a plain request, a
    boosted link or a history restore (htmx lost its cache) gets the page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_swappable(request: HttpRequest, full: str, fragment: str, context: dict) -> HttpResponse:
    response = render(request, fragment if wants_fragment(request) else full, context)
    # One URL, two bodies: caches and the back button must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _listed(user) -> QuerySet[Offer]:
    """Visible offers as a list row shows them: provider and level, not the
    certificates and subcontractors an offer's own page prefetches."""
    return selectors.offers_visible_to(user).prefetch_related(None)


def certificate_rows(certificates) -> list[dict]:
    """Certificates with what a reader needs to trust them: validity dates
    and whether they count today."""
    today = timezone.localdate()
    rows = []
    for cert in certificates:
        expired = cert.expires_on is not None and cert.expires_on < today
        counts = (
            cert.status == CertificationStatus.VALID
            and not expired
            and cert.verification == Certification.Verification.VERIFIED
        )
        rows.append(
            {
                "cert": cert,
                "counts": counts,
                "expired": expired,
                "status_text": _("expired")
                if expired and cert.status == CertificationStatus.VALID
                else cert.get_status_display(),
                "expires_soon": counts
                and cert.expires_on is not None
                and (cert.expires_on - today).days <= 90,
            }
        )
    return rows
