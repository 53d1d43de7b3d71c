"""The agency's sourcing-file pages: save from the catalogue's query
string, watch, lock with a confirmation, export, print, start from it."""

import csv
import io

from django.urls import reverse

from tenders import services
from tenders.models import Order, SourcingFile, Tender
from tests import factories
from tests.web.conftest import html_client

QUERY = "level=N2&category=iaas_storage&location=FR&flags="


def test_it_saves_the_catalogue_search_from_its_query_string(buyer_a, market):
    client = html_client(buyer_a)
    page = client.get(reverse("agency-sourcing-file-create") + "?" + QUERY)
    assert page.status_code == 200
    assert (
        "Qualified at least for" in page.content.decode()
        and 'value="level=N2' in page.content.decode()
    )
    response = client.post(
        reverse("agency-sourcing-file-create"), {"name": "Stockage N2", "query": QUERY}
    )
    item = SourcingFile.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "agency-sourcing-file-detail", args=[item.pk]
    )
    assert item.filters == {"level": "N2", "category": "iaas_storage", "location": "FR"}
    detail = client.get(response["Location"]).content.decode()
    assert "Coffre Alpha" in detail and "Live result: 3 offers" in detail


def test_it_shows_bad_filters_as_form_errors(buyer_a, market):
    response = html_client(buyer_a).post(
        reverse("agency-sourcing-file-create"), {"name": "x", "query": "level=N9"}
    )
    assert response.status_code == 200
    assert "The search cannot be saved as it is" in response.content.decode()
    assert not SourcingFile.objects.exists()


def test_it_keeps_files_to_their_agency(saved, buyer_b, member_a, anonymous):
    detail = reverse("agency-sourcing-file-detail", args=[saved.pk])
    assert html_client(buyer_b).get(detail).status_code == 404
    assert (
        html_client(buyer_b).post(reverse("agency-sourcing-file-lock", args=[saved.pk])).status_code
        == 404
    )
    assert html_client(member_a.user).get(reverse("agency-sourcing-file-list")).status_code == 403
    assert anonymous.get(detail).status_code == 302
    assert SourcingFile.objects.get(pk=saved.pk).locked_at is None


def test_it_lists_the_agency_files(saved, buyer_a):
    page = html_client(buyer_a).get(reverse("agency-sourcing-file-list")).content.decode()
    assert "Stockage N2" in page and f"sourcing-file-{saved.pk}" in page


def test_it_locks_after_a_confirmation(saved, buyer_a):
    client = html_client(buyer_a)
    url = reverse("agency-sourcing-file-lock", args=[saved.pk])
    confirm = client.get(url).content.decode()
    assert "can never be changed or deleted" in confirm
    assert SourcingFile.objects.get(pk=saved.pk).locked_at is None  # GET locks nothing
    client.post(url)
    item = SourcingFile.objects.get(pk=saved.pk)
    assert item.is_locked
    detail = client.get(reverse("agency-sourcing-file-detail", args=[saved.pk])).content.decode()
    assert item.snapshot_sha256 in detail and 'id="verified"' in detail
    assert "Assessed with policy version" in detail


def test_it_exports_and_prints_a_locked_file_only(saved, buyer_a):
    client = html_client(buyer_a)
    csv_url = reverse("agency-sourcing-file-csv", args=[saved.pk])
    print_url = reverse("agency-sourcing-file-print", args=[saved.pk])
    assert client.get(csv_url).status_code == 302 and client.get(print_url).status_code == 302
    locked = services.sourcing_file_lock(sourcing_file=saved, actor=buyer_a)
    rows = list(csv.DictReader(io.StringIO(client.get(csv_url).content.decode())))
    assert len(rows) == 3 and rows[0]["snapshot_sha256"] == locked.snapshot_sha256
    page = client.get(print_url).content.decode()
    assert locked.snapshot_sha256 in page and "tenders/sourcing.css" in page
    assert "Coffre Gamma" in page and "Offers and their eligibility" in page
    assert "Qualified at least for" in page  # the filters


