"""Supply side: providers, their offers and certifications, the sensitivity
policy (as tables the operator edits) and the stored offer assessments.
One module per sub-domain, each model with its choices; every model is
imported here, so ``from catalog.models import Offer`` works and Django
finds them all."""

from catalog.models.certifications import (
    Certification,
    CertificationStatus,
    CertificationVerification,
    OperatorAction,
)
from catalog.models.declarations import (
    Attestation,
    AttestationKind,
    ExclusionGround,
    SupplierDeclaration,
)
from catalog.models.offers import (
    Offer,
    OfferAssessment,
    OfferStatus,
    ServiceCategory,
    Subcontractor,
    SubcontractorRole,
)
from catalog.models.policy import (
    BuyerCategory,
    CertificationScheme,
    DataFlag,
    LevelCertificationRequirement,
    PolicyVersion,
    SchemeEquivalence,
    SchemeVersionSunset,
    SensitivityLevel,
    Zone,
)
from catalog.models.providers import (
    MemberRole,
    OwnershipStake,
    Provider,
    ProviderMembership,
    ProviderStatus,
)

__all__ = [
    "Attestation",
    "AttestationKind",
    "BuyerCategory",
    "Certification",
    "CertificationScheme",
    "CertificationStatus",
    "CertificationVerification",
    "DataFlag",
    "ExclusionGround",
    "LevelCertificationRequirement",
    "MemberRole",
    "Offer",
    "OfferAssessment",
    "OfferStatus",
    "OperatorAction",
    "OwnershipStake",
    "PolicyVersion",
    "Provider",
    "ProviderMembership",
    "ProviderStatus",
    "SchemeEquivalence",
    "SchemeVersionSunset",
    "SensitivityLevel",
    "ServiceCategory",
    "Subcontractor",
    "SubcontractorRole",
    "SupplierDeclaration",
    "Zone",
]
