"""The buyer's space (DESIGN §1, §4, §6): dashboard, the tender wizard, a
tender's page (live matching, shortlist, clarifications, sealed responses,
scoring, ranking, decisions) and direct purchases.

Thin views: parse a form, call ``tenders.services``, render. A DomainError
becomes a form error or a message, never a 500. Scoping goes through
``tenders.selectors``: another agency's tender or order is a 404, a person
who does not act for an agency gets a 403, an anonymous one the login page.

The wizard works without JavaScript: each step is a server-side page whose
input is kept in the session until the review step saves the draft
(``tender_create`` / ``tender_update``) and, when asked, publishes it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from catalog import selectors as catalog_selectors
from catalog import units
from catalog.models import DataFlag, OfferAssessment, SensitivityLevel
from catalog.services import DomainError
from tenders import eligibility, selectors, services
from tenders import texts as tender_texts
from tenders.forms import (
    LOCATION_CHOICES,
    AnswerForm,
    OptionalReasonForm,
    OrderForm,
    ReasonForm,
    ScoreForm,
    TenderDeadlineForm,
    TenderNeedForm,
    TenderQuantityForm,
    TenderSensitivityForm,
)
from tenders.models import (
    Award,
    Clarification,
    MatchingState,
    Order,
    OrderStatus,
    Procedure,
    Tender,
    TenderResponse,
    TenderStatus,
)

PAGE_SIZE = 20
DASHBOARD_ROWS = 5
CENT = Decimal("0.01")
STATUS_BADGES = {
    TenderStatus.DRAFT: "new",
    TenderStatus.PUBLISHED: "info",
    TenderStatus.CLOSED: "warning",
    TenderStatus.AWARDED: "success",
    TenderStatus.UNSUCCESSFUL: "error",
    TenderStatus.CANCELLED: "error",
    OrderStatus.PLACED: "info",
    OrderStatus.ACCEPTED: "success",
    OrderStatus.DECLINED: "error",
    OrderStatus.CANCELLED: "error",
}
MATCHING_BADGES = {
    MatchingState.QUEUED: "new",
    MatchingState.RUNNING: "info",
    MatchingState.DONE: "success",
    MatchingState.FAILED: "error",
}


def agency_member_required(view):
    """Signed in (else the login page) and acting for an agency (else 403);
    the view receives the agency as ``request.agency``."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        agency = selectors.agency_of(request.user)
        if agency is None:
            raise PermissionDenied(_("This space is for members of a public buyer."))
        request.agency = agency
        return view(request, *args, **kwargs)

    return wrapper


def incl_vat(amount: Decimal | None) -> Decimal | None:
    if amount is None:
        return None
    return (Decimal(amount) * (1 + settings.VAT_RATE)).quantize(CENT)


def _language() -> str:
    return "fr" if (get_language() or "fr")[:2] == "fr" else "en"


def _breadcrumb(current: str, *links: tuple[str, str]) -> dict:
    trail = [{"url": reverse("agency-dashboard"), "title": _("Buyer space")}]
    trail += [{"url": url, "title": title} for url, title in links]
    return {"links": trail, "current": current}


def _page(request, items, name: str = "page"):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get(name))


def _managed(request, pk: int) -> Tender:
    """The agency's own tender, closed first if its deadline has passed
    (every request that depends on the deadline checks it itself)."""
    tender = selectors.tenders_managed_by(request.user).filter(pk=pk).first()
    if tender is None:
        raise Http404
    services.tender_close_if_due(tender=tender)
    return selectors.tenders_managed_by(request.user).get(pk=pk)


def _error_text(error: DomainError) -> str:
    # Service messages are English sentences; a translation, when the
    # catalogue has one, follows the reader's language.
    return _(error.message)


def domain_error_to_form(error: DomainError, form) -> None:
    """A service refusal on the field it names, else at the top of the form."""
    placed = False
    for field, texts in (error.fields or {}).items():
        if field in form.fields:
            for text in texts:
                form.add_error(field, _(text))
            placed = True
    if not placed:
        form.add_error(None, _error_text(error))


