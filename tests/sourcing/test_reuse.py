"""Reuse: the public bodies that awarded or ordered an offer, in the API."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import selectors as catalog_selectors
from tenders import services
from tenders.models import Award, Order, Tender, TenderResponse
from tests import factories


def award(tender: Tender, offer, *, status="awarded", when=None) -> Award:
    """An award as the evaluation leaves it (rows written directly: this
    tests who is shown, not the evaluation)."""
    when = when or timezone.now()
    Tender.objects.filter(pk=tender.pk).update(status=status, decided_at=when)
    response = TenderResponse.objects.create(
        tender=tender,
        provider=offer.provider,
        offer=offer,
        total_price=Decimal("1000"),
        technical_answer="ok",
        submitted_at=when,
        receipt_sha256="0" * 64,
    )
    return Award.objects.create(
        tender=tender, response=response, amount=Decimal("1000"), awarded_at=when
    )


def order(agency, buyer, offer, *, accepted=True, when=None) -> Order:
    placed = services.order_place(
        agency=agency, actor=buyer, offer=offer, quantity=Decimal("1"), duration_months=1
    )
    if accepted:
        Order.objects.filter(pk=placed.pk).update(
            status="accepted", decided_at=when or timezone.now()
        )
    return placed


def test_it_lists_the_bodies_that_awarded_or_ordered_an_offer(
    api, market, agency_a, buyer_a, agency_b, buyer_b
):
    earlier = timezone.now() - datetime.timedelta(days=40)
    award(factories.tender(agency_a, actor=buyer_a), market.a, when=earlier)
    order(agency_a, buyer_a, market.a)  # the same body again: listed once, since its first use
    order(agency_b, buyer_b, market.a)
    body = api.get(f"/api/v1/offers/{market.a.pk}/").json()
    assert body["used_by_count"] == 2
    assert body["used_by"] == [
        {
            "name": "Ministère des Essais",
            "slug": agency_a.slug,
            "since": timezone.localdate(earlier).isoformat(),
        },
        {
            "name": "Ville de Lutèce",
            "slug": agency_b.slug,
            "since": timezone.localdate().isoformat(),
        },
    ]


def test_it_keeps_private_what_is_not_public_yet(api, market, agency_a, buyer_a, agency_b, buyer_b):
    award(
        factories.tender(agency_a, actor=buyer_a), market.b, status="closed"
    )  # decision not public
    order(agency_b, buyer_b, market.b, accepted=False)  # placed, not accepted
    body = api.get(f"/api/v1/offers/{market.b.pk}/").json()
    assert body["used_by"] == [] and body["used_by_count"] == 0


def test_it_counts_in_search_results_without_a_query_per_offer(
    api, market, agency_a, buyer_a, agency_b, buyer_b
):
    order(agency_a, buyer_a, market.a)

    def listing():
        with CaptureQueriesContext(connection) as queries:
            body = api.get("/api/v1/offers/?category=iaas_storage").json()
        return {row["id"]: row["used_by_count"] for row in body["results"]}, len(queries)

    counts, few = listing()
    assert counts == {market.a.pk: 1, market.b.pk: 0, market.c.pk: 0}
    order(agency_b, buyer_b, market.a)
    order(agency_b, buyer_b, market.b)
    award(factories.tender(agency_a, actor=buyer_a), market.c)
    counts, many = listing()
    assert counts == {market.a.pk: 2, market.b.pk: 1, market.c.pk: 1}
    assert many == few


def test_it_pins_the_queries_of_the_offer_list(api, market, django_assert_max_num_queries):
    # Offers, their certifications and subcontractors, the awards and the
    # accepted orders: five, whatever the number of offers.
    with django_assert_max_num_queries(5):
        assert api.get("/api/v1/offers/").status_code == 200


@pytest.mark.parametrize("ids", [[], [0]])
def test_it_gives_nothing_for_unknown_offers(ids, db):
    assert catalog_selectors.offers_used_by(ids) == {}