def test_it_deletes_an_open_file_only(saved, locked_other, buyer_a):
    client = html_client(buyer_a)
    client.post(reverse("agency-sourcing-file-delete", args=[saved.pk]))
    assert not SourcingFile.objects.filter(pk=saved.pk).exists()
    client.post(reverse("agency-sourcing-file-delete", args=[locked_other.pk]))
    assert SourcingFile.objects.filter(pk=locked_other.pk).exists()


def test_it_orders_an_offer_of_the_locked_file(locked, buyer_a, market):
    client = html_client(buyer_a)
    url = reverse("agency-sourcing-file-order", args=[locked.pk])
    form = client.get(url + f"?offer={market.b.pk}").content.decode()
    assert "Coffre Beta" in form
    response = client.post(
        url, {"offer": market.b.pk, "quantity": "2", "duration_months": "3", "level": "N2"}
    )
    assert response.status_code == 302, response.content.decode()
    order = Order.objects.get()
    assert order.sourcing_file_id == locked.pk and order.offer_id == market.b.pk
    detail = client.get(reverse("agency-sourcing-file-detail", args=[locked.pk])).content.decode()
    assert f"Order {order.reference}" in detail


def test_it_shows_the_service_refusal_of_an_order_on_the_form(locked, buyer_a, market):
    response = html_client(buyer_a).post(
        reverse("agency-sourcing-file-order", args=[locked.pk]),
        {"offer": market.a.pk, "quantity": "100000", "duration_months": "120", "level": "N2"},
    )
    assert (
        response.status_code == 200 and "direct purchase stays below" in response.content.decode()
    )
    assert not Order.objects.exists()


def test_it_starts_a_draft_tender_from_the_locked_file(locked, buyer_a):
    client = html_client(buyer_a)
    values = factories.tender_values()
    deadline = values["response_deadline"].strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("agency-sourcing-file-tender", args=[locked.pk]),
        {
            "title": "Stockage souverain",
            "category": "iaas_storage",
            "cpv_code": "72317000-0",
            "level": "N2",
            "quantity": "10",
            "unit": "TB_MONTH",
            "duration_months": "12",
            "estimated_value": "100000",
            "response_deadline": deadline,
        },
    )
    assert response.status_code == 302, response.content.decode()
    tender = Tender.objects.get()
    assert tender.sourcing_file_id == locked.pk and tender.location_constraint == "FR"
    detail = client.get(reverse("agency-sourcing-file-detail", args=[locked.pk])).content.decode()
    assert f"Tender {tender.reference}" in detail


def test_it_refuses_to_start_from_an_open_file(saved, buyer_a):
    client = html_client(buyer_a)
    assert client.get(reverse("agency-sourcing-file-order", args=[saved.pk])).status_code == 302
    assert client.get(reverse("agency-sourcing-file-tender", args=[saved.pk])).status_code == 302


def test_it_offers_the_save_form_include(buyer_a, rf):
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string

    request = rf.get("/catalogue/?" + QUERY)
    request.user = buyer_a
    html = render_to_string(
        "tenders/sourcing/save_search_form.html", {"request": request}, request=request
    )
    assert (
        reverse("agency-sourcing-file-create") in html
        and 'name="query" value="level=N2&amp;' in html
    )
    assert '<label class="fr-label" for="save-search-name">' in html
    request.user = AnonymousUser()
    assert "<form" not in render_to_string(
        "tenders/sourcing/save_search_form.html", {"request": request}, request=request
    )


def test_it_renders_the_reuse_include(db):
    import datetime

    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("en"):
        html = render_to_string(
            "catalog/includes/reuse.html",
            {
                "used_by": [
                    {"name": "Ville de Lutèce", "slug": "ville", "since": datetime.date(2026, 3, 1)}
                ]
            },
        )
        empty = render_to_string("catalog/includes/reuse.html", {"used_by": []})
    assert "Ville de Lutèce, since March 2026" in html
    assert "No public body has awarded or ordered" in empty


def test_it_shows_files_read_only_to_the_operator(locked, operator):
    client = html_client(operator)
    assert locked.snapshot_sha256 in client.get("/admin/tenders/sourcingfile/").content.decode()
    assert client.get(f"/admin/tenders/sourcingfile/{locked.pk}/delete/").status_code == 403
