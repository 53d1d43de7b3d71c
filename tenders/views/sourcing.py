"""The agency's sourcing files (issue 8): save a catalogue search, watch
its live result, lock it into a procurement record (SHA-256, audit chain),
export it (CSV, printable page), and start a direct purchase or a tender
from it.

Thin views: forms parse, ``tenders.services`` decides, ``tenders.selectors``
scopes; a ``DomainError`` comes back as form errors or a message, never a
500. Files are looked up through the agency's own scope: another agency's
file is a 404.

Wiring into other pages: the catalogue search includes
``tenders/sourcing/save_search_form.html`` (posts its query string to
``agency-sourcing-file-create``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from catalog import selectors as catalog_selectors
from catalog import units
from catalog.models import ServiceCategory
from catalog.services import DomainError
from core.submissions import ALREADY, AlreadySubmitted, submitted_once, take_key
from core.web import breadcrumb, domain_error_to_form, domain_error_to_message
from tenders import selectors, services, sourcing_export
from tenders.forms_sourcing import SourcingFileForm, SourcingOrderForm, SourcingTenderForm
from tenders.models import SourcingFile
from tenders.views.access import agency_member_required

FILTER_LABELS = {
    "q": gettext_lazy("Keywords"),
    "level": gettext_lazy("Qualified at least for"),
    "flags": gettext_lazy("Data with special requirements"),
    "category": gettext_lazy("Service category"),
    "location": gettext_lazy("Data location"),
    "certification": gettext_lazy("Certification held"),
    "min_price": gettext_lazy("Minimum price (€ excl. VAT per normalised unit)"),
    "max_price": gettext_lazy("Maximum price (€ excl. VAT per normalised unit)"),
    "ordering": gettext_lazy("Sort by"),
}


def _file_or_404(request, pk: int) -> SourcingFile:
    item = selectors.sourcing_files_of(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


def filters_display(filters: dict) -> list[tuple[str, str]]:
    """The saved search as (label, value) lines, in the reader's language."""
    categories = dict(ServiceCategory.choices)
    lines = []
    for key, label in FILTER_LABELS.items():
        if key not in filters:
            continue
        value = filters[key]
        if key == "flags":
            value = ", ".join(value)
        elif key == "category":
            value = str(categories.get(value, value))
        elif key == "location" and value == "EU":
            value = _("European Union")
        lines.append((str(label), str(value)))
    return lines


def _catalogue_url(filters: dict) -> str | None:
    try:
        base = reverse("catalog-search")
    except NoReverseMatch:
        return None
    query = sourcing_export.filters_query(filters)
    return f"{base}?{query}" if query else base


def _offer_url(offer_id: int) -> str | None:
    try:
        return reverse("offer-detail", args=[offer_id])
    except NoReverseMatch:
        return None


def _frozen_offers(item: SourcingFile) -> list[dict]:
    offers = selectors.sourcing_snapshot_offers(item)
    for offer in offers:
        offer["normalised_label"] = units.NORMALISED_LABELS.get(
            offer["normalised_unit"], offer["normalised_unit"]
        )
        offer["url"] = _offer_url(offer["id"])
    return offers


# --------------------------------------------------------------------------
# Views


@agency_member_required
def file_list(request):
    files = selectors.sourcing_files_of(request.user).order_by("-created_at", "-id")
    return render(
        request,
        "tenders/sourcing/list.html",
        {
            "files": files,
            "agency": request.agency,
            "catalogue_url": _catalogue_url({}),
            "breadcrumb_data": breadcrumb(_("Sourcing files")),
        },
    )


@agency_member_required
def file_create(request):
    """GET: the save form for the search in the query string (the
    catalogue page links or posts here); POST: save it."""
    if request.method == "POST":
        form = SourcingFileForm(request.POST)
        if form.is_valid():
            try:
                item = services.sourcing_file_save(
                    agency=request.agency,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    filters=QueryDict(form.cleaned_data["query"]),
                )
            except DomainError as error:
                _filter_errors(form, error)
            else:
                messages.success(request, _("Sourcing file saved."))
                return redirect("agency-sourcing-file-detail", item.pk)
        query = request.POST.get("query", "")
    else:
        query = request.GET.urlencode()
        form = SourcingFileForm(initial={"query": query})
    try:
        filters = services.sourcing_filters_clean(QueryDict(query))
    except DomainError as error:
        filters = {}
        if request.method == "GET":
            _filter_errors(form, error)
    return render(
        request,
        "tenders/sourcing/create.html",
        {
            "form": form,
            "filters": filters_display(filters),
            "catalogue_url": _catalogue_url(filters),
            "breadcrumb_data": breadcrumb(
                _("Save a search"), (reverse("agency-sourcing-file-list"), _("Sourcing files"))
            ),
        },
    )


