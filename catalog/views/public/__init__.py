"""The public journeys of the catalogue: search with facets (``search``),
price comparison (``compare``), an offer with its explained eligibility
(``offer``), the provider directory and a provider's page (``providers``).
Thin: the forms parse the query string into a ``catalog.selectors.OfferQuery``,
the search the REST API runs."""

from django.urls import path

from catalog.views.public._common import render_swappable, wants_fragment
from catalog.views.public.compare import catalog_compare
from catalog.views.public.offer import offer_detail
from catalog.views.public.providers import provider_detail, provider_directory
from catalog.views.public.search import catalog_figures, catalog_search

__all__ = [
    "catalog_compare",
    "catalog_figures",
    "catalog_search",
    "offer_detail",
    "provider_detail",
    "provider_directory",
    "render_swappable",
    "urlpatterns",
    "wants_fragment",
]

urlpatterns = [
    path("catalogue/", catalog_search, name="catalog-search"),
    path("catalogue/comparer/", catalog_compare, name="catalog-compare"),
    path("offres/<int:pk>/", offer_detail, name="offer-detail"),
    path("fournisseurs/", provider_directory, name="provider-directory"),
    path("fournisseurs/<slug:slug>/", provider_detail, name="provider-detail"),
]
