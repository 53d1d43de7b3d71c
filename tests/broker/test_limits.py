"""The largest values the API accepts are stored, matched and served — never
a database overflow (a 500 on input, or a matching that fails forever):
the highest unit price sold per hour is 730 times larger per month, and
a tender with the largest budget shortlists it (issue 7, hostile input).
Offers over a tender's budget are left out, so a stored cost never exceeds
the budget's 14 digits."""

from decimal import Decimal

import pytest

from tenders.models import MatchingState, ShortlistEntry
from tenders.services import TenderError
from tests import factories
from tests.conftest import client_for

HIGHEST_PRICE = "99999999"  # the offer API's maximum unit price
LARGEST_BUDGET = "999999999999.99"  # 14 digits, the tender API's maximum


def test_the_highest_hourly_price_is_accepted_and_normalised(provider_a):
    admin = factories.MemberFactory(provider=provider_a, role="admin").user
    response = client_for(admin).post(
        "/api/v1/offers/",
        {
            "name": "Calcul dédié",
            "category": "iaas_compute",
            "cpv_code": "72910000-2",
            "unit": "VCPU_HOUR",
            "unit_price": HIGHEST_PRICE,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    detail = client_for(admin).get(f"/api/v1/offers/{response.json()['id']}/").json()
    assert Decimal(detail["normalised_price"]["amount"]) == Decimal(HIGHEST_PRICE) * 730


def test_the_highest_hourly_price_is_matched_and_its_cost_served(
    ministry, buyer, make_offer, publish, provider_a
):
    make_offer(
        provider_a,
        "N2",
        category="iaas_compute",
        cpv_code="72910000-2",
        unit="VCPU_HOUR",
        unit_price=HIGHEST_PRICE,
        minimum_commitment="0",
        capacity=None,
    )
    tender = publish(
        factories.tender(
            ministry,
            actor=buyer,
            category="iaas_compute",
            cpv_code="72910000-2",
            unit="VCPU_MONTH",
            quantity="1",
            duration_months=1,
            estimated_value=LARGEST_BUDGET,
        ),
        buyer,
    )
    assert tender.matching_state == MatchingState.DONE, tender.matching_error
    (entry,) = ShortlistEntry.objects.filter(tender=tender)
    assert entry.estimated_cost == Decimal(HIGHEST_PRICE) * 730
    row = client_for(buyer).get(f"/api/v1/tenders/{tender.pk}/shortlist/").json()["results"][0]
    assert Decimal(row["estimated_cost"]) == entry.estimated_cost


@pytest.mark.parametrize(
    ("field", "value"), [("estimated_value", "1000000000000"), ("quantity", "1e12")]
)
def test_a_number_past_its_column_is_a_field_error_whatever_the_door(ministry, buyer, field, value):
    """The API's serializer and the web form bound these already; the
    service bounds them too, so a direct caller (a command, an import) gets
    a field error rather than the database's overflow."""
    with pytest.raises(TenderError) as error:
        factories.tender(ministry, actor=buyer, **{field: value})
    assert error.value.fields == {field: ["Must be less than 1000000000000."]}
    assert error.value.http_status == 400
    assert factories.tender(ministry, actor=buyer, **{field: "999999999999.99"}).pk
