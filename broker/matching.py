"""The matching engine: one set-based query over the stored assessments,
then pure scoring.

Selection (SQL): published offers of active providers whose assessment
reaches the required level (raised for State bodies' health data) and
carries the required flags, in the tender's category, with every data
location inside the tender's constraint, in a unit of the same measure,
and able to serve the quantity (minimum commitment, capacity) for the
contract's duration (minimum term).

Scoring (Python, pure): estimated total cost = normalised price × quantity
× months; offers over the budget are left out; rank by cost (then SLA,
then id for a stable order); score = 100 × cheapest cost ÷ cost.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from catalog import policy, units
from catalog.models import Offer, Provider
from tenders import selectors as tender_selectors
from tenders.models import Tender


@dataclass(frozen=True)
class Candidate:
    offer_id: int
    provider_id: int
    normalised_price: Decimal
    offer_unit: str
    sla_pct: Decimal | None
    level: str
    flags: tuple[str, ...]
    data_countries: tuple[str, ...]
    relied_certificates: tuple[dict, ...]


def candidates(tender: Tender) -> list[Candidate]:
    need = tender_selectors.need_of(tender)
    compatible_units = [code for code in units.UNITS if units.units_compatible(code, tender.unit)]
    qs = Offer.objects.filter(
        status=Offer.Status.PUBLISHED,
        provider__status=Provider.Status.ACTIVE,
        category=tender.category,
        unit__in=compatible_units,
        minimum_months__lte=tender.duration_months,
        assessment__level_rank__gte=need.level_rank,
    )
    if need.flags:
        qs = qs.filter(assessment__flags__contains=list(need.flags))
    if tender.location_constraint:
        allowed = sorted(policy.EU) if tender.location_constraint == "EU" else [tender.location_constraint]
        qs = qs.filter(data_countries__contained_by=allowed).exclude(data_countries=[])
    # No ORDER BY: score() sorts fully (cost, SLA, id); the model's default
    # ordering by name cost ~20 % of a whole-category query at 100k offers.
    rows = qs.order_by().values_list(
        "pk", "provider_id", "normalised_price", "unit", "sla_pct", "minimum_commitment", "capacity",
        "assessment__level", "assessment__flags", "data_countries", "assessment__relied_certificates",
    )
    result = []
    in_unit: dict[str, Decimal] = {}  # the tender's quantity, per offer unit
    for (pk, provider_id, price, unit, sla, minimum, capacity, level, flags, countries, relied) in rows:
        quantity = in_unit.get(unit)
        if quantity is None:
            quantity = in_unit[unit] = units.quantity_in_unit(quantity=tender.quantity, from_unit=tender.unit,
                                                              to_unit=unit)
        if quantity < minimum or (capacity is not None and quantity > capacity):
            continue
        result.append(Candidate(pk, provider_id, price, unit, sla, level, tuple(flags), tuple(countries),
                                tuple(relied or ())))
    return result


def contract_end(tender: Tender) -> date:
    """The earliest the contract can end: the response deadline (in Paris,
    where the contract is signed) plus its duration, the day clamped to the
    end of a shorter month (31 January + 1 month = 28 or 29 February)."""
    start = timezone.localdate(tender.response_deadline)
    month = start.month - 1 + tender.duration_months
    year = start.year + month // 12
    month = month % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def score(tender: Tender, found: list[Candidate]) -> list[dict]:
    """Shortlist rows for ``tenders.services.shortlist_store``."""
    end = contract_end(tender).isoformat()
    need = tender_selectors.need_of(tender)
    budget = tender.estimated_value
    # estimated_cost() per offer unit, as one exact Decimal multiplier:
    # price × quantity (in the offer's unit) × unit quantity factor × months.
    per_unit: dict[str, Decimal] = {}
    cent, milli, zero, hundred = Decimal("0.01"), Decimal("0.001"), Decimal(0), Decimal(100)
    costed = []
    for c in found:
        factor = per_unit.get(c.offer_unit)
        if factor is None:
            factor = per_unit[c.offer_unit] = (
                units.quantity_in_unit(quantity=tender.quantity, from_unit=tender.unit, to_unit=c.offer_unit)
                * units.UNITS[c.offer_unit].quantity_factor * tender.duration_months)
        cost = (c.normalised_price * factor).quantize(cent, rounding=ROUND_HALF_UP)
        if cost > budget:
            continue
        costed.append((cost, -(c.sla_pct or zero), c.offer_id, c))
    costed.sort(key=lambda row: row[:3])
    if not costed:
        return []
    cheapest = costed[0][0]
    required_flags, budget_text = sorted(tender.flags), str(budget)
    quantity_text, months = str(tender.quantity), tender.duration_months
    level_required, constraint = need.level, tender.location_constraint
    rows = []
    for rank, (cost, _sla, _id, c) in enumerate(costed, start=1):
        warnings = [
            {"rule": "certificate_expires_before_contract_end",
             "facts": {"scheme": cert["scheme"], "reference": cert["reference"],
                       "expires_on": cert["expires_on"], "contract_end": end}}
            for cert in _relied_for(c, need)
            if cert.get("expires_on") and cert["expires_on"] < end
        ] if c.relied_certificates else []
        reasons = [
            {"rule": "level", "facts": {"required": level_required, "granted": c.level}},
            {"rule": "flags", "facts": {"required": required_flags, "granted": sorted(c.flags)}},
            {"rule": "location", "facts": {"constraint": constraint, "countries": sorted(c.data_countries)}},
            {"rule": "cost", "facts": {"estimated_cost": str(cost), "budget": budget_text,
                                       "normalised_price": str(c.normalised_price),
                                       "quantity": quantity_text, "months": months}},
        ]
        score_value = (hundred * cheapest / cost).quantize(milli) if cost else hundred
        rows.append({"offer_id": c.offer_id, "rank": rank, "score": score_value, "estimated_cost": cost,
                     "reasons": reasons, "warnings": warnings})
    return rows


def _relied_for(candidate: Candidate, need) -> list[dict]:
    """The certificates this tender actually relies on: those behind the
    required level (and the levels under it) and the required flags, each
    once."""
    seen, out = set(), []
    for cert in candidate.relied_certificates:
        target = cert.get("for", "")
        needed = target in need.flags or (
            target.startswith("N") and target[1:].isdigit() and int(target[1:]) <= need.level_rank
        )
        if needed and cert["id"] not in seen:
            seen.add(cert["id"])
            out.append(cert)
    return out
