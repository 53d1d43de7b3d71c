"""Reuse: the public bodies using an offer ("agencies using", FedRAMP-style)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Expression, IntegerField, Value
from django.db.models.expressions import RawSQL

from catalog.models import Offer

UsageReader = Callable[[list[int]], dict[int, list[dict]]]
UsageCountSql = Callable[[str], tuple[str, list]]

_usage_reader: UsageReader | None = None
_usage_count_sql: UsageCountSql | None = None


def offer_usage_register(reader: UsageReader, count_sql: UsageCountSql | None = None) -> None:
    """The demand side knows which public bodies awarded or ordered an
    offer; the catalogue knows no other app, so ``tenders`` registers its
    reader here when it starts (tenders.apps), and ``count_sql(column)``,
    the number of those bodies as a correlated subquery (sql, params)."""
    global _usage_reader, _usage_count_sql
    _usage_reader = reader
    _usage_count_sql = count_sql


def offers_used_by_count() -> Expression:
    """Per offer row, ``len(offers_used_by([offer])[offer])``, inside the
    query that reads the offers (no query of its own)."""
    if _usage_count_sql is None:
        return Value(0, output_field=IntegerField())
    sql, params = _usage_count_sql(f'"{Offer._meta.db_table}"."id"')
    return RawSQL(sql, params, output_field=IntegerField())  # noqa: S611 (tables and statuses are the code's own)


def offers_used_by(offer_ids: Iterable[int]) -> dict[int, list[dict]]:
    """Per offer id, the public bodies that awarded it (once the award is
    public) or ordered it (once accepted): ``{"name", "slug", "since"}``,
    oldest first; offers nobody uses are absent. A constant number of
    queries for any number of offers."""
    if _usage_reader is None:
        return {}
    return _usage_reader(list(offer_ids))
