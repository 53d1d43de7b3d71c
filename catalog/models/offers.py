"""Offers, their subcontractors and their stored assessments."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog import units
from catalog.cpv import CLOUD_CPV_CHOICES
from catalog.models._base import PERCENT, _choices_check
from catalog.models.providers import Provider


class ServiceCategory(models.TextChoices):
    IAAS_COMPUTE = "iaas_compute", _("IaaS — compute")
    IAAS_STORAGE = "iaas_storage", _("IaaS — object and block storage")
    BACKUP = "backup", _("Backup and disaster recovery")
    PAAS_DATABASE = "paas_database", _("PaaS — managed databases")
    PAAS_CONTAINERS = "paas_containers", _("PaaS — containers and Kubernetes")
    SAAS_COLLABORATION = "saas_collaboration", _("SaaS — collaboration and office")
    SAAS_BUSINESS = "saas_business", _("SaaS — business applications")
    HOSTING = "hosting", _("Web and application hosting")
    NETWORK = "network", _("Network and connectivity")


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Offer(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="offers")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=30, choices=ServiceCategory.choices)
    cpv_code = models.CharField(max_length=10, choices=CLOUD_CPV_CHOICES)
    unit = models.CharField(max_length=20, choices=units.UNIT_CHOICES)
    unit_price = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("EUR excl. VAT per unit of sale"),
    )
    price_is_illustrative = models.BooleanField(default=False)
    # Derived from unit and unit_price by offer services, for comparison.
    normalised_unit = models.CharField(max_length=20, editable=False, default="")
    # 18 digits: the highest unit price the API accepts, sold per hour, is
    # 730 times larger per month (units.HOURS_PER_MONTH).
    normalised_price = models.DecimalField(
        max_digits=18, decimal_places=6, editable=False, default=0
    )
    minimum_commitment = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Minimum quantity, in units of sale"),
    )
    minimum_months = models.PositiveSmallIntegerField(default=0)
    capacity = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Maximum quantity that can be ordered, in units of sale; empty for no limit"),
    )
    sla_pct = models.DecimalField(
        max_digits=6, decimal_places=3, null=True, blank=True, validators=PERCENT
    )
    storage_countries = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    processing_countries = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    backup_countries = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    technical_data_countries = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    administration_countries = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    support_countries = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    support_documented = models.BooleanField(
        default=False, help_text=_("Support arrangements outside the EU are documented")
    )
    # Union of storage, processing, backup and technical-data countries: what
    # the `location` filter tests with one indexed array containment.
    data_countries = ArrayField(models.CharField(max_length=2), default=list, editable=False)
    dr_support = models.BooleanField(
        default=False, help_text=_("Declares support for Diffusion Restreinte homologation")
    )
    status = models.CharField(max_length=12, choices=OfferStatus.choices, default=OfferStatus.DRAFT)
    search_document = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_choices_check("status", OfferStatus.choices), name="offer_status_valid"
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="offer_price_non_negative"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True)
                | Q(capacity__gte=models.F("minimum_commitment")),
                name="offer_capacity_above_minimum",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "category"]),
            models.Index(fields=["normalised_price", "id"]),
            GinIndex(fields=["search_document"]),
            GinIndex(fields=["data_countries"]),
            # Matching (broker.matching._candidate_query): its filter columns,
            # then what it scores, so that the offers of a category are read
            # from the index alone (index-only scan) rather than from the
            # wide offer rows (issue 6).
            models.Index(
                fields=["category", "status", "unit", "minimum_months"],
                include=[
                    "id",
                    "provider",
                    "normalised_price",
                    "sla_pct",
                    "minimum_commitment",
                    "capacity",
                    "data_countries",
                ],
                name="offer_matching_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def location_map(self) -> dict[str, list[str]]:
        return {
            "storage": list(self.storage_countries),
            "processing": list(self.processing_countries),
            "backup": list(self.backup_countries),
            "technical_data": list(self.technical_data_countries),
            "administration": list(self.administration_countries),
            "support": list(self.support_countries),
        }


class SubcontractorRole(models.TextChoices):
    INFRASTRUCTURE = "infrastructure", _("infrastructure (IaaS)")
    HOSTING = "hosting", _("data centre hosting")
    SUPPORT = "support", _("support")
    MAINTENANCE = "maintenance", _("maintenance")
    SOFTWARE = "software", _("software publisher")
    OTHER = "other", _("other")


class Subcontractor(models.Model):
    Role = SubcontractorRole

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="subcontractors")
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2)
    role = models.CharField(max_length=20, choices=Role.choices)
    has_data_access = models.BooleanField(default=False)
    # When the subcontractor's service is itself in the catalogue, the offer
    # is only as qualified as the chain under it.
    catalog_offer = models.ForeignKey(
        Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="used_by"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=_choices_check("role", SubcontractorRole.choices),
                name="subcontractor_role_valid",
            ),
            models.CheckConstraint(
                condition=Q(catalog_offer__isnull=True) | ~Q(catalog_offer=models.F("offer")),
                name="subcontractor_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"


# --------------------------------------------------------------------------
# Assessments


class OfferAssessment(models.Model):
    """The stored result of the policy engine for one offer.

    Checks are data: ``{"level", "rule", "passed", "facts"}``; their sentence
    is rendered in the reader's language when shown (catalog.texts)."""

    offer = models.OneToOneField(Offer, on_delete=models.CASCADE, related_name="assessment")
    level = models.CharField(max_length=2)
    # -1 when the offer qualifies for no level at all.
    level_rank = models.SmallIntegerField()
    flags = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    checks = models.JSONField(default=list)
    # Certificates the granted level and flags rely on, with their expiry,
    # so that matching can warn when one expires before a contract ends.
    relied_certificates = models.JSONField(default=list)
    policy_version = models.PositiveIntegerField()
    inputs_digest = models.CharField(max_length=64)
    assessed_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Matching filters on the level and the flags, then joins on the
            # offer: the index answers both without the wide rows (the
            # checks), so a selective need (N3 health data: ~1 % of the
            # assessments) is read from ~1,200 index entries, not ~1,100
            # heap blocks (issue 6).
            models.Index(
                fields=["level_rank"],
                include=["offer", "level", "flags"],
                name="assessment_matching_idx",
            ),
            GinIndex(fields=["flags"]),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id}: {self.level} {self.flags}"
