"""The catalogue search as plain data: one parser for the API's list and
the saved searches (``offer_query_parse``), the same ``OfferQuery`` built by
the HTML forms, one selector that runs it (``offers_search``)."""

from decimal import Decimal

import pytest
from django.http import QueryDict

from catalog import api, selectors
from catalog.errors import CatalogError
from catalog.forms_public import OfferSearchForm
from catalog.selectors import OfferQuery, offer_query_parse


def test_it_parses_a_query_string_into_an_offer_query(db):
    query = offer_query_parse(
        QueryDict(
            "level=N2&flags=health,%20PERSONAL_DATA&location=%20fr&min_price=1e3"
            "&q=%20stockage%20&ordering=-price&status=draft"
        )
    )
    assert query == OfferQuery(
        level="N2",
        flags=("HEALTH", "PERSONAL_DATA"),
        location="FR",
        min_price=Decimal("1000"),
        q="stockage",
        ordering="-price",
        status="draft",
    )
    assert query.given()["flags"] == ["HEALTH", "PERSONAL_DATA"]
    assert "max_price" not in query.given()


def test_an_empty_value_is_not_asked(db):
    assert offer_query_parse(QueryDict("level=&flags=&q=&min_price=")) == OfferQuery()


def test_numbers_may_come_as_numbers(db):
    assert offer_query_parse({"min_price": 5, "max_price": 7.5}).max_price == Decimal("7.5")


def test_every_refused_field_is_reported_at_once(db):
    with pytest.raises(CatalogError) as refused:
        offer_query_parse({"level": "N9", "flags": "SECRET", "category": "x", "min_price": "abc"})
    assert refused.value.message == "Invalid input."
    assert list(refused.value.fields) == ["level", "flags", "category", "min_price"]


def test_the_price_range_is_checked_once_both_prices_are_valid(db):
    with pytest.raises(CatalogError) as refused:
        offer_query_parse({"min_price": "5", "max_price": "1"})
    assert refused.value.fields == {"max_price": ["Must not be below min_price."]}
    with pytest.raises(CatalogError) as refused:
        offer_query_parse({"min_price": "5", "max_price": "1", "category": "x"})
    assert set(refused.value.fields) == {"category"}


def test_an_unknown_level_may_wait_for_an_empty_page(db):
    assert offer_query_parse({"level": "N9"}, check_level=False).level == "N9"
    with pytest.raises(CatalogError) as refused:
        selectors.offer_level_check("N9")
    assert refused.value.fields == {"level": ["Unknown level; use one of N0, N1, N2, N3, N4."]}


def test_the_default_order_is_the_lowest_price_or_for_a_text_the_newest():
    assert OfferQuery().order_key == "price"
    assert OfferQuery(q="stockage").order_key == "-id"
    assert OfferQuery(q="stockage", ordering="name").order_key == "name"


def test_the_html_search_builds_the_same_query(db):
    form = OfferSearchForm(
        QueryDict("level=N2&flags=HEALTH&location=fr&min_price=2&ordering=-price&q=%20coffre")
    )
    assert form.is_valid(), form.errors
    assert form.offer_query() == OfferQuery(
        level="N2",
        flags=("HEALTH",),
        location="FR",
        min_price=Decimal("2"),
        q="coffre",
        ordering="-price",
    )


def test_the_saved_searches_serializer_parses_with_the_same_function(db):
    parsed = api.OfferFilter(data={"flags": "health", "min_price": "1.500"})
    assert parsed.is_valid(), parsed.errors
    assert parsed.validated_data == {"flags": ["HEALTH"], "min_price": Decimal("1.5")}
    refused = api.OfferFilter(data={"level": "N9"})
    assert not refused.is_valid()
    assert [str(e) for e in refused.errors["level"]] == [
        "Unknown level; use one of N0, N1, N2, N3, N4."
    ]
