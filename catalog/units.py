"""Units of sale, and how each normalises so any two offers compare on price.

A month is 730 hours (8,760 h / 12), the convention of cloud price lists.
Storage is decimal: 1 TB = 1,000 GB, as providers bill it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

HOURS_PER_MONTH = Decimal("730")


class Unit(NamedTuple):
    code: str
    label: str
    normalised: str
    # How many normalised units one unit of sale is worth.
    factor: Decimal
    measure: str
    # How many normalised quantities one unit of quantity is: a TB is
    # 1,000 GB; a vCPU is a vCPU whether priced by the hour or the month.
    quantity_factor: Decimal = Decimal("1")


UNITS: dict[str, Unit] = {
    u.code: u
    for u in [
        Unit("GB_MONTH", "GB-month", "GB_MONTH", Decimal("1"), "storage"),
        Unit("TB_MONTH", "TB-month", "GB_MONTH", Decimal("1000"), "storage", Decimal("1000")),
        Unit("VCPU_HOUR", "vCPU-hour", "VCPU_MONTH", Decimal("1") / HOURS_PER_MONTH, "compute"),
        Unit("VCPU_MONTH", "vCPU-month", "VCPU_MONTH", Decimal("1"), "compute"),
        Unit(
            "GB_RAM_HOUR", "GB-RAM-hour", "GB_RAM_MONTH", Decimal("1") / HOURS_PER_MONTH, "memory"
        ),
        Unit("GB_RAM_MONTH", "GB-RAM-month", "GB_RAM_MONTH", Decimal("1"), "memory"),
        Unit(
            "INSTANCE_HOUR",
            "instance-hour",
            "INSTANCE_MONTH",
            Decimal("1") / HOURS_PER_MONTH,
            "instance",
        ),
        Unit("INSTANCE_MONTH", "instance-month", "INSTANCE_MONTH", Decimal("1"), "instance"),
        Unit("USER_MONTH", "user-month", "USER_MONTH", Decimal("1"), "user"),
        Unit("SITE_MONTH", "site-month", "SITE_MONTH", Decimal("1"), "site"),
        Unit("MBPS_MONTH", "Mbit/s-month", "MBPS_MONTH", Decimal("1"), "bandwidth"),
    ]
}

UNIT_CHOICES = [(u.code, u.label) for u in UNITS.values()]
NORMALISED_LABELS = {u.normalised: UNITS[u.normalised].label for u in UNITS.values()}


def normalise_price(unit: str, unit_price: Decimal) -> tuple[str, Decimal]:
    """Price per normalised unit, e.g. 0.01 €/vCPU-hour → 7.30 €/vCPU-month."""
    spec = UNITS[unit]
    price = (Decimal(unit_price) / spec.factor).quantize(
        Decimal("0.000001"), rounding=ROUND_HALF_UP
    )
    return spec.normalised, price


def units_compatible(unit_a: str, unit_b: str) -> bool:
    return UNITS[unit_a].normalised == UNITS[unit_b].normalised


def estimated_cost(
    *, normalised_price: Decimal, quantity: Decimal, unit: str, months: int
) -> Decimal:
    """Total excl. VAT of ``quantity`` ``unit`` for ``months`` months at a
    normalised price, e.g. 10 TB for 12 months at 0.02 €/GB-month = 2,400 €."""
    spec = UNITS[unit]
    total = Decimal(normalised_price) * Decimal(quantity) * spec.quantity_factor * months
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def quantity_in_unit(*, quantity: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """The same quantity expressed in another compatible unit (10 TB → 10,000 GB)."""
    return Decimal(quantity) * UNITS[from_unit].quantity_factor / UNITS[to_unit].quantity_factor
