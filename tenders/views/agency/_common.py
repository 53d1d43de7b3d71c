"""What every page of the buyer's space shares: page sizes, status badges,
the deadline-checked tender of the agency, labels in the reader's language.
The role check and the breadcrumb's root are in ``tenders.views.access``;
pages, VAT and the mapping of a refusal come from ``core``."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import get_language

from tenders import selectors, services
from tenders.models import (
    MatchingState,
    OrderStatus,
    Tender,
    TenderStatus,
)

PAGE_SIZE = 20
DASHBOARD_ROWS = 5
STATUS_BADGES = {
    TenderStatus.DRAFT: "new",
    TenderStatus.PUBLISHED: "info",
    TenderStatus.CLOSED: "warning",
    TenderStatus.AWARDED: "success",
    TenderStatus.UNSUCCESSFUL: "error",
    TenderStatus.CANCELLED: "error",
    OrderStatus.PLACED: "info",
    OrderStatus.ACCEPTED: "success",
    OrderStatus.DECLINED: "error",
    OrderStatus.CANCELLED: "error",
}
MATCHING_BADGES = {
    MatchingState.QUEUED: "new",
    MatchingState.RUNNING: "info",
    MatchingState.DONE: "success",
    MatchingState.FAILED: "error",
}


def language() -> str:
    return "fr" if (get_language() or "fr")[:2] == "fr" else "en"


def managed_tender(request, pk: int) -> Tender:
    """The agency's own tender, closed first if its deadline has passed
    (every request that depends on the deadline checks it itself)."""
    tender = selectors.tenders_managed_by(request.user).filter(pk=pk).first()
    if tender is None:
        raise Http404
    services.tender_close_if_due(tender=tender)
    return selectors.tenders_managed_by(request.user).get(pk=pk)


def labels(model) -> dict[str, str]:
    lang = language()
    return {row.code: getattr(row, f"label_{lang}") for row in model.objects.all()}
