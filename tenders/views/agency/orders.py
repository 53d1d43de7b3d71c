"""Direct purchases: the agency's orders, placing one, cancelling one."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from catalog import selectors as catalog_selectors
from catalog import units
from catalog.models import DataFlag, OfferAssessment
from catalog.services import DomainError
from core.money import UNIT_PRICE_EXPONENT, incl_vat
from core.submissions import ALREADY, AlreadySubmitted, submitted_once, take_key
from core.web import domain_error_to_form, domain_error_to_message, paginate
from tenders import eligibility, selectors, services
from tenders import texts as tender_texts
from tenders.forms import (
    OptionalReasonForm,
    OrderForm,
)
from tenders.models import (
    Order,
    OrderStatus,
)
from tenders.views.access import agency_crumbs, agency_member_required
from tenders.views.agency._common import (
    PAGE_SIZE,
    STATUS_BADGES,
    labels,
    language,
)


def order_row(order: Order) -> dict:
    return {
        "order": order,
        "total_incl_vat": incl_vat(order.total),
        "badge": STATUS_BADGES.get(order.status, "info"),
        "unit_label": units.UNITS[order.offer.unit].label
        if order.offer.unit in units.UNITS
        else "",
    }


def _order_failures(agency, offer, data: dict) -> list[str]:
    """Why the offer does not qualify for this order, rule by rule, in the
    reader's language (the service refuses with the rule codes only)."""
    need = selectors.need_for(
        agency=agency,
        level=data["level"],
        flags=data["flags"],
        category=None,
        location="",
        unit=offer.unit,
        quantity=data["quantity"],
        months=data["duration_months"],
    )
    found = eligibility.failures(need, selectors.offer_snapshot(offer.pk, live=True))
    return [item["reason"] for item in tender_texts.with_reasons(found, language())]


@agency_member_required
def order_list(request):
    orders = selectors.orders_visible_to(request.user).order_by("-placed_at", "-id")
    page = paginate(request, orders, per_page=PAGE_SIZE)
    return render(
        request,
        "tenders/agency/order_list.html",
        {
            "page_obj": page,
            "rows": [order_row(o) for o in page.object_list],
            "breadcrumb_data": agency_crumbs(_("Direct purchases")),
        },
    )


@agency_member_required
@require_http_methods(["GET", "POST"])
def order_create(request, offer_id: int):
    offer = catalog_selectors.offers_visible_to(request.user).filter(pk=offer_id).first()
    if offer is None:
        raise Http404
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with submitted_once(take_key(form), user=request.user, scope="order"):
                order = services.order_place(
                    agency=request.agency, actor=request.user, offer=offer, **form.cleaned_data
                )
        except AlreadySubmitted:
            messages.info(request, ALREADY)
            return redirect("agency-orders")
        except DomainError as error:
            if error.code == "not_eligible":
                # The service names the failed rules by their codes: say them.
                form.add_error(None, error.message)
                for sentence in _order_failures(request.agency, offer, form.cleaned_data):
                    form.add_error(None, sentence)
            else:
                domain_error_to_form(error, form)
        else:
            messages.success(
                request,
                _("Order %(reference)s placed: %(provider)s will accept or decline it.")
                % {"reference": order.reference, "provider": offer.provider.name},
            )
            return redirect("agency-orders")
    assessment = OfferAssessment.objects.filter(offer=offer).first()
    flags = labels(DataFlag)
    return render(
        request,
        "tenders/agency/order_form.html",
        {
            "offer": offer,
            "form": form,
            "qualified_level": assessment.level
            if assessment and assessment.level_rank >= 0
            else None,
            "qualified_flags": [flags.get(f, f) for f in assessment.flags] if assessment else [],
            "unit_label": units.UNITS[offer.unit].label,
            # A unit price keeps its four decimals incl. VAT too (issue 17).
            "unit_price_incl_vat": incl_vat(offer.unit_price, exponent=UNIT_PRICE_EXPONENT),
            "threshold": settings.DIRECT_PURCHASE_THRESHOLD,
            "breadcrumb_data": agency_crumbs(
                _("Order %(offer)s") % {"offer": offer.name},
                (reverse("agency-orders"), _("Direct purchases")),
            ),
        },
        status=400 if form.errors else 200,
    )


@agency_member_required
@require_http_methods(["GET", "POST"])
def order_cancel(request, pk: int):
    order = (
        selectors.orders_visible_to(request.user).filter(pk=pk, agency_id=request.agency.pk).first()
    )
    if order is None:
        raise Http404
    if order.status != OrderStatus.PLACED:
        messages.error(
            request,
            _("Order %(reference)s is %(status)s: it can no longer be cancelled.")
            % {"reference": order.reference, "status": order.get_status_display()},
        )
        return redirect("agency-orders")
    form = OptionalReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.order_cancel(
                order=order, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            domain_error_to_message(request, error)
        else:
            messages.success(
                request, _("Order %(reference)s is cancelled.") % {"reference": order.reference}
            )
        return redirect("agency-orders")
    title = _("Cancel order %(reference)s") % {"reference": order.reference}
    return render(
        request,
        "tenders/agency/confirm_order_cancel.html",
        {
            "order": order,
            "form": form,
            "title": title,
            "total_incl_vat": incl_vat(order.total),
            "breadcrumb_data": agency_crumbs(
                title, (reverse("agency-orders"), _("Direct purchases"))
            ),
        },
    )
