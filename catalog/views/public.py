"""The public journeys of the catalogue: search with facets, price
comparison, an offer with its explained eligibility, the provider directory
and a provider's page. Thin: the forms parse the query string into the
arguments of ``catalog.selectors``, the same filters as the REST API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Q,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import floatformat
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django_countries import countries as iso_countries
from dsfr.forms import DsfrBaseForm

from catalog import policy, selectors, units
from catalog.forms_public import ORDERINGS, CompareForm, OfferSearchForm, label_of, level_choices
from catalog.models import (
    Certification,
    CertificationScheme,
    CertificationStatus,
    DataFlag,
    Offer,
    OfferAssessment,
    OfferStatus,
    Provider,
    ProviderStatus,
    SensitivityLevel,
    ServiceCategory,
)
from catalog.texts import check_reason

PAGE_SIZE = 20
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=30, decimal_places=6)


# --------------------------------------------------------------------------
# Shared helpers


def _page(request, rows, size: int = PAGE_SIZE):
    """A page of ``rows``; a bad ``?page=`` falls back to the first or last
    page instead of failing."""
    page = Paginator(rows, size).get_page(request.GET.get("page"))
    page.pages_list = list(
        page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    )
    return page


def _query_with(request, **changes) -> str:
    """The current query string with some parameters replaced (None drops
    one) and the page reset: the link behind a facet."""
    query = request.GET.copy()
    query.pop("page", None)
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return "?" + query.urlencode()


def with_vat(amount: Decimal) -> Decimal:
    return (Decimal(amount) * (1 + settings.VAT_RATE)).quantize(CENT, rounding=ROUND_HALF_UP)


def _levels() -> dict[str, SensitivityLevel]:
    return {lv.code: lv for lv in SensitivityLevel.objects.order_by("rank")}


def _decorate(offers, levels: dict[str, SensitivityLevel]) -> None:
    """Attach what a result row shows: the level badge text and the
    normalised price label."""
    offers = list(offers)
    used_by = selectors.offers_used_by([offer.pk for offer in offers])
    for offer in offers:
        offer.used_by_count = len(used_by.get(offer.pk, []))
        assessment = getattr(offer, "assessment", None)
        level = levels.get(assessment.level) if assessment and assessment.level else None
        offer.level_code = level.code if level else ""
        offer.level_label = label_of(level) if level else ""
        offer.normalised_label = units.NORMALISED_LABELS.get(
            offer.normalised_unit, offer.normalised_unit
        )
        offer.unit_label = (
            units.UNITS[offer.unit].label if offer.unit in units.UNITS else offer.unit
        )
        offer.category_label = (
            ServiceCategory(offer.category).label
            if offer.category in ServiceCategory.values
            else offer.category
        )


def wants_fragment(request) -> bool:
    """htmx swaps the filters and results in place; a plain request, a
    boosted link or a history restore (htmx lost its cache) gets the page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_swappable(request, full: str, fragment: str, context: dict) -> HttpResponse:
    response = render(request, fragment if wants_fragment(request) else full, context)
    # One URL, two bodies: caches and the back button must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _breadcrumb(current: str, *links: tuple[str, str]) -> dict:
    # The State design system's breadcrumb adds the home page itself.
    return {"links": [{"url": url, "title": title} for url, title in links], "current": current}


# --------------------------------------------------------------------------
# Catalogue search


def _listed(user):
    """Visible offers as a list row shows them: provider and level, not the
    certificates and subcontractors an offer's own page prefetches."""
    return selectors.offers_visible_to(user).prefetch_related(None)


def _search(form: OfferSearchForm, user, *, drop: str | None = None):
    filters = form.offer_filters()
    if drop:
        filters[drop] = [] if drop == "flags" else None
    qs = selectors.offers_filter(_listed(user), **filters)
    if form.cleaned_data.get("unit"):
        qs = qs.filter(normalised_unit=form.cleaned_data["unit"])
    return qs


