"""The rules: every level's and every flag's checks over an offer's facts,
and the highest level they grant (sources: see ``catalog.policy``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from catalog.policy.facts import (
    Assessment,
    CertFacts,
    CertRequirement,
    Check,
    FlagPolicy,
    LevelPolicy,
    OfferFacts,
    Policy,
    ProviderFacts,
)
from catalog.policy.tables import (
    ASSURANCE_RANK,
    DATA_ROLES,
    EU,
    HDS_ACTIVITIES_NEEDED,
    IN_PROGRESS,
    ZONES,
)

# --------------------------------------------------------------------------
# Helpers


def version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.replace("v", "").split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts) or (0,)


def version_at_least(version: str, minimum: str) -> bool:
    if not minimum:
        return True
    return version_tuple(version) >= version_tuple(minimum)


def _pct(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def _outside(countries: Iterable[str], zone: str) -> list[str]:
    allowed = ZONES[zone]
    if allowed is None:
        return []
    return sorted({c for c in countries if c not in allowed})


def cert_refusal(cert: CertFacts, policy: Policy, today: date) -> str | None:
    """Why a certificate counts for nothing today, or None when it counts."""
    if cert.status in IN_PROGRESS:
        return "in_progress"
    if cert.status in {"suspended", "revoked", "expired"}:
        return cert.status
    if cert.verification != "verified":
        return "unverified" if cert.verification == "pending" else "rejected"
    if cert.expires_on is not None and cert.expires_on < today:
        return "expired"
    if cert.issued_on is not None and cert.issued_on > today:
        return "not_yet_valid"
    for sunset in policy.sunsets:
        if (
            sunset.scheme == cert.scheme
            and today > sunset.invalid_after
            and not version_at_least(cert.version, sunset.version_below)
        ):
            return "version_sunset"
    if not cert.covers_offer:
        return "not_in_scope"
    return None


def _as_schemes(cert: CertFacts, policy: Policy) -> list[tuple[str, str]]:
    """(scheme, version) pairs a certificate counts as, its own first."""
    pairs = [(cert.scheme, cert.version)]
    for eq in policy.equivalences:
        if eq.scheme == cert.scheme:
            pairs.append((eq.counts_as, eq.counts_as_version or cert.version))
    return pairs


def _satisfies(cert: CertFacts, req: CertRequirement, policy: Policy) -> bool:
    for scheme, version in _as_schemes(cert, policy):
        if scheme != req.scheme or not version_at_least(version, req.min_version):
            continue
        if ASSURANCE_RANK.get(cert.assurance, 0) < ASSURANCE_RANK.get(req.min_assurance, 0):
            continue
        return True
    return False


def _cert_ref(cert: CertFacts) -> dict:
    return {
        "id": cert.id,
        "scheme": cert.scheme,
        "version": cert.version,
        "reference": cert.reference,
        "expires_on": cert.expires_on.isoformat() if cert.expires_on else None,
    }


def _certification_check(
    offer: OfferFacts,
    requirements: Iterable[CertRequirement],
    policy: Policy,
    today: date,
    **where: str,
) -> tuple[Check, CertFacts | None]:
    requirements = tuple(requirements)
    required = [
        {"scheme": r.scheme, "min_version": r.min_version, "min_assurance": r.min_assurance}
        for r in requirements
    ]
    rejected = []
    # Prefer the certificate that lasts longest: it carries the fewest warnings.
    for cert in sorted(offer.certifications, key=lambda c: c.expires_on or date.max, reverse=True):
        matching = [r for r in requirements if _satisfies(cert, r, policy)]
        if not matching:
            # A certificate of a required scheme but too old a version is
            # worth explaining (e.g. SecNumCloud 3.1 gives no §19.6 immunity).
            if any(cert.scheme == r.scheme for r in requirements):
                rejected.append({**_cert_ref(cert), "why": "version_too_low"})
            continue
        refusal = cert_refusal(cert, policy, today)
        if refusal is None:
            return Check(
                rule="certification", passed=True, facts={"certificate": _cert_ref(cert)}, **where
            ), cert
        rejected.append({**_cert_ref(cert), "why": refusal})
    return Check(
        rule="certification",
        passed=False,
        facts={"required": required, "rejected": rejected},
        **where,
    ), None


# --------------------------------------------------------------------------
# Rules


def _level_checks(
    offer: OfferFacts, lv: LevelPolicy, policy: Policy, today: date
) -> tuple[list[Check], CertFacts | None]:
    at = {"level": lv.code}
    checks: list[Check] = []
    relied: CertFacts | None = None

    if not lv.grantable:
        return [Check(rule="classified_out_of_scope", passed=False, facts={}, **at)], None

    if lv.data_zone != "ANY":
        for role in DATA_ROLES:
            countries = list(offer.locations.get(role, ()))
            outside = _outside(countries, lv.data_zone)
            checks.append(
                Check(
                    rule="data_location",
                    passed=bool(countries) and not outside,
                    facts={
                        "role": role,
                        "countries": countries,
                        "zone": lv.data_zone,
                        "outside": outside,
                    },
                    **at,
                )
            )
    if lv.administration_zone != "ANY":
        countries = list(offer.locations.get("administration", ()))
        outside = _outside(countries, lv.administration_zone)
        checks.append(
            Check(
                rule="administration_location",
                passed=bool(countries) and not outside,
                facts={"countries": countries, "zone": lv.administration_zone, "outside": outside},
                **at,
            )
        )
    if lv.support_zone != "ANY":
        countries = list(offer.locations.get("support", ()))
        outside = _outside(countries, lv.support_zone)
        checks.append(
            Check(
                rule="support_location",
                passed=not outside or offer.support_documented,
                facts={
                    "countries": countries,
                    "zone": lv.support_zone,
                    "outside": outside,
                    "documented": offer.support_documented,
                },
                **at,
            )
        )

    if lv.requires_eu_control:
        checks.extend(_control_checks(offer.provider, lv, at))

    if lv.forbid_non_eu_data_subcontractors:
        offending = sorted(
            f"{s.name} ({s.country})"
            for s in offer.subcontractors
            if s.has_data_access and s.country not in EU
        )
        checks.append(
            Check(
                rule="non_eu_subcontractor_access",
                passed=not offending,
                facts={"subcontractors": offending},
                **at,
            )
        )

    chained = [s for s in offer.subcontractors if s.in_catalog]
    if chained and lv.rank > 0:
        weakest = min(chained, key=lambda s: -1 if s.chain_rank is None else s.chain_rank)
        weakest_rank = -1 if weakest.chain_rank is None else weakest.chain_rank
        checks.append(
            Check(
                rule="subcontractor_chain",
                passed=weakest_rank >= lv.rank,
                facts={"subcontractor": weakest.name, "subcontractor_level": weakest.chain_level},
                **at,
            )
        )

    if lv.certification_requirements:
        check, relied = _certification_check(
            offer, lv.certification_requirements, policy, today, **at
        )
        checks.append(check)

    if lv.requires_dr_support:
        checks.append(Check(rule="dr_support", passed=offer.dr_support, facts={}, **at))

    if not checks:
        checks.append(Check(rule="no_requirement", passed=True, facts={}, **at))
    return checks, relied


def _control_checks(provider: ProviderFacts, lv: LevelPolicy, at: dict[str, str]) -> list[Check]:
    checks = []
    seats = {
        "registered_office": provider.registered_office_country,
        "central_administration": provider.central_administration_country,
        "main_establishment": provider.main_establishment_country,
    }
    outside = sorted(name for name, country in seats.items() if country not in EU)
    checks.append(
        Check(
            rule="provider_seats",
            passed=not outside,
            facts={"seats": seats, "outside": outside},
            **at,
        )
    )

    non_eu = [s for s in provider.stakes if s.country not in EU]
    if lv.max_non_eu_holder_pct is not None:
        largest = max(non_eu, key=lambda s: max(s.capital_pct, s.voting_pct), default=None)
        pct = max(largest.capital_pct, largest.voting_pct) if largest else Decimal(0)
        checks.append(
            Check(
                rule="non_eu_holder_max",
                passed=pct <= lv.max_non_eu_holder_pct,
                facts={
                    "holder": largest.holder if largest else None,
                    "country": largest.country if largest else None,
                    "pct": _pct(pct),
                    "limit": _pct(lv.max_non_eu_holder_pct),
                },
                **at,
            )
        )
    if lv.max_non_eu_total_pct is not None:
        capital = sum((s.capital_pct for s in non_eu), Decimal(0))
        voting = sum((s.voting_pct for s in non_eu), Decimal(0))
        total = max(capital, voting)
        checks.append(
            Check(
                rule="non_eu_ownership_total",
                passed=total <= lv.max_non_eu_total_pct,
                facts={
                    "total": _pct(total),
                    "capital": _pct(capital),
                    "voting": _pct(voting),
                    "limit": _pct(lv.max_non_eu_total_pct),
                },
                **at,
            )
        )
    vetoes = sorted(f"{s.holder} ({s.country})" for s in non_eu if s.has_veto)
    checks.append(Check(rule="non_eu_veto", passed=not vetoes, facts={"holders": vetoes}, **at))
    boards = sorted(f"{s.holder} ({s.country})" for s in non_eu if s.has_board_majority)
    checks.append(
        Check(rule="non_eu_board_majority", passed=not boards, facts={"holders": boards}, **at)
    )
    return checks


def _flag_checks(
    offer: OfferFacts, flag: FlagPolicy, policy: Policy, today: date
) -> tuple[list[Check], CertFacts | None]:
    at = {"flag": flag.code}
    checks: list[Check] = []
    relied = None
    if flag.required_scheme:
        req = CertRequirement(scheme=flag.required_scheme, min_version=flag.required_min_version)
        check, relied = _certification_check(offer, [req], policy, today, **at)
        checks.append(check)
        needed = (
            HDS_ACTIVITIES_NEEDED.get(offer.category, frozenset())
            if flag.required_scheme == "HDS"
            else ()
        )
        if relied is not None and needed:
            missing = sorted(set(needed) - set(relied.hds_activities))
            checks.append(
                Check(
                    rule="hds_activities",
                    passed=not missing,
                    facts={
                        "category": offer.category,
                        "needed": sorted(needed),
                        "covered": sorted(relied.hds_activities),
                        "missing": missing,
                    },
                    **at,
                )
            )
            if missing:
                relied = None
    if flag.storage_zone != "ANY":
        countries = list(offer.locations.get("storage", ()))
        outside = _outside(countries, flag.storage_zone)
        checks.append(
            Check(
                rule="storage_location",
                passed=bool(countries) and not outside,
                facts={"countries": countries, "zone": flag.storage_zone, "outside": outside},
                **at,
            )
        )
    return checks, relied


@dataclass(frozen=True)
class LevelsOutcome:
    """The level rules' part of an assessment: every level's checks, the
    highest level granted (None: not even the lowest) and the certificates
    relied on for the granted levels."""

    checks: tuple[Check, ...]
    granted: LevelPolicy | None
    relied: tuple[dict, ...]


@dataclass(frozen=True)
class FlagsOutcome:
    checks: tuple[Check, ...]
    flags: tuple[str, ...]
    relied: tuple[dict, ...]


def assess_levels(offer: OfferFacts, policy: Policy, today: date) -> LevelsOutcome:
    """The highest level whose rules, and those of every level below it, all
    pass. Never reads the offer's category (only flags do): the offers of one
    provider that differ only by category share this part."""
    checks: list[Check] = []
    granted: LevelPolicy | None = None
    relied: list[dict] = []
    still_climbing = True
    for lv in sorted(policy.levels, key=lambda item: item.rank):
        level_checks, cert = _level_checks(offer, lv, policy, today)
        checks.extend(level_checks)
        if still_climbing and all(c.passed for c in level_checks):
            granted = lv
            if cert is not None:
                relied.append({**_cert_ref(cert), "for": lv.code})
        else:
            still_climbing = False
    return LevelsOutcome(checks=tuple(checks), granted=granted, relied=tuple(relied))


def assess_flags(offer: OfferFacts, policy: Policy, today: date) -> FlagsOutcome:
    """The flags whose rules all pass."""
    checks: list[Check] = []
    relied: list[dict] = []
    flags = []
    for flag in policy.flags:
        flag_checks, cert = _flag_checks(offer, flag, policy, today)
        checks.extend(flag_checks)
        if all(c.passed for c in flag_checks):
            flags.append(flag.code)
            if cert is not None:
                relied.append({**_cert_ref(cert), "for": flag.code})
    return FlagsOutcome(checks=tuple(checks), flags=tuple(sorted(flags)), relied=tuple(relied))


def assessment_of(levels: LevelsOutcome, flags: FlagsOutcome) -> Assessment:
    checks = [*levels.checks, *flags.checks]
    if levels.granted is None:
        # Only possible when the operator gives the lowest level rules of its
        # own: the offer then qualifies for nothing, not even open data.
        return Assessment(level="", level_rank=-1, flags=list(flags.flags), checks=checks)
    return Assessment(
        level=levels.granted.code,
        level_rank=levels.granted.rank,
        flags=list(flags.flags),
        checks=checks,
        relied_certificates=[*levels.relied, *flags.relied],
    )


def assess(offer: OfferFacts, policy: Policy, today: date) -> Assessment:
    """The highest level whose rules, and those of every level below it, all
    pass; the flags whose rules all pass; every check, passed or not."""
    return assessment_of(assess_levels(offer, policy, today), assess_flags(offer, policy, today))
