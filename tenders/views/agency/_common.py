"""What every page of the buyer's space shares: the role check, the
breadcrumb, pagination, the deadline-checked tender of the agency, and one
mapping of a service refusal onto a form."""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from catalog.services import DomainError
from tenders import selectors, services
from tenders.models import (
    MatchingState,
    OrderStatus,
    Tender,
    TenderStatus,
)

PAGE_SIZE = 20
DASHBOARD_ROWS = 5
CENT = Decimal("0.01")
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


def agency_member_required(view):
    """Signed in (else the login page) and acting for an agency (else 403);
    the view receives the agency as ``request.agency``."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        agency = selectors.agency_of(request.user)
        if agency is None:
            raise PermissionDenied(_("This space is for members of a public buyer."))
        request.agency = agency
        return view(request, *args, **kwargs)

    return wrapper


def incl_vat(amount: Decimal | None) -> Decimal | None:
    if amount is None:
        return None
    return (Decimal(amount) * (1 + settings.VAT_RATE)).quantize(CENT)


def language() -> str:
    return "fr" if (get_language() or "fr")[:2] == "fr" else "en"


def breadcrumb(current: str, *links: tuple[str, str]) -> dict:
    trail = [{"url": reverse("agency-dashboard"), "title": _("Buyer space")}]
    trail += [{"url": url, "title": title} for url, title in links]
    return {"links": trail, "current": current}


def page_of(request, items, name: str = "page"):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get(name))


def managed_tender(request, pk: int) -> Tender:
    """The agency's own tender, closed first if its deadline has passed
    (every request that depends on the deadline checks it itself)."""
    tender = selectors.tenders_managed_by(request.user).filter(pk=pk).first()
    if tender is None:
        raise Http404
    services.tender_close_if_due(tender=tender)
    return selectors.tenders_managed_by(request.user).get(pk=pk)


def error_text(error: DomainError) -> str:
    # Service messages are English sentences; a translation, when the
    # catalogue has one, follows the reader's language.
    return _(error.message)


def domain_error_to_form(error: DomainError, form) -> None:
    """A service refusal on the field it names, else at the top of the form."""
    placed = False
    for field, texts in (error.fields or {}).items():
        if field in form.fields:
            for text in texts:
                form.add_error(field, _(text))
            placed = True
    if not placed:
        form.add_error(None, error_text(error))


def labels(model) -> dict[str, str]:
    lang = language()
    return {row.code: getattr(row, f"label_{lang}") for row in model.objects.all()}
