"""What several model modules share."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def _choices_check(field: str, choices) -> Q:
    return Q(**{f"{field}__in": [value for value, _label in choices]})