def _facets(request, form: OfferSearchForm) -> dict:
    """Counts per category and per level, each over the results as they
    would be without that facet's own filter (two grouped queries)."""
    chosen_category = form.cleaned_data.get("category") or ""
    by_category = dict(
        _search(form, request.user, drop="category")
        .order_by()
        .values_list("category")
        .annotate(n=Count("id"))
        .values_list("category", "n")
    )
    categories = [
        {
            "code": code,
            "label": label,
            "count": by_category[code],
            "selected": code == chosen_category,
            "url": _query_with(request, category=None if code == chosen_category else code),
        }
        for code, label in ServiceCategory.choices
        if by_category.get(code)
    ]
    levels = [(code, label) for code, label in level_choices()]
    rank_of = dict(SensitivityLevel.objects.values_list("code", "rank"))
    counted = (
        _search(form, request.user, drop="level")
        .order_by()
        .aggregate(
            **{
                code: Count("id", filter=Q(assessment__level_rank__gte=rank_of[code]))
                for code, _label in levels
            }
        )
        if levels
        else {}
    )
    chosen_level = form.cleaned_data.get("level") or ""
    level_facets = [
        {
            "code": code,
            "label": label,
            "count": counted.get(code, 0),
            "selected": code == chosen_level,
            "url": _query_with(request, level=None if code == chosen_level else code),
        }
        for code, label in levels
        if counted.get(code)
    ]
    return {"categories": categories, "levels": level_facets}


@require_GET
def catalog_search(request):
    form = OfferSearchForm(request.GET)
    context = {
        "form": form,
        "page": None,
        "facets": None,
        "breadcrumb_data": _breadcrumb(_("Catalogue")),
    }
    if form.is_valid():
        qs = _search(form, request.user)
        ordering = form.cleaned_data.get("ordering")
        if ordering:
            qs = qs.order_by(*ORDERINGS[ordering])
        elif form.offer_filters()["q"]:
            qs = qs.order_by("-search_rank", "normalised_price", "id")
        else:
            qs = qs.order_by("normalised_price", "id")
        page = _page(request, qs)
        _decorate(page.object_list, _levels())
        context.update(page=page, facets=_facets(request, form))
    return render_swappable(
        request, "catalog/public/search.html", "catalog/public/_search_area.html", context
    )


# --------------------------------------------------------------------------
# Price comparison


@dataclass
class PricedOffer:
    offer: Offer
    total: Decimal
    total_incl_vat: Decimal
    quantity: Decimal
    months: int
    notes: list[str]


def _unit_factor(field: str) -> Case:
    """Per offer, how many normalised quantities one unit of sale is
    (catalog.units.Unit.quantity_factor), times ``field``."""
    return Case(
        *(
            When(unit=code, then=F(field) * Value(spec.quantity_factor))
            for code, spec in units.UNITS.items()
        ),
        default=F(field),
        output_field=MONEY,
    )


def _priced(offer: Offer, *, quantity: Decimal, unit: str, months: int) -> PricedOffer:
    """The total for the need, on the offer's own terms: below its minimum
    commitment or term, the buyer pays the minimum, and that is said."""
    wanted = units.quantity_in_unit(quantity=quantity, from_unit=unit, to_unit=offer.unit)
    billed, billed_months, notes = wanted, months, []
    if wanted < offer.minimum_commitment:
        billed = offer.minimum_commitment
        notes.append(
            _("Minimum commitment of %(minimum)s %(unit)s: priced at the minimum.")
            % {"minimum": floatformat(offer.minimum_commitment, "-2g"), "unit": offer.unit_label}
        )
    if months < offer.minimum_months:
        billed_months = offer.minimum_months
        notes.append(
            _("Minimum term of %(months)s months: priced for %(months)s months.")
            % {"months": offer.minimum_months}
        )
    total = units.estimated_cost(
        normalised_price=offer.normalised_price,
        quantity=billed,
        unit=offer.unit,
        months=billed_months,
    )
    return PricedOffer(
        offer=offer,
        total=total,
        total_incl_vat=with_vat(total),
        quantity=billed,
        months=billed_months,
        notes=notes,
    )


