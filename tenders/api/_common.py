"""What every view of the demand side's API does first: parse its input,
and find who is calling (401 for anonymous callers, 403 for the wrong kind
of organisation)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAuthenticated, PermissionDenied

from catalog import selectors as catalog_selectors
from tenders import selectors, services
from tenders.models import Agency, SourcingFile


def parse(serializer_class, data, **kwargs) -> dict:
    parsed = serializer_class(data=data, **kwargs)
    parsed.is_valid(raise_exception=True)
    return dict(parsed.validated_data)


def require_user(request):
    if not request.user.is_authenticated:
        raise NotAuthenticated()


def agency_or_403(request) -> Agency:
    require_user(request)
    agency = selectors.agency_of(request.user)
    if agency is None:
        raise PermissionDenied("Only members of a public agency can do this.")
    return agency


def sourcing_file_of(request, pk: int | None) -> SourcingFile | None:
    if pk is None:
        return None
    item = selectors.sourcing_files_of(request.user).filter(pk=pk).first()
    if item is None:
        raise services.TenderError(
            _("Unknown sourcing file."), fields={"sourcing_file": ["Unknown sourcing file."]}
        )
    return item


def provider_or_403(request):
    require_user(request)
    provider = catalog_selectors.provider_of(request.user)
    if provider is None:
        raise PermissionDenied("Only members of a provider can do this.")
    return provider
