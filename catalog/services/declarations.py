"""Supplier declarations and attestations (ESPD / DUME): what a provider
must hold to respond to a tender or accept an order."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors
from catalog.errors import CatalogError
from catalog.models import (
    Attestation,
    AttestationKind,
    ExclusionGround,
    MemberRole,
    Provider,
    ProviderMembership,
    SupplierDeclaration,
)
from catalog.services._common import _date, _forbidden, _invalid
from core.dates import add_months
from core.uploads import upload_accept

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Supplier declarations and attestations (ESPD / DUME)
#
# Exclusion grounds: Code de la commande publique L2141-1 to L2141-11,
# Directive 2014/24/EU art. 57. A buyer must exclude a supplier to which a
# mandatory ground applies; the window asks every provider for a signed
# declaration on honour and the periodic attestations the buyer would ask
# the winner for (R2143-6 to R2143-10, Code du travail D8222-5), and refuses
# a response or an order while any of them is missing or out of date.

# Longest validity of each attestation from its issue date: the URSSAF
# attestation is renewed every six months (D8222-5), the registration
# extract is accepted under three months old, the tax attestation covers a
# year of filings.
ATTESTATION_MAX_MONTHS = {"social": 6, "tax": 12, "registration": 3}


def declaration_digest(
    *,
    provider_id: int,
    grounds: dict[str, bool],
    comment: str,
    signer_name: str,
    signed_at: datetime,
    valid_until: date,
) -> str:
    """SHA-256 of the canonical declared content (sorted-key JSON, UTC
    time): anyone holding the declaration can recompute it."""
    canonical = json.dumps(
        {
            "provider": provider_id,
            "grounds": {k: bool(v) for k, v in sorted(grounds.items())},
            "comment": comment,
            "signer_name": signer_name,
            "signed_at": signed_at.astimezone(UTC).isoformat(),
            "valid_until": valid_until.isoformat(),
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _require_provider_admin(provider: Provider, actor: User | None) -> None:
    if (
        actor is None
        or not ProviderMembership.objects.filter(
            user_id=actor.pk, provider=provider, role=MemberRole.ADMIN
        ).exists()
    ):
        raise _forbidden(_("Only an administrator of the provider signs its declaration."))


@transaction.atomic
def declaration_sign(
    *,
    provider: Provider,
    actor: User,
    grounds: dict[str, Any],
    signer_name: str,
    comment: str = "",
) -> SupplierDeclaration:
    """Sign a declaration on honour of every exclusion ground; valid for
    ``SUPPLIER_DECLARATION_VALIDITY_MONTHS``. Signing again supersedes it."""
    _require_provider_admin(provider, actor)
    codes = set(ExclusionGround.values)
    if not isinstance(grounds, dict):
        raise _invalid("grounds", _("Answer every exclusion ground with true or false."))
    unknown = sorted(set(grounds) - codes)
    if unknown:
        raise _invalid(
            "grounds", _("Unknown exclusion grounds: %(names)s.") % {"names": ", ".join(unknown)}
        )
    missing = sorted(codes - set(grounds))
    if missing:
        raise _invalid(
            "grounds",
            _("Answer every exclusion ground; missing: %(names)s.") % {"names": ", ".join(missing)},
        )
    if any(not isinstance(v, bool) for v in grounds.values()):
        raise _invalid("grounds", _("Answer every exclusion ground with true or false."))
    signer_name = (signer_name or "").strip()
    if not signer_name:
        raise _invalid("signer_name", _("The signatory's full name is required."))
    comment = (comment or "").strip()
    now = timezone.now()
    valid_until = add_months(timezone.localdate(now), settings.SUPPLIER_DECLARATION_VALIDITY_MONTHS)
    clean = {code: grounds[code] for code in sorted(codes)}
    declaration = SupplierDeclaration.objects.create(
        provider=provider,
        grounds=clean,
        comment=comment,
        signer_name=signer_name,
        signed_by=actor,
        signed_at=now,
        valid_until=valid_until,
        content_sha256=declaration_digest(
            provider_id=provider.pk,
            grounds=clean,
            comment=comment,
            signer_name=signer_name,
            signed_at=now,
            valid_until=valid_until,
        ),
    )
    return declaration


@transaction.atomic
def attestation_create(
    *,
    provider: Provider,
    actor: User,
    kind: str,
    reference: str,
    issued_on: Any,
    expires_on: Any = None,
    document: File | None = None,
) -> Attestation:
    """Record an attestation. Its expiry is the issuer's, capped at the
    kind's longest validity (six months for the URSSAF one); by default
    that longest validity."""
    if kind not in AttestationKind.values:
        raise _invalid(
            "kind", _("Use one of %(names)s.") % {"names": ", ".join(AttestationKind.values)}
        )
    reference = (reference or "").strip()
    if not reference:
        raise _invalid("reference", _("The attestation's number or verification code is required."))
    issued = _date("issued_on", issued_on)
    if issued is None:
        raise _invalid("issued_on", _("The issue date is required."))
    today = timezone.localdate()
    if issued > today:
        raise _invalid("issued_on", _("The issue date cannot be in the future."))
    longest = add_months(issued, ATTESTATION_MAX_MONTHS[kind])
    expires = _date("expires_on", expires_on) or longest
    if expires <= issued:
        raise _invalid("expires_on", _("The expiry date must be after the issue date."))
    if expires > longest:
        raise _invalid(
            "expires_on",
            _("An attestation of this kind is valid %(months)s months at most (until %(until)s).")
            % {"months": ATTESTATION_MAX_MONTHS[kind], "until": longest.isoformat()},
        )
    if expires < today:
        raise _invalid("expires_on", _("This attestation has already expired."))
    attestation = Attestation(
        provider=provider,
        kind=kind,
        reference=reference,
        issued_on=issued,
        expires_on=expires,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    if document:
        attestation.document_sha256 = upload_accept("document", document, error=CatalogError)
        attestation.document = document
    attestation.save()
    return attestation


def provider_compliance_problems(
    provider: Provider, *, today: date | None = None
) -> dict[str, list[str]]:
    """What stops this provider from responding or accepting an order now,
    as field messages ({} when nothing does)."""
    today = today or timezone.localdate()
    problems: dict[str, list[str]] = {}
    current = selectors.declaration_current(provider)
    if current is None:
        problems["declaration"] = [
            "No signed declaration of the exclusion grounds (DUME): an administrator "
            "of the provider must sign one."
        ]
    elif current.valid_until < today:
        problems["declaration"] = [
            f"The declaration of the exclusion grounds expired on "
            f"{current.valid_until.isoformat()}: sign a new one."
        ]
    elif current.any_ground_applies:
        problems["declaration"] = [
            "The declaration states that an exclusion ground applies "
            "(Code de la commande publique L2141-1 to L2141-10)."
        ]
    latest = selectors.attestations_current(provider)
    for kind, label in AttestationKind.choices:
        attestation = latest.get(kind)
        if attestation is None:
            problems.setdefault("attestations", []).append(f"Missing attestation: {label}.")
        elif attestation.expires_on < today:
            problems.setdefault("attestations", []).append(
                f"Expired attestation ({attestation.expires_on.isoformat()}): {label}."
            )
    return problems


def provider_compliance_require(provider: Provider) -> None:
    """Raise a CatalogError (409) listing what is missing or expired."""
    problems = provider_compliance_problems(provider)
    if problems:
        raise CatalogError(
            _(
                "A valid declaration of the exclusion grounds and valid attestations are required "
                "to respond to a tender or accept an order."
            ),
            code="supplier_documents_required",
            http_status=409,
            fields=problems,
        )