@require_GET
def catalog_compare(request):
    described = [bool(request.GET.get(key)) for key in ("quantity", "months")]
    # Without JavaScript, a half-described need is an error to show; live
    # (htmx, on each change) the visitor is still typing it.
    if all(described) or (any(described) and not wants_fragment(request)):
        form = CompareForm(request.GET)
    else:
        # Arriving from an offer or a link with some filters only: prefill,
        # do not greet the visitor with errors.
        form = CompareForm(
            initial={
                key: request.GET.getlist(key) if key == "flags" else request.GET.get(key)
                for key in request.GET
            }
        )
    context = {
        "form": form,
        "rows": None,
        "breadcrumb_data": _breadcrumb(_("Compare prices")),
        "vat_rate": settings.VAT_RATE * 100,
    }
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        unit, quantity, months = data["unit"], data["quantity"], data["months"]
        spec = units.UNITS[unit]
        wanted = quantity * spec.quantity_factor  # in normalised quantities
        matching = selectors.offers_filter(_listed(request.user), **form.offer_filters())
        comparable = matching.filter(normalised_unit=spec.normalised)
        fits = Q(capacity__isnull=True) | Q(capacity_normalised__gte=wanted)
        # Ordered in SQL by what the buyer would pay (minimums included), so
        # that every page of a long list is in the right place.
        ranked = (
            comparable.annotate(
                capacity_normalised=_unit_factor("capacity"),
                billed_total=ExpressionWrapper(
                    F("normalised_price")
                    * Greatest(
                        Value(wanted, output_field=MONEY),
                        _unit_factor("minimum_commitment"),
                        output_field=MONEY,
                    )
                    * Greatest(Value(months), F("minimum_months"), output_field=IntegerField()),
                    output_field=MONEY,
                ),
            )
            .filter(fits)
            .order_by("billed_total", "id")
        )
        page = _page(request, ranked)
        _decorate(page.object_list, _levels())
        rows = [
            _priced(offer, quantity=quantity, unit=unit, months=months)
            for offer in page.object_list
        ]
        too_big = list(
            comparable.annotate(capacity_normalised=_unit_factor("capacity"))
            .exclude(fits)
            .order_by("name", "id")[:50]
        )
        _decorate(too_big, _levels())
        other_units = (
            matching.exclude(normalised_unit=spec.normalised)
            .order_by()
            .values_list("normalised_unit")
            .annotate(n=Count("id"))
            .values_list("normalised_unit", "n")
        )
        context.update(
            rows=rows,
            page=page,
            unit_label=spec.label,
            quantity=quantity,
            months=months,
            too_big=too_big,
            other_units=sorted(
                (units.NORMALISED_LABELS.get(code, code), n) for code, n in other_units
            ),
        )
    return render_swappable(
        request, "catalog/public/compare.html", "catalog/public/_compare_area.html", context
    )


# --------------------------------------------------------------------------
# One offer


def eligibility_explained(assessment: OfferAssessment | None) -> dict:
    """The stored checks grouped level by level, then flag by flag, each in
    the reader's language (catalog.texts)."""
    if assessment is None:
        return {"levels": [], "flags": []}
    granted_rank = assessment.level_rank
    levels = []
    for lv in SensitivityLevel.objects.order_by("rank"):
        checks = [
            {"passed": bool(c["passed"]), "reason": check_reason(c)}
            for c in assessment.checks
            if c.get("level") == lv.code and not c.get("flag")
        ]
        if not checks:
            continue
        passed = all(c["passed"] for c in checks)
        if lv.rank <= granted_rank:
            state, text = "qualified", _("Qualified")
        elif passed:
            state, text = "blocked", _("Rules met, but a lower level is not")
        else:
            state, text = "failed", _("Not qualified")
        levels.append(
            {
                "code": lv.code,
                "label": label_of(lv),
                "state": state,
                "state_text": text,
                "checks": checks,
                "failed": sum(1 for c in checks if not c["passed"]),
            }
        )
    flags = []
    for flag in DataFlag.objects.order_by("code"):
        checks = [
            {"passed": bool(c["passed"]), "reason": check_reason(c)}
            for c in assessment.checks
            if c.get("flag") == flag.code
        ]
        if not checks:
            continue
        met = flag.code in assessment.flags
        flags.append(
            {
                "code": flag.code,
                "label": label_of(flag),
                "met": met,
                "checks": checks,
                "failed": sum(1 for c in checks if not c["passed"]),
            }
        )
    return {"levels": levels, "flags": flags}