def _filter_errors(form, error: DomainError) -> None:
    if error.fields and set(error.fields) - {"name"}:
        details = "; ".join(
            f"{FILTER_LABELS.get(key, key)}: {' '.join(problems)}"
            for key, problems in error.fields.items()
            if key != "name"
        )
        form.add_error(
            None, _("The search cannot be saved as it is: %(details)s") % {"details": details}
        )
    else:
        domain_error_to_form(error, form)


@agency_member_required
def file_detail(request, pk: int):
    item = _file_or_404(request, pk)
    tenders, orders = selectors.sourcing_file_uses(item)
    context = {
        "item": item,
        "filters": filters_display(item.filters),
        "catalogue_url": _catalogue_url(item.filters),
        "tenders": tenders,
        "orders": orders,
        "breadcrumb_data": breadcrumb(
            item.name, (reverse("agency-sourcing-file-list"), _("Sourcing files"))
        ),
    }
    if item.is_locked:
        context.update(offers=_frozen_offers(item), verified=selectors.sourcing_file_verify(item))
    else:
        live = selectors.sourcing_results(item.filters).select_related("assessment")
        context.update(live=live[:200], live_count=live.count())
    return render(request, "tenders/sourcing/detail.html", context)


@agency_member_required
def file_lock(request, pk: int):
    """GET: what locking means, and a confirmation; POST: lock."""
    item = _file_or_404(request, pk)
    if request.method == "POST":
        try:
            services.sourcing_file_lock(sourcing_file=item, actor=request.user)
        except DomainError as error:
            domain_error_to_message(request, error)
        else:
            messages.success(
                request, _("The sourcing file is locked: its result is frozen and digested.")
            )
        return redirect("agency-sourcing-file-detail", item.pk)
    if item.is_locked:
        messages.info(request, _("This sourcing file is already locked."))
        return redirect("agency-sourcing-file-detail", item.pk)
    return render(
        request,
        "tenders/sourcing/lock_confirm.html",
        {
            "item": item,
            "filters": filters_display(item.filters),
            "live_count": selectors.sourcing_results(item.filters).count(),
            "breadcrumb_data": breadcrumb(
                _("Lock"),
                (reverse("agency-sourcing-file-list"), _("Sourcing files")),
                (reverse("agency-sourcing-file-detail", args=[item.pk]), item.name),
            ),
        },
    )


@require_POST
@agency_member_required
def file_delete(request, pk: int):
    item = _file_or_404(request, pk)
    try:
        services.sourcing_file_delete(sourcing_file=item, actor=request.user)
    except DomainError as error:
        domain_error_to_message(request, error)
        return redirect("agency-sourcing-file-detail", item.pk)
    messages.success(request, _("Sourcing file deleted."))
    return redirect("agency-sourcing-file-list")


@agency_member_required
def file_csv(request, pk: int):
    item = _file_or_404(request, pk)
    if not item.is_locked:
        messages.error(request, _("Lock the sourcing file to export it."))
        return redirect("agency-sourcing-file-detail", item.pk)
    return sourcing_export.csv_response(item)


@agency_member_required
def file_print(request, pk: int):
    """The printable record of a locked file: filters, offers with their
    eligibility explained, policy version, lock time, SHA-256."""
    item = _file_or_404(request, pk)
    if not item.is_locked:
        messages.error(request, _("Lock the sourcing file to print its record."))
        return redirect("agency-sourcing-file-detail", item.pk)
    return render(
        request,
        "tenders/sourcing/print.html",
        {
            "item": item,
            "filters": filters_display(item.filters),
            "offers": _frozen_offers(item),
            "verified": selectors.sourcing_file_verify(item),
        },
    )


def _locked_or_redirect(request, item: SourcingFile):
    if item.is_locked:
        return None
    messages.error(
        request, _("Lock the sourcing file before starting a purchase or a tender from it.")
    )
    return redirect("agency-sourcing-file-detail", item.pk)


