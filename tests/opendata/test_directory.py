"""The directory as open data: providers and offers with their
assessments, CSV (two dialects) and JSON, documented columns, and only what
the public may see."""

import csv
import io
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from rest_framework.test import APIClient

from catalog import opendata, services
from catalog.models import Certification, Offer, Provider

pytestmark = pytest.mark.django_db

BASE = "/api/v1/opendata/"


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_catalog", stdout=StringIO())
        yield
        transaction.set_rollback(True)


def body(response) -> bytes:
    assert response.status_code == 200, getattr(response, "content", b"")
    return b"".join(response.streaming_content)


def csv_rows(response, **dialect) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig")), **dialect))


def public_offers():
    return Offer.objects.filter(status="published", provider__status="active")


def test_the_offers_csv_has_the_documented_columns_and_every_public_offer(seeded):
    response = APIClient().get(BASE + "offers.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="guichet-cloud-offers.csv"'
    raw = body(APIClient().get(BASE + "offers.csv"))
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = csv_rows(APIClient().get(BASE + "offers.csv"))
    assert list(rows[0]) == [c.name for c in opendata.OFFER_COLUMNS]
    assert sorted(int(r["offer_id"]) for r in rows) == sorted(
        public_offers().values_list("pk", flat=True)
    )
    ovh = next(r for r in rows if r["provider_name"].startswith("OVH") and r["unit_price_excl_vat"])
    offer = Offer.objects.get(pk=ovh["offer_id"])
    assert ovh["unit_price_excl_vat"] == format(offer.unit_price.normalize(), "f")
    assert ovh["normalised_price_excl_vat"] == format(offer.normalised_price.normalize(), "f")
    assert ovh["normalised_unit"] == offer.normalised_unit
    assert ovh["data_countries"] == "|".join(offer.data_countries)
    assert ovh["assessed_level"] == offer.assessment.level
    assert ovh["policy_version"] == str(offer.assessment.policy_version)
    assert ovh["dr_support"] in ("true", "false")


def test_the_semicolon_dialect_suits_french_spreadsheets(seeded):
    raw = body(APIClient().get(BASE + "offers.csv", {"sep": "semicolon"}))
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(APIClient().get(BASE + "offers.csv", {"sep": "semicolon"}), delimiter=";")
    priced = next(r for r in rows if "," in r["unit_price_excl_vat"])
    offer = Offer.objects.get(pk=priced["offer_id"])
    assert priced["unit_price_excl_vat"] == format(offer.unit_price.normalize(), "f").replace(
        ".", ","
    )


def test_the_json_download_has_the_same_rows_typed(seeded):
    response = APIClient().get(BASE + "offers.json")
    assert response["Content-Type"] == "application/json"
    data = json.loads(body(response))
    rows = {int(r["offer_id"]): r for r in csv_rows(APIClient().get(BASE + "offers.csv"))}
    assert sorted(item["offer_id"] for item in data) == sorted(rows)
    for item in data:
        assert list(item) == [c.name for c in opendata.OFFER_COLUMNS]
        assert isinstance(item["unit_price_excl_vat"], int | float)
        assert isinstance(item["data_countries"], list) and isinstance(item["dr_support"], bool)
        assert item["name"] == rows[item["offer_id"]]["name"]
    failing = next(item for item in data if item["failed_checks"])
    check = failing["failed_checks"][0]
    assert set(check) == {"level", "flag", "rule", "reason"} and check["reason"]


def test_only_public_data_is_published(seeded):
    hidden_offers = set(Offer.objects.exclude(status="published").values_list("pk", flat=True))
    assert hidden_offers  # the demo has a draft and a withdrawn offer
    unverified = set(
        Certification.objects.exclude(verification="verified").values_list("reference", flat=True)
    )
    assert unverified
    provider = Provider.objects.get(slug="scaleway")
    services.provider_suspend(provider=provider, actor=None, reason="Contrôle en cours.")
    suspended_offers = set(provider.offers.values_list("pk", flat=True))
    client = APIClient()
    offers = json.loads(body(client.get(BASE + "offers.json")))
    providers = json.loads(body(client.get(BASE + "providers.json")))
    texts = [body(client.get(BASE + name)).decode() for name in ("offers.csv", "providers.csv")]
    ids = {item["offer_id"] for item in offers}
    assert not ids & (hidden_offers | suspended_offers)
    assert provider.pk not in {item["provider_id"] for item in providers}
    assert all(item["status"] == "active" for item in providers)
    for reference in unverified:
        assert all(
            reference not in text for text in [*texts, json.dumps(offers), json.dumps(providers)]
        )
    listed = {c["reference"] for item in offers for c in item["certifications"]}
    assert listed and listed <= set(
        Certification.objects.filter(verification="verified").values_list("reference", flat=True)
    )


def test_the_providers_download_counts_published_offers(seeded):
    providers = {
        item["slug"]: item for item in json.loads(body(APIClient().get(BASE + "providers.json")))
    }
    assert set(providers) == set(
        Provider.objects.filter(status="active").values_list("slug", flat=True)
    )
    for slug, item in providers.items():
        assert (
            item["published_offers"]
            == Offer.objects.filter(provider__slug=slug, status="published").count()
        )
        assert list(item) == [c.name for c in opendata.PROVIDER_COLUMNS]
    assert providers["ovhcloud"]["siren"] == "424761419"
    assert providers["wimi"]["siren"] is None
    rows = {r["slug"]: r for r in csv_rows(APIClient().get(BASE + "providers.csv"))}
    assert rows["wimi"]["siren"] == "" and rows["ovhcloud"]["is_sme"] == "false"


def test_labels_and_reasons_follow_lang(seeded):
    fr = json.loads(body(APIClient().get(BASE + "offers.json")))
    en = json.loads(body(APIClient().get(BASE + "offers.json", {"lang": "en"})))
    fr_reasons = [c["reason"] for item in fr for c in item["failed_checks"]]
    en_reasons = [c["reason"] for item in en for c in item["failed_checks"]]
    assert fr_reasons != en_reasons and len(fr_reasons) == len(en_reasons)
    # French by default, whatever the browser asks.
    asked = json.loads(body(APIClient().get(BASE + "offers.json", HTTP_ACCEPT_LANGUAGE="en")))
    assert [c["reason"] for item in asked for c in item["failed_checks"]] == fr_reasons


def test_the_columns_are_documented(seeded):
    response = APIClient().get(BASE + "columns.json")
    assert response.status_code == 200
    document = response.json()
    for name, columns in (
        ("offers", opendata.OFFER_COLUMNS),
        ("providers", opendata.PROVIDER_COLUMNS),
    ):
        assert [c["name"] for c in document[name]] == [c.name for c in columns]
        for column in document[name]:
            assert column["description_fr"] and column["description_en"] and column["type"]
            assert "\n" not in column["description_fr"] + column["description_en"]
    assert "semicolon" in document["formats"]["csv"]


@pytest.mark.parametrize("params", [{"sep": "tab"}, {"lang": "de"}])
def test_bad_options_get_the_api_error_body(seeded, params):
    response = APIClient().get(BASE + "offers.csv", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "invalid"


def test_its_errors_are_documented_as_the_one_error_of_the_api(db):
    from drf_spectacular.generators import SchemaGenerator

    from core.api import ERROR_SCHEMA

    schema = SchemaGenerator().get_schema(request=None, public=True)
    refused = schema["paths"][BASE + "offers.csv"]["get"]["responses"]["400"]
    assert refused["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    # Rendered from core.api.ErrorOutput, it is the schema every operation refers to.
    assert schema["components"]["schemas"]["Error"] == ERROR_SCHEMA
    assert not [
        name for name in schema["components"]["schemas"] if name.startswith("OpenDataError")
    ]


def test_a_csv_client_is_served(seeded):
    response = APIClient().get(BASE + "providers.csv", HTTP_ACCEPT="text/csv")
    assert body(response).startswith(b"provider_id,name,")


def test_the_download_costs_a_few_queries_per_chunk(seeded, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        body(APIClient().get(BASE + "offers.csv"))
    with django_assert_max_num_queries(3):
        body(APIClient().get(BASE + "providers.json"))


def test_docs_list_every_column():
    text = (Path(__file__).resolve().parents[2] / "docs" / "opendata.md").read_text()
    for dataset in opendata.DATASETS.values():
        for column in dataset.columns:
            assert f"| `{column.name}` | {column.type}" in text, column.name


def test_the_open_data_page_links_the_directory_and_ocds(client, db):
    html = client.get("/donnees-ouvertes/").content.decode()
    for url in (
        "/api/v1/opendata/providers.csv",
        "/api/v1/opendata/offers.json",
        "/api/v1/opendata/columns.json",
        "/api/v1/ocds/releases/",
    ):
        assert f'href="{url}"' in html
        assert client.get(url).status_code in (200, 204)