def certificate_rows(certificates) -> list[dict]:
    """Certificates with what a reader needs to trust them: validity dates
    and whether they count today."""
    today = timezone.localdate()
    rows = []
    for cert in certificates:
        expired = cert.expires_on is not None and cert.expires_on < today
        counts = (
            cert.status == CertificationStatus.VALID
            and not expired
            and cert.verification == Certification.Verification.VERIFIED
        )
        rows.append(
            {
                "cert": cert,
                "counts": counts,
                "expired": expired,
                "status_text": _("expired")
                if expired and cert.status == CertificationStatus.VALID
                else cert.get_status_display(),
                "expires_soon": counts
                and cert.expires_on is not None
                and (cert.expires_on - today).days <= 90,
            }
        )
    return rows


def _direct_purchase_url(offer: Offer) -> str | None:
    """Where an agency buys this offer directly, when its smallest order
    (minimum commitment and term) stays below the threshold."""
    smallest = units.estimated_cost(
        normalised_price=offer.normalised_price,
        quantity=max(offer.minimum_commitment, CENT),
        unit=offer.unit,
        months=max(1, offer.minimum_months),
    )
    if smallest >= settings.DIRECT_PURCHASE_THRESHOLD:
        return None
    try:
        return reverse("agency-order-create", kwargs={"offer_id": offer.pk})
    except NoReverseMatch:  # the agency journey is not wired yet
        return f"/espace-acheteur/commandes/nouvelle/{offer.pk}/"


@require_GET
def offer_detail(request, pk: int):
    offer = get_object_or_404(selectors.offers_visible_to(request.user), pk=pk)
    _decorate([offer], _levels())
    assessment = getattr(offer, "assessment", None)
    certificates = (
        selectors.certifications_visible_to(request.user)
        .filter(scope_offers=offer)
        .order_by("scheme__code", "-expires_on")
    )
    locations = [
        (label, [iso_countries.name(c) or c for c in countries])
        for label, countries in (
            (_("Storage"), offer.storage_countries),
            (_("Processing"), offer.processing_countries),
            (_("Backup and disaster recovery"), offer.backup_countries),
            (_("Technical data"), offer.technical_data_countries),
            (_("Administration and supervision"), offer.administration_countries),
            (_("Support"), offer.support_countries),
        )
    ]
    return render(
        request,
        "catalog/public/offer_detail.html",
        {
            "offer": offer,
            "assessment": assessment,
            "eligibility": eligibility_explained(assessment),
            "flag_labels": [label_of(f) for f in DataFlag.objects.filter(code__in=assessment.flags)]
            if assessment
            else [],
            "certificates": certificate_rows(certificates),
            "locations": locations,
            "subcontractors": list(offer.subcontractors.all()),
            "unit_price_incl_vat": with_vat(offer.unit_price),
            "normalised_price_incl_vat": with_vat(offer.normalised_price),
            "buy_url": _direct_purchase_url(offer),
            "used_by": selectors.offers_used_by([offer.pk]).get(offer.pk, []),
            "threshold": settings.DIRECT_PURCHASE_THRESHOLD,
            "breadcrumb_data": _breadcrumb(offer.name, (reverse("catalog-search"), _("Catalogue"))),
        },
    )


# --------------------------------------------------------------------------
# Providers


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


def providers_search(user, data: dict):
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
def provider_directory(request):
    form = ProviderSearchForm(request.GET)
    context = {"form": form, "page": None, "breadcrumb_data": _breadcrumb(_("Providers"))}
    if form.is_valid():
        page = _page(request, providers_search(request.user, form.cleaned_data))
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
def provider_detail(request, slug: str):
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
            "breadcrumb_data": _breadcrumb(
                provider.name, (reverse("provider-directory"), _("Providers"))
            ),
        },
    )


# --------------------------------------------------------------------------
# Figures for the home page


def catalog_figures() -> dict:
    public = selectors.offers_visible_to(None)
    return {
        "figure_offers": public.count(),
        "figure_qualified_offers": public.filter(assessment__level_rank__gte=1).count(),
        "figure_sovereign_offers": public.filter(assessment__level_rank__gte=2).count(),
        "figure_providers": Provider.objects.filter(status=ProviderStatus.ACTIVE).count(),
    }


urlpatterns = [
    path("catalogue/", catalog_search, name="catalog-search"),
    path("catalogue/comparer/", catalog_compare, name="catalog-compare"),
    path("offres/<int:pk>/", offer_detail, name="offer-detail"),
    path("fournisseurs/", provider_directory, name="provider-directory"),
    path("fournisseurs/<slug:slug>/", provider_detail, name="provider-detail"),
]
