"""Reuse: which public bodies awarded or ordered an offer (shown in the
catalogue)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from tenders.models import Award, Order, OrderStatus, Tender, TenderResponse, TenderStatus


def _award_public_statuses() -> list[str]:
    # An award is public once its tender is awarded, and stays so in any
    # later contract state a tender may gain.
    return [s for s in ("awarded", "contract_signed") if s in TenderStatus.values]


def offers_used_by(offer_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Per offer, the public bodies that awarded it (tender awarded) or
    ordered it (order accepted): ``{"name", "slug", "since"}`` once per
    body, ``since`` the date of its first award or accepted order, oldest
    first. Two queries whatever the number of offers."""
    ids = list(offer_ids)
    if not ids:
        return {}
    first: dict[int, dict[int, dict[str, Any]]] = {}

    def add(offer_id: int, agency_id: int, name: str, slug: str, when: datetime | None) -> None:
        if when is None:
            return
        day = timezone.localdate(when)
        seen = first.setdefault(offer_id, {})
        if agency_id not in seen or day < seen[agency_id]["since"]:
            seen[agency_id] = {"name": name, "slug": slug, "since": day}

    awards = Award.objects.filter(
        response__offer_id__in=ids, tender__status__in=_award_public_statuses()
    )
    for row in awards.values_list(
        "response__offer_id",
        "tender__agency_id",
        "tender__agency__name",
        "tender__agency__slug",
        "awarded_at",
    ):
        add(*row)
    orders = Order.objects.filter(offer_id__in=ids, status=OrderStatus.ACCEPTED)
    for order_row in orders.values_list(
        "offer_id", "agency_id", "agency__name", "agency__slug", "decided_at"
    ):
        add(*order_row)
    return {
        offer_id: sorted(bodies.values(), key=lambda b: (b["since"], b["name"]))
        for offer_id, bodies in first.items()
    }


def offer_usage_count_sql(offer_id_column: str) -> tuple[str, list[str]]:
    """``len(offers_used_by(...)[offer])`` as a correlated SQL subquery on
    ``offer_id_column``: the catalogue list counts the bodies in its page
    query (two index probes per row) instead of reading them."""
    award, response, tender, order = (
        m._meta.db_table for m in (Award, TenderResponse, Tender, Order)
    )
    statuses = _award_public_statuses()
    sql = (
        f"SELECT count(DISTINCT u.agency_id) FROM ("  # noqa: S608 (the models' tables; statuses are parameters)
        f"SELECT t.agency_id FROM {award} a JOIN {response} r ON r.id = a.response_id "
        f"JOIN {tender} t ON t.id = a.tender_id "
        f"WHERE r.offer_id = {offer_id_column} AND t.status IN ({', '.join(['%s'] * len(statuses))}) "
        f"UNION ALL SELECT o.agency_id FROM {order} o "
        f"WHERE o.offer_id = {offer_id_column} AND o.status = %s AND o.decided_at IS NOT NULL) u"
    )
    return sql, [*statuses, OrderStatus.ACCEPTED]
