"""What the public pages share: pages of results, facet links, prices with
VAT, the level badge of a result row, htmx fragments, breadcrumbs."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.paginator import Page, Paginator
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
CENT = Decimal("0.01")


def _page(request: HttpRequest, rows, size: int = PAGE_SIZE) -> Page:
    """A page of ``rows``; a bad ``?page=`` falls back to the first or last
    page instead of failing."""
    page = Paginator(rows, size).get_page(request.GET.get("page"))
    page.pages_list = list(
        page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    )
    return page


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


def with_vat(amount: Decimal) -> Decimal:
    return (Decimal(amount) * (1 + settings.VAT_RATE)).quantize(CENT, rounding=ROUND_HALF_UP)


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


def _breadcrumb(current: str, *links: tuple[str, str]) -> dict:
    # The State design system's breadcrumb adds the home page itself.
    return {"links": [{"url": url, "title": title} for url, title in links], "current": current}


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
