"""The sensitivity policy engine: plain data in, an explained assessment out.

No ORM here. ``catalog.selectors`` turns rows into the dataclasses of
``facts`` and ``catalog.services.offers_assess`` stores the result of
``engine``, the rules over the tables of ``tables``. Every rule emits a check
``{level|flag, rule, passed, facts}``; ``catalog.texts`` renders its
sentence in the reader's language.

Sources of the rules (DESIGN §2):
- doctrine « cloud au centre » (circulaire 6404/SG of 31 May 2023), rule R9,
  and loi SREN n° 2024-449 art. 31 for data of particular sensitivity (N2);
- ANSSI SecNumCloud referential v3.2 §19.6 for immunity from non-EU law:
  seats in the EU, non-EU holders ≤ 24 % each and ≤ 39 % together, no
  non-EU veto or control of the board, no data access by non-EU
  subcontractors;
- II 901 for Diffusion Restreinte (N3), IGI 1300 for classified data (N4);
- HDS referential v2 (arrêté of 26 April 2024), HDS v1 certificates stop
  counting after 2026-05-16;
- GDPR chapter V (art. 45 adequacy decisions) for personal data.
"""

from catalog.policy.engine import (
    FlagsOutcome,
    LevelsOutcome,
    assess,
    assess_flags,
    assess_levels,
    assessment_of,
    cert_refusal,
    version_at_least,
    version_tuple,
)
from catalog.policy.facts import (
    Assessment,
    CertFacts,
    CertRequirement,
    Check,
    Equivalence,
    FlagPolicy,
    LevelPolicy,
    OfferFacts,
    Policy,
    ProviderFacts,
    Stake,
    SubcontractorFacts,
    Sunset,
)
from catalog.policy.tables import (
    ADEQUACY,
    ASSURANCE_RANK,
    DATA_ROLES,
    EEA,
    EU,
    HDS_ACTIVITIES_NEEDED,
    IN_PROGRESS,
    LOCATION_ROLES,
    ZONES,
)

__all__ = [
    "ADEQUACY",
    "ASSURANCE_RANK",
    "DATA_ROLES",
    "EEA",
    "EU",
    "HDS_ACTIVITIES_NEEDED",
    "IN_PROGRESS",
    "LOCATION_ROLES",
    "ZONES",
    "Assessment",
    "CertFacts",
    "CertRequirement",
    "Check",
    "Equivalence",
    "FlagPolicy",
    "FlagsOutcome",
    "LevelPolicy",
    "LevelsOutcome",
    "OfferFacts",
    "Policy",
    "ProviderFacts",
    "Stake",
    "SubcontractorFacts",
    "Sunset",
    "assess",
    "assess_flags",
    "assess_levels",
    "assessment_of",
    "cert_refusal",
    "version_at_least",
    "version_tuple",
]
