"""The open-data page, the buyer's page (which of its contracts are in the
DECP, and since when), the downloads and ``manage.py export_decp``."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import dateformat, timezone

from tenders import decp, services
from tests.conftest import client_for
from tests.decp.conftest import drive

pytestmark = pytest.mark.django_db


def french_date(moment) -> str:
    return dateformat.format(timezone.localdate(moment), "j F Y")


def row_of(html: str, reference: str) -> str:
    start = html.index(f"<td>{reference}</td>")
    return html[start : html.index("</tr>", start)]


@pytest.fixture
def contracts(agency, buyer, market):
    """One tender in every state, and orders placed, accepted (small) and
    declined."""
    tenders = {}
    for state, price in [
        ("draft", "50000"),
        ("published", "50000"),
        ("closed", "50000"),
        ("unsuccessful", "50000"),
        ("cancelled", "50000"),
        ("contract_signed", "90000"),
    ]:
        tenders[state] = drive(
            agency, buyer, market, state, price=price, title=f"Besoin {state} <b>"
        )
    small, _ = drive(agency, buyer, market, "contract_signed", price="12000", title="Petit besoin")
    tenders["small"] = (small, _)
    accepted = services.order_accept(
        order=services.order_place(
            agency=agency, actor=buyer, offer=market.a, quantity=Decimal("10"), duration_months=12
        ),
        actor=None,
    )
    placed = services.order_place(
        agency=agency, actor=buyer, offer=market.a, quantity=Decimal("5"), duration_months=12
    )
    declined = services.order_decline(
        order=services.order_place(
            agency=agency, actor=buyer, offer=market.b, quantity=Decimal("5"), duration_months=12
        ),
        actor=None,
        reason="Indisponible.",
    )
    return {"tenders": tenders, "accepted": accepted, "placed": placed, "declined": declined}


def test_the_agency_page_lists_the_award_as_published(contracts, agency):
    response = Client().get(f"/acheteurs/{agency.slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    tender, award = contracts["tenders"]["contract_signed"]
    assert f"publié en DECP le {french_date(award.contract_signed_at)}" in row_of(
        html, tender.reference
    )
    assert "90\xa0000,00" in row_of(html, tender.reference)
    assert "Alpha Cloud" in row_of(html, tender.reference)
    assert f'href="/acheteurs/{agency.slug}/decp.json"' in html


def test_the_agency_page_says_why_a_contract_is_not_published(contracts, agency):
    html = Client().get(f"/acheteurs/{agency.slug}/").content.decode()
    tenders = contracts["tenders"]
    assert "non publiable (sous le seuil)" in row_of(html, tenders["small"][0].reference)
    assert "non publiable (sous le seuil)" in row_of(html, contracts["accepted"].reference)
    for state in ("published", "closed"):
        assert "pas encore attribué" in row_of(html, tenders[state][0].reference)
    assert "sans suite (infructueux)" in row_of(html, tenders["unsuccessful"][0].reference)
    assert "sans suite (annulé)" in row_of(html, tenders["cancelled"][0].reference)


def test_the_public_never_sees_drafts_nor_pending_or_refused_orders(contracts, agency):
    html = Client().get(f"/acheteurs/{agency.slug}/").content.decode()
    assert contracts["tenders"]["draft"][0].reference not in html
    assert contracts["placed"].reference not in html
    assert contracts["declined"].reference not in html


def test_the_agencys_own_buyer_also_sees_its_drafts_and_pending_orders(contracts, agency, buyer):
    client = Client()
    client.force_login(buyer)
    html = client.get(f"/acheteurs/{agency.slug}/").content.decode()
    assert "pas encore attribué" in row_of(html, contracts["tenders"]["draft"][0].reference)
    assert "pas encore attribué" in row_of(html, contracts["placed"].reference)
    assert "sans suite (commande refusée)" in row_of(html, contracts["declined"].reference)


def test_the_agency_page_escapes_what_users_typed(contracts, agency):
    html = Client().get(f"/acheteurs/{agency.slug}/").content.decode()
    assert "Besoin contract_signed &lt;b&gt;" in html and "<b>" not in html
    assert "Ministère des Essais &lt;DECP&gt;" in html


def test_the_agency_page_agrees_with_the_feed(contracts, agency):
    rows = decp.agency_contract_rows(agency=agency, user=None)
    published = {row.reference for row in rows if row.decp_state == decp.PUBLISHED}
    assert published == {e["id"] for e in decp.decp_document(agency=agency)["marches"]["marche"]}
    assert published == {contracts["tenders"]["contract_signed"][0].reference}


def test_the_agency_page_follows_the_threshold_setting(contracts, agency):
    with override_settings(DECP_THRESHOLD=Decimal("10000")):
        html = Client().get(f"/acheteurs/{agency.slug}/").content.decode()
    assert "publié en DECP le" in row_of(html, contracts["tenders"]["small"][0].reference)
    assert "non publiable (sous le seuil)" in row_of(
        html, contracts["accepted"].reference
    )  # 2,400 €


def test_the_agency_page_costs_a_fixed_number_of_queries(
    contracts, agency, buyer, market, django_assert_num_queries
):
    # The agency, its tenders, its orders; django-dsfr reads its site
    # configuration twice.
    with django_assert_num_queries(5):
        assert Client().get(f"/acheteurs/{agency.slug}/").status_code == 200
    drive(agency, buyer, market, "contract_signed", price="70000", title="Encore un")
    with django_assert_num_queries(5):
        assert Client().get(f"/acheteurs/{agency.slug}/").status_code == 200


def test_an_unknown_agency_is_a_404(db):
    assert Client().get("/acheteurs/inconnue/").status_code == 404
    assert Client().get("/acheteurs/inconnue/decp.json").status_code == 404


def test_the_agency_file_is_a_valid_attachment_with_only_its_contracts(
    contracts, agency, other_agency, other_buyer, market, assert_valid_decp
):
    drive(
        other_agency, other_buyer, market, "contract_signed", price="80000", title="Autre acheteur"
    )
    response = Client().get(f"/acheteurs/{agency.slug}/decp.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="decp-{agency.slug}.json"'
    doc = json.loads(response.content)
    assert [e["id"] for e in doc["marches"]["marche"]] == [
        contracts["tenders"]["contract_signed"][0].reference
    ]
    assert_valid_decp(doc)


def test_the_open_data_page_links_the_download_the_api_and_the_buyers(contracts, agency):
    response = Client().get("/donnees-ouvertes/")
    assert response.status_code == 200
    html = response.content.decode()
    for link in (
        'href="/donnees-ouvertes/decp.json"',
        'href="/api/v1/decp/marches/"',
        f'href="/acheteurs/{agency.slug}/"',
        'href="/api/docs/"',
    ):
        assert link in html
    assert "1 marché)" in html and "40\xa0000" in html


def test_the_open_data_download_is_the_whole_document(
    contracts, other_agency, other_buyer, market, assert_valid_decp
):
    drive(
        other_agency, other_buyer, market, "contract_signed", price="80000", title="Autre acheteur"
    )
    response = Client().get("/donnees-ouvertes/decp.json")
    assert response["Content-Disposition"] == 'attachment; filename="decp.json"'
    doc = json.loads(response.content)
    assert doc == decp.decp_document() and len(doc["marches"]["marche"]) == 2
    assert_valid_decp(doc)


def test_the_pages_are_read_only(db, agency):
    client = client_for(None)
    assert client.post("/donnees-ouvertes/").status_code == 405
    assert client.post(f"/acheteurs/{agency.slug}/").status_code == 405


# --------------------------------------------------------------------------
# manage.py export_decp


def test_export_writes_a_valid_file(contracts, tmp_path, assert_valid_decp):
    target = tmp_path / "marches.json"
    out = StringIO()
    call_command("export_decp", str(target), stdout=out)
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc == decp.decp_document()
    assert [e["id"] for e in doc["marches"]["marche"]] == [
        contracts["tenders"]["contract_signed"][0].reference
    ]
    assert "1 marché(s) written" in out.getvalue()
    assert not list(tmp_path.glob(".*partial"))
    assert_valid_decp(doc)


def test_export_to_stdout_with_a_dash(contracts):
    out = StringIO()
    call_command("export_decp", "-", stdout=out)
    assert json.loads(out.getvalue()) == decp.decp_document()


def test_export_for_one_agency(contracts, agency, other_agency, tmp_path):
    target = tmp_path / "lutece.json"
    call_command("export_decp", str(target), "--agency", other_agency.slug, stdout=StringIO())
    assert json.loads(target.read_text(encoding="utf-8")) == {"marches": {"marche": []}}
    with pytest.raises(CommandError, match="no agency"):
        call_command("export_decp", "-", "--agency", "inconnue", stdout=StringIO())


def test_export_reports_an_unwritable_target(db, tmp_path):
    with pytest.raises(CommandError, match="cannot write"):
        call_command("export_decp", str(tmp_path / "absent" / "marches.json"), stdout=StringIO())


def test_the_open_data_page_shows_the_latest_audit_anchor(contracts, settings, tmp_path):
    from broker import services as broker_services

    settings.MEDIA_ROOT = tmp_path / "media"
    anchor, _published = broker_services.audit_anchor_publish()
    html = Client().get("/donnees-ouvertes/").content.decode()
    assert 'id="audit-anchor"' in html
    assert anchor.last_hash in html
