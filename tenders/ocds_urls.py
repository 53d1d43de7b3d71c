"""Open contracting routes, mounted by config/urls.py at api/v1/ocds/."""

from django.urls import path

from tenders.api import ocds as api_ocds

urlpatterns = [
    path("releases/", api_ocds.ReleasesView.as_view(), name="api-ocds-releases"),
    path("records/<str:ocid>/", api_ocds.RecordView.as_view(), name="api-ocds-record"),
]
