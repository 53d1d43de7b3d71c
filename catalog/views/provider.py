"""The provider's catalogue space (DESIGN §1, §3): company profile, offers
and certificates. Thin views: parse a form, call the catalogue service,
render; a DomainError becomes form errors. Scoping goes through the
``*_editable_by`` selectors, so another provider's rows are a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from catalog import selectors, services
from catalog.forms_provider import (
    CertificationForm,
    OfferForm,
    ProviderProfileForm,
    StakeFormSet,
    SubcontractorFormSet,
)
from catalog.models import DataFlag, Offer, OfferStatus, SensitivityLevel
from catalog.texts import check_reason
from catalog.views.access import is_provider_admin, provider_crumbs, provider_member_required
from core.submissions import ALREADY, AlreadySubmitted, submitted_once, take_key
from core.web import domain_error_to_form, domain_error_to_message, paginate

PAGE_SIZE = 20


def _label_levels(offers) -> None:
    """Give each offer ``level_label`` and ``flag_labels``: its assessed
    level and flags in the reader's language (codes and labels are data)."""
    english = (get_language() or "fr").startswith("en")
    labels = {
        lv.code: (lv.label_en if english else lv.label_fr) for lv in SensitivityLevel.objects.all()
    }
    flags = {fl.code: (fl.label_en if english else fl.label_fr) for fl in DataFlag.objects.all()}
    for offer in offers:
        assessment = getattr(offer, "assessment", None)
        offer.level_label = labels.get(assessment.level, "") if assessment is not None else ""
        offer.flag_labels = (
            [flags.get(code, code) for code in assessment.flags] if assessment is not None else []
        )


# --------------------------------------------------------------------------
# Company profile


@provider_member_required
@require_http_methods(["GET", "POST"])
def profile(request):
    provider = request.provider
    can_edit = is_provider_admin(request)
    stakes = list(provider.stakes.all())
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only an administrator of the provider can edit its profile."))
        form = ProviderProfileForm(request.POST)
        formset = StakeFormSet(request.POST, prefix="stakes")
        if form.is_valid() and formset.is_valid():
            sent = [f for f in formset.forms if f.as_stake() is not None]
            try:
                services.provider_update(
                    provider=provider,
                    actor=request.user,
                    stakes=[f.as_stake() for f in sent],
                    **form.cleaned_data,
                )
            except services.DomainError as error:
                domain_error_to_form(error, form, {"stakes": (formset, sent)})
            else:
                messages.success(
                    request,
                    _(
                        "The company profile is saved. Your offers are re-assessed "
                        "if their control facts changed."
                    ),
                )
                return redirect("provider-profile")
    else:
        form = ProviderProfileForm(initial=ProviderProfileForm.initial_for(provider))
        formset = StakeFormSet(
            prefix="stakes",
            initial=[
                {
                    "holder_name": s.holder_name,
                    "holder_country": s.holder_country,
                    "capital_pct": s.capital_pct,
                    "voting_pct": s.voting_pct,
                    "has_veto": s.has_veto,
                    "has_board_majority": s.has_board_majority,
                }
                for s in stakes
            ],
        )
    return render(
        request,
        "catalog/provider/profile.html",
        {
            "provider": provider,
            "stakes": stakes,
            "can_edit": can_edit,
            "form": form,
            "formset": formset,
            "breadcrumb_data": provider_crumbs(_("Company profile")),
        },
    )


# --------------------------------------------------------------------------
# Offers


@provider_member_required
def offer_list(request):
    page_obj = paginate(
        request,
        selectors.offers_editable_by(request.user).order_by("name", "pk"),
        per_page=PAGE_SIZE,
    )
    _label_levels(page_obj)
    return render(
        request,
        "catalog/provider/offer_list.html",
        {
            "page_obj": page_obj,
            "breadcrumb_data": provider_crumbs(_("Offers")),
        },
    )


def _offer_forms(request, offer: Offer | None):
    if request.method == "POST":
        return OfferForm(request.POST), SubcontractorFormSet(request.POST, prefix="subcontractors")
    if offer is None:
        return OfferForm(
            initial={"minimum_commitment": 0, "minimum_months": 0}
        ), SubcontractorFormSet(prefix="subcontractors")
    return OfferForm(initial=OfferForm.initial_for(offer)), SubcontractorFormSet(
        prefix="subcontractors",
        initial=[
            {
                "name": s.name,
                "country": s.country,
                "role": s.role,
                "has_data_access": s.has_data_access,
                "catalog_offer": s.catalog_offer_id,
            }
            for s in offer.subcontractors.all()
        ],
    )


