"""The sensitivity policy, as tables the operator edits (DESIGN §2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models._base import PERCENT


class PolicyVersion(models.Model):
    """Every edit of a policy table creates a new version; every assessment
    records the version it was computed with."""

    number = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"v{self.number}"


class Zone(models.TextChoices):
    ANY = "ANY", _("anywhere")
    EEA_ADEQUACY = "EEA_ADEQUACY", _("EEA or a GDPR adequacy country")
    EEA = "EEA", _("European Economic Area")
    EU = "EU", _("European Union")
    FR = "FR", _("France")


class CertificationScheme(models.Model):
    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    issuer = models.CharField(max_length=120)
    validity_months = models.PositiveSmallIntegerField(default=36)
    # SecNumCloud is granted per service; ISO 27001 or HDS per perimeter. In
    # both cases we only count a certificate for the offers in its scope.
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SchemeVersionSunset(models.Model):
    """A scheme version that stops counting after a date, e.g. HDS v1 after
    2026-05-16 (end of the transition to the HDS v2 referential, arrêté du
    26 avril 2024)."""

    scheme = models.ForeignKey(
        CertificationScheme, on_delete=models.CASCADE, related_name="sunsets"
    )
    version_below = models.CharField(
        max_length=20, help_text=_("Versions strictly below this one stop counting.")
    )
    invalid_after = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scheme", "version_below"], name="uniq_scheme_sunset")
        ]


class SchemeEquivalence(models.Model):
    """The operator declares that a scheme counts as another one."""

    scheme = models.ForeignKey(CertificationScheme, on_delete=models.CASCADE, related_name="+")
    counts_as = models.ForeignKey(CertificationScheme, on_delete=models.CASCADE, related_name="+")
    counts_as_version = models.CharField(max_length=20, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scheme", "counts_as"], name="uniq_scheme_equivalence"),
            models.CheckConstraint(
                condition=~Q(scheme=models.F("counts_as")), name="equivalence_not_self"
            ),
        ]


class SensitivityLevel(models.Model):
    """One row per ordinal level N0..N4 with the parameters of its rules."""

    code = models.CharField(max_length=2, unique=True)
    rank = models.PositiveSmallIntegerField(unique=True)
    label_fr = models.CharField(max_length=80)
    label_en = models.CharField(max_length=80)
    description_fr = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    grantable = models.BooleanField(
        default=True, help_text=_("False for classified data: never matched, refused.")
    )
    data_zone = models.CharField(max_length=20, choices=Zone.choices, default=Zone.ANY)
    administration_zone = models.CharField(max_length=20, choices=Zone.choices, default=Zone.ANY)
    support_zone = models.CharField(
        max_length=20,
        choices=Zone.choices,
        default=Zone.ANY,
        help_text=_("Support outside this zone passes only when documented."),
    )
    requires_eu_control = models.BooleanField(
        default=False, help_text=_("SecNumCloud 3.2 §19.6: seats, ownership and control in the EU")
    )
    max_non_eu_holder_pct = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    max_non_eu_total_pct = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    forbid_non_eu_data_subcontractors = models.BooleanField(default=False)
    requires_dr_support = models.BooleanField(default=False)

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.code


class LevelCertificationRequirement(models.Model):
    """Any one of a level's requirements satisfies its certification rule."""

    level = models.ForeignKey(
        SensitivityLevel, on_delete=models.CASCADE, related_name="certification_requirements"
    )
    scheme = models.ForeignKey(CertificationScheme, on_delete=models.PROTECT, related_name="+")
    min_version = models.CharField(max_length=20, blank=True)
    min_assurance = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["level", "scheme"], name="uniq_level_scheme_requirement"
            )
        ]


class DataFlag(models.Model):
    code = models.CharField(max_length=20, unique=True)
    label_fr = models.CharField(max_length=80)
    label_en = models.CharField(max_length=80)
    storage_zone = models.CharField(max_length=20, choices=Zone.choices, default=Zone.ANY)
    required_scheme = models.ForeignKey(
        CertificationScheme, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    required_min_version = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class BuyerCategory(models.Model):
    code = models.CharField(max_length=30, unique=True)
    label_fr = models.CharField(max_length=80)
    label_en = models.CharField(max_length=80)
    # For State bodies, health data is at least N2 (doctrine "cloud au centre").
    health_min_level = models.ForeignKey(
        SensitivityLevel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "buyer categories"

    def __str__(self) -> str:
        return self.code
