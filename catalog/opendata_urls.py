"""Directory open-data routes, mounted by config/urls.py at api/v1/opendata/."""

from django.urls import path

from catalog import opendata

urlpatterns = [
    path("columns.json", opendata.ColumnsView.as_view(), name="opendata-columns"),
    *opendata.urlpatterns_for_downloads(),
]
