"""The engine's plain data: the policy and an offer's facts in, the checks
and the assessment out (``catalog.selectors.facts`` builds the inputs from
rows; ``catalog.texts`` renders each check's sentence)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# --------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class CertRequirement:
    scheme: str
    min_version: str = ""
    min_assurance: str = ""


@dataclass(frozen=True)
class LevelPolicy:
    code: str
    rank: int
    grantable: bool = True
    data_zone: str = "ANY"
    administration_zone: str = "ANY"
    support_zone: str = "ANY"
    requires_eu_control: bool = False
    max_non_eu_holder_pct: Decimal | None = None
    max_non_eu_total_pct: Decimal | None = None
    forbid_non_eu_data_subcontractors: bool = False
    requires_dr_support: bool = False
    certification_requirements: tuple[CertRequirement, ...] = ()


@dataclass(frozen=True)
class FlagPolicy:
    code: str
    storage_zone: str = "ANY"
    required_scheme: str = ""
    required_min_version: str = ""


@dataclass(frozen=True)
class Equivalence:
    scheme: str
    counts_as: str
    counts_as_version: str = ""


@dataclass(frozen=True)
class Sunset:
    scheme: str
    version_below: str
    invalid_after: date


@dataclass(frozen=True)
class Policy:
    version: int
    levels: tuple[LevelPolicy, ...]
    flags: tuple[FlagPolicy, ...] = ()
    equivalences: tuple[Equivalence, ...] = ()
    sunsets: tuple[Sunset, ...] = ()

    def level(self, code: str) -> LevelPolicy:
        return next(lv for lv in self.levels if lv.code == code)


@dataclass(frozen=True)
class Stake:
    holder: str
    country: str
    capital_pct: Decimal
    voting_pct: Decimal
    has_veto: bool = False
    has_board_majority: bool = False


@dataclass(frozen=True)
class ProviderFacts:
    name: str
    registered_office_country: str
    central_administration_country: str
    main_establishment_country: str
    stakes: tuple[Stake, ...] = ()


@dataclass(frozen=True)
class CertFacts:
    id: int
    scheme: str
    reference: str
    version: str = ""
    assurance: str = ""
    status: str = "valid"
    verification: str = "verified"
    issued_on: date | None = None
    expires_on: date | None = None
    covers_offer: bool = True
    hds_activities: tuple[int, ...] = ()


@dataclass(frozen=True)
class SubcontractorFacts:
    name: str
    country: str
    has_data_access: bool
    # The assessed level of the subcontractor's own catalogue offer, when it
    # is one: (code, rank), or None when it is in the catalogue but not yet
    # assessed; ``in_catalog`` False when it is not a catalogue offer.
    in_catalog: bool = False
    chain_level: str | None = None
    chain_rank: int | None = None


@dataclass(frozen=True)
class OfferFacts:
    id: int
    provider: ProviderFacts
    locations: dict[str, tuple[str, ...]]
    support_documented: bool = False
    dr_support: bool = False
    certifications: tuple[CertFacts, ...] = ()
    subcontractors: tuple[SubcontractorFacts, ...] = ()
    # The service category: which HDS activities the offer performs.
    category: str = ""


# --------------------------------------------------------------------------
# Outputs


@dataclass(frozen=True)
class Check:
    rule: str
    passed: bool
    facts: dict
    level: str | None = None
    flag: str | None = None

    def as_dict(self) -> dict:
        return {
            "level": self.level,
            "flag": self.flag,
            "rule": self.rule,
            "passed": self.passed,
            "facts": self.facts,
        }


@dataclass
class Assessment:
    level: str
    level_rank: int
    flags: list[str]
    checks: list[Check]
    relied_certificates: list[dict] = field(default_factory=list)

    def checks_data(self) -> list[dict]:
        return [c.as_dict() for c in self.checks]
