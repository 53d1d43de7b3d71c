"""The demo marketplace through the DECP: the 398,000 € award of Région
Bretagne, signed after its standstill, is the one contract in the DECP; the official
validator accepts every document; nothing before the award appears."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from catalog.services import provider_update
from tenders import decp
from tenders.models import Agency, Order, Tender

# A SIREN for tests only (valid check digit, nobody's real number), given to
# the demo winner when the demo catalogue records none for it.


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeded once for the module, in a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


@pytest.fixture
def identified_winner(seeded):
    """The region's demo winner: every demo award goes to a provider whose
    legal identifier is public, so every one of them is published."""
    winner = Tender.objects.get(
        status="contract_signed", agency__slug="region-bretagne"
    ).award.response.provider
    assert winner.siren or winner.vat_number
    return winner


def entries(doc: dict) -> list[dict]:
    return doc["marches"]["marche"]


def test_the_demo_award_is_published_and_valid(identified_winner, assert_valid_decp):
    doc = decp.decp_document()
    assert_valid_decp(doc)
    awarded = Tender.objects.get(status="contract_signed", agency__slug="region-bretagne")
    # Météo-France's award is in its standstill: no contract yet, no entry.
    assert [e["id"] for e in entries(doc)] == [awarded.reference]
    entry = next(e for e in entries(doc) if e["id"] == awarded.reference)
    assert entry["acheteur"] == {"id": Agency.objects.get(slug="region-bretagne").siret}
    assert entry["montant"] == 398000 and entry["dureeMois"] == 36
    assert entry["procedure"] == "Appel d'offres ouvert" and entry["offresRecues"] == 4
    assert entry["codeCPV"] == "72416000" and entry["objet"] == awarded.title
    winning_offer = awarded.award.response.offer
    assert entry["sousTraitanceDeclaree"] is winning_offer.subcontractors.exists()
    identifier = decp.holder_identifier(
        decp.Holder(identified_winner.siren, identified_winner.vat_number)
    )
    assert entry["titulaires"] == [{"titulaire": identifier}]


def test_nothing_of_the_demo_appears_before_the_signature(seeded, assert_valid_decp):
    doc = decp.decp_document()
    assert_valid_decp(doc)
    text = json.dumps(doc)
    for tender in Tender.objects.exclude(status="contract_signed"):
        assert tender.reference not in text, tender.status
    for order in Order.objects.all():  # one placed, one accepted far below the threshold
        assert order.reference not in text, order.status


def test_the_demo_orders_are_below_the_threshold(seeded):
    rows = decp.agency_contract_rows(agency=Agency.objects.get(slug="region-bretagne"), user=None)
    (accepted,) = [row for row in rows if row.kind == decp.ORDER]
    assert accepted.decp_state == decp.BELOW_THRESHOLD


def test_the_agency_page_shows_the_demo_award_published(identified_winner):
    html = Client().get("/acheteurs/region-bretagne/").content.decode()
    reference = Tender.objects.get(
        status="contract_signed", agency__slug="region-bretagne"
    ).reference
    row = html[html.index(f"<td>{reference}</td>") :]
    row = row[: row.index("</tr>")]
    assert "publié en DECP le" in row and "398\xa0000,00" in row
    assert 'href="/acheteurs/region-bretagne/decp.json"' in html


def test_an_award_to_an_unidentified_holder_waits_on_the_agency_page(seeded):
    winner = Tender.objects.get(
        status="contract_signed", agency__slug="region-bretagne"
    ).award.response.provider
    provider_update(provider=winner, actor=None, siren="", vat_number="")
    html = Client().get("/acheteurs/region-bretagne/").content.decode()
    assert "SIREN ou numéro de TVA du titulaire à compléter" in html
    region = Tender.objects.get(status="contract_signed", agency__slug="region-bretagne")
    assert region.reference not in [e["id"] for e in entries(decp.decp_document())]


def test_every_demo_page_answers(seeded):
    client = Client()
    assert client.get("/donnees-ouvertes/").status_code == 200
    for agency in Agency.objects.all():
        assert client.get(f"/acheteurs/{agency.slug}/").status_code == 200
        response = client.get(f"/acheteurs/{agency.slug}/decp.json")
        assert response.status_code == 200 and response["Content-Disposition"].startswith(
            "attachment"
        )


def test_the_agency_can_download_its_demo_file(identified_winner, assert_valid_decp):
    response = Client().get("/acheteurs/region-bretagne/decp.json")
    doc = json.loads(response.content)
    assert len(entries(doc)) == 1
    assert_valid_decp(doc)
    other = json.loads(Client().get("/acheteurs/chu-bordeaux/decp.json").content)
    assert entries(other) == []
    assert_valid_decp(other)


def test_export_decp_writes_a_valid_demo_file(identified_winner, tmp_path, assert_valid_decp):
    target = tmp_path / "decp.json"
    call_command("export_decp", str(target), stdout=StringIO())
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert len(entries(doc)) == Tender.objects.filter(status="contract_signed").count() == 1
    assert_valid_decp(doc)
