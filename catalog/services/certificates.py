"""Certificates: declared by their provider with evidence, decided by the
operator (verify, reject, revoke, suspend), expired by the calendar. Every
change re-assesses the offers in their scope."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import CatalogError
from catalog.models import (
    Certification,
    CertificationScheme,
    CertificationStatus,
    Offer,
    Provider,
)
from catalog.services._common import (
    _countries,
    _date,
    _invalid,
    _operator_record,
    _required_reason,
    assessment_request,
)
from core.uploads import upload_check, upload_digest, upload_store_name

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CERT_FIELDS = {
    "scheme",
    "scheme_version",
    "assurance",
    "reference",
    "status",
    "issued_on",
    "expires_on",
    "scope_offers",
    "scope_countries",
    "hds_activities",
    "evidence",
    "evidence_url",
}
# A provider may declare these statuses; suspension, revocation and expiry
# come from the issuer through the operator or from the calendar.
PROVIDER_DECLARABLE_STATUSES = {"j0", "j1", "j2", "valid"}


def _cert_clean(
    provider: Provider, data: dict[str, Any], *, instance: Certification | None
) -> dict[str, Any]:
    unknown = set(data) - CERT_FIELDS
    if unknown:
        raise CatalogError(_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    clean = dict(data)
    if "scheme" in clean:
        scheme = clean["scheme"]
        if not isinstance(scheme, CertificationScheme):
            scheme = CertificationScheme.objects.filter(code=str(scheme)).first()
            if scheme is None:
                raise _invalid("scheme", _("Unknown certification scheme."))
        clean["scheme"] = scheme
    if "reference" in clean:
        clean["reference"] = (clean["reference"] or "").strip()
        if not clean["reference"]:
            raise _invalid("reference", _("The certificate reference is required."))
    if "status" in clean and clean["status"] not in PROVIDER_DECLARABLE_STATUSES:
        raise _invalid(
            "status",
            _(
                "A provider declares a certificate as in progress (j0, j1, j2) or valid; "
                "suspension, revocation and expiry are recorded by the operator."
            ),
        )
    for field in ("issued_on", "expires_on"):
        if field in clean:
            clean[field] = _date(field, clean[field])
    issued = clean.get("issued_on", instance.issued_on if instance else None)
    expires = clean.get("expires_on", instance.expires_on if instance else None)
    if issued and expires and expires <= issued:
        raise _invalid("expires_on", _("The expiry date must be after the issue date."))
    status = clean.get("status", instance.status if instance else "valid")
    if status == "valid" and not expires:
        raise _invalid("expires_on", _("A valid certificate has an expiry date."))
    if "scope_offers" in clean:
        ids = [o.pk if isinstance(o, Offer) else int(o) for o in clean["scope_offers"] or []]
        owned = set(
            Offer.objects.filter(provider=provider, pk__in=ids).values_list("pk", flat=True)
        )
        foreign = [i for i in ids if i not in owned]
        if foreign:
            raise _invalid(
                "scope_offers",
                _("Offers %(foreign)s are not offers of this provider.") % {"foreign": foreign},
            )
        clean["scope_offers"] = sorted(owned)
    if "scope_countries" in clean:
        clean["scope_countries"] = _countries("scope_countries", clean["scope_countries"] or [])
    if "hds_activities" in clean:
        acts = clean["hds_activities"] or []
        if any(not isinstance(a, int) or a < 1 or a > 6 for a in acts):
            raise _invalid("hds_activities", _("HDS activities are numbered 1 to 6."))
        clean["hds_activities"] = sorted(set(acts))
    evidence = clean.get("evidence")
    if evidence:
        upload_check("evidence", evidence, error=CatalogError)
    return clean


def _cert_affected_offers(cert: Certification, extra: Iterable[int] = ()) -> list[int]:
    return sorted(set(cert.scope_offers.values_list("pk", flat=True)) | set(extra))


@transaction.atomic
def certification_create(*, provider: Provider, actor: User | None, **data: Any) -> Certification:
    for required in ("scheme", "reference"):
        if not data.get(required):
            raise _invalid(required, _("This field is required."))
    clean = _cert_clean(provider, data, instance=None)
    if Certification.objects.filter(scheme=clean["scheme"], reference=clean["reference"]).exists():
        raise _invalid("reference", _("This certificate is already registered."))
    scope = clean.pop("scope_offers", [])
    evidence = clean.pop("evidence", None)
    cert = Certification(provider=provider, **clean)
    if evidence:
        cert.evidence_sha256 = upload_digest(evidence)
        evidence.name = upload_store_name(evidence)
        cert.evidence = evidence
    cert.save()
    cert.scope_offers.set(scope)
    assessment_request(offer_ids=_cert_affected_offers(cert), reason="certification_created")
    return cert


@transaction.atomic
def certification_update(
    *, certification: Certification, actor: User, **data: Any
) -> Certification:
    """A provider's edit of anything the engine reads sends the certificate
    back to the operator's verification queue: a verified certificate whose
    scope or dates changed is no longer what the operator verified."""
    cert = Certification.objects.select_for_update().get(pk=certification.pk)
    clean = _cert_clean(cert.provider, data, instance=cert)
    before = set(cert.scope_offers.values_list("pk", flat=True))
    scope = clean.pop("scope_offers", None)
    evidence = clean.pop("evidence", None)
    changed = any(getattr(cert, f) != v for f, v in clean.items())
    if scope is not None and set(scope) != before:
        changed = True
    if evidence:
        cert.evidence_sha256 = upload_digest(evidence)
        evidence.name = upload_store_name(evidence)
        cert.evidence = evidence
        changed = True
    if not changed:
        return cert
    for field, value in clean.items():
        setattr(cert, field, value)
    cert.verification = Certification.Verification.PENDING
    cert.verified_by = None
    cert.verified_at = None
    cert.verification_reason = ""
    cert.save()
    if scope is not None:
        cert.scope_offers.set(scope)
    assessment_request(offer_ids=_cert_affected_offers(cert, before), reason="certification_edited")
    return cert


def _cert_decide(
    certification: Certification,
    *,
    actor: User,
    action: str,
    reason: str = "",
    verification: str | None = None,
    status: str | None = None,
) -> Certification:
    cert = Certification.objects.select_for_update().get(pk=certification.pk)
    if verification is not None:
        cert.verification = verification
        cert.verified_by = actor
        cert.verified_at = timezone.now()
        cert.verification_reason = reason
    if status is not None:
        cert.status = status
        cert.verification_reason = reason or cert.verification_reason
    cert.save()
    _operator_record(
        actor=actor,
        action=action,
        obj=cert,
        reason=reason,
        data={"status": cert.status, "verification": cert.verification},
    )
    assessment_request(offer_ids=_cert_affected_offers(cert), reason=action)
    return cert


@transaction.atomic
def certification_verify(*, certification: Certification, actor: User) -> Certification:
    if certification.status in {"revoked"}:
        raise CatalogError(
            _("A revoked certificate cannot be verified."), code="conflict", http_status=409
        )
    return _cert_decide(
        certification,
        actor=actor,
        action="certification.verify",
        verification=Certification.Verification.VERIFIED,
    )


@transaction.atomic
def certification_reject(
    *, certification: Certification, actor: User, reason: str
) -> Certification:
    return _cert_decide(
        certification,
        actor=actor,
        action="certification.reject",
        reason=_required_reason(reason, _("A reason is required to reject evidence.")),
        verification=Certification.Verification.REJECTED,
    )


@transaction.atomic
def certification_revoke(
    *, certification: Certification, actor: User, reason: str
) -> Certification:
    return _cert_decide(
        certification,
        actor=actor,
        action="certification.revoke",
        reason=_required_reason(reason, _("A reason is required to revoke a certificate.")),
        status=CertificationStatus.REVOKED,
    )


@transaction.atomic
def certification_suspend(
    *, certification: Certification, actor: User, reason: str
) -> Certification:
    return _cert_decide(
        certification,
        actor=actor,
        action="certification.suspend",
        reason=_required_reason(reason, _("A reason is required to suspend a certificate.")),
        status=CertificationStatus.SUSPENDED,
    )


def certifications_expire_due(*, today: date | None = None) -> list[int]:
    """Mark valid certificates past their expiry date as expired. Idempotent:
    a second run finds nothing left to expire."""
    today = today or timezone.localdate()
    expired = []
    with transaction.atomic():
        due = list(
            Certification.objects.select_for_update(skip_locked=True).filter(
                status=CertificationStatus.VALID, expires_on__lt=today
            )
        )
        for cert in due:
            cert.status = CertificationStatus.EXPIRED
            cert.save(update_fields=["status", "updated_at"])
            _operator_record(
                actor=None,
                action="certification.expire",
                obj=cert,
                data={"expires_on": str(cert.expires_on)},
            )
            assessment_request(
                offer_ids=_cert_affected_offers(cert), reason="certification_expired"
            )
            expired.append(cert.pk)
    return expired
