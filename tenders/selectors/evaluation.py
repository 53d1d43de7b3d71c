"""Evaluation: the ranking of a closed tender's responses, and why an
offer is not on a shortlist."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from catalog import units
from catalog.models import Offer
from tenders import eligibility
from tenders.models import Tender, TenderResponse
from tenders.selectors.needs import need_of, offer_snapshot


@dataclass(frozen=True)
class RankedResponse:
    response: TenderResponse
    price_score: Decimal
    technical_score: Decimal
    other_score: Decimal
    total: Decimal
    rank: int


def ranking(responses: list[TenderResponse], tender: Tender) -> list[RankedResponse]:
    """Price score = lowest price ÷ price × price weight; technical and other
    scores (out of 100) weighted likewise; ranked by total, then price."""
    if not responses:
        return []
    lowest = min(r.total_price for r in responses)
    rows = []
    for r in responses:
        price = (lowest / r.total_price * tender.weight_price).quantize(Decimal("0.01"))
        technical = (r.technical_score or 0) * tender.weight_technical / 100
        other = (r.other_score or 0) * tender.weight_other / 100
        rows.append(
            (
                r,
                price,
                Decimal(technical).quantize(Decimal("0.01")),
                Decimal(other).quantize(Decimal("0.01")),
            )
        )
    rows.sort(key=lambda row: (-(row[1] + row[2] + row[3]), row[0].total_price, row[0].pk))
    return [RankedResponse(r, p, t, o, p + t + o, i + 1) for i, (r, p, t, o) in enumerate(rows)]


def offer_why_not(tender: Tender, offer: Offer) -> tuple[list[dict], Decimal | None]:
    """Why ``offer`` is not on ``tender``'s shortlist: every requirement it
    fails (``{"rule", "facts"}``, on the stored assessment matching used),
    the budget included, and its estimated cost (None when the units do not
    compare). Empty failures: it qualifies."""
    failures = eligibility.failures(need_of(tender), offer_snapshot(offer.pk))
    cost = estimated_cost_for(tender, offer)
    if cost is not None and cost > tender.estimated_value:
        # Eligible or not, an offer over the budget is left off the shortlist.
        failures.append(
            {
                "rule": "budget",
                "facts": {"estimated_cost": str(cost), "budget": str(tender.estimated_value)},
            }
        )
    return failures, cost


def estimated_cost_for(tender: Tender, offer: Offer) -> Decimal | None:
    """The estimated total of an offer for a tender (normalised price ×
    quantity × months), or None when their units do not compare."""
    if not units.units_compatible(tender.unit, offer.unit):
        return None
    quantity = units.quantity_in_unit(
        quantity=tender.quantity, from_unit=tender.unit, to_unit=offer.unit
    )
    return units.estimated_cost(
        normalised_price=offer.normalised_price,
        quantity=quantity,
        unit=offer.unit,
        months=tender.duration_months,
    )