def _labels(model) -> dict[str, str]:
    lang = _language()
    return {row.code: getattr(row, f"label_{lang}") for row in model.objects.all()}


# --------------------------------------------------------------------------
# Dashboard and lists


@agency_member_required
def dashboard(request):
    tenders = selectors.tenders_managed_by(request.user)
    counts = dict(tenders.order_by().values_list("status").annotate(n=Count("id")))
    groups = []
    for status, label in TenderStatus.choices:
        if counts.get(status):
            groups.append(
                {
                    "status": status,
                    "label": label,
                    "count": counts[status],
                    "badge": STATUS_BADGES.get(status, "info"),
                    "rows": list(
                        tenders.filter(status=status).order_by("-updated_at", "-id")[
                            :DASHBOARD_ROWS
                        ]
                    ),
                }
            )
    orders = selectors.orders_visible_to(request.user).order_by("-placed_at", "-id")
    # What waits for the buyer: closed tenders to evaluate and decide, and
    # questions providers are waiting an answer to.
    to_do = list(
        tenders.filter(status__in=(TenderStatus.PUBLISHED, TenderStatus.CLOSED))
        .annotate(open_questions=Count("clarifications", filter=Q(clarifications__answer="")))
        .filter(Q(status=TenderStatus.CLOSED) | Q(open_questions__gt=0))
        .order_by("response_deadline", "id")[:PAGE_SIZE]
    )
    return render(
        request,
        "tenders/agency/dashboard.html",
        {
            "agency": request.agency,
            "groups": groups,
            "tender_total": sum(counts.values()),
            "to_do": to_do,
            "orders": [_order_row(o) for o in orders[:DASHBOARD_ROWS]],
            "order_total": orders.count(),
            "badges": STATUS_BADGES,
            "dashboard_rows": DASHBOARD_ROWS,
        },
    )


@agency_member_required
def tender_list(request):
    tenders = selectors.tenders_managed_by(request.user).order_by("-updated_at", "-id")
    status = request.GET.get("status", "")
    if status in TenderStatus.values:
        tenders = tenders.filter(status=status)
    else:
        status = ""
    return render(
        request,
        "tenders/agency/tender_list.html",
        {
            "page_obj": _page(request, tenders),
            "status": status,
            "statuses": TenderStatus.choices,
            "badges": STATUS_BADGES,
            "breadcrumb_data": _breadcrumb(_("Tenders")),
        },
    )


# --------------------------------------------------------------------------
# The tender wizard


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    form_class: type | None


STEPS = [
    Step("besoin", gettext_lazy("The need"), TenderNeedForm),
    Step("sensibilite", gettext_lazy("Data sensitivity"), TenderSensitivityForm),
    Step("volume", gettext_lazy("Quantity, duration and budget"), TenderQuantityForm),
    Step("calendrier", gettext_lazy("Deadline and evaluation"), TenderDeadlineForm),
    Step("verification", gettext_lazy("Review and publish"), None),
]
FORM_STEPS = [s for s in STEPS if s.form_class]
STEP_OF_FIELD = {name: step for step in FORM_STEPS for name in step.form_class.base_fields}
STEP_OF_FIELD.update({"level": STEPS[1], "flags": STEPS[1], "procedure": STEPS[2]})
MULTI_VALUE_FIELDS = {"flags"}


def _session_key(pk: int | None) -> str:
    return f"tender-wizard-{pk or 'new'}"


def _step_url(pk: int | None, slug: str) -> str:
    if pk:
        return reverse("agency-tender-edit-step", args=[pk, slug])
    return reverse("agency-tender-create-step", args=[slug])


def _raw_from_tender(tender: Tender) -> dict:
    """A draft as the wizard's raw input, to edit it."""
    return {
        "besoin": {
            "title": tender.title,
            "description": tender.description,
            "category": tender.category,
            "cpv_code": tender.cpv_code,
        },
        "sensibilite": {
            "level": tender.level,
            "flags": list(tender.flags),
            "location_constraint": tender.location_constraint,
        },
        "volume": {
            "quantity": str(tender.quantity),
            "unit": tender.unit,
            "duration_months": str(tender.duration_months),
            "estimated_value": str(tender.estimated_value),
        },
        "calendrier": {
            "response_deadline": timezone.localtime(tender.response_deadline).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "weight_price": str(tender.weight_price),
            "weight_technical": str(tender.weight_technical),
            "weight_other": str(tender.weight_other),
        },
    }


