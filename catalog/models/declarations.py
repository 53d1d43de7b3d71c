"""Supplier declarations and attestations (ESPD / DUME)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models._base import _choices_check
from catalog.models.providers import Provider


class ExclusionGround(models.TextChoices):
    """The exclusion grounds a supplier declares on its honour (the DUME,
    French form of the ESPD). Mandatory grounds: Code de la commande
    publique L2141-1 (convictions), L2141-2 (taxes and social
    contributions), L2141-3 (liquidation, insolvency), L2141-4 (illegal
    work, labour law), L2141-5 (no tax/social compliance arrangement);
    grounds the buyer may apply: L2141-7 (serious professional misconduct,
    earlier contract terminated), L2141-8 (misrepresentation, undue
    influence), L2141-9 (distortion of competition), L2141-10 (conflict of
    interest) — Directive 2014/24/EU art. 57(1)-(4). L2141-11 lets a
    supplier show it has remedied a ground (self-cleaning, art. 57(6)): the
    window leaves that to the buyer, so any ground ticked excludes."""

    CRIMINAL_CONVICTION = (
        "criminal_conviction",
        _(
            "final conviction for fraud, corruption, terrorism, "
            "money laundering, trafficking (L2141-1)"
        ),
    )
    TAXES_SOCIAL = "taxes_social", _("taxes or social contributions unpaid (L2141-2, L2141-5)")
    INSOLVENCY = (
        "insolvency",
        _("liquidation, insolvency or receivership without authorisation to continue (L2141-3)"),
    )
    ILLEGAL_WORK = (
        "illegal_work",
        _("conviction for illegal work or breach of labour law (L2141-4)"),
    )
    PROFESSIONAL_MISCONDUCT = (
        "professional_misconduct",
        _("serious professional misconduct or an earlier contract terminated for breach (L2141-7)"),
    )
    MISREPRESENTATION = (
        "misrepresentation",
        _("misrepresentation or undue influence on a procedure (L2141-8)"),
    )
    DISTORTION_OF_COMPETITION = (
        "distortion_of_competition",
        _("agreement distorting competition (L2141-9)"),
    )
    CONFLICT_OF_INTEREST = (
        "conflict_of_interest",
        _("conflict of interest that cannot be remedied (L2141-10)"),
    )


class SupplierDeclaration(models.Model):
    """A signed declaration on honour of the exclusion grounds. Rows are
    never edited: a new signature makes a new row, the latest one counts
    (the history stays for the buyers' procurement records)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="declarations")
    # {ground code: bool "this ground applies to us"}, every ground answered.
    grounds = models.JSONField()
    comment = models.TextField(blank=True)
    signer_name = models.CharField(max_length=200)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField()
    valid_until = models.DateField()
    # SHA-256 of the canonical declared content (catalog.services.declaration_digest).
    content_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_sha256__regex=r"^[0-9a-f]{64}$"), name="declaration_sha256_hex"
            ),
        ]
        indexes = [models.Index(fields=["provider", "-signed_at"])]

    @property
    def any_ground_applies(self) -> bool:
        return any(self.grounds.values())


class AttestationKind(models.TextChoices):
    # Code du travail L8222-1 and D8222-5: the buyer obtains it when the
    # contract is concluded and every six months until it ends.
    SOCIAL = "social", _("social contributions (URSSAF attestation de vigilance)")
    # Code de la commande publique R2143-7 / arrêté du 22 mars 2019.
    TAX = "tax", _("tax compliance (attestation de régularité fiscale)")
    # Registration extract under three months old (R2143-9; K-bis or equivalent).
    REGISTRATION = "registration", _("company registration extract (K-bis or equivalent)")


class Attestation(models.Model):
    """A periodic attestation uploaded by a provider, with its expiry. The
    latest one of each kind counts."""

    Kind = AttestationKind

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="attestations")
    kind = models.CharField(max_length=20, choices=AttestationKind.choices)
    # The issuer's verification code (URSSAF « code de sécurité ») or number.
    reference = models.CharField(max_length=100)
    issued_on = models.DateField()
    expires_on = models.DateField()
    document = models.FileField(upload_to="attestations/%Y/%m/", blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-expires_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_choices_check("kind", AttestationKind.choices),
                name="attestation_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("issued_on")),
                name="attestation_expires_after_issue",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "kind", "-expires_on"]),
            models.Index(fields=["expires_on"]),
        ]
