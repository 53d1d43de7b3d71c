"""DECP routes, mounted by config/urls.py at api/v1/decp/."""

from django.urls import path

from tenders.api import decp as api_decp

urlpatterns = [path("marches/", api_decp.DecpMarchesView.as_view(), name="api-decp-marches")]
