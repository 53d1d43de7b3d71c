"""The award decision in the browser: the decision notice (each tenderer
sees its rank and scores and the winner's, Code de la commande publique
R2181-3), the standstill (R2182-1), complaints filed by tenderers and
answered by the buyer, the withdrawal of an award and the contract's
signature. Thin: one selector reads (``decision_notice``), the tenders
services decide, a TenderError becomes a form error with a 400/403/409."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from dsfr.forms import DsfrBaseForm

from catalog import selectors as catalog_selectors
from core.submissions import ALREADY, AlreadySubmitted, SubmittedOnceForm, submitted_once, take_key
from core.web import breadcrumb, domain_error_to_form
from tenders import selectors, services
from tenders.models import Complaint, ComplaintStatus, Tender


class ComplaintForm(DsfrBaseForm, SubmittedOnceForm):
    text = forms.CharField(
        label=gettext_lazy("Grounds of the complaint"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    attachment = forms.FileField(
        label=gettext_lazy("Supporting document (PDF, PNG or JPEG, optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )


class ComplaintAnswerForm(DsfrBaseForm):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        widget=forms.RadioSelect,
        choices=[
            ("dismissed", gettext_lazy("Dismiss: the standstill runs on")),
            ("upheld", gettext_lazy("Uphold: the award is withdrawn and the evaluation resumes")),
        ],
    )
    answer = forms.CharField(
        label=gettext_lazy("Answer to the tenderer, with the reasons"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class WithdrawForm(DsfrBaseForm):
    reason = forms.CharField(label=gettext_lazy("Reason for withdrawing the award"), max_length=500)


def _tender(request, pk: int) -> Tender:
    tender = selectors.tenders_visible_to(request.user).filter(pk=pk).first()
    if tender is None:
        raise Http404
    return tender


def _managed(request, pk: int) -> Tender:
    tender = selectors.tenders_managed_by(request.user).filter(pk=pk).first()
    if tender is None:
        if selectors.tenders_visible_to(request.user).filter(pk=pk).exists():
            raise PermissionDenied(_("Only the buyer decides on this tender."))
        raise Http404
    return tender


def _decision_page(
    request,
    tender: Tender,
    *,
    status: int = 200,
    complaint_form=None,
    answer_forms=None,
    withdraw_form=None,
    action_error: str = "",
):
    notice = selectors.decision_notice(request.user, tender)
    provider = catalog_selectors.provider_of(request.user)
    can_complain = bool(
        notice.standstill_running
        and notice.own is not None
        and notice.award is not None
        and notice.own.response.pk != notice.award.response_id
    )
    answer_forms = answer_forms or {}
    complaints = [
        (item, answer_forms.get(item.pk) or ComplaintAnswerForm(prefix=f"c{item.pk}"))
        for item in notice.complaints
    ]
    open_count = sum(
        1
        for item in notice.complaints
        if item.status == ComplaintStatus.OPEN
        and notice.award
        and item.award_ref == notice.award.pk
    )
    return render(
        request,
        "tenders/standstill/decision.html",
        {
            "tender": tender,
            "notice": notice,
            "provider": provider,
            "can_complain": can_complain,
            "complaint_form": complaint_form or ComplaintForm(),
            "complaints": complaints,
            "withdraw_form": withdraw_form or WithdrawForm(),
            "open_count": open_count,
            "can_sign": notice.is_buyer
            and tender.status == "awarded"
            and not notice.standstill_running
            and not open_count,
            "action_error": action_error,
            "breadcrumb_data": breadcrumb(
                _("Award decision"), (reverse("tender-public-list"), _("Tenders"))
            ),
        },
        status=status,
    )


@require_GET
def decision(request, pk: int):
    return _decision_page(request, _tender(request, pk))


@login_required
@require_POST
def complaint_file(request, pk: int):
    tender = _tender(request, pk)
    provider = catalog_selectors.provider_of(request.user)
    if provider is None:
        raise PermissionDenied(_("Only a tenderer files a complaint."))
    form = ComplaintForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with submitted_once(take_key(form), user=request.user, scope="complaint"):
                services.complaint_file(
                    tender=tender,
                    provider=provider,
                    actor=request.user,
                    text=form.cleaned_data["text"],
                    attachment=form.cleaned_data["attachment"],
                )
        except AlreadySubmitted:
            messages.info(request, ALREADY)
            return redirect("tender-decision", pk=tender.pk)
        except services.TenderError as error:
            domain_error_to_form(error, form)
            return _decision_page(request, tender, status=error.http_status, complaint_form=form)
        messages.success(
            request,
            _("Your complaint is filed: the contract cannot be signed until the buyer answers it."),
        )
        return redirect("tender-decision", pk=tender.pk)
    return _decision_page(request, tender, status=400, complaint_form=form)


@login_required
@require_POST
def complaint_answer(request, pk: int, complaint_id: int):
    tender = _managed(request, pk)
    item = Complaint.objects.filter(pk=complaint_id, tender=tender).first()
    if item is None:
        raise Http404
    form = ComplaintAnswerForm(request.POST, prefix=f"c{item.pk}")
    if form.is_valid():
        try:
            services.complaint_answer(complaint=item, actor=request.user, **form.cleaned_data)
        except services.TenderError as error:
            domain_error_to_form(error, form)
            return _decision_page(
                request, tender, status=error.http_status, answer_forms={item.pk: form}
            )
        messages.success(request, _("Complaint answered."))
        return redirect("tender-decision", pk=tender.pk)
    return _decision_page(request, tender, status=400, answer_forms={item.pk: form})


@login_required
@require_POST
def award_withdraw(request, pk: int):
    tender = _managed(request, pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.award_withdraw(
                tender=tender, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except services.TenderError as error:
            domain_error_to_form(error, form)
            return _decision_page(request, tender, status=error.http_status, withdraw_form=form)
        messages.success(request, _("The award is withdrawn; the evaluation resumes."))
        return redirect("tender-decision", pk=tender.pk)
    return _decision_page(request, tender, status=400, withdraw_form=form)


@login_required
@require_POST
def contract_sign(request, pk: int):
    tender = _managed(request, pk)
    try:
        services.tender_contract_sign(tender=tender, actor=request.user)
    except services.TenderError as error:
        return _decision_page(request, tender, status=error.http_status, action_error=error.message)
    messages.success(request, _("The contract is marked as signed."))
    return redirect("tender-decision", pk=tender.pk)


urlpatterns = [
    path("appels-offres/<int:pk>/decision/", decision, name="tender-decision"),
    path(
        "appels-offres/<int:pk>/decision/reclamation/", complaint_file, name="tender-complaint-file"
    ),
    path(
        "appels-offres/<int:pk>/decision/reclamations/<int:complaint_id>/reponse/",
        complaint_answer,
        name="tender-complaint-answer",
    ),
    path("appels-offres/<int:pk>/decision/retrait/", award_withdraw, name="tender-award-withdraw"),
    path("appels-offres/<int:pk>/decision/signature/", contract_sign, name="tender-contract-sign"),
]
