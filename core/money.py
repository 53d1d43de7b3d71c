"""Money: the one VAT computation and its rounding rule.

Amounts keep their precision in the database and in computations; they are
rounded only when shown or exported, half-up as a French reader expects
(0,005 € → 0,01 €), never half-even (Python's decimal default).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")
# Unit prices are catalogued to four decimals (e.g. 0,0300 € per GB-month).
UNIT_PRICE_EXPONENT = Decimal("0.0001")


def rounded(amount: Decimal, exponent: Decimal = CENT) -> Decimal:
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def incl_vat(amount: Decimal | int | str | None, *, exponent: Decimal = CENT) -> Decimal | None:
    """``amount`` excl. VAT → incl. VAT at ``settings.VAT_RATE``, rounded
    half-up to ``exponent`` (the cent for totals; ``UNIT_PRICE_EXPONENT``
    for a unit price, so that it keeps its four decimals)."""
    if amount is None:
        return None
    return rounded(Decimal(amount) * (1 + settings.VAT_RATE), exponent)