@agency_member_required
def file_order(request, pk: int):
    """A direct purchase of one offer of the locked result."""
    item = _file_or_404(request, pk)
    refused = _locked_or_redirect(request, item)
    if refused:
        return refused
    offers = item.snapshot.get("offers", [])
    initial = {
        "level": item.filters.get("level", "N0"),
        "flags": item.filters.get("flags", []),
        "offer": request.GET.get("offer"),
    }
    form = SourcingOrderForm(request.POST or None, offers=offers, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        offer = catalog_selectors.offers_visible_to(request.user).filter(pk=data["offer"]).first()
        if offer is None:
            form.add_error("offer", _("This offer is no longer in the catalogue."))
        else:
            try:
                with submitted_once(take_key(form), user=request.user, scope="order"):
                    order = services.order_place(
                        agency=request.agency,
                        actor=request.user,
                        offer=offer,
                        quantity=data["quantity"],
                        duration_months=data["duration_months"],
                        level=data["level"],
                        flags=data["flags"],
                        sourcing_file=item,
                    )
            except AlreadySubmitted:
                messages.info(request, ALREADY)
                return redirect("agency-sourcing-file-detail", item.pk)
            except DomainError as error:
                domain_error_to_form(error, form)
            else:
                messages.success(
                    request, _("Order %(reference)s placed.") % {"reference": order.reference}
                )
                return redirect("agency-sourcing-file-detail", item.pk)
    return render(
        request,
        "tenders/sourcing/start_form.html",
        {
            "item": item,
            "form": form,
            "heading": _("Order an offer of this file"),
            "submit": _("Place the order"),
            "breadcrumb_data": breadcrumb(
                _("Order"),
                (reverse("agency-sourcing-file-list"), _("Sourcing files")),
                (reverse("agency-sourcing-file-detail", args=[item.pk]), item.name),
            ),
        },
    )


@agency_member_required
def file_tender(request, pk: int):
    """A draft tender started from the locked file."""
    item = _file_or_404(request, pk)
    refused = _locked_or_redirect(request, item)
    if refused:
        return refused
    initial = {
        "title": item.name,
        "category": item.filters.get("category"),
        "level": item.filters.get("level"),
    }
    form = SourcingTenderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with submitted_once(take_key(form), user=request.user, scope="tender"):
                tender = services.tender_create(
                    agency=request.agency,
                    actor=request.user,
                    sourcing_file=item,
                    **form.cleaned_data,
                )
        except AlreadySubmitted:
            messages.info(request, ALREADY)
            return redirect("agency-sourcing-file-detail", item.pk)
        except DomainError as error:
            domain_error_to_form(error, form)
        else:
            messages.success(
                request,
                _("Draft tender %(reference)s created from this file.")
                % {"reference": tender.reference},
            )
            return redirect("agency-sourcing-file-detail", item.pk)
    return render(
        request,
        "tenders/sourcing/start_form.html",
        {
            "item": item,
            "form": form,
            "heading": _("Start a tender from this file"),
            "submit": _("Create the draft tender"),
            "breadcrumb_data": breadcrumb(
                _("Tender"),
                (reverse("agency-sourcing-file-list"), _("Sourcing files")),
                (reverse("agency-sourcing-file-detail", args=[item.pk]), item.name),
            ),
        },
    )


urlpatterns = [
    path("espace-acheteur/dossiers/", file_list, name="agency-sourcing-file-list"),
    path("espace-acheteur/dossiers/nouveau/", file_create, name="agency-sourcing-file-create"),
    path("espace-acheteur/dossiers/<int:pk>/", file_detail, name="agency-sourcing-file-detail"),
    path(
        "espace-acheteur/dossiers/<int:pk>/verrouiller/",
        file_lock,
        name="agency-sourcing-file-lock",
    ),
    path(
        "espace-acheteur/dossiers/<int:pk>/supprimer/",
        file_delete,
        name="agency-sourcing-file-delete",
    ),
    path("espace-acheteur/dossiers/<int:pk>/export.csv", file_csv, name="agency-sourcing-file-csv"),
    path(
        "espace-acheteur/dossiers/<int:pk>/impression/",
        file_print,
        name="agency-sourcing-file-print",
    ),
    path(
        "espace-acheteur/dossiers/<int:pk>/commande/", file_order, name="agency-sourcing-file-order"
    ),
    path(
        "espace-acheteur/dossiers/<int:pk>/appel-offres/",
        file_tender,
        name="agency-sourcing-file-tender",
    ),
]
