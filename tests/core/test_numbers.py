"""core.numbers.decimal_parse: one bounded decimal for every app's services."""

from decimal import Decimal

import pytest
from django.db import models

from core.errors import DomainError
from core.numbers import decimal_parse

PRICE = models.DecimalField(max_digits=12, decimal_places=4)  # a 12,4 column
PERCENT = models.DecimalField(max_digits=3, decimal_places=2)


class AppError(DomainError):
    pass


def refusal(value, **kwargs) -> dict:
    with pytest.raises(AppError) as error:
        decimal_parse("amount", value, error=AppError, **kwargs)
    assert error.value.http_status == 400
    return error.value.fields


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12.5", Decimal("12.5")), (3, Decimal(3)), (" 7 ", Decimal(7)), ("1e3", Decimal(1000))],
)
def test_it_reads_text_and_numbers(value, expected):
    assert decimal_parse("amount", value) == expected


@pytest.mark.parametrize("value", ["abc", "", True, None, [1]])
def test_it_refuses_what_is_not_a_number(value):
    assert refusal(value) == {"amount": ["A number is required."]}


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf"])
def test_it_refuses_what_is_not_finite(value):
    assert refusal(value) == {"amount": ["A finite number is required."]}


def test_it_keeps_the_bounds_it_is_given():
    assert refusal("-1") == {"amount": ["Must be at least 0."]}
    assert refusal("101", maximum=Decimal(100)) == {"amount": ["Must be at most 100."]}
    assert decimal_parse("amount", "-1", minimum=None) == Decimal(-1)


def test_it_refuses_what_its_column_cannot_hold():
    assert decimal_parse("amount", "99999999.9999", column=PRICE) == Decimal("99999999.9999")
    assert refusal("100000000", column=PRICE) == {"amount": ["Must be less than 100000000."]}
    assert refusal("1e40", column=PRICE) == {"amount": ["Must be less than 100000000."]}


def test_it_bounds_the_value_as_the_database_rounds_it():
    # 9.995 in a (3, 2) column would be stored as 10.00: an overflow.
    assert refusal("9.995", column=PERCENT) == {"amount": ["Must be less than 10."]}
    assert decimal_parse("amount", "9.994", column=PERCENT) == Decimal("9.994")


def test_exact_refuses_more_places_than_the_column_keeps():
    assert refusal("1.12345", column=PRICE, exact=True) == {"amount": ["At most 4 decimal places."]}
    assert decimal_parse("amount", "1.1234", column=PRICE, exact=True) == Decimal("1.1234")


def test_it_raises_the_domain_error_by_default():
    with pytest.raises(DomainError):
        decimal_parse("amount", "x")
