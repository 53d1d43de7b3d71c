"""Numbers as the services take them: parsed once, bounded by the column
that stores them, refused as a field error rather than by the database."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from core.errors import DomainError


def decimal_parse(
    field: str,
    value: Any,
    *,
    column: models.DecimalField | None = None,
    minimum: Decimal | None = Decimal(0),
    maximum: Decimal | None = None,
    exact: bool = False,
    error: type[DomainError] = DomainError,
) -> Decimal:
    """``value`` (text, a number or a Decimal) as a finite Decimal between
    ``minimum`` and ``maximum`` (None: no bound). Given ``column``, the
    model field that stores it, the value must also fit its digits: the
    database would refuse more whole digits (a numeric overflow, a 500),
    whatever door the value came through. Extra decimal places are rounded
    by the database as it stores them; ``exact`` refuses them instead (an
    import that validates as the API does). Raises ``error`` (the caller's
    app error) with a message on ``field``."""

    def invalid(message: str) -> DomainError:
        return error(message, fields={field: [message]})

    if isinstance(value, bool):
        raise invalid(_("A number is required."))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid(_("A number is required.")) from None
    if not number.is_finite():
        raise invalid(_("A finite number is required."))
    if minimum is not None and number < minimum:
        raise invalid(_("Must be at least %(minimum)s.") % {"minimum": minimum})
    if maximum is not None and number > maximum:
        raise invalid(_("Must be at most %(maximum)s.") % {"maximum": maximum})
    if column is not None:
        places = column.decimal_places
        exponent = number.as_tuple().exponent
        assert isinstance(exponent, int)  # a finite number's
        if exact and -exponent > places:
            raise invalid(_("At most %(places)s decimal places.") % {"places": places})
        limit = Decimal(10) ** (column.max_digits - places)
        # Compared as stored: PostgreSQL rounds half away from zero to the
        # column's places, so 9.995 would overflow a (3, 2) column.
        if (
            abs(number) >= limit
            or abs(number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)) >= limit
        ):
            raise invalid(_("Must be less than %(limit)s.") % {"limit": limit})
    return number
