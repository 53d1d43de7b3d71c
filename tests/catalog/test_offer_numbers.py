"""Every catalogue number is bounded by the column that stores it, in the
service: whatever the door (API, web form, import, a direct call), a value
past its column is a field error, never the database's overflow."""

import pytest

from catalog import services
from tests import factories
from tests.conftest import client_for

PAST_THEIR_COLUMN = [
    ("capacity", "1000000000000", "Must be less than 1000000000000."),  # 14 digits, 2 places
    ("capacity", "999999999999.995", "Must be less than 1000000000000."),  # rounds up
    ("minimum_commitment", "10000000000", "Must be less than 10000000000."),  # 12, 2
]


@pytest.mark.parametrize(("field", "value", "message"), PAST_THEIR_COLUMN)
def test_a_number_past_its_column_is_a_field_error_in_the_service(
    provider_a, field, value, message
):
    with pytest.raises(services.CatalogError) as refused:
        factories.offer(provider_a, **{field: value})
    assert refused.value.fields == {field: [message]}
    assert refused.value.http_status == 400


@pytest.mark.parametrize(("field", "value", "message"), PAST_THEIR_COLUMN)
def test_an_edit_past_its_column_is_refused_too(provider_a, field, value, message):
    offer = factories.offer(provider_a)
    with pytest.raises(services.CatalogError) as refused:
        services.offer_update(offer=offer, actor=None, **{field: value})
    assert refused.value.fields == {field: [message]}


def test_the_largest_numbers_their_columns_hold_are_stored(provider_a):
    offer = factories.offer(
        provider_a, capacity="999999999999.99", minimum_commitment="9999999999.99"
    )
    offer.refresh_from_db()
    assert str(offer.capacity) == "999999999999.99"
    assert str(offer.minimum_commitment) == "9999999999.99"


@pytest.mark.parametrize("field", ["capacity", "minimum_commitment"])
def test_the_api_answers_a_number_past_its_column_with_a_400(member_a, field):
    response = client_for(member_a.user).post(
        "/api/v1/offers/",
        {
            "name": "Stockage",
            "category": "iaas_storage",
            "cpv_code": "72317000-0",
            "unit": "TB_MONTH",
            "unit_price": "20",
            field: "1e13",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