def _raw_input(form) -> dict:
    """What the person typed for this step's fields, as it was typed."""
    raw = {}
    for name in form.fields:
        if name in MULTI_VALUE_FIELDS:
            raw[name] = form.data.getlist(name)
        else:
            raw[name] = form.data.get(name, "")
    return raw


def _initial_for(step: Step) -> dict:
    if step.form_class is TenderDeadlineForm:
        return {"response_deadline": TenderDeadlineForm.default_deadline()}
    if step.form_class is TenderSensitivityForm:
        return {"location_constraint": "EU"}
    return {}


def _step_form(step: Step, stored: dict):
    data = stored.get(step.slug)
    return step.form_class(initial=data if data is not None else _initial_for(step))


def _validated(stored: dict):
    """All steps' forms bound to the stored input: (cleaned values, the
    first step that is missing or invalid and its form)."""
    values = {}
    for step in FORM_STEPS:
        if stored.get(step.slug) is None:
            return values, step, None
        form = step.form_class(stored[step.slug])
        if not form.is_valid():
            return values, step, form
        values.update(form.cleaned_data)
    return values, None, None


def _wizard_context(request, *, tender: Tender | None, step: Step, form=None, **extra) -> dict:
    index = STEPS.index(step)
    heading = (
        _("Edit the draft %(reference)s") % {"reference": tender.reference}
        if tender
        else _("Describe a need")
    )
    links = [(reverse("agency-tenders"), _("Tenders"))]
    if tender:
        links.append((reverse("agency-tender-detail", args=[tender.pk]), tender.reference))
    return {
        "heading": heading,
        "tender": tender,
        "step": step,
        "form": form,
        "step_number": index + 1,
        "step_count": len(STEPS),
        "next_step": STEPS[index + 1] if index + 1 < len(STEPS) else None,
        "previous_url": _step_url(tender.pk if tender else None, STEPS[index - 1].slug)
        if index
        else None,
        "action_url": _step_url(tender.pk if tender else None, step.slug),
        "agency": request.agency,
        "breadcrumb_data": _breadcrumb(heading, *links),
        **extra,
    }


def _editable_draft(request, pk: int | None) -> tuple[Tender | None, object]:
    """(the draft being edited or None for a new one, a redirect when the
    tender is no longer a draft)."""
    if pk is None:
        return None, None
    tender = _managed(request, pk)
    if tender.status != TenderStatus.DRAFT:
        messages.error(request, _("Only a draft tender can be edited."))
        return tender, redirect("agency-tender-detail", pk=pk)
    return tender, None


@agency_member_required
def tender_create(request):
    return redirect(_step_url(None, STEPS[0].slug))


@agency_member_required
def tender_edit(request, pk: int):
    """Start editing a draft from what is saved (the session's input of a
    previous, abandoned edit is dropped)."""
    tender, moved = _editable_draft(request, pk)
    if moved:
        return moved
    request.session[_session_key(pk)] = _raw_from_tender(tender)
    return redirect(_step_url(pk, STEPS[0].slug))


