"""A tender's page: live matching, the shortlist, clarifications, sealed
responses, scoring, ranking, and the decisions (award, unsuccessful,
cancellation, publication)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from catalog import units
from catalog.models import DataFlag
from catalog.services import DomainError
from core.money import incl_vat
from core.web import domain_error_to_form, domain_error_to_message, paginate
from tenders import selectors, services
from tenders import texts as tender_texts
from tenders.forms import (
    LOCATION_CHOICES,
    AnswerForm,
    ReasonForm,
    ScoreForm,
)
from tenders.models import (
    Award,
    Clarification,
    MatchingState,
    Tender,
    TenderResponse,
    TenderStatus,
)
from tenders.views.access import agency_crumbs, agency_member_required
from tenders.views.agency._common import (
    MATCHING_BADGES,
    PAGE_SIZE,
    STATUS_BADGES,
    labels,
    language,
    managed_tender,
)


def _matching_context(request, tender: Tender) -> dict:
    entries = selectors.shortlist_of(tender)
    page = paginate(request, entries, per_page=PAGE_SIZE, param="shortlist_page")
    lang = language()
    rows = [
        {
            "entry": e,
            "cost_incl_vat": incl_vat(e.estimated_cost),
            "reasons": tender_texts.with_reasons(e.reasons, lang),
            "warnings": tender_texts.with_reasons(e.warnings, lang),
        }
        for e in page.object_list
    ]
    polling = tender.status == TenderStatus.PUBLISHED and tender.matching_state in (
        MatchingState.QUEUED,
        MatchingState.RUNNING,
    )
    return {
        "tender": tender,
        "shortlist_page": page,
        "shortlist_rows": rows,
        "polling": polling,
        "matching_badge": MATCHING_BADGES.get(tender.matching_state, "new"),
        "matching_label": tender.get_matching_state_display(),
    }


def _detail_context(
    request, tender: Tender, *, answer_forms: dict | None = None, score_forms: dict | None = None
) -> dict:
    answer_forms = answer_forms or {}
    score_forms = score_forms or {}
    sealed = selectors.responses_sealed(tender)
    can_answer = tender.status in (TenderStatus.PUBLISHED, TenderStatus.CLOSED)
    clarifications = [
        {"item": c, "form": answer_forms.get(c.pk) or AnswerForm(clarification_id=c.pk)}
        for c in selectors.clarifications_of(tender)
    ]
    responses, ranking = [], []
    if not sealed:
        live = list(selectors.responses_visible_to(request.user, tender))
        ranking = selectors.ranking(live, tender)
        responses = [
            {
                "response": r,
                "price_incl_vat": incl_vat(r.total_price),
                "form": score_forms.get(r.pk)
                or ScoreForm(
                    response_id=r.public_id,
                    initial={"technical_score": r.technical_score, "other_score": r.other_score},
                ),
            }
            for r in live
        ]
    award = (
        Award.objects.select_related("response__provider", "response__offer")
        .filter(tender=tender)
        .first()
    )
    levels = selectors.levels_by_code()
    flags = labels(DataFlag)
    required = selectors.required_level(
        agency=tender.agency, level=tender.level, flags=list(tender.flags), levels=levels
    )
    return {
        "tender": tender,
        "badge": STATUS_BADGES.get(tender.status, "info"),
        "level_label": getattr(levels.get(tender.level), f"label_{language()}", ""),
        "required_level": required,
        "flag_labels": [flags.get(f, f) for f in tender.flags],
        "unit_label": units.UNITS[tender.unit].label if tender.unit in units.UNITS else tender.unit,
        "location_label": dict(LOCATION_CHOICES).get(
            tender.location_constraint, tender.location_constraint
        ),
        "estimated_value_incl_vat": incl_vat(tender.estimated_value),
        "clarifications": clarifications,
        "can_answer": can_answer,
        "sealed": sealed,
        "responses": responses,
        "ranking": ranking,
        "award": award,
        "award_amount_incl_vat": incl_vat(award.amount) if award else None,
        "can_decide": tender.status == TenderStatus.CLOSED,
        "can_cancel": tender.status
        in (TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.CLOSED),
        "breadcrumb_data": agency_crumbs(
            tender.reference, (reverse("agency-tenders"), _("Tenders"))
        ),
        **_matching_context(request, tender),
    }


@agency_member_required
def tender_detail(request, pk: int):
    tender = managed_tender(request, pk)
    return render(request, "tenders/agency/tender_detail.html", _detail_context(request, tender))


@agency_member_required
def tender_matching(request, pk: int):
    """The live matching status and shortlist (polled by htmx every 2 s
    while matching is queued or running); without htmx, the tender page."""
    tender = managed_tender(request, pk)
    if not request.htmx:
        return redirect(reverse("agency-tender-detail", args=[pk]) + "#matching")
    return render(request, "tenders/agency/_matching.html", _matching_context(request, tender))


@agency_member_required
@require_POST
def clarification_answer(request, pk: int, clarification_id: int):
    tender = managed_tender(request, pk)
    item = Clarification.objects.filter(pk=clarification_id, tender=tender).first()
    if item is None:
        raise Http404
    form = AnswerForm(request.POST, clarification_id=item.pk)
    if form.is_valid():
        try:
            services.clarification_answer(
                clarification=item, actor=request.user, answer=form.cleaned_data["answer"]
            )
        except DomainError as error:
            domain_error_to_form(error, form)
        else:
            messages.success(request, _("Your answer is published to every provider."))
            return redirect(reverse("agency-tender-detail", args=[pk]) + "#clarifications")
    return render(
        request,
        "tenders/agency/tender_detail.html",
        _detail_context(request, tender, answer_forms={item.pk: form}),
        status=400,
    )


def _live_response(request, tender: Tender, response_id: uuid.UUID) -> TenderResponse:
    # The API's lookup: while sealed, a real id is a 404 like a made-up one.
    response = selectors.response_of(request.user, tender, response_id)
    if response is None:
        raise Http404
    return response


@agency_member_required
@require_POST
def response_score(request, pk: int, response_id: uuid.UUID):
    tender = managed_tender(request, pk)
    response = _live_response(request, tender, response_id)
    form = ScoreForm(request.POST, response_id=response.public_id)
    if form.is_valid():
        try:
            services.response_score(response=response, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            domain_error_to_form(error, form)
        else:
            messages.success(
                request, _("Scores of %(provider)s saved.") % {"provider": response.provider.name}
            )
            return redirect(reverse("agency-tender-detail", args=[pk]) + "#ranking")
    return render(
        request,
        "tenders/agency/tender_detail.html",
        _detail_context(request, tender, score_forms={response.pk: form}),
        status=400,
    )


def _decision_page(request, tender: Tender, *, template: str, title: str, form=None, **extra):
    return render(
        request,
        template,
        {
            "tender": tender,
            "form": form,
            "title": title,
            "breadcrumb_data": agency_crumbs(
                title,
                (reverse("agency-tenders"), _("Tenders")),
                (reverse("agency-tender-detail", args=[tender.pk]), tender.reference),
            ),
            **extra,
        },
        status=400 if form is not None and form.errors else 200,
    )


@agency_member_required
@require_http_methods(["GET", "POST"])
def tender_award(request, pk: int, response_id: uuid.UUID):
    tender = managed_tender(request, pk)
    detail = reverse("agency-tender-detail", args=[pk])
    if tender.status != TenderStatus.CLOSED:
        messages.error(
            request,
            _("This tender cannot be awarded: it is %(status)s.")
            % {"status": tender.get_status_display()},
        )
        return redirect(detail)
    response = _live_response(request, tender, response_id)
    rank = next(
        (
            r
            for r in selectors.ranking(
                list(selectors.responses_visible_to(request.user, tender)), tender
            )
            if r.response.pk == response.pk
        ),
        None,
    )
    if request.method == "POST":
        try:
            services.tender_award(tender=tender, actor=request.user, response=response)
        except DomainError as error:
            domain_error_to_message(request, error)
            return redirect(detail)
        messages.success(
            request,
            _("Tender %(reference)s is awarded to %(provider)s; every responder is notified.")
            % {"reference": tender.reference, "provider": response.provider.name},
        )
        return redirect(detail)
    return _decision_page(
        request,
        tender,
        template="tenders/agency/confirm_award.html",
        title=_("Award the contract"),
        response=response,
        rank=rank,
        price_incl_vat=incl_vat(response.total_price),
    )


def _reason_decision(
    request,
    pk: int,
    *,
    allowed: tuple,
    service,
    title: str,
    explanation: str,
    button: str,
    done: str,
):
    tender = managed_tender(request, pk)
    detail = reverse("agency-tender-detail", args=[pk])
    if tender.status not in allowed:
        messages.error(
            request,
            _("This is not possible any more: the tender is %(status)s.")
            % {"status": tender.get_status_display()},
        )
        return redirect(detail)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service(tender=tender, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            domain_error_to_form(error, form)
        else:
            messages.success(request, done % {"reference": tender.reference})
            return redirect(detail)
    return _decision_page(
        request,
        tender,
        template="tenders/agency/confirm_decision.html",
        title=title,
        form=form,
        explanation=explanation,
        button=button,
    )


@agency_member_required
@require_http_methods(["GET", "POST"])
def tender_unsuccessful(request, pk: int):
    return _reason_decision(
        request,
        pk,
        allowed=(TenderStatus.CLOSED,),
        service=services.tender_declare_unsuccessful,
        title=_("Declare the tender unsuccessful"),
        explanation=_(
            "No contract is awarded. Every provider who responded is notified, and the decision and "
            "its reason are published. This cannot be undone."
        ),
        button=_("Declare unsuccessful"),
        done=_("Tender %(reference)s is declared unsuccessful."),
    )


@agency_member_required
@require_http_methods(["GET", "POST"])
def tender_cancel(request, pk: int):
    return _reason_decision(
        request,
        pk,
        allowed=(TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.CLOSED),
        service=services.tender_cancel,
        title=_("Cancel the tender"),
        explanation=_(
            "The tender stops here. Invited providers and responders are notified, and the reason is "
            "published. Sealed responses of a tender cancelled before its deadline are never opened. "
            "This cannot be undone."
        ),
        button=_("Cancel the tender"),
        done=_("Tender %(reference)s is cancelled."),
    )


@agency_member_required
@require_http_methods(["GET", "POST"])
def tender_publish(request, pk: int):
    tender = managed_tender(request, pk)
    detail = reverse("agency-tender-detail", args=[pk])
    if tender.status != TenderStatus.DRAFT:
        messages.error(request, _("Only a draft tender can be published."))
        return redirect(detail)
    if request.method == "POST":
        try:
            services.tender_publish(tender=tender, actor=request.user)
        except DomainError as error:
            domain_error_to_message(request, error)
            return redirect(detail)
        messages.success(
            request,
            _("Tender %(reference)s is published: matching has started.")
            % {"reference": tender.reference},
        )
        return redirect(detail)
    return _decision_page(
        request,
        tender,
        template="tenders/agency/confirm_publish.html",
        title=_("Publish the tender"),
    )