def _offer_save(request, offer: Offer | None, form, formset) -> Offer | None:
    if not (form.is_valid() and formset.is_valid()):
        return None
    sent = [f for f in formset.forms if f.as_subcontractor() is not None]
    subcontractors = [f.as_subcontractor() for f in sent]
    try:
        if offer is None:
            # AlreadySubmitted (the same form posted twice) goes to the view.
            with submitted_once(take_key(form), user=request.user, scope="offer"):
                return services.offer_create(
                    provider=request.provider,
                    actor=request.user,
                    subcontractors=subcontractors,
                    **form.as_offer(),
                )
        return services.offer_update(
            offer=offer, actor=request.user, subcontractors=subcontractors, **form.as_offer()
        )
    except services.DomainError as error:
        domain_error_to_form(error, form, {"subcontractors": (formset, sent)})
        return None


@provider_member_required
@require_http_methods(["GET", "POST"])
def offer_create(request):
    form, formset = _offer_forms(request, None)
    if request.method == "POST":
        try:
            offer = _offer_save(request, None, form, formset)
        except AlreadySubmitted:
            messages.info(request, ALREADY)
            return redirect("provider-offers")
        if offer is not None:
            messages.success(
                request,
                _(
                    "The offer is saved as a draft; it is being assessed. "
                    "Publish it when it is ready."
                ),
            )
            return redirect("provider-offer-edit", pk=offer.pk)
    return render(
        request,
        "catalog/provider/offer_form.html",
        {
            "form": form,
            "formset": formset,
            "offer": None,
            "breadcrumb_data": provider_crumbs(
                _("New offer"), (reverse("provider-offers"), _("Offers"))
            ),
        },
    )


OFFER_ACTIONS = {
    "publish": (services.offer_publish, OfferStatus.PUBLISHED),
    "withdraw": (services.offer_withdraw, OfferStatus.WITHDRAWN),
}


def _checks_by_level(offer: Offer) -> list[dict]:
    """The stored checks, grouped by level or flag, each with its sentence
    in the reader's language."""
    assessment = getattr(offer, "assessment", None)
    if assessment is None:
        return []
    groups: dict[str, dict] = {}
    for check in assessment.checks:
        key = check.get("level") or check.get("flag") or "—"
        group = groups.setdefault(
            key, {"key": key, "is_flag": not check.get("level"), "checks": [], "passed": True}
        )
        group["checks"].append({**check, "reason": check_reason(check, get_language())})
        group["passed"] = group["passed"] and bool(check["passed"])
    return list(groups.values())


def _next_level(check_groups: list[dict]) -> dict | None:
    """The first grantable level the offer misses: what to fix next."""
    grantable = set(SensitivityLevel.objects.filter(grantable=True).values_list("code", flat=True))
    return next(
        (g for g in check_groups if not g["is_flag"] and not g["passed"] and g["key"] in grantable),
        None,
    )


@provider_member_required
@require_http_methods(["GET", "POST"])
def offer_edit(request, pk: int):
    offer = get_object_or_404(selectors.offers_editable_by(request.user), pk=pk)
    action = request.POST.get("action") if request.method == "POST" else None
    if action in OFFER_ACTIONS:
        service, _target = OFFER_ACTIONS[action]
        try:
            service(offer=offer, actor=request.user)
        except services.DomainError as error:
            domain_error_to_message(request, error)
        else:
            messages.success(
                request,
                _("The offer is published.")
                if action == "publish"
                else _("The offer is withdrawn."),
            )
        return redirect("provider-offer-edit", pk=offer.pk)
    form, formset = _offer_forms(request, offer)
    if request.method == "POST":
        saved = _offer_save(request, offer, form, formset)
        if saved is not None:
            messages.success(
                request,
                _("The offer is saved; its assessment is refreshed if what it depends on changed."),
            )
            return redirect("provider-offer-edit", pk=offer.pk)
    _label_levels([offer])
    check_groups = _checks_by_level(offer)
    confirm = request.GET.get("confirm")
    if confirm not in OFFER_ACTIONS or offer.status == OFFER_ACTIONS[confirm][1]:
        confirm = None
    return render(
        request,
        "catalog/provider/offer_form.html",
        {
            "form": form,
            "formset": formset,
            "offer": offer,
            "confirm": confirm,
            "assessment": getattr(offer, "assessment", None),
            "check_groups": check_groups,
            "next_group": _next_level(check_groups),
            "breadcrumb_data": provider_crumbs(
                offer.name, (reverse("provider-offers"), _("Offers"))
            ),
        },
    )


