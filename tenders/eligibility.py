"""Whether one offer may answer one need: plain data in, reasons out.

The broker's matching selects eligible offers with one set-based query; this
pure function states the same rules for a single offer, to explain "why
not" to a provider and to re-check eligibility when a response is submitted
or an order placed. Tests hold the two to the same verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from catalog import policy, units


@dataclass(frozen=True)
class Need:
    level: str
    level_rank: int
    flags: tuple[str, ...]
    category: str | None
    location: str  # "", "EU" or a country code
    unit: str
    quantity: Decimal
    # Contract length in months, when the need has one (a tender, an order).
    months: int | None = None


@dataclass(frozen=True)
class OfferSnapshot:
    id: int
    status: str
    provider_active: bool
    category: str
    unit: str
    data_countries: tuple[str, ...]
    minimum_commitment: Decimal
    capacity: Decimal | None
    level: str | None
    level_rank: int | None
    flags: tuple[str, ...]
    # Failed checks of the stored assessment, to say why a level is missing.
    failed_checks: tuple[dict, ...] = field(default=())
    # The shortest term the provider sells (0: none).
    minimum_months: int = 0


def location_countries(location: str) -> frozenset[str] | None:
    if not location:
        return None
    return policy.EU if location == "EU" else frozenset({location})


def failures(need: Need, offer: OfferSnapshot) -> list[dict]:
    """Every unmet requirement as ``{"rule", "facts"}``; empty means eligible."""
    out: list[dict] = []
    if offer.status != "published":
        out.append({"rule": "offer_not_published", "facts": {"status": offer.status}})
    if not offer.provider_active:
        out.append({"rule": "provider_suspended", "facts": {}})
    if need.category and offer.category != need.category:
        out.append(
            {"rule": "category", "facts": {"required": need.category, "offer": offer.category}}
        )
    if offer.level_rank is None or offer.level_rank < need.level_rank:
        blocking = [
            c
            for c in offer.failed_checks
            if c.get("level") and _rank(c["level"]) <= need.level_rank
        ]
        out.append(
            {
                "rule": "level",
                "facts": {
                    "required": need.level,
                    "granted": offer.level,
                    "failed_checks": blocking,
                },
            }
        )
    missing = sorted(set(need.flags) - set(offer.flags))
    if missing:
        flag_checks = [c for c in offer.failed_checks if c.get("flag") in missing]
        out.append({"rule": "flags", "facts": {"missing": missing, "failed_checks": flag_checks}})
    allowed = location_countries(need.location)
    if allowed is not None:
        outside = sorted(set(offer.data_countries) - allowed)
        if outside or not offer.data_countries:
            out.append(
                {"rule": "location", "facts": {"required": need.location, "outside": outside}}
            )
    if not units.units_compatible(need.unit, offer.unit):
        out.append({"rule": "unit", "facts": {"required": need.unit, "offer": offer.unit}})
    else:
        quantity = units.quantity_in_unit(
            quantity=need.quantity, from_unit=need.unit, to_unit=offer.unit
        )
        if quantity < offer.minimum_commitment:
            out.append(
                {
                    "rule": "minimum_commitment",
                    "facts": {"quantity": str(quantity), "minimum": str(offer.minimum_commitment)},
                }
            )
        if offer.capacity is not None and quantity > offer.capacity:
            out.append(
                {
                    "rule": "capacity",
                    "facts": {"quantity": str(quantity), "capacity": str(offer.capacity)},
                }
            )
    if need.months is not None and need.months < offer.minimum_months:
        out.append(
            {
                "rule": "minimum_months",
                "facts": {"months": need.months, "minimum": offer.minimum_months},
            }
        )
    return out


def _rank(level: str) -> int:
    return int(level[1:]) if level[1:].isdigit() else 99
