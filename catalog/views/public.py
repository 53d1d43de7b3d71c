"""Placeholder routes, replaced by the journey that owns this module."""

from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path("catalogue/", TemplateView.as_view(template_name="placeholder.html", extra_context={"heading": "catalog-search"}), name="catalog-search"),
    path("catalogue/comparer/", TemplateView.as_view(template_name="placeholder.html", extra_context={"heading": "catalog-compare"}), name="catalog-compare"),
    path("fournisseurs/", TemplateView.as_view(template_name="placeholder.html", extra_context={"heading": "provider-directory"}), name="provider-directory"),
]