@agency_member_required
@require_http_methods(["GET", "POST"])
def tender_wizard(request, slug: str, pk: int | None = None):
    step = next((s for s in STEPS if s.slug == slug), None)
    if step is None:
        raise Http404
    tender, moved = _editable_draft(request, pk)
    if moved:
        return moved
    key = _session_key(pk)
    if pk and key not in request.session:
        request.session[key] = _raw_from_tender(tender)
    stored = dict(request.session.get(key, {}))
    if step.form_class is None:
        return _wizard_review(request, tender=tender, stored=stored, step=step)

    index = STEPS.index(step)
    if request.method == "POST" and request.POST.get("action") == "discard":
        request.session.pop(key, None)
        messages.info(request, _("What you typed was discarded."))
        return redirect("agency-tender-detail", pk=pk) if pk else redirect("agency-dashboard")
    if request.method == "POST":
        form = step.form_class(request.POST)
        going_back = request.POST.get("action") == "back"
        # Input is kept as typed, valid or not: nothing is lost on the way.
        stored[step.slug] = _raw_input(form)
        request.session[key] = stored
        if going_back and index:
            return redirect(_step_url(pk, STEPS[index - 1].slug))
        if form.is_valid():
            return redirect(_step_url(pk, STEPS[index + 1].slug))
        return render(
            request,
            "tenders/agency/wizard_step.html",
            _wizard_context(request, tender=tender, step=step, form=form),
            status=400,
        )
    form = _step_form(step, stored)
    return render(
        request,
        "tenders/agency/wizard_step.html",
        _wizard_context(request, tender=tender, step=step, form=form),
    )


def _summary(values: dict, agency) -> list[tuple[Step, list[tuple[str, str]]]]:
    """The review page's rows, per step, in the reader's language."""
    levels = _labels(SensitivityLevel)
    flags = _labels(DataFlag)
    deadline = timezone.localtime(values["response_deadline"])
    procedure = services.procedure_for(values["estimated_value"])
    required = selectors.required_level(agency=agency, level=values["level"], flags=values["flags"])
    level_text = f"{values['level']} — {levels.get(values['level'], '')}"
    if required.code != values["level"]:
        level_text += " " + _("(raised to %(level)s: health data of a State body)") % {
            "level": required.code
        }
    location = dict(LOCATION_CHOICES)
    return [
        (
            STEPS[0],
            [
                (_("Title"), values["title"]),
                (_("Description"), values["description"] or "—"),
                (
                    _("Category"),
                    dict(TenderNeedForm.base_fields["category"].choices)[values["category"]],
                ),
                (_("CPV code"), values["cpv_code"]),
            ],
        ),
        (
            STEPS[1],
            [
                (_("Sensitivity level"), level_text),
                (
                    _("Kinds of data"),
                    ", ".join(flags.get(f, f) for f in values["flags"]) or _("none"),
                ),
                (
                    _("Where the data must stay"),
                    str(location.get(values["location_constraint"], values["location_constraint"])),
                ),
            ],
        ),
        (
            STEPS[2],
            [
                (_("Quantity"), f"{values['quantity']} {units.UNITS[values['unit']].label}"),
                (_("Duration"), _("%(months)s months") % {"months": values["duration_months"]}),
                (
                    _("Budget"),
                    _("%(ht)s € excl. VAT (%(ttc)s € incl. VAT)")
                    % {"ht": values["estimated_value"], "ttc": incl_vat(values["estimated_value"])},
                ),
                (_("Procedure"), str(dict(Procedure.choices)[procedure])),
            ],
        ),
        (
            STEPS[3],
            [
                (
                    _("Response deadline"),
                    f"{formats.date_format(deadline, 'DATETIME_FORMAT')} "
                    f"({deadline.tzname()}, Europe/Paris)",
                ),
                (
                    _("Evaluation weights"),
                    _("price %(p)s %%, technical %(t)s %%, other %(o)s %%")
                    % {
                        "p": values["weight_price"],
                        "t": values["weight_technical"],
                        "o": values["weight_other"],
                    },
                ),
            ],
        ),
    ]


SERVICE_FIELDS = (
    "title",
    "description",
    "category",
    "cpv_code",
    "level",
    "flags",
    "location_constraint",
    "quantity",
    "unit",
    "duration_months",
    "estimated_value",
    "response_deadline",
    "weight_price",
    "weight_technical",
    "weight_other",
)


