"""The open-data page and each buyer's page with its essential procurement
data (DECP). Thin: queries and rules live in tenders.decp."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.web import breadcrumb
from tenders import decp
from tenders.models import Agency


def _json_download(doc: dict, filename: str) -> HttpResponse:
    return HttpResponse(
        decp.dumps(doc),
        content_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@require_GET
def open_data(request):
    return render(
        request,
        "tenders/open_data.html",
        {
            "agencies": decp.agencies_listed(),
            "decp_count": decp.decp_count(),
            "threshold": settings.DECP_THRESHOLD,
            "schema_version": decp.SCHEMA_VERSION,
            "breadcrumb_data": breadcrumb(_("Open data")),
        },
    )


@require_GET
def open_data_decp(request):
    return _json_download(decp.decp_document(), "decp.json")


@require_GET
def agency_page(request, slug: str):
    agency = get_object_or_404(Agency, slug=slug)
    return render(
        request,
        "tenders/agency_page.html",
        {
            "agency": agency,
            "rows": decp.agency_contract_rows(agency=agency, user=request.user),
            "threshold": settings.DECP_THRESHOLD,
            "breadcrumb_data": breadcrumb(agency.name, (reverse("open-data"), _("Open data"))),
        },
    )


@require_GET
def agency_page_decp(request, slug: str):
    agency = get_object_or_404(Agency, slug=slug)
    # The slug is a SlugField: safe inside the quoted filename.
    return _json_download(decp.decp_document(agency=agency), f"decp-{agency.slug}.json")


urlpatterns = [
    path("donnees-ouvertes/", open_data, name="open-data"),
    path("donnees-ouvertes/decp.json", open_data_decp, name="open-data-decp"),
    path("acheteurs/<slug:slug>/", agency_page, name="agency-page"),
    path("acheteurs/<slug:slug>/decp.json", agency_page_decp, name="agency-page-decp"),
]
