"""Supplier declarations and attestations in the browser (DESIGN §1):
a provider's declaration on honour of the exclusion grounds (DUME; Code de
la commande publique L2141-1 to L2141-11, Directive 2014/24/EU art. 57),
signed by one of its administrators, and its periodic attestations; the
operator's list of what expires within 30 days. Thin: forms parse, the
catalogue services decide, a CatalogError becomes form errors."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from dsfr.forms import DsfrBaseForm

from catalog import selectors, services
from catalog.models import (
    Attestation,
    AttestationKind,
    ExclusionGround,
    SupplierDeclaration,
)
from catalog.views.access import is_provider_admin, provider_crumbs, provider_member_required
from core.submissions import ALREADY, AlreadySubmitted, SubmittedOnceForm, submitted_once, take_key
from core.web import breadcrumb, domain_error_to_form

EXPIRING_DAYS = 30
YES_NO = [("no", gettext_lazy("No")), ("yes", gettext_lazy("Yes, this ground applies"))]


class DeclarationForm(DsfrBaseForm):
    """One explicit yes/no per exclusion ground (none pre-selected: the
    signatory answers each), the signatory's name and the certification."""

    signer_name = forms.CharField(
        label=gettext_lazy("Full name and position of the signatory"), max_length=200
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    certify = forms.BooleanField(
        label=gettext_lazy(
            "I certify on honour that these answers are accurate and that I may commit the provider."
        )
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        grounds = {
            f"ground_{code}": forms.ChoiceField(
                label=label, choices=YES_NO, widget=forms.RadioSelect
            )
            for code, label in ExclusionGround.choices
        }
        self.fields = {**grounds, **self.fields}

    def grounds(self) -> dict[str, bool]:
        return {
            code: self.cleaned_data[f"ground_{code}"] == "yes" for code in ExclusionGround.values
        }


class AttestationForm(DsfrBaseForm, SubmittedOnceForm):
    kind = forms.ChoiceField(label=gettext_lazy("Attestation"), choices=AttestationKind.choices)
    reference = forms.CharField(label=gettext_lazy("Number or verification code"), max_length=100)
    issued_on = forms.DateField(
        label=gettext_lazy("Issued on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on (optional: the longest validity of its kind)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    document = forms.FileField(
        label=gettext_lazy("Document (PDF, PNG or JPEG, optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )


def _status_context(provider) -> dict:
    today = timezone.localdate()
    current = selectors.attestations_current(provider)
    rows = [
        {
            "kind": kind,
            "label": label,
            "attestation": current.get(kind),
            "expired": bool(current.get(kind) and current[kind].expires_on < today),
        }
        for kind, label in AttestationKind.choices
    ]
    declaration = selectors.declaration_current(provider)
    return {
        "problems": services.provider_compliance_problems(provider),
        "declaration": declaration,
        "declaration_expired": bool(declaration and declaration.valid_until < today),
        "applying": [
            label
            for code, label in ExclusionGround.choices
            if declaration and declaration.grounds.get(code)
        ],
        "attestation_rows": rows,
        "history": Attestation.objects.filter(provider=provider).order_by("-uploaded_at", "-id")[
            :20
        ],
        "validity_months": settings.SUPPLIER_DECLARATION_VALIDITY_MONTHS,
    }


@provider_member_required
@require_http_methods(["GET", "POST"])
def provider_declarations(request):
    """The provider's declaration and attestations; POST signs a new
    declaration (administrators only)."""
    provider = request.provider
    form = DeclarationForm(request.POST or None)
    if request.method == "POST":
        if not is_provider_admin(request):
            raise PermissionDenied(
                _("Only an administrator of the provider signs its declaration.")
            )
        if form.is_valid():
            try:
                declaration = services.declaration_sign(
                    provider=provider,
                    actor=request.user,
                    grounds=form.grounds(),
                    signer_name=form.cleaned_data["signer_name"],
                    comment=form.cleaned_data["comment"],
                )
            except services.CatalogError as error:
                domain_error_to_form(error, form)
            else:
                messages.success(
                    request,
                    _("Declaration signed (SHA-256 %(digest)s).")
                    % {"digest": declaration.content_sha256},
                )
                return redirect("provider-declarations")
    return render(
        request,
        "catalog/declarations/provider.html",
        {
            "provider": provider,
            "form": form,
            "attestation_form": AttestationForm(),
            "is_admin": is_provider_admin(request),
            **_status_context(provider),
            "breadcrumb_data": provider_crumbs(_("Declarations and attestations")),
        },
        status=400 if request.method == "POST" else 200,
    )


@provider_member_required
@require_http_methods(["POST"])
def provider_attestation_add(request):
    provider = request.provider
    form = AttestationForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with submitted_once(take_key(form), user=request.user, scope="attestation"):
                services.attestation_create(
                    provider=provider, actor=request.user, **form.cleaned_data
                )
        except AlreadySubmitted:
            messages.info(request, ALREADY)
            return redirect("provider-declarations")
        except services.CatalogError as error:
            domain_error_to_form(error, form)
        else:
            messages.success(request, _("Attestation recorded."))
            return redirect("provider-declarations")
    return render(
        request,
        "catalog/declarations/provider.html",
        {
            "provider": provider,
            "form": DeclarationForm(),
            "attestation_form": form,
            "is_admin": is_provider_admin(request),
            **_status_context(provider),
            "breadcrumb_data": provider_crumbs(_("Declarations and attestations")),
        },
        status=400,
    )


@login_required
def operator_expiring(request):
    """Current declarations and attestations expiring within 30 days (or
    already expired), soonest first."""
    if not selectors.is_operator(request.user):
        raise PermissionDenied(_("This page is for the broker operator."))
    today = timezone.localdate()
    declarations = selectors.declarations_expiring(
        SupplierDeclaration.objects.select_related("provider"),
        within_days=EXPIRING_DAYS,
        today=today,
    )
    attestations = selectors.attestations_expiring(
        Attestation.objects.select_related("provider"), within_days=EXPIRING_DAYS, today=today
    )
    return render(
        request,
        "catalog/declarations/operator.html",
        {
            "declarations": list(declarations),
            "attestations": list(attestations),
            "today": today,
            "days": EXPIRING_DAYS,
            "breadcrumb_data": breadcrumb(
                _("Supplier documents expiring"), (reverse("operator-queue"), _("Operator console"))
            ),
        },
    )


urlpatterns = [
    path("espace-fournisseur/declarations/", provider_declarations, name="provider-declarations"),
    path(
        "espace-fournisseur/declarations/attestations/",
        provider_attestation_add,
        name="provider-attestation-add",
    ),
    path("operateur/echeances/", operator_expiring, name="operator-expiring"),
]