def _wizard_review(request, *, tender: Tender | None, stored: dict, step: Step):
    pk = tender.pk if tender else None
    values, broken, broken_form = _validated(stored)
    if broken is not None:
        if broken_form is None:
            return redirect(_step_url(pk, broken.slug))
        messages.warning(request, _("Please check this step before the review."))
        return render(
            request,
            "tenders/agency/wizard_step.html",
            _wizard_context(request, tender=tender, step=broken, form=broken_form),
            status=400,
        )
    context = _wizard_context(
        request,
        tender=tender,
        step=step,
        summary=_summary(values, request.agency),
        step_urls={s.slug: _step_url(pk, s.slug) for s in FORM_STEPS},
    )
    if request.method != "POST":
        return render(request, "tenders/agency/wizard_review.html", context)

    publish = request.POST.get("action") == "publish"
    data = {name: values[name] for name in SERVICE_FIELDS}
    try:
        # One transaction: a publication refused (e.g. a deadline that became
        # too close while the person was typing) leaves no half-made draft.
        with transaction.atomic():
            if tender is None:
                saved = services.tender_create(agency=request.agency, actor=request.user, **data)
            else:
                saved = services.tender_update(tender=tender, actor=request.user, **data)
            if publish:
                saved = services.tender_publish(tender=saved, actor=request.user)
    except DomainError as error:
        field = next(iter(error.fields or {}), None)
        owner = STEP_OF_FIELD.get(field)
        if owner is not None:
            # Back to the step that holds the field, input kept, error on it.
            form = owner.form_class(stored[owner.slug])
            form.is_valid()
            domain_error_to_form(error, form)
            return render(
                request,
                "tenders/agency/wizard_step.html",
                _wizard_context(request, tender=tender, step=owner, form=form),
                status=400,
            )
        context["error"] = _error_text(error)
        return render(request, "tenders/agency/wizard_review.html", context, status=400)
    request.session.pop(_session_key(pk), None)
    if publish:
        messages.success(
            request,
            _("Tender %(reference)s is published: matching has started.")
            % {"reference": saved.reference},
        )
    else:
        messages.success(request, _("Draft %(reference)s saved.") % {"reference": saved.reference})
    return redirect("agency-tender-detail", pk=saved.pk)


# --------------------------------------------------------------------------
# A tender's page


def _matching_context(request, tender: Tender) -> dict:
    entries = selectors.shortlist_of(tender)
    page = _page(request, entries, "shortlist_page")
    lang = _language()
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
                    response_id=r.pk,
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
    flags = _labels(DataFlag)
    required = selectors.required_level(
        agency=tender.agency, level=tender.level, flags=list(tender.flags), levels=levels
    )
    return {
        "tender": tender,
        "badge": STATUS_BADGES.get(tender.status, "info"),
        "level_label": getattr(levels.get(tender.level), f"label_{_language()}", ""),
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
        "breadcrumb_data": _breadcrumb(tender.reference, (reverse("agency-tenders"), _("Tenders"))),
        **_matching_context(request, tender),
    }


@agency_member_required
def tender_detail(request, pk: int):
    tender = _managed(request, pk)
    return render(request, "tenders/agency/tender_detail.html", _detail_context(request, tender))


@agency_member_required
def tender_matching(request, pk: int):
    """The live matching status and shortlist (polled by htmx every 2 s
    while matching is queued or running); without htmx, the tender page."""
    tender = _managed(request, pk)
    if not request.htmx:
        return redirect(reverse("agency-tender-detail", args=[pk]) + "#matching")
    return render(request, "tenders/agency/_matching.html", _matching_context(request, tender))


@agency_member_required
@require_POST
def clarification_answer(request, pk: int, clarification_id: int):
    tender = _managed(request, pk)
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


def _live_response(request, tender: Tender, response_id: int) -> TenderResponse:
    response = selectors.responses_visible_to(request.user, tender).filter(pk=response_id).first()
    if response is None:
        raise Http404
    return response


