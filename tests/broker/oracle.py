"""The Python reference of the matching engine (``broker.matching``): the
specification its one scoring statement is held to
(tests/broker/test_matching_sql.py), also what ``make bench`` counts the
qualified offers of a tender with. Production never calls it.

Scoring (pure): estimated total cost = normalised price × quantity ×
months; offers over the budget are left out; rank by cost (then SLA, then
id for a stable order); score = 100 × cheapest cost ÷ cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from broker.matching import CANDIDATE_COLUMNS, _cost_multiplier, candidate_offers, contract_end
from catalog import units
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


def candidates(tender: Tender, need=None) -> list[Candidate]:
    """The offers that qualify for ``tender``: the engine's candidate
    query, then the quantity test in each offer's unit."""
    need = need or tender_selectors.need_of(tender)
    result = []
    in_unit: dict[str, Decimal] = {}  # the tender's quantity, per offer unit
    for (
        pk,
        provider_id,
        price,
        unit,
        sla,
        minimum,
        capacity,
        level,
        flags,
        countries,
        relied,
    ) in candidate_offers(tender, need).values_list(
        *CANDIDATE_COLUMNS, "assessment__relied_certificates"
    ):
        quantity = in_unit.get(unit)
        if quantity is None:
            quantity = in_unit[unit] = units.quantity_in_unit(
                quantity=tender.quantity, from_unit=tender.unit, to_unit=unit
            )
        if quantity < minimum or (capacity is not None and quantity > capacity):
            continue
        result.append(
            Candidate(
                pk,
                provider_id,
                price,
                unit,
                sla,
                level,
                tuple(flags),
                tuple(countries),
                tuple(relied or ()),
            )
        )
    return result


def score(tender: Tender, found: list[Candidate], need=None) -> list[dict]:
    """The shortlist rows of these candidates: what ``shortlist_select``
    must compute in the database."""
    end = contract_end(tender).isoformat()
    need = need or tender_selectors.need_of(tender)
    budget = tender.estimated_value
    per_unit: dict[str, Decimal] = {}
    cent, milli, zero, hundred = Decimal("0.01"), Decimal("0.001"), Decimal(0), Decimal(100)
    costed = []
    for c in found:
        factor = per_unit.get(c.offer_unit)
        if factor is None:
            factor = per_unit[c.offer_unit] = _cost_multiplier(tender, c.offer_unit)
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
        warnings = (
            [
                {
                    "rule": "certificate_expires_before_contract_end",
                    "facts": {
                        "scheme": cert["scheme"],
                        "reference": cert["reference"],
                        "expires_on": cert["expires_on"],
                        "contract_end": end,
                    },
                }
                for cert in relied_for(c, need)
                if cert.get("expires_on") and cert["expires_on"] < end
            ]
            if c.relied_certificates
            else []
        )
        reasons = [
            {"rule": "level", "facts": {"required": level_required, "granted": c.level}},
            {"rule": "flags", "facts": {"required": required_flags, "granted": sorted(c.flags)}},
            {
                "rule": "location",
                "facts": {"constraint": constraint, "countries": sorted(c.data_countries)},
            },
            {
                "rule": "cost",
                "facts": {
                    "estimated_cost": str(cost),
                    "budget": budget_text,
                    "normalised_price": str(c.normalised_price),
                    "quantity": quantity_text,
                    "months": months,
                },
            },
        ]
        score_value = (hundred * cheapest / cost).quantize(milli) if cost else hundred
        rows.append(
            {
                "offer_id": c.offer_id,
                "rank": rank,
                "score": score_value,
                "estimated_cost": cost,
                "reasons": reasons,
                "warnings": warnings,
            }
        )
    return rows


def relied_for(candidate: Candidate, need) -> list[dict]:
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
