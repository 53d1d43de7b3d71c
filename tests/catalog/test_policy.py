"""The policy engine, rule by rule, without a database: plain data in, an
explained assessment out."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from catalog import policy
from catalog.policy import (
    CertFacts,
    CertRequirement,
    Equivalence,
    FlagPolicy,
    LevelPolicy,
    OfferFacts,
    ProviderFacts,
    Stake,
    SubcontractorFacts,
    Sunset,
)
from catalog.texts import check_reason

TODAY = date(2026, 11, 22)

POLICY = policy.Policy(
    version=7,
    levels=(
        LevelPolicy("N0", 0),
        LevelPolicy(
            "N1",
            1,
            data_zone="EEA_ADEQUACY",
            certification_requirements=(
                CertRequirement("C5", "", "type2"),
                CertRequirement("EUCS", "", "substantial"),
                CertRequirement("ISO27001"),
                CertRequirement("SECNUMCLOUD"),
            ),
        ),
        LevelPolicy(
            "N2",
            2,
            data_zone="EU",
            administration_zone="EU",
            support_zone="EU",
            requires_eu_control=True,
            max_non_eu_holder_pct=Decimal(24),
            max_non_eu_total_pct=Decimal(39),
            forbid_non_eu_data_subcontractors=True,
            certification_requirements=(CertRequirement("SECNUMCLOUD", "3.2"),),
        ),
        LevelPolicy(
            "N3",
            3,
            data_zone="FR",
            administration_zone="EU",
            support_zone="EU",
            requires_eu_control=True,
            max_non_eu_holder_pct=Decimal(24),
            max_non_eu_total_pct=Decimal(39),
            forbid_non_eu_data_subcontractors=True,
            requires_dr_support=True,
            certification_requirements=(CertRequirement("SECNUMCLOUD", "3.2"),),
        ),
        LevelPolicy("N4", 4, grantable=False),
    ),
    flags=(
        FlagPolicy("HEALTH", storage_zone="EEA", required_scheme="HDS"),
        FlagPolicy("PERSONAL_DATA", storage_zone="EEA_ADEQUACY"),
    ),
    sunsets=(Sunset("HDS", "2.0", date(2026, 5, 16)),),
)


def snc(**overrides) -> CertFacts:
    values = dict(
        id=1,
        scheme="SECNUMCLOUD",
        reference="SNC-1",
        version="3.2",
        status="valid",
        verification="verified",
        issued_on=TODAY - timedelta(days=300),
        expires_on=TODAY + timedelta(days=800),
        covers_offer=True,
    )
    values.update(overrides)
    return CertFacts(**values)


def hds(**overrides) -> CertFacts:
    return snc(
        **{
            "id": 2,
            "scheme": "HDS",
            "reference": "HDS-1",
            "version": "2.0",
            "hds_activities": (1, 2, 3, 4, 5, 6),
            **overrides,
        }
    )


def sovereign(**overrides) -> OfferFacts:
    """A French SecNumCloud 3.2 offer with DR support: N3, HEALTH, PERSONAL_DATA."""
    values = dict(
        id=1,
        provider=ProviderFacts(
            "Souverain SAS",
            "FR",
            "FR",
            "FR",
            stakes=(Stake("Founders", "FR", Decimal(100), Decimal(100)),),
        ),
        locations={
            role: ("FR",)
            for role in (
                "storage",
                "processing",
                "backup",
                "technical_data",
                "administration",
                "support",
            )
        },
        dr_support=True,
        certifications=(snc(), hds()),
    )
    values.update(overrides)
    return OfferFacts(**values)


def with_locations(**roles) -> OfferFacts:
    base = dict(sovereign().locations)
    base.update({role: tuple(countries) for role, countries in roles.items()})
    return sovereign(locations=base)


def with_stakes(*stakes, **seats) -> OfferFacts:
    base = sovereign().provider
    return sovereign(provider=replace(base, stakes=tuple(stakes), **seats))


def failed(result, level_or_flag: str) -> set[str]:
    return {c.rule for c in result.checks if not c.passed and level_or_flag in (c.level, c.flag)}


def test_it_grants_n3_to_a_french_secnumcloud_offer_with_dr_support():
    result = policy.assess(sovereign(), POLICY, TODAY)
    assert result.level == "N3"
    assert result.flags == ["HEALTH", "PERSONAL_DATA"]
    assert {c["for"] for c in result.relied_certificates} == {"N1", "N2", "N3", "HEALTH"}


@pytest.mark.parametrize(
    ("offer", "expected_level", "failing_rule", "at"),
    [
        # J0–J2 milestones qualify for nothing.
        (sovereign(certifications=(snc(status="j0"),)), "N0", "certification", "N1"),
        (sovereign(certifications=(snc(status="j1"),)), "N0", "certification", "N1"),
        (sovereign(certifications=(snc(status="j2"),)), "N0", "certification", "N1"),
        # Expired, suspended, revoked or unverified certificates count for nothing.
        (sovereign(certifications=(snc(status="expired"),)), "N0", "certification", "N1"),
        (
            sovereign(certifications=(snc(expires_on=TODAY - timedelta(days=1)),)),
            "N0",
            "certification",
            "N1",
        ),
        (sovereign(certifications=(snc(status="suspended"),)), "N0", "certification", "N1"),
        (sovereign(certifications=(snc(status="revoked"),)), "N0", "certification", "N1"),
        (sovereign(certifications=(snc(verification="pending"),)), "N0", "certification", "N1"),
        (sovereign(certifications=(snc(verification="rejected"),)), "N0", "certification", "N1"),
        # SecNumCloud counts only for the offers in its scope.
        (sovereign(certifications=(snc(covers_offer=False),)), "N0", "certification", "N1"),
        # Before 3.2 it qualifies for N1 but gives no §19.6 immunity.
        (sovereign(certifications=(snc(version="3.1"),)), "N1", "certification", "N2"),
        # §19.6 ownership and control.
        (
            with_stakes(Stake("Hyperscaler", "US", Decimal(30), Decimal(30))),
            "N1",
            "non_eu_holder_max",
            "N2",
        ),
        (
            with_stakes(
                Stake("A", "US", Decimal(20), Decimal(20)),
                Stake("B", "CN", Decimal(21), Decimal(21)),
            ),
            "N1",
            "non_eu_ownership_total",
            "N2",
        ),
        (with_stakes(Stake("A", "US", Decimal(10), Decimal(30))), "N1", "non_eu_holder_max", "N2"),
        (
            with_stakes(Stake("A", "US", Decimal(5), Decimal(5), has_veto=True)),
            "N1",
            "non_eu_veto",
            "N2",
        ),
        (
            with_stakes(Stake("A", "US", Decimal(5), Decimal(5), has_board_majority=True)),
            "N1",
            "non_eu_board_majority",
            "N2",
        ),
        (with_stakes(registered_office_country="US"), "N1", "provider_seats", "N2"),
        (with_stakes(central_administration_country="GB"), "N1", "provider_seats", "N2"),
        (with_stakes(main_establishment_country="US"), "N1", "provider_seats", "N2"),
        # Any data or administration location outside the EU fails N2.
        (with_locations(storage=("FR", "CH")), "N1", "data_location", "N2"),
        (with_locations(processing=("US",)), "N0", "data_location", "N1"),
        (with_locations(backup=("GB",)), "N1", "data_location", "N2"),
        (with_locations(technical_data=("NO",)), "N1", "data_location", "N2"),
        (with_locations(administration=("IN",)), "N1", "administration_location", "N2"),
        (with_locations(storage=()), "N0", "data_location", "N1"),
        # Support outside the EU passes only when documented.
        (with_locations(support=("MA",)), "N1", "support_location", "N2"),
        # A non-EU subcontractor with access to customer data fails N2.
        (
            sovereign(subcontractors=(SubcontractorFacts("Offshore Ops", "IN", True),)),
            "N1",
            "non_eu_subcontractor_access",
            "N2",
        ),
        # Never above the weakest link of the subcontracting chain.
        (
            sovereign(
                subcontractors=(SubcontractorFacts("Region IaaS", "FR", True, True, "N1", 1),)
            ),
            "N1",
            "subcontractor_chain",
            "N2",
        ),
        (
            sovereign(
                subcontractors=(SubcontractorFacts("Unassessed", "FR", True, True, None, None),)
            ),
            "N0",
            "subcontractor_chain",
            "N1",
        ),
        # N3 needs French locations and declared DR support.
        (with_locations(storage=("DE",)), "N2", "data_location", "N3"),
        (sovereign(dr_support=False), "N2", "dr_support", "N3"),
    ],
)
def test_it_caps_the_level_at_the_first_failing_rule(offer, expected_level, failing_rule, at):
    result = policy.assess(offer, POLICY, TODAY)
    assert result.level == expected_level
    assert failing_rule in failed(result, at)


def test_it_passes_support_outside_the_eu_when_documented():
    offer = replace(with_locations(support=("MA",)), support_documented=True)
    assert policy.assess(offer, POLICY, TODAY).level == "N3"


def test_it_accepts_eu_subcontractors_with_data_access_and_non_eu_without():
    offer = sovereign(
        subcontractors=(
            SubcontractorFacts("Paris DC", "FR", True),
            SubcontractorFacts("Licence vendor", "US", False),
        )
    )
    assert policy.assess(offer, POLICY, TODAY).level == "N3"


def test_it_follows_a_chain_whose_weakest_link_is_high_enough():
    offer = sovereign(subcontractors=(SubcontractorFacts("IaaS", "FR", True, True, "N3", 3),))
    assert policy.assess(offer, POLICY, TODAY).level == "N3"


def test_it_never_grants_n4():
    result = policy.assess(sovereign(), POLICY, TODAY)
    n4 = [c for c in result.checks if c.level == "N4"]
    assert [c.rule for c in n4] == ["classified_out_of_scope"]
    assert not n4[0].passed


def test_it_holds_the_limits_inclusive():
    # "≤ 24 % each and ≤ 39 % together": exactly at the limit passes.
    offer = with_stakes(
        Stake("A", "US", Decimal(24), Decimal(24)), Stake("B", "CA", Decimal(15), Decimal(15))
    )
    assert policy.assess(offer, POLICY, TODAY).level == "N3"


@pytest.mark.parametrize(
    ("offer", "has_health", "failing_rule"),
    [
        (sovereign(), True, None),
        (sovereign(certifications=(snc(),)), False, "certification"),
        (sovereign(certifications=(snc(), hds(covers_offer=False))), False, "certification"),
        (sovereign(certifications=(snc(), hds(verification="pending"))), False, "certification"),
        # HDS v1 stops counting after 2026-05-16.
        (sovereign(certifications=(snc(), hds(version="1.1"))), False, "certification"),
        (with_locations(storage=("CH",)), False, "storage_location"),
    ],
)
def test_health_needs_a_valid_hds_v2_certificate_and_eea_storage(offer, has_health, failing_rule):
    result = policy.assess(offer, POLICY, TODAY)
    assert ("HEALTH" in result.flags) is has_health
    if failing_rule:
        assert failing_rule in failed(result, "HEALTH")


def test_hds_v1_still_counted_before_its_sunset():
    offer = sovereign(certifications=(snc(), hds(version="1.1")))
    assert "HEALTH" in policy.assess(offer, POLICY, date(2026, 5, 16)).flags
    assert "HEALTH" not in policy.assess(offer, POLICY, date(2026, 5, 17)).flags


@pytest.mark.parametrize(
    ("storage", "eligible"),
    [
        (("FR",), True),
        (("NO",), True),
        (("CH",), True),
        (("GB",), True),
        (("JP",), True),
        (("US",), False),
        (("FR", "US"), False),
        (("IN",), False),
        ((), False),
    ],
)
def test_personal_data_needs_storage_in_the_eea_or_an_adequacy_country(storage, eligible):
    result = policy.assess(with_locations(storage=storage), POLICY, TODAY)
    assert ("PERSONAL_DATA" in result.flags) is eligible


def test_a_hyperscaler_region_with_hds_is_health_eligible_but_not_n2():
    offer = sovereign(
        provider=ProviderFacts(
            "Hyperscaler France SAS",
            "FR",
            "FR",
            "FR",
            stakes=(Stake("Hyperscaler Inc.", "US", Decimal(100), Decimal(100)),),
        ),
        certifications=(snc(id=3, scheme="ISO27001", reference="ISO-1", version="2022"), hds()),
        dr_support=False,
    )
    result = policy.assess(offer, POLICY, TODAY)
    assert result.level == "N1"
    assert "HEALTH" in result.flags
    assert {"non_eu_holder_max", "non_eu_ownership_total", "certification"} <= failed(result, "N2")


@pytest.mark.parametrize(
    ("cert", "level"),
    [
        (snc(scheme="C5", reference="C5", version="2020", assurance="type2"), "N1"),
        (snc(scheme="C5", reference="C5", version="2020", assurance="type1"), "N0"),
        (snc(scheme="EUCS", reference="E", version="1", assurance="substantial"), "N1"),
        (snc(scheme="EUCS", reference="E", version="1", assurance="basic"), "N0"),
    ],
)
def test_n1_accepts_c5_type2_and_eucs_substantial(cert, level):
    assert policy.assess(sovereign(certifications=(cert,)), POLICY, TODAY).level == level


def test_an_operator_declared_equivalence_counts_as_secnumcloud():
    other = snc(scheme="EUCS", reference="E-HIGH", version="1", assurance="high")
    with_eq = replace(POLICY, equivalences=(Equivalence("EUCS", "SECNUMCLOUD", "3.2"),))
    assert policy.assess(sovereign(certifications=(other,)), POLICY, TODAY).level == "N1"
    assert policy.assess(sovereign(certifications=(other,)), with_eq, TODAY).level == "N3"


def test_it_records_the_failing_fact_in_the_check():
    result = policy.assess(
        with_stakes(
            Stake("A", "US", Decimal(20), Decimal(20)), Stake("B", "US", Decimal(21), Decimal(21))
        ),
        POLICY,
        TODAY,
    )
    check = next(c for c in result.checks if c.level == "N2" and c.rule == "non_eu_ownership_total")
    assert check.facts["total"] == "41" and check.facts["limit"] == "39"
    assert (
        check_reason(check.as_dict(), "en")
        == "Non-EU holders own 41 % together, the limit is 39 %."
    )
    assert "41 %" in check_reason(check.as_dict(), "fr") and "ensemble" in check_reason(
        check.as_dict(), "fr"
    )


def test_every_rule_has_a_sentence_in_both_languages():
    offers = [
        sovereign(),
        with_stakes(
            Stake("A", "US", Decimal(90), Decimal(90), True, True), registered_office_country="US"
        ),
        sovereign(
            certifications=(),
            locations={},
            dr_support=False,
            subcontractors=(SubcontractorFacts("X", "US", True, True, None, None),),
        ),
    ]
    for offer in offers:
        for check in policy.assess(offer, POLICY, TODAY).checks:
            for lang in ("fr", "en"):
                sentence = check_reason(check.as_dict(), lang)
                assert sentence and sentence != check.rule


def test_the_result_is_deterministic():
    first = policy.assess(sovereign(), POLICY, TODAY)
    second = policy.assess(sovereign(), POLICY, TODAY)
    assert first.checks_data() == second.checks_data() and first.level == second.level


@pytest.mark.parametrize(
    ("category", "activities", "has_health"),
    [
        ("iaas_compute", (1, 2, 3), True),
        ("iaas_compute", (1, 2, 5, 6), False),  # no virtual infrastructure (3)
        ("paas_database", (1, 2, 3, 5, 6), False),  # no application platform (4)
        ("paas_database", (4,), True),
        ("backup", (1, 2, 3), False),  # no external backup (6)
        ("saas_business", (5,), True),
    ],
)
def test_health_needs_the_hds_activities_the_offer_performs(category, activities, has_health):
    offer = sovereign(category=category, certifications=(snc(), hds(hds_activities=activities)))
    result = policy.assess(offer, POLICY, TODAY)
    assert ("HEALTH" in result.flags) is has_health
    check = next(c for c in result.checks if c.rule == "hds_activities")
    assert check.passed is has_health
    sentence = check_reason(check.as_dict(), "en")
    assert sentence.startswith("The HDS certificate covers activities")
    if not has_health:
        assert "missing" in sentence
        assert "HEALTH" not in {c["for"] for c in result.relied_certificates}
