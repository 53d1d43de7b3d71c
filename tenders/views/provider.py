"""The provider's tender side (DESIGN §1, §4, §5): its dashboard, the
opportunities its offers qualify for with "why this offer", "why not" for
its other offers, clarifications, sealed responses with their receipts, and
the direct orders it accepts or declines.

Thin views: forms parse, ``tenders.services`` decides, ``tenders.selectors``
scopes; a ``DomainError`` comes back as form errors or a message, never a
500. Every object is looked up through the provider's own scope, so another
provider's response or order is a 404."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.models import CertificationStatus, OfferStatus
from catalog.services import DomainError
from catalog.texts import check_reason
from catalog.views.access import provider_crumbs, provider_member_required
from core.money import incl_vat
from core.submissions import ALREADY, AlreadySubmitted, submitted_once, take_key
from core.web import domain_error_to_form, domain_error_to_message, paginate
from tenders import selectors, services
from tenders import texts as tender_texts
from tenders.forms_provider import DeclineForm, QuestionForm, ResponseForm, WhyNotForm
from tenders.models import Order, OrderStatus, ResponseStatus, Tender, TenderResponse, TenderStatus

PAGE_SIZE = 20
DASHBOARD_ROWS = 5
EXPIRY_WARNING_DAYS = 90

# The eligibility rules by name, for the refusal of a submission (the
# service names the failed rules; the "why not" section says them in full).
RULE_LABELS = {
    "offer_not_published": gettext_lazy("the offer is not published"),
    "provider_suspended": gettext_lazy("your organisation is suspended"),
    "category": gettext_lazy("service category"),
    "level": gettext_lazy("sensitivity level"),
    "flags": gettext_lazy("data requirements"),
    "location": gettext_lazy("data location"),
    "unit": gettext_lazy("unit of sale"),
    "minimum_commitment": gettext_lazy("minimum commitment"),
    "capacity": gettext_lazy("capacity"),
    "minimum_months": gettext_lazy("minimum term"),
}


def _catalogue_links() -> list[dict]:
    """The provider's catalogue pages (catalog/views/provider.py) and its
    supplier documents (catalog/views/declarations.py)."""
    return [
        {"url": reverse(name), "title": title}
        for name, title in (
            ("provider-profile", _("Company profile")),
            ("provider-offers", _("Offers")),
            ("provider-certificates", _("Certificates")),
            ("provider-declarations", _("Declarations and attestations")),
        )
    ]


def _errors_onto(form, error: DomainError) -> None:
    """A refusal onto the form. The eligibility rules a submission fails
    come as codes: the offer field names them, and "why not" below explains
    them rule by rule."""
    failed_rules = (error.fields or {}).get("offer") if error.code == "not_eligible" else None
    if failed_rules and "offer" in form.fields:
        rules = ", ".join(str(RULE_LABELS.get(rule, rule)) for rule in failed_rules)
        form.add_error(
            "offer",
            _(
                "This offer is not eligible for this tender now (%(rules)s). "
                "“Why not” below explains it rule by rule."
            )
            % {"rules": rules},
        )
        return
    domain_error_to_form(error, form)


def _deadline_passed(tender: Tender) -> bool:
    return services.deadline_passed(tender)


def _closed_message(tender: Tender) -> str:
    if _deadline_passed(tender):
        deadline = timezone.localtime(tender.response_deadline)
        return _(
            "The response deadline (%(deadline)s) has passed: no response can be submitted, "
            "replaced or withdrawn any more."
        ) % {"deadline": deadline.strftime("%d/%m/%Y %H:%M %Z")}
    return _("This tender is %(status)s: it no longer takes responses or questions.") % {
        "status": tender.get_status_display()
    }


def _receipt(response: TenderResponse) -> dict:
    """What the provider needs to recompute its receipt (DESIGN §4)."""
    return {
        "sha256": response.receipt_sha256,
        "submitted_at": response.submitted_at,
        "submitted_at_utc": response.submitted_at.astimezone(datetime.UTC).isoformat(),
        "price_incl_vat": incl_vat(response.total_price),
    }


# --------------------------------------------------------------------------
# Dashboard


@provider_member_required
def dashboard(request):
    provider = request.provider
    user = request.user
    today = timezone.localdate()
    opportunities = paginate(request, selectors.opportunities_of(user), per_page=PAGE_SIZE)
    responses = list(selectors.responses_of_provider(user)[:DASHBOARD_ROWS])
    pending = (
        selectors.orders_visible_to(user)
        .filter(status=OrderStatus.PLACED)
        .order_by("placed_at", "pk")
    )
    expiring = (
        catalog_selectors.certifications_editable_by(user)
        .filter(
            status=CertificationStatus.VALID,
            expires_on__gte=today,
            expires_on__lte=today + datetime.timedelta(days=EXPIRY_WARNING_DAYS),
        )
        .order_by("expires_on", "pk")
    )
    return render(
        request,
        "tenders/provider/dashboard.html",
        {
            "provider": provider,
            "opportunities": opportunities,
            "responses": responses,
            "pending_orders": _order_rows(list(pending[:DASHBOARD_ROWS])),
            "pending_orders_count": pending.count(),
            "expiring": expiring,
            "expiry_days": EXPIRY_WARNING_DAYS,
            "catalogue_links": _catalogue_links(),
            "compliance_problems": [
                message
                for messages in catalog_services.provider_compliance_problems(provider).values()
                for message in messages
            ],
        },
    )


@provider_member_required
def responses_list(request):
    page = paginate(request, selectors.responses_of_provider(request.user), per_page=PAGE_SIZE)
    return render(
        request,
        "tenders/provider/responses.html",
        {
            "page_obj": page,
            "breadcrumb_data": provider_crumbs(_("Your responses")),
        },
    )


# --------------------------------------------------------------------------
# Opportunity: the tender, why (not), clarifications, the sealed response


def _visible_tender(request, pk: int) -> Tender:
    tender = selectors.tenders_visible_to(request.user).filter(pk=pk).first()
    if tender is None:
        raise Http404
    # Every request that depends on the deadline checks it itself.
    return services.tender_close_if_due(tender=tender)


def _why_not(request, tender: Tender, offers) -> tuple[WhyNotForm | None, dict | None]:
    if not offers.exists():
        return None, None
    form = WhyNotForm(
        request.GET if "whynot-offer" in request.GET else None, offers=offers, prefix="whynot"
    )
    if not form.is_bound or not form.is_valid():
        return form, None
    offer = form.cleaned_data["offer"]
    failures, cost = selectors.offer_why_not(tender, offer)
    lang = get_language()
    for failure in failures:
        for check in failure["facts"].get("failed_checks", []):
            check["reason"] = check_reason(check, lang)
    return form, {
        "offer": offer,
        "failures": tender_texts.with_reasons(failures, lang),
        "estimated_cost": cost,
        "estimated_cost_incl_vat": incl_vat(cost),
    }


def _opportunity(
    request, provider, tender: Tender, *, response_form=None, question_form=None, status=200
):
    user = request.user
    # Only names for the choices: the offers' certificates are not read here.
    own_offers = catalog_selectors.offers_editable_by(user).prefetch_related(None).order_by("name")
    shortlist = list(selectors.shortlist_of(tender))
    mine = [entry for entry in shortlist if entry.offer.provider_id == provider.pk]
    lang = (get_language() or "fr")[:2]
    for entry in mine:
        entry.reason_lines = tender_texts.with_reasons(entry.reasons, lang)
        entry.warning_lines = tender_texts.with_reasons(entry.warnings, lang)
        entry.estimated_cost_incl_vat = incl_vat(entry.estimated_cost)
    other_offers = own_offers.exclude(pk__in=[entry.offer_id for entry in mine])
    why_not_form, why_not = _why_not(request, tender, other_offers)

    history = list(selectors.responses_visible_to(user, tender).order_by("-submitted_at", "-id"))
    live = next((r for r in history if r.status == ResponseStatus.SUBMITTED), None)
    open_for_responses = tender.status == TenderStatus.PUBLISHED and not _deadline_passed(tender)
    responding_offers = own_offers.filter(status=OfferStatus.PUBLISHED)
    has_offer_to_respond_with = responding_offers.exists()
    if open_for_responses and response_form is None and has_offer_to_respond_with:
        initial = {"offer": (mine[0].offer_id if mine else None)}
        if live is not None:
            initial = {
                "offer": live.offer_id,
                "total_price": live.total_price,
                "technical_answer": live.technical_answer,
            }
        response_form = ResponseForm(offers=responding_offers, prefix="respond", initial=initial)
    if open_for_responses and question_form is None:
        question_form = QuestionForm(prefix="ask")

    # Everyone reads the answered questions; a provider also its own pending ones.
    clarifications = selectors.clarifications_of(tender).filter(
        ~Q(answer="") | Q(provider_id=provider.pk)
    )
    agency = tender.agency
    required = selectors.required_level(agency=agency, level=tender.level, flags=list(tender.flags))
    return render(
        request,
        "tenders/provider/opportunity.html",
        {
            "tender": tender,
            "required_level": required,
            "required_level_label": required.label_en if lang == "en" else required.label_fr,
            "estimated_value_incl_vat": incl_vat(tender.estimated_value),
            "deadline_passed": _deadline_passed(tender),
            "open_for_responses": open_for_responses,
            "mine": mine,
            "why_not_form": why_not_form,
            "why_not": why_not,
            "clarifications": clarifications,
            "question_form": question_form if open_for_responses else None,
            "response_form": response_form if open_for_responses else None,
            "has_offer_to_respond_with": has_offer_to_respond_with,
            "live": live,
            "receipt": _receipt(live) if live else None,
            "history": [r for r in history if r is not live],
            "provider": provider,
            "breadcrumb_data": provider_crumbs(tender.reference),
        },
        status=status,
    )


@provider_member_required
def opportunity(request, pk: int):
    provider = request.provider
    tender = _visible_tender(request, pk)
    if request.method != "POST":
        return _opportunity(request, provider, tender)
    action = request.POST.get("action")
    here = reverse("provider-opportunity", args=[tender.pk])
    if action == "ask":
        form = QuestionForm(request.POST, prefix="ask")
        if form.is_valid():
            try:
                with submitted_once(take_key(form), user=request.user, scope="clarification"):
                    services.clarification_ask(
                        tender=tender,
                        provider=provider,
                        actor=request.user,
                        question=form.cleaned_data["question"],
                    )
            except AlreadySubmitted:
                messages.info(request, ALREADY)
                return redirect(here + "#clarifications")
            except DomainError as error:
                _errors_onto(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "Your question was sent to the buyer. Its answer will be "
                        "published here for every provider."
                    ),
                )
                return redirect(here + "#clarifications")
        if tender.status != TenderStatus.PUBLISHED or _deadline_passed(tender):
            messages.error(request, _closed_message(tender))
            return redirect(here)
        return _opportunity(request, provider, tender, question_form=form, status=400)
    if action == "respond":
        return _respond(request, provider, tender)
    return redirect(here)


def _respond(request, provider, tender: Tender):
    here = reverse("provider-opportunity", args=[tender.pk])
    offers = (
        catalog_selectors.offers_editable_by(request.user)
        .prefetch_related(None)
        .filter(status=OfferStatus.PUBLISHED)
    )
    form = ResponseForm(request.POST, request.FILES, offers=offers, prefix="respond")
    if form.is_valid():
        data = form.cleaned_data
        # The first post of a displayed form records its key with the
        # response, in PostgreSQL; a second post of the same form (double
        # click, retry) finds it recorded and changes nothing. A refused
        # response rolls its key back: the corrected form may be posted again.
        try:
            with submitted_once(data["submission_key"], user=request.user, scope="response"):
                services.response_submit(
                    tender=tender,
                    provider=provider,
                    actor=request.user,
                    offer=data["offer"],
                    total_price=data["total_price"],
                    technical_answer=data["technical_answer"],
                    attachment=data.get("attachment"),
                )
        except AlreadySubmitted:
            messages.info(
                request, _("This form had already been submitted: your response is unchanged.")
            )
            return redirect(here + "#your-response")
        except DomainError as error:
            _errors_onto(form, error)
        else:
            messages.success(request, _("Your sealed response was submitted. Keep its receipt."))
            return redirect(here + "#your-response")
    if tender.status != TenderStatus.PUBLISHED or _deadline_passed(tender):
        # The page no longer shows a form: say why, plainly.
        messages.error(request, _closed_message(tender))
        return redirect(here)
    return _opportunity(request, provider, tender, response_form=form, status=400)


@require_POST
@provider_member_required
def response_withdraw(request, pk: int):
    tender = _visible_tender(request, pk)
    here = reverse("provider-opportunity", args=[tender.pk])
    live = (
        selectors.responses_visible_to(request.user, tender)
        .filter(status=ResponseStatus.SUBMITTED)
        .first()
    )
    if live is None:
        messages.info(request, _("You have no live response on this tender."))
        return redirect(here)
    try:
        services.response_withdraw(response=live, actor=request.user)
    except DomainError as error:
        if error.code == "deadline_passed":
            messages.error(
                request,
                _("The response deadline has passed: your response can no longer be withdrawn."),
            )
        else:
            domain_error_to_message(request, error)
    else:
        messages.success(
            request, _("Your response was withdrawn. You may submit a new one until the deadline.")
        )
    return redirect(here + "#your-response")


# --------------------------------------------------------------------------
# Direct orders


def _own_order(request, provider, pk: int) -> Order:
    order = selectors.orders_visible_to(request.user).filter(pk=pk, provider_id=provider.pk).first()
    if order is None:
        raise Http404
    return order


def _order_rows(orders: list[Order]) -> list[Order]:
    for order in orders:
        order.total_incl_vat = incl_vat(order.total)
    return orders


@provider_member_required
def orders(request):
    provider = request.provider
    status = request.GET.get("status", "")
    queryset = (
        selectors.orders_visible_to(request.user)
        .filter(provider_id=provider.pk)
        .order_by("-placed_at", "-pk")
    )
    if status in OrderStatus.values:
        queryset = queryset.filter(status=status)
    page = paginate(request, queryset, per_page=PAGE_SIZE)
    page.object_list = _order_rows(list(page.object_list))
    return render(
        request,
        "tenders/provider/orders.html",
        {
            "page_obj": page,
            "status": status,
            "statuses": OrderStatus.choices,
            "breadcrumb_data": provider_crumbs(_("Orders")),
        },
    )


@require_POST
@provider_member_required
def order_accept(request, pk: int):
    provider = request.provider
    order = _own_order(request, provider, pk)
    try:
        services.order_accept(order=order, actor=request.user)
    except DomainError as error:
        domain_error_to_message(request, error)
    else:
        messages.success(
            request,
            _("Order %(reference)s accepted: the buyer is notified.")
            % {"reference": order.reference},
        )
    return redirect("provider-orders")


@provider_member_required
def order_decline(request, pk: int):
    provider = request.provider
    order = _own_order(request, provider, pk)
    form = DeclineForm(
        request.POST if request.method == "POST" else None, prefix=f"decline-{order.pk}"
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.order_decline(
                order=order, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            _errors_onto(form, error)
        else:
            messages.success(
                request,
                _("Order %(reference)s declined: the buyer is notified.")
                % {"reference": order.reference},
            )
            return redirect("provider-orders")
    order.total_incl_vat = incl_vat(order.total)
    return render(
        request,
        "tenders/provider/order_decline.html",
        {
            "order": order,
            "form": form,
            "breadcrumb_data": provider_crumbs(
                order.reference, (reverse("provider-orders"), _("Orders"))
            ),
        },
        status=400 if form.is_bound else 200,
    )


urlpatterns = [
    path("espace-fournisseur/", dashboard, name="provider-dashboard"),
    path("espace-fournisseur/reponses/", responses_list, name="provider-responses"),
    path("espace-fournisseur/appels/<int:pk>/", opportunity, name="provider-opportunity"),
    path(
        "espace-fournisseur/appels/<int:pk>/retrait/",
        response_withdraw,
        name="provider-response-withdraw",
    ),
    path("espace-fournisseur/commandes/", orders, name="provider-orders"),
    path(
        "espace-fournisseur/commandes/<int:pk>/accepter/",
        order_accept,
        name="provider-order-accept",
    ),
    path(
        "espace-fournisseur/commandes/<int:pk>/refuser/",
        order_decline,
        name="provider-order-decline",
    ),
]