# --------------------------------------------------------------------------
# Certificates


@provider_member_required
def certificate_list(request):
    certs = (
        selectors.certifications_editable_by(request.user)
        .annotate(scope_count=Count("scope_offers"))
        .order_by("scheme__name", "-expires_on", "pk")
    )
    return render(
        request,
        "catalog/provider/certificate_list.html",
        {
            "page_obj": paginate(request, certs, per_page=PAGE_SIZE),
            "breadcrumb_data": provider_crumbs(_("Certificates")),
        },
    )


def _certificate_page(request, form, cert):
    title = _("New certificate") if cert is None else str(cert)
    return render(
        request,
        "catalog/provider/certificate_form.html",
        {
            "form": form,
            "cert": cert,
            "breadcrumb_data": provider_crumbs(
                title, (reverse("provider-certificates"), _("Certificates"))
            ),
        },
    )


@provider_member_required
@require_http_methods(["GET", "POST"])
def certificate_create(request):
    if request.method == "POST":
        form = CertificationForm(request.POST, request.FILES, provider=request.provider)
        if form.is_valid():
            try:
                with submitted_once(take_key(form), user=request.user, scope="certificate"):
                    cert = services.certification_create(
                        provider=request.provider, actor=request.user, **form.as_certification()
                    )
            except AlreadySubmitted:
                messages.info(request, ALREADY)
                return redirect("provider-certificates")
            except services.DomainError as error:
                domain_error_to_form(error, form)
            else:
                messages.success(
                    request,
                    _(
                        "The certificate is recorded and waits for the operator's "
                        "verification; it counts once verified."
                    ),
                )
                return redirect("provider-certificate-edit", pk=cert.pk)
    else:
        initial = {"status": "valid"}
        if request.GET.get("offer", "").isdigit():
            initial["scope_offers"] = [request.GET["offer"]]
        form = CertificationForm(provider=request.provider, initial=initial)
    return _certificate_page(request, form, None)


@provider_member_required
@require_http_methods(["GET", "POST"])
def certificate_edit(request, pk: int):
    cert = get_object_or_404(selectors.certifications_editable_by(request.user), pk=pk)
    if request.method == "POST":
        form = CertificationForm(
            request.POST, request.FILES, provider=request.provider, instance=cert
        )
        if form.is_valid():
            try:
                services.certification_update(
                    certification=cert, actor=request.user, **form.as_certification()
                )
            except services.DomainError as error:
                domain_error_to_form(error, form)
            else:
                messages.success(
                    request,
                    _(
                        "The certificate is saved. A change goes back to the operator "
                        "for verification."
                    ),
                )
                return redirect("provider-certificate-edit", pk=cert.pk)
    else:
        form = CertificationForm(
            provider=request.provider, instance=cert, initial=CertificationForm.initial_for(cert)
        )
    return _certificate_page(request, form, cert)


urlpatterns = [
    path("espace-fournisseur/profil/", profile, name="provider-profile"),
    path("espace-fournisseur/offres/", offer_list, name="provider-offers"),
    path("espace-fournisseur/offres/nouvelle/", offer_create, name="provider-offer-create"),
    path("espace-fournisseur/offres/<int:pk>/", offer_edit, name="provider-offer-edit"),
    path("espace-fournisseur/certificats/", certificate_list, name="provider-certificates"),
    path(
        "espace-fournisseur/certificats/nouveau/",
        certificate_create,
        name="provider-certificate-create",
    ),
    path(
        "espace-fournisseur/certificats/<int:pk>/",
        certificate_edit,
        name="provider-certificate-edit",
    ),
]
