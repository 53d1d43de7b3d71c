"""The tender wizard. It works without JavaScript: each step is a
server-side page whose input is kept in the session until the review step
saves the draft (``tender_create`` / ``tender_update``) and, when asked,
publishes it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from catalog import units
from catalog.models import DataFlag, SensitivityLevel
from catalog.services import DomainError
from core.money import incl_vat
from core.submissions import ALREADY, AlreadySubmitted, submitted_once
from core.web import domain_error_to_form
from tenders import selectors, services
from tenders.forms import (
    LOCATION_CHOICES,
    TenderDeadlineForm,
    TenderNeedForm,
    TenderQuantityForm,
    TenderSensitivityForm,
)
from tenders.models import (
    Procedure,
    Tender,
    TenderStatus,
)
from tenders.views.access import agency_crumbs, agency_member_required
from tenders.views.agency._common import (
    labels,
    managed_tender,
)


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
        "breadcrumb_data": agency_crumbs(heading, *links),
        **extra,
    }


def _editable_draft(request, pk: int | None) -> tuple[Tender | None, object]:
    """(the draft being edited or None for a new one, a redirect when the
    tender is no longer a draft)."""
    if pk is None:
        return None, None
    tender = managed_tender(request, pk)
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
        if pk is None:
            # The new tender's submission key, drawn once per wizard: two
            # posts of its review (a double click) create one tender.
            stored.setdefault("submission_key", str(uuid.uuid4()))
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
    levels = labels(SensitivityLevel)
    flags = labels(DataFlag)
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
    data = {name: values[name] for name in services.TENDER_FIELDS}
    try:
        # One transaction, with the new tender's submission key: a publication
        # refused (e.g. a deadline that became too close while the person was
        # typing) leaves no half-made draft.
        once = stored.get("submission_key") if tender is None else None
        with submitted_once(once, user=request.user, scope="tender"):
            if tender is None:
                saved = services.tender_create(agency=request.agency, actor=request.user, **data)
            else:
                saved = services.tender_update(tender=tender, actor=request.user, **data)
            if publish:
                saved = services.tender_publish(tender=saved, actor=request.user)
    except AlreadySubmitted:
        request.session.pop(_session_key(pk), None)
        messages.info(request, ALREADY)
        return redirect("agency-dashboard")
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
        context["error"] = error.message
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
