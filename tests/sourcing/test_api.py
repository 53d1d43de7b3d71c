"""/api/v1/sourcing-files/: agency-scoped saved searches, their lock and CSV export."""

import csv
import io

from django.test import Client

from tenders.models import SourcingFile
from tests.conftest import client_for

URL = "/api/v1/sourcing-files/"
FILTERS = {"level": "N2", "category": "iaas_storage", "flags": "", "location": "fr"}


def test_it_saves_a_search_and_shows_its_live_results(buyer_a, market):
    api = client_for(buyer_a)
    response = api.post(URL, {"name": "Stockage", "filters": FILTERS}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open" and body["filters"] == {
        "level": "N2",
        "category": "iaas_storage",
        "location": "FR",
    }
    assert [o["id"] for o in body["live_results"]] == [market.a.pk, market.b.pk, market.c.pk]
    assert body["live_results_count"] == 3 and body["snapshot"] is None
    listed = api.get(URL).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]


def test_it_answers_bad_filters_with_field_errors(buyer_a, market):
    response = client_for(buyer_a).post(
        URL, {"name": "x", "filters": {"level": "N9", "max_price": "-1"}}, format="json"
    )
    assert response.status_code == 400
    assert {"level", "max_price"} <= set(response.json()["error"]["fields"])


def test_it_scopes_files_to_their_agency(buyer_a, buyer_b, member_a, market, api):
    item = client_for(buyer_a).post(URL, {"name": "A", "filters": {}}, format="json").json()
    assert client_for(buyer_b).get(f"{URL}{item['id']}/").status_code == 404
    assert client_for(buyer_b).get(URL).json()["results"] == []
    assert client_for(buyer_b).post(f"{URL}{item['id']}/lock/").status_code == 404
    assert client_for(member_a.user).get(URL).status_code == 403
    assert (
        client_for(member_a.user).post(URL, {"name": "P", "filters": {}}, format="json").status_code
        == 403
    )
    assert api.get(URL).status_code == 401


def test_it_locks_then_serves_the_frozen_snapshot_and_refuses_a_second_lock(buyer_a, market):
    api = client_for(buyer_a)
    item = api.post(URL, {"name": "A", "filters": FILTERS}, format="json").json()
    locked = api.post(f"{URL}{item['id']}/lock/").json()
    assert (
        locked["status"] == "locked"
        and locked["verified"] is True
        and len(locked["snapshot_sha256"]) == 64
    )
    assert locked["live_results"] is None
    offer = locked["snapshot"]["offers"][0]
    assert offer["id"] == market.a.pk and offer["assessment"]["checks"][0]["reason"]
    second = api.post(f"{URL}{item['id']}/lock/")
    assert second.status_code == 409 and second.json()["error"]["code"] == "locked"
    assert api.delete(f"{URL}{item['id']}/").status_code == 409


def test_it_exports_a_locked_file_as_csv(buyer_a, buyer_b, market):
    api = client_for(buyer_a)
    item = api.post(URL, {"name": "A", "filters": FILTERS}, format="json").json()
    assert api.get(f"{URL}{item['id']}/export.csv").status_code == 409
    locked = api.post(f"{URL}{item['id']}/lock/").json()
    response = api.get(f"{URL}{item['id']}/export.csv", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [int(r["offer_id"]) for r in rows] == [market.a.pk, market.b.pk, market.c.pk]
    assert (
        rows[0]["snapshot_sha256"] == locked["snapshot_sha256"]
        and rows[0]["unit_price_eur_excl_vat"] == "20.0000"
    )
    assert rows[0]["level"] == "N2" and rows[0]["eligibility"].startswith("✓")
    assert client_for(buyer_b).get(f"{URL}{item['id']}/export.csv").status_code == 404


def test_it_deletes_an_open_file(buyer_a, market):
    api = client_for(buyer_a)
    item = api.post(URL, {"name": "A", "filters": {}}, format="json").json()
    assert api.delete(f"{URL}{item['id']}/").status_code == 204
    assert not SourcingFile.objects.exists()


def test_it_starts_an_order_and_a_tender_from_a_locked_file(buyer_a, buyer_b, market):
    from tests import factories

    api = client_for(buyer_a)
    item = api.post(URL, {"name": "A", "filters": FILTERS}, format="json").json()
    api.post(f"{URL}{item['id']}/lock/")
    order = api.post(
        "/api/v1/orders/",
        {
            "offer": market.b.pk,
            "quantity": "1",
            "duration_months": 1,
            "level": "N2",
            "sourcing_file": item["id"],
        },
        format="json",
    )
    assert order.status_code == 201, order.json()
    assert order.json()["sourcing_file"] == item["id"]
    values = factories.tender_values()
    values["response_deadline"] = values["response_deadline"].isoformat()
    for key in ("category", "level", "flags", "location_constraint"):
        values.pop(key)
    tender = api.post("/api/v1/tenders/", {**values, "sourcing_file": item["id"]}, format="json")
    assert tender.status_code == 201, tender.json()
    assert tender.json()["sourcing_file"] == item["id"] and tender.json()["level"] == "N2"
    detail = api.get(f"{URL}{item['id']}/").json()
    assert [o["id"] for o in detail["orders"]] == [order.json()["id"]]
    assert [t["reference"] for t in detail["tenders"]] == [tender.json()["reference"]]
    # Another agency cannot start from it.
    foreign = client_for(buyer_b).post(
        "/api/v1/orders/",
        {"offer": market.b.pk, "quantity": "1", "duration_months": 1, "sourcing_file": item["id"]},
        format="json",
    )
    assert foreign.status_code == 400 and "sourcing_file" in foreign.json()["error"]["fields"]


def test_it_never_lets_a_session_without_csrf_lock(buyer_a, market):
    item = client_for(buyer_a).post(URL, {"name": "A", "filters": {}}, format="json").json()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(buyer_a)
    assert browser.post(f"{URL}{item['id']}/lock/").status_code == 403
    assert SourcingFile.objects.get(pk=item["id"]).locked_at is None


def test_it_lists_files_in_a_constant_number_of_queries(buyer_a, market):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = client_for(buyer_a)

    def listing():
        with CaptureQueriesContext(connection) as queries:
            assert api.get(URL).status_code == 200
        return len(queries)

    first = api.post(URL, {"name": "A", "filters": FILTERS}, format="json").json()
    api.post(f"{URL}{first['id']}/lock/")
    one = listing()
    for name in ("B", "C", "D"):
        item = api.post(URL, {"name": name, "filters": FILTERS}, format="json").json()
        api.post(f"{URL}{item['id']}/lock/")
    api.post(
        "/api/v1/orders/",
        {
            "offer": market.a.pk,
            "quantity": "1",
            "duration_months": 1,
            "level": "N2",
            "sourcing_file": item["id"],
        },
        format="json",
    )
    assert listing() == one
    # The caller's agency (asked by the permission check, then by the
    # scoping selector), the files, their tenders, their orders.
    assert one == 5


def test_it_refuses_an_unknown_filter_key_naming_it(buyer_a, market):
    """A typo (``categorie``) must not save a search wider than asked."""
    response = client_for(buyer_a).post(
        URL, {"name": "x", "filters": {"categorie": "iaas_storage", "level": "N2"}}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert list(response.json()["error"]["fields"]) == ["categorie"]
    assert not SourcingFile.objects.exists()