@agency_member_required
@require_POST
def response_score(request, pk: int, response_id: int):
    tender = _managed(request, pk)
    response = _live_response(request, tender, response_id)
    form = ScoreForm(request.POST, response_id=response.pk)
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
            "breadcrumb_data": _breadcrumb(
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
def tender_award(request, pk: int, response_id: int):
    tender = _managed(request, pk)
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
            messages.error(request, _error_text(error))
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
    tender = _managed(request, pk)
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
    tender = _managed(request, pk)
    detail = reverse("agency-tender-detail", args=[pk])
    if tender.status != TenderStatus.DRAFT:
        messages.error(request, _("Only a draft tender can be published."))
        return redirect(detail)
    if request.method == "POST":
        try:
            services.tender_publish(tender=tender, actor=request.user)
        except DomainError as error:
            messages.error(request, _error_text(error))
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


# --------------------------------------------------------------------------
# Direct purchases


def _order_row(order: Order) -> dict:
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
    return [item["reason"] for item in tender_texts.with_reasons(found, _language())]


@agency_member_required
def order_list(request):
    orders = selectors.orders_visible_to(request.user).order_by("-placed_at", "-id")
    page = _page(request, orders)
    return render(
        request,
        "tenders/agency/order_list.html",
        {
            "page_obj": page,
            "rows": [_order_row(o) for o in page.object_list],
            "breadcrumb_data": _breadcrumb(_("Direct purchases")),
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
            order = services.order_place(
                agency=request.agency, actor=request.user, offer=offer, **form.cleaned_data
            )
        except DomainError as error:
            domain_error_to_form(error, form)
            if error.code == "not_eligible":
                for sentence in _order_failures(request.agency, offer, form.cleaned_data):
                    form.add_error(None, sentence)
        else:
            messages.success(
                request,
                _("Order %(reference)s placed: %(provider)s will accept or decline it.")
                % {"reference": order.reference, "provider": offer.provider.name},
            )
            return redirect("agency-orders")
    assessment = OfferAssessment.objects.filter(offer=offer).first()
    flags = _labels(DataFlag)
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
            "unit_price_incl_vat": incl_vat(offer.unit_price),
            "threshold": settings.DIRECT_PURCHASE_THRESHOLD,
            "breadcrumb_data": _breadcrumb(
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
            messages.error(request, _error_text(error))
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
            "breadcrumb_data": _breadcrumb(
                title, (reverse("agency-orders"), _("Direct purchases"))
            ),
        },
    )


urlpatterns = [
    path("espace-acheteur/", dashboard, name="agency-dashboard"),
    path("espace-acheteur/appels/", tender_list, name="agency-tenders"),
    path("espace-acheteur/appels/nouveau/", tender_create, name="agency-tender-create"),
    path(
        "espace-acheteur/appels/nouveau/<slug:slug>/",
        tender_wizard,
        name="agency-tender-create-step",
    ),
    path("espace-acheteur/appels/<int:pk>/", tender_detail, name="agency-tender-detail"),
    path("espace-acheteur/appels/<int:pk>/modifier/", tender_edit, name="agency-tender-edit"),
    path(
        "espace-acheteur/appels/<int:pk>/modifier/<slug:slug>/",
        tender_wizard,
        name="agency-tender-edit-step",
    ),
    path(
        "espace-acheteur/appels/<int:pk>/selection/", tender_matching, name="agency-tender-matching"
    ),
    path("espace-acheteur/appels/<int:pk>/publier/", tender_publish, name="agency-tender-publish"),
    path("espace-acheteur/appels/<int:pk>/annuler/", tender_cancel, name="agency-tender-cancel"),
    path(
        "espace-acheteur/appels/<int:pk>/infructueux/",
        tender_unsuccessful,
        name="agency-tender-unsuccessful",
    ),
    path(
        "espace-acheteur/appels/<int:pk>/attribuer/<int:response_id>/",
        tender_award,
        name="agency-tender-award",
    ),
    path(
        "espace-acheteur/appels/<int:pk>/reponses/<int:response_id>/notes/",
        response_score,
        name="agency-response-score",
    ),
    path(
        "espace-acheteur/appels/<int:pk>/questions/<int:clarification_id>/reponse/",
        clarification_answer,
        name="agency-clarification-answer",
    ),
    path("espace-acheteur/commandes/", order_list, name="agency-orders"),
    path(
        "espace-acheteur/commandes/nouvelle/<int:offer_id>/",
        order_create,
        name="agency-order-create",
    ),
    path("espace-acheteur/commandes/<int:pk>/annuler/", order_cancel, name="agency-order-cancel"),
]
