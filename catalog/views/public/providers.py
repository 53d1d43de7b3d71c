"""The provider directory and a provider's page (seats, ownership against
SecNumCloud §19.6, offers, certificates)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django import forms
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django_countries import countries as iso_countries
from dsfr.forms import DsfrBaseForm

from catalog import policy, selectors
from catalog.forms_public import label_of, level_choices
from catalog.models import (
    Certification,
    CertificationScheme,
    CertificationStatus,
    Offer,
    OfferStatus,
    Provider,
    SensitivityLevel,
)
from catalog.views.public._common import (
    PAGE_SIZE,
    _decorate,
    _levels,
    _listed,
    certificate_rows,
    render_swappable,
)
from core.web import breadcrumb, paginate

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class ProviderSearchForm(DsfrBaseForm):
    q = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=200)
    country = forms.ChoiceField(label=gettext_lazy("Registered office"), required=False)
    level = forms.ChoiceField(
        label=gettext_lazy("Has an offer qualified at least for"), required=False
    )
    certification = forms.ChoiceField(
        label=gettext_lazy("Holds a valid certificate"), required=False
    )
    sme = forms.BooleanField(
        label=gettext_lazy("Small and medium-sized enterprises only"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        present = (
            Provider.objects.order_by()
            .values_list("registered_office_country", flat=True)
            .distinct()
        )
        self.fields["country"].choices = [
            ("", gettext_lazy("Any country")),
            *sorted(
                ((code, iso_countries.name(code) or code) for code in present), key=lambda c: c[1]
            ),
        ]
        self.fields["level"].choices = [("", gettext_lazy("Any level")), *level_choices()]
        self.fields["certification"].choices = [
            ("", gettext_lazy("Any certification")),
            *((s.code, s.name) for s in CertificationScheme.objects.order_by("name")),
        ]


def providers_search(
    user: AbstractBaseUser | AnonymousUser | None, data: dict
) -> QuerySet[Provider]:
    published = Q(offers__status=OfferStatus.PUBLISHED)
    qs = selectors.providers_visible_to(user).annotate(
        published_offers=Count("offers", filter=published, distinct=True),
        best_rank=Max("offers__assessment__level_rank", filter=published),
    )
    if data.get("q"):
        qs = qs.filter(name__icontains=data["q"].strip())
    if data.get("country"):
        qs = qs.filter(registered_office_country=data["country"])
    if data.get("sme"):
        qs = qs.filter(is_sme=True)
    if data.get("level"):
        rank = SensitivityLevel.objects.get(code=data["level"]).rank
        qs = qs.filter(
            pk__in=Offer.objects.filter(
                status=OfferStatus.PUBLISHED, assessment__level_rank__gte=rank
            ).values("provider_id")
        )
    if data.get("certification"):
        today = timezone.localdate()
        qs = qs.filter(
            pk__in=Certification.objects.filter(
                scheme__code=data["certification"],
                status=CertificationStatus.VALID,
                verification=Certification.Verification.VERIFIED,
            )
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            .values("provider_id")
        )
    return qs.order_by("name", "id")


@require_GET
def provider_directory(request: HttpRequest) -> HttpResponse:
    form = ProviderSearchForm(request.GET)
    context = {"form": form, "page": None, "breadcrumb_data": breadcrumb(_("Providers"))}
    if form.is_valid():
        page = paginate(
            request,
            providers_search(request.user, form.cleaned_data),
            per_page=PAGE_SIZE,
            on_each_side=2,
        )
        level_by_rank = {lv.rank: lv for lv in _levels().values()}
        for provider in page.object_list:
            best = level_by_rank.get(provider.best_rank) if provider.best_rank is not None else None
            provider.best_level = best.code if best else ""
            provider.best_level_label = label_of(best) if best else ""
            provider.country_name = (
                iso_countries.name(provider.registered_office_country)
                or provider.registered_office_country
            )
        context["page"] = page
    return render_swappable(
        request, "catalog/public/providers.html", "catalog/public/_provider_area.html", context
    )


def ownership_summary(provider: Provider) -> dict:
    """What SecNumCloud §19.6 looks at: holders outside the EU, alone and
    together, against the limits of the policy."""
    stakes = list(provider.stakes.all())
    non_eu = [s for s in stakes if s.holder_country not in policy.EU]
    strictest = SensitivityLevel.objects.filter(requires_eu_control=True).order_by("rank").first()
    return {
        "stakes": [
            {
                "stake": s,
                "country": iso_countries.name(s.holder_country) or s.holder_country,
                "eu": s.holder_country in policy.EU,
            }
            for s in stakes
        ],
        "non_eu_total": sum((s.capital_pct for s in non_eu), Decimal(0)),
        "non_eu_voting": sum((s.voting_pct for s in non_eu), Decimal(0)),
        "largest_non_eu": max(non_eu, key=lambda s: s.capital_pct, default=None),
        "non_eu_veto": [s.holder_name for s in non_eu if s.has_veto],
        "non_eu_board": [s.holder_name for s in non_eu if s.has_board_majority],
        "limits": strictest,
    }


@require_GET
def provider_detail(request: HttpRequest, slug: str) -> HttpResponse:
    provider = get_object_or_404(selectors.providers_visible_to(request.user), slug=slug)
    offers = list(
        _listed(request.user)
        .filter(provider=provider)
        .order_by("-assessment__level_rank", "name", "id")
    )
    _decorate(offers, _levels())
    certificates = (
        selectors.certifications_visible_to(request.user)
        .filter(provider=provider)
        .order_by("scheme__code", "-expires_on")
    )
    seats = [
        (label, iso_countries.name(code) or code, code in policy.EU)
        for label, code in (
            (_("Registered office"), provider.registered_office_country),
            (_("Central administration"), provider.central_administration_country),
            (_("Main establishment"), provider.main_establishment_country),
        )
    ]
    return render(
        request,
        "catalog/public/provider_detail.html",
        {
            "provider": provider,
            "seats": seats,
            "ownership": ownership_summary(provider),
            "offers": offers,
            "certificates": certificate_rows(certificates),
            "breadcrumb_data": breadcrumb(
                provider.name, (reverse("provider-directory"), _("Providers"))
            ),
        },
    )
