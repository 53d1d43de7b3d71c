"""Calendar arithmetic shared by the apps."""

from __future__ import annotations

from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone


def add_months(moment: date, months: int) -> date:
    """``moment`` plus ``months`` calendar months, on the last day of the
    month when the day does not exist (31 January + 1 month = 28 or 29
    February). An aware datetime keeps its wall-clock time in the project's
    time zone (Paris), whatever the change of offset in between."""
    if isinstance(moment, datetime) and timezone.is_aware(moment):
        local = timezone.localtime(moment)
        return timezone.make_aware(local.replace(tzinfo=None) + relativedelta(months=months))
    return moment + relativedelta(months=months)
