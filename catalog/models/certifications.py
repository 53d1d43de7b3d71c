"""Certificates, and the operator's record of its decisions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models._base import _choices_check
from catalog.models.offers import Offer
from catalog.models.policy import CertificationScheme
from catalog.models.providers import Provider


class CertificationStatus(models.TextChoices):
    J0 = "j0", _("in progress — J0 (application accepted)")
    J1 = "j1", _("in progress — J1 (assessment under way)")
    J2 = "j2", _("in progress — J2 (assessment done, decision pending)")
    VALID = "valid", _("valid")
    SUSPENDED = "suspended", _("suspended")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")


class CertificationVerification(models.TextChoices):
    PENDING = "pending", _("pending")
    VERIFIED = "verified", _("verified")
    REJECTED = "rejected", _("rejected")


class Certification(models.Model):
    Verification = CertificationVerification

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="certifications")
    scheme = models.ForeignKey(
        CertificationScheme, on_delete=models.PROTECT, related_name="certifications"
    )
    scheme_version = models.CharField(max_length=20, blank=True)
    assurance = models.CharField(
        max_length=20, blank=True, help_text=_("e.g. C5 'type2', EUCS 'substantial' or 'high'")
    )
    reference = models.CharField(max_length=100)
    status = models.CharField(
        max_length=12, choices=CertificationStatus.choices, default=CertificationStatus.VALID
    )
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    scope_offers = models.ManyToManyField(Offer, blank=True, related_name="certifications")
    scope_countries = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    hds_activities = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    evidence = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    evidence_url = models.URLField(
        blank=True, help_text=_("Public register entry, e.g. ANSSI or ANS")
    )
    verification = models.CharField(
        max_length=10, choices=Verification.choices, default=Verification.PENDING
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheme__code", "-expires_on"]
        constraints = [
            models.CheckConstraint(
                condition=_choices_check("status", CertificationStatus.choices),
                name="certification_status_valid",
            ),
            models.CheckConstraint(
                condition=_choices_check("verification", CertificationVerification.choices),
                name="certification_verification_valid",
            ),
            models.CheckConstraint(
                condition=Q(issued_on__isnull=True)
                | Q(expires_on__isnull=True)
                | Q(expires_on__gt=models.F("issued_on")),
                name="certification_expires_after_issue",
            ),
            models.UniqueConstraint(
                fields=["scheme", "reference"], name="uniq_certification_reference"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.scheme.code} {self.scheme_version} {self.reference}".strip()


class OperatorAction(models.Model):
    """Who did what and when, for the operator's decisions on the catalogue.

    The append-only, hash-chained audit log of the broker subsumes this; this
    table keeps the catalogue's own record readable in the admin."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
