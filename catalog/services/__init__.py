"""Every write of the catalogue. Keyword-only, typed, ``<noun>_<verb>``.

Each service validates, writes inside a transaction and announces what
changed through ``catalog.signals``; the broker re-assesses after commit.
One module per sub-domain; this package re-exports their public names, so
``from catalog import services; services.offer_create(...)`` reads the same
whatever module holds the function."""

from catalog.errors import CatalogError
from catalog.services._common import assessment_request
from catalog.services.assessments import (
    AssessRun,
    _digest,
    assessment_json,
    checks_json,
    digest_payload,
    offers_assess,
    policy_version_bump,
)
from catalog.services.certificates import (
    CERT_FIELDS,
    PROVIDER_DECLARABLE_STATUSES,
    certification_create,
    certification_reject,
    certification_revoke,
    certification_suspend,
    certification_update,
    certification_verify,
    certifications_expire_due,
)
from catalog.services.declarations import (
    ATTESTATION_MAX_MONTHS,
    attestation_create,
    declaration_digest,
    declaration_sign,
    provider_compliance_problems,
    provider_compliance_require,
)
from catalog.services.identifiers import (
    french_vat_key,
    luhn_valid,
    siren_valid,
    siret_valid,
    vat_valid,
)
from catalog.services.imports import offers_import
from catalog.services.offers import (
    LOCATION_FIELDS,
    OFFER_FIELDS,
    OFFER_TRANSITIONS,
    offer_create,
    offer_publish,
    offer_refresh_derived,
    offer_subcontractors_set,
    offer_update,
    offer_withdraw,
)
from catalog.services.providers import (
    CONTROL_FIELDS,
    PROVIDER_FIELDS,
    provider_create,
    provider_reactivate,
    provider_stakes_set,
    provider_suspend,
    provider_update,
)
from core.errors import DomainError

__all__ = [
    "ATTESTATION_MAX_MONTHS",
    "CERT_FIELDS",
    "CONTROL_FIELDS",
    "LOCATION_FIELDS",
    "OFFER_FIELDS",
    "OFFER_TRANSITIONS",
    "PROVIDER_DECLARABLE_STATUSES",
    "PROVIDER_FIELDS",
    "AssessRun",
    "CatalogError",
    "DomainError",
    "_digest",
    "assessment_json",
    "assessment_request",
    "attestation_create",
    "certification_create",
    "certification_reject",
    "certification_revoke",
    "certification_suspend",
    "certification_update",
    "certification_verify",
    "certifications_expire_due",
    "checks_json",
    "declaration_digest",
    "declaration_sign",
    "digest_payload",
    "french_vat_key",
    "luhn_valid",
    "offer_create",
    "offer_publish",
    "offer_refresh_derived",
    "offer_subcontractors_set",
    "offer_update",
    "offer_withdraw",
    "offers_assess",
    "offers_import",
    "policy_version_bump",
    "provider_compliance_problems",
    "provider_compliance_require",
    "provider_create",
    "provider_reactivate",
    "provider_stakes_set",
    "provider_suspend",
    "provider_update",
    "siren_valid",
    "siret_valid",
    "vat_valid",
]
