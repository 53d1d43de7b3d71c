"""Placeholder routes, replaced by the journey that owns this module."""

from django.urls import path
from django.views.generic import TemplateView

urlpatterns = [
    path("appels-offres/", TemplateView.as_view(template_name="placeholder.html", extra_context={"heading": "tender-public-list"}), name="tender-public-list"),
]
