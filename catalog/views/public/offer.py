"""One offer's page: its explained eligibility, certificates, locations and
subcontractors, the public bodies using it, and where to buy it directly."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_countries import countries as iso_countries

from catalog import selectors, units
from catalog.forms_public import label_of
from catalog.models import DataFlag, Offer, OfferAssessment, SensitivityLevel
from catalog.texts import check_reason
from catalog.views.public._common import (
    _decorate,
    _levels,
    certificate_rows,
)
from core.money import CENT, UNIT_PRICE_EXPONENT, incl_vat
from core.web import breadcrumb


def eligibility_explained(assessment: OfferAssessment | None) -> dict:
    """The stored checks grouped level by level, then flag by flag, each in
    the reader's language (catalog.texts)."""
    if assessment is None:
        return {"levels": [], "flags": []}
    granted_rank = assessment.level_rank
    levels = []
    for lv in SensitivityLevel.objects.order_by("rank"):
        checks = [
            {"passed": bool(c["passed"]), "reason": check_reason(c)}
            for c in assessment.checks
            if c.get("level") == lv.code and not c.get("flag")
        ]
        if not checks:
            continue
        passed = all(c["passed"] for c in checks)
        if lv.rank <= granted_rank:
            state, text = "qualified", _("Qualified")
        elif passed:
            state, text = "blocked", _("Rules met, but a lower level is not")
        else:
            state, text = "failed", _("Not qualified")
        levels.append(
            {
                "code": lv.code,
                "label": label_of(lv),
                "state": state,
                "state_text": text,
                "checks": checks,
                "failed": sum(1 for c in checks if not c["passed"]),
            }
        )
    flags = []
    for flag in DataFlag.objects.order_by("code"):
        checks = [
            {"passed": bool(c["passed"]), "reason": check_reason(c)}
            for c in assessment.checks
            if c.get("flag") == flag.code
        ]
        if not checks:
            continue
        met = flag.code in assessment.flags
        flags.append(
            {
                "code": flag.code,
                "label": label_of(flag),
                "met": met,
                "checks": checks,
                "failed": sum(1 for c in checks if not c["passed"]),
            }
        )
    return {"levels": levels, "flags": flags}


def _direct_purchase_url(offer: Offer) -> str | None:
    """Where an agency buys this offer directly, when its smallest order
    (minimum commitment and term) stays below the threshold."""
    smallest = units.estimated_cost(
        normalised_price=offer.normalised_price,
        quantity=max(offer.minimum_commitment, CENT),
        unit=offer.unit,
        months=max(1, offer.minimum_months),
    )
    if smallest >= settings.DIRECT_PURCHASE_THRESHOLD:
        return None
    return reverse("agency-order-create", kwargs={"offer_id": offer.pk})


@require_GET
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_object_or_404(selectors.offers_visible_to(request.user), pk=pk)
    _decorate([offer], _levels())
    assessment = getattr(offer, "assessment", None)
    certificates = (
        selectors.certifications_visible_to(request.user)
        .filter(scope_offers=offer)
        .order_by("scheme__code", "-expires_on")
    )
    locations = [
        (label, [iso_countries.name(c) or c for c in countries])
        for label, countries in (
            (_("Storage"), offer.storage_countries),
            (_("Processing"), offer.processing_countries),
            (_("Backup and disaster recovery"), offer.backup_countries),
            (_("Technical data"), offer.technical_data_countries),
            (_("Administration and supervision"), offer.administration_countries),
            (_("Support"), offer.support_countries),
        )
    ]
    return render(
        request,
        "catalog/public/offer_detail.html",
        {
            "offer": offer,
            "assessment": assessment,
            "eligibility": eligibility_explained(assessment),
            "flag_labels": [label_of(f) for f in DataFlag.objects.filter(code__in=assessment.flags)]
            if assessment
            else [],
            "certificates": certificate_rows(certificates),
            "locations": locations,
            "subcontractors": list(offer.subcontractors.all()),
            # Unit prices keep their four decimals incl. VAT too (issue 17).
            "unit_price_incl_vat": incl_vat(offer.unit_price, exponent=UNIT_PRICE_EXPONENT),
            "normalised_price_incl_vat": incl_vat(
                offer.normalised_price, exponent=UNIT_PRICE_EXPONENT
            ),
            "buy_url": _direct_purchase_url(offer),
            "used_by": selectors.offers_used_by([offer.pk]).get(offer.pk, []),
            "threshold": settings.DIRECT_PURCHASE_THRESHOLD,
            "breadcrumb_data": breadcrumb(offer.name, (reverse("catalog-search"), _("Catalogue"))),
        },
    )
