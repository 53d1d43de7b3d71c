"""Which contracts reach the DECP, and the ``/api/v1/decp/marches/`` feed:
only signed contracts (after the standstill) and accepted orders at or above
the threshold, with a commit-safe ``?since=`` cursor (``core.feed``): a
client that keeps the last version of each entry misses none, even when
transactions commit out of order.

The feed serves committed transactions only: its tests are transactional;
the rules of what is published are read from the whole document."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from django.utils import timezone

from tenders import decp, services
from tenders.models import Award, Order, Tender
from tests import factories
from tests.decp.conftest import drive, sign

pytestmark = pytest.mark.django_db
URL = "/api/v1/decp/marches/"
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def marches(doc: dict) -> list[dict]:
    return doc["marches"]["marche"]


def ids(doc: dict) -> list[str]:
    return [entry["id"] for entry in marches(doc)]


def big_order(agency, buyer, offer, *, quantity="200", accept=True):
    """200 TB × 12 months × 20 €: 48,000 € excl. VAT, above the DECP
    threshold, which needs a higher direct-purchase threshold."""
    with override_settings(DIRECT_PURCHASE_THRESHOLD=Decimal("1000000")):
        order = services.order_place(
            agency=agency, actor=buyer, offer=offer, quantity=Decimal(quantity), duration_months=12
        )
    if accept:
        order = services.order_accept(order=order, actor=None)
    return order


# --------------------------------------------------------------------------
# Nothing before the award, nothing below the threshold


@pytest.mark.parametrize(
    "state", ["draft", "published", "closed", "awarded", "unsuccessful", "cancelled"]
)
def test_nothing_appears_before_the_signature(agency, buyer, market, api, state):
    tender, _ = drive(agency, buyer, market, state, price="90000")
    assert marches(decp.decp_document()) == []
    assert tender.reference not in api.get("/donnees-ouvertes/decp.json").content.decode()


def test_the_contract_appears_once_signed(agency, buyer, market, assert_valid_decp):
    tender, award = drive(agency, buyer, market, "contract_signed", price="90000")
    doc = decp.decp_document()
    assert ids(doc) == [tender.reference]
    entry = marches(doc)[0]
    assert entry["acheteur"] == {"id": agency.siret}
    assert entry["montant"] == 90000 and entry["dureeMois"] == tender.duration_months
    assert entry["procedure"] == "Procédure adaptée"  # 100,000 € estimated
    assert entry["titulaires"] == [
        {"titulaire": {"typeIdentifiant": "SIRET", "id": market.french.siren}}
    ]
    assert entry["offresRecues"] == 1 and entry["codeCPV"] == "72317000"
    assert entry["dateNotification"] == timezone.localdate(award.contract_signed_at).isoformat()
    assert_valid_decp(doc)


def test_offers_received_counts_the_live_responses(agency, buyer, market):
    tender = services.tender_publish(tender=factories.tender(agency, actor=buyer), actor=buyer)
    for offer in (market.a, market.b):
        services.response_submit(
            tender=tender,
            provider=offer.provider,
            actor=None,
            offer=offer,
            total_price=Decimal("60000"),
            technical_answer="Réponse.",
        )
    # A replaced response is not a second offer.
    winner = services.response_submit(
        tender=tender,
        provider=market.french,
        actor=None,
        offer=market.a,
        total_price=Decimal("55000"),
        technical_answer="Réponse révisée.",
    )
    from tests.decp.conftest import pass_deadline

    tender = services.tender_close_if_due(tender=pass_deadline(tender))
    services.tender_award(tender=tender, actor=buyer, response=winner)
    sign(tender, buyer)
    assert marches(decp.decp_document())[0]["offresRecues"] == 2


def test_a_holder_known_by_its_vat_number_has_the_tva_type(agency, buyer, market):
    drive(agency, buyer, market, "contract_signed", offer=market.b)
    titulaires = marches(decp.decp_document())[0]["titulaires"]
    assert titulaires == [{"titulaire": {"typeIdentifiant": "TVA", "id": "DE811115368"}}]


def test_a_contract_below_the_threshold_is_absent(agency, buyer, market):
    drive(agency, buyer, market, "contract_signed", price="39999.99", title="Petit marché")
    big, _ = drive(
        agency, buyer, market, "contract_signed", price="40000.00", title="Marché au seuil"
    )
    assert ids(decp.decp_document()) == [big.reference]


def test_the_threshold_setting_is_honoured(agency, buyer, market):
    small, _ = drive(agency, buyer, market, "contract_signed", price="30000", title="Trente mille")
    large, _ = drive(
        agency, buyer, market, "contract_signed", price="50000", title="Cinquante mille"
    )
    assert ids(decp.decp_document()) == [large.reference]
    with override_settings(DECP_THRESHOLD=Decimal("25000")):
        assert ids(decp.decp_document()) == [small.reference, large.reference]
    with override_settings(DECP_THRESHOLD=Decimal("60000")):
        assert ids(decp.decp_document()) == []


def test_an_unidentified_holder_keeps_the_contract_out(agency, buyer, market):
    from catalog.services import french_vat_key, provider_update

    tender, _ = drive(agency, buyer, market, "contract_signed")
    siren = market.french.siren
    provider_update(provider=market.french, actor=None, siren="")
    assert ids(decp.decp_document()) == []
    vat = f"FR{french_vat_key(siren)}{siren}"
    provider_update(provider=market.french, actor=None, vat_number=vat)
    doc = decp.decp_document()
    assert ids(doc) == [tender.reference]
    assert marches(doc)[0]["titulaires"] == [{"titulaire": {"typeIdentifiant": "TVA", "id": vat}}]


def test_only_accepted_orders_at_or_above_the_threshold_appear(
    agency, buyer, market, assert_valid_decp
):
    placed = big_order(agency, buyer, market.a, accept=False)
    declined = big_order(agency, buyer, market.a, accept=False)
    services.order_decline(order=declined, actor=None, reason="Capacité indisponible.")
    cancelled = big_order(agency, buyer, market.a, accept=False)
    services.order_cancel(order=cancelled, actor=buyer)
    small = services.order_place(
        agency=agency, actor=buyer, offer=market.a, quantity=Decimal("10"), duration_months=12
    )
    services.order_accept(order=small, actor=None)
    assert marches(decp.decp_document()) == []

    accepted = big_order(agency, buyer, market.a)
    doc = decp.decp_document()
    assert ids(doc) == [accepted.reference]
    entry = marches(doc)[0]
    assert entry["procedure"] == "Marché passé sans publicité ni mise en concurrence préalable"
    assert (
        entry["formePrix"] == "Unitaire"
        and entry["montant"] == 48000
        and entry["offresRecues"] == 1
    )
    assert entry["dateNotification"] == timezone.localdate(accepted.decided_at).isoformat()
    assert placed.reference not in ids(doc)
    assert_valid_decp(doc)


# --------------------------------------------------------------------------
# The ?since= feed


def walk(api, *, limit: int, since: str | None = None) -> tuple[list[str], str | None]:
    seen, cursor = [], since
    for _ in range(50):
        response = api.get(URL, {"limit": limit, **({"since": cursor} if cursor else {})})
        assert response.status_code == 200
        seen += ids(response.json())
        cursor = response.headers.get("X-Next-Cursor", cursor)
        if response.headers["X-Has-More"] == "false":
            return seen, cursor
    raise AssertionError("the feed never ended")


def last_versions(seen: list[str]) -> list[str]:
    """What a client keeping the last version of each entry holds, in the
    order it last received them."""
    return list(dict.fromkeys(reversed(seen)))[::-1]


@pytest.fixture
def five_entries(agency, buyer, other_agency, other_buyer, market):
    """Three awards and two orders; the second award and the first order
    change again afterwards (and so come last)."""
    refs = []
    for n, (who, by) in enumerate([(agency, buyer), (other_agency, other_buyer), (agency, buyer)]):
        tender, _ = drive(
            who, by, market, "contract_signed", price=f"{50000 + n}", title=f"Marché {n}"
        )
        refs.append(tender.reference)
    refs += [
        big_order(agency, buyer, market.a).reference,
        big_order(other_agency, other_buyer, market.b).reference,
    ]
    instant = timezone.now() + datetime.timedelta(minutes=1)
    Award.objects.filter(tender__reference=refs[1]).update(contract_signed_at=instant)
    Order.objects.filter(reference=refs[3]).update(decided_at=instant)
    return [refs[0], refs[2], refs[4], refs[1], refs[3]]


@committed
def test_the_feed_gives_each_entry_once_in_the_order_it_last_changed(api, five_entries):
    assert ids(api.get(URL).json()) == five_entries


@committed
def test_the_cursor_walk_ends_with_every_entry_in_its_last_version(api, five_entries):
    for limit in (1, 2, 3, 5, 10):
        seen, _ = walk(api, limit=limit)
        assert last_versions(seen) == five_entries, limit


@committed
def test_since_returns_only_what_changed_after_the_cursor(agency, buyer, market, api, five_entries):
    from catalog.services import french_vat_key, provider_update

    _, cursor = walk(api, limit=2)
    # At the end, the cursor stays put until something changes.
    empty = api.get(URL, {"since": cursor})
    assert ids(empty.json()) == [] and empty.headers["X-Next-Cursor"] == cursor
    later, _ = drive(agency, buyer, market, "contract_signed", title="Publié après")
    seen, cursor = walk(api, limit=100, since=cursor)
    assert seen == [later.reference]
    # The holder is now known by its VAT number: each of its entries comes
    # again, with the new identifier.
    siren = market.french.siren
    vat = f"FR{french_vat_key(siren)}{siren}"
    provider_update(provider=market.french, actor=None, siren="", vat_number=vat)
    page = api.get(URL, {"since": cursor}).json()
    german = five_entries[2]
    assert sorted(ids(page)) == sorted([*(r for r in five_entries if r != german), later.reference])
    assert all(
        e["titulaires"] == [{"titulaire": {"typeIdentifiant": "TVA", "id": vat}}]
        for e in marches(page)
    )


@committed
def test_a_contract_that_commits_late_is_not_skipped(agency, buyer, market, api):
    slow_order = big_order(agency, buyer, market.a, accept=False)
    quick, _ = drive(agency, buyer, market, "awarded", title="Signé vite")
    _, cursor = walk(api, limit=100)

    slow = connections.create_connection("default")
    try:
        slow.set_autocommit(False)
        with slow.cursor() as db:  # writes first, commits last
            db.execute(
                "UPDATE tenders_order SET status = 'accepted', decided_at = now() WHERE id = %s",
                [slow_order.pk],
            )
        sign(quick, buyer)  # commits at once
        # A client reading now must not move its cursor past the slow one.
        response = api.get(URL, {"since": cursor})
        assert ids(response.json()) == [] and response.headers["X-Next-Cursor"] == cursor
        slow.commit()
    finally:
        slow.close()
    seen, _ = walk(api, limit=100, since=cursor)
    assert seen == [slow_order.reference, quick.reference]


@committed
def test_the_api_serves_the_demo_award(api, assert_valid_decp):
    call_command("seed_demo", stdout=StringIO())
    awarded = Tender.objects.get(status="contract_signed", agency__slug="region-bretagne")
    response = api.get(URL)
    assert response.status_code == 200 and ids(response.json()) == [awarded.reference]
    assert_valid_decp(response.json())
    again = api.get(URL, {"since": response.headers["X-Next-Cursor"]})
    assert ids(again.json()) == []


def test_an_empty_feed_has_no_cursor_yet(api, db):
    response = api.get(URL)
    assert response.json() == {"marches": {"marche": []}}
    assert "X-Next-Cursor" not in response.headers and response.headers["X-Has-More"] == "false"


@pytest.mark.parametrize(
    "params",
    [
        {"since": "pas-un-curseur"},
        # A cursor of the feed before the commit-safe one: (instant, kind, row).
        {"since": "MjAyNS0wMS0wMVQwMDowMDowMCswMDowMHwwfDE"},
        {"limit": "0"},
        {"limit": "1001"},
    ],
)
def test_bad_feed_parameters_are_a_400_with_the_usual_error_body(api, db, params):
    response = api.get(URL, params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert set(response.json()["error"]["fields"]) == set(params)


def test_the_feed_is_public_and_read_only(api, db):
    assert api.get(URL).status_code == 200
    assert api.post(URL, {}).status_code == 405


@committed
def test_the_feed_costs_three_queries_whatever_the_count(
    api, five_entries, django_assert_num_queries
):
    # The journal, the awards, the orders.
    with django_assert_num_queries(3):
        assert len(ids(api.get(URL).json())) == 5


# --------------------------------------------------------------------------
# Per buyer


def test_an_agency_document_holds_only_its_contracts(agency, other_agency, five_entries):
    mine = decp.decp_document(agency=agency)
    assert {e["acheteur"]["id"] for e in marches(mine)} == {agency.siret}
    assert len(marches(mine)) == 3
    assert len(marches(decp.decp_document(agency=other_agency))) == 2


def test_identifiers_are_unique_per_buyer(five_entries):
    keys = [(e["acheteur"]["id"], e["id"]) for e in marches(decp.decp_document())]
    assert len(keys) == len(set(keys)) == 5
