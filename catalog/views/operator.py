"""The operator's console (DESIGN §1): the certificate verification queue
and provider suspension. Every decision goes through ``catalog.services``,
which records who decided what and re-assesses the affected offers. Anyone
who is not an operator gets a 404: the console does not announce itself.
The audit log page lives in ``broker.views`` (the audit chain is broker data
and catalog imports no other app)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from catalog import services
from catalog.forms_operator import (
    CertificationDecisionForm,
    CertificationFilterForm,
    Decision,
    ProviderFilterForm,
    ProviderStatusForm,
    decisions_open_to,
)
from catalog.models import Certification, Offer, OperatorAction, Provider, ProviderStatus
from catalog.views.access import operator_required
from core.uploads import upload_type
from core.web import breadcrumb, domain_error_to_form, paginate

PER_PAGE = 25


# --------------------------------------------------------------------------
# Certificates: the verification queue


def _certifications_for_operator(
    *, verification: str, status: str, q: str
) -> QuerySet[Certification]:
    qs = Certification.objects.select_related("provider", "scheme", "verified_by").prefetch_related(
        Prefetch("scope_offers", queryset=Offer.objects.only("id", "name").order_by("name"))
    )
    if verification:
        qs = qs.filter(verification=verification)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(provider__name__icontains=q) | Q(reference__icontains=q) | Q(provider__siren=q)
        )
    if verification == Certification.Verification.PENDING:
        # First come, first served: the oldest submission waits the longest.
        return qs.order_by("created_at", "id")
    return qs.order_by(F("verified_at").desc(nulls_last=True), "-created_at", "-id")


@require_GET
@operator_required
def queue(request):
    data = request.GET.copy()
    if "verification" not in data:
        data["verification"] = Certification.Verification.PENDING
    form = CertificationFilterForm(data)
    filters = (
        form.cleaned_data if form.is_valid() else {"verification": "pending", "status": "", "q": ""}
    )
    page = paginate(request, _certifications_for_operator(**filters), per_page=PER_PAGE)
    pending = Certification.objects.filter(verification=Certification.Verification.PENDING).count()
    return render(
        request,
        "catalog/operator/queue.html",
        {
            "form": form,
            "page_obj": page,
            "filters": filters,
            "pending_count": pending,
            "operator_section": "queue",
            "breadcrumb_data": breadcrumb(_("Verification queue")),
        },
    )


SERVICES = {
    Decision.VERIFY: lambda cert, actor, reason: services.certification_verify(
        certification=cert, actor=actor
    ),
    Decision.REJECT: lambda cert, actor, reason: services.certification_reject(
        certification=cert, actor=actor, reason=reason
    ),
    Decision.SUSPEND: lambda cert, actor, reason: services.certification_suspend(
        certification=cert, actor=actor, reason=reason
    ),
    Decision.REVOKE: lambda cert, actor, reason: services.certification_revoke(
        certification=cert, actor=actor, reason=reason
    ),
}
DONE = {
    Decision.VERIFY: gettext_lazy("The evidence of %(cert)s is verified."),
    Decision.REJECT: gettext_lazy("The evidence of %(cert)s is rejected."),
    Decision.SUSPEND: gettext_lazy("%(cert)s is suspended."),
    Decision.REVOKE: gettext_lazy("%(cert)s is revoked."),
}


def _decisions_on(obj) -> list[OperatorAction]:
    """The operator's latest decisions on a certificate or a provider."""
    return list(
        OperatorAction.objects.filter(object_type=obj._meta.model_name, object_id=obj.pk)
        .select_related("actor")
        .order_by("-created_at", "-id")[:50]
    )


def _certification_or_404(pk: int) -> Certification:
    return get_object_or_404(
        Certification.objects.select_related("provider", "scheme", "verified_by").prefetch_related(
            Prefetch(
                "scope_offers", queryset=Offer.objects.only("id", "name", "status").order_by("name")
            )
        ),
        pk=pk,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@operator_required
def certificate(request, pk: int):
    cert = _certification_or_404(pk)
    decisions = decisions_open_to(cert)
    form = CertificationDecisionForm(request.POST or None, decisions=decisions)
    if request.method == "POST" and form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            SERVICES[decision](cert, request.user, form.cleaned_data["reason"])
        except services.DomainError as error:
            domain_error_to_form(error, form)
        else:
            messages.success(request, DONE[decision] % {"cert": cert})
            return redirect("operator-certificate", pk=cert.pk)
    history = _decisions_on(cert)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "catalog/operator/certificate.html",
        {
            "cert": cert,
            "form": form,
            "decisions": decisions,
            "history": history,
            "operator_section": "queue",
            "breadcrumb_data": breadcrumb(
                str(cert), (reverse("operator-queue"), _("Verification queue"))
            ),
        },
        status=status,
    )


@never_cache
@require_GET
@operator_required
def evidence(request, pk: int):
    cert = get_object_or_404(Certification.objects.select_related("scheme"), pk=pk)
    if not cert.evidence:
        raise Http404
    try:
        handle = cert.evidence.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # Typed by the test its upload passed, whatever the stored file is called.
    content_type, extension = upload_type(handle)
    # Never the uploaded name: the provider chose it.
    filename = f"evidence-{cert.pk}-{slugify(cert.reference)[:60] or 'certificate'}{extension}"
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------
# Providers: suspension and reactivation


def _providers_for_operator(*, status: str, q: str) -> QuerySet[Provider]:
    qs = (
        Provider.objects.select_related("status_changed_by")
        .annotate(offer_count=Count("offers", distinct=True))
        .order_by("name", "id")
    )
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(siren=q))
    return qs


@require_GET
@operator_required
def providers(request):
    form = ProviderFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {"status": "", "q": ""}
    page = paginate(request, _providers_for_operator(**filters), per_page=PER_PAGE)
    return render(
        request,
        "catalog/operator/providers.html",
        {
            "form": form,
            "page_obj": page,
            "operator_section": "providers",
            "breadcrumb_data": breadcrumb(_("Providers")),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@operator_required
def provider(request, pk: int):
    provider = get_object_or_404(
        Provider.objects.select_related("status_changed_by").annotate(offer_count=Count("offers")),
        pk=pk,
    )
    suspending = provider.status == ProviderStatus.ACTIVE
    initial = {"action": "suspend" if suspending else "reactivate"}
    form = ProviderStatusForm(request.POST or None, initial=initial, suspending=suspending)
    if request.method == "POST" and form.is_valid():
        action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
        service = services.provider_suspend if action == "suspend" else services.provider_reactivate
        try:
            service(provider=provider, actor=request.user, reason=reason)
        except services.DomainError as error:
            domain_error_to_form(error, form)
        else:
            done = (
                _("%(name)s is suspended.")
                if action == "suspend"
                else _("%(name)s is reactivated.")
            )
            messages.success(request, done % {"name": provider.name})
            return redirect("operator-providers")
    history = _decisions_on(provider)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "catalog/operator/provider.html",
        {
            "provider": provider,
            "form": form,
            "suspending": suspending,
            "history": history,
            "operator_section": "providers",
            "breadcrumb_data": breadcrumb(
                provider.name, (reverse("operator-providers"), _("Providers"))
            ),
        },
        status=status,
    )


urlpatterns = [
    path("operateur/", queue, name="operator-queue"),
    path("operateur/certificats/<int:pk>/", certificate, name="operator-certificate"),
    path("operateur/certificats/<int:pk>/preuve/", evidence, name="operator-evidence"),
    path("operateur/fournisseurs/", providers, name="operator-providers"),
    path("operateur/fournisseurs/<int:pk>/", provider, name="operator-provider"),
]
