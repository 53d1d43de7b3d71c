"""The catalogue search with facets, and the home page's figures."""

from __future__ import annotations

from dataclasses import replace

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from catalog import selectors
from catalog.forms_public import OfferSearchForm, level_choices
from catalog.models import Offer, Provider, ProviderStatus, SensitivityLevel, ServiceCategory
from catalog.views.public._common import (
    PAGE_SIZE,
    _decorate,
    _levels,
    _listed,
    _query_with,
    render_swappable,
)
from core.web import breadcrumb, paginate


def _search(form: OfferSearchForm, user, *, drop: str | None = None) -> QuerySet[Offer]:
    """The results, or with ``drop`` those without that facet's filter."""
    query = form.offer_query()
    if drop:
        query = replace(query, **{drop: None})
    qs = selectors.offers_search(_listed(user), query)
    if form.cleaned_data.get("unit"):
        qs = qs.filter(normalised_unit=form.cleaned_data["unit"])
    return qs


def _facets(request: HttpRequest, form: OfferSearchForm) -> dict:
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
def catalog_search(request: HttpRequest) -> HttpResponse:
    form = OfferSearchForm(request.GET)
    context = {
        "form": form,
        "page": None,
        "facets": None,
        "breadcrumb_data": breadcrumb(_("Catalogue")),
    }
    if form.is_valid():
        query = form.offer_query()
        qs = _search(form, request.user)
        if query.ordering:
            qs = qs.order_by(*selectors.ORDERINGS[query.ordering])
        elif query.q:
            qs = qs.order_by("-search_rank", "normalised_price", "id")
        else:
            qs = qs.order_by(*selectors.ORDERINGS["price"])
        page = paginate(request, qs, per_page=PAGE_SIZE, on_each_side=2)
        _decorate(page.object_list, _levels())
        context.update(page=page, facets=_facets(request, form))
    return render_swappable(
        request, "catalog/public/search.html", "catalog/public/_search_area.html", context
    )


def catalog_figures() -> dict:
    public = selectors.offers_visible_to(None)
    return {
        "figure_offers": public.count(),
        "figure_qualified_offers": public.filter(assessment__level_rank__gte=1).count(),
        "figure_sovereign_offers": public.filter(assessment__level_rank__gte=2).count(),
        "figure_providers": Provider.objects.filter(status=ProviderStatus.ACTIVE).count(),
    }
