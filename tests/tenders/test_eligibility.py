"""The pure rules of "may this offer answer this need", without a database:
every unmet requirement comes back as a rule with its facts."""

from dataclasses import replace
from decimal import Decimal

import pytest

from tenders.eligibility import Need, OfferSnapshot, failures

NEED = Need(
    level="N2",
    level_rank=2,
    flags=(),
    category="iaas_storage",
    location="EU",
    unit="TB_MONTH",
    quantity=Decimal("10"),
    months=12,
)
OFFER = OfferSnapshot(
    id=1,
    status="published",
    provider_active=True,
    category="iaas_storage",
    unit="GB_MONTH",
    data_countries=("FR", "DE"),
    minimum_commitment=Decimal("0"),
    capacity=None,
    level="N2",
    level_rank=2,
    flags=(),
)


def rules(need=NEED, **offer):
    return [f["rule"] for f in failures(need, replace(OFFER, **offer))]


def test_an_offer_that_meets_everything_is_eligible():
    assert failures(NEED, OFFER) == []
    assert rules(level="N3", level_rank=3) == []  # more than enough


@pytest.mark.parametrize(
    ("offer", "rule"),
    [
        ({"status": "draft"}, "offer_not_published"),
        ({"status": "withdrawn"}, "offer_not_published"),
        ({"provider_active": False}, "provider_suspended"),
        ({"category": "backup"}, "category"),
        ({"level": "N1", "level_rank": 1}, "level"),
        ({"level": None, "level_rank": None}, "level"),  # never assessed
        ({"data_countries": ("FR", "US")}, "location"),
        ({"data_countries": ()}, "location"),  # undeclared locations fit no constraint
        ({"unit": "USER_MONTH"}, "unit"),
        ({"minimum_commitment": Decimal("10001")}, "minimum_commitment"),  # 10 TB = 10,000 GB
        ({"capacity": Decimal("9999")}, "capacity"),
        ({"minimum_months": 24}, "minimum_months"),
    ],
)
def test_each_unmet_requirement_is_named(offer, rule):
    assert rules(**offer) == [rule]


def test_quantities_compare_in_the_offers_unit():
    assert rules(minimum_commitment=Decimal("10000"), capacity=Decimal("10000")) == []


def test_missing_flags_are_listed_with_the_checks_that_failed():
    need = replace(NEED, flags=("HEALTH", "PERSONAL_DATA"))
    failed = [{"rule": "hds_certificate", "flag": "HEALTH", "passed": False}]
    (flags,) = failures(need, replace(OFFER, flags=("PERSONAL_DATA",), failed_checks=tuple(failed)))
    assert flags == {"rule": "flags", "facts": {"missing": ["HEALTH"], "failed_checks": failed}}


def test_the_level_failure_keeps_only_the_checks_that_block_the_required_level():
    checks = (
        {"rule": "secnumcloud", "level": "N2", "passed": False},
        {"rule": "dr_support", "level": "N3", "passed": False},
    )
    (level,) = failures(NEED, replace(OFFER, level="N1", level_rank=1, failed_checks=checks))
    assert level["facts"] == {"required": "N2", "granted": "N1", "failed_checks": [checks[0]]}


def test_a_country_constraint_is_stricter_than_the_eu():
    assert rules(replace(NEED, location="FR")) == ["location"]
    assert rules(replace(NEED, location="")) == []
    assert (
        rules(replace(NEED, months=None), minimum_months=24) == []
    )  # no term stated, nothing to compare
