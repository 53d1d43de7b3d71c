"""Supply side: providers, their offers and certifications, the sensitivity
policy (as tables the operator edits) and the stored offer assessments."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog import units
from catalog.cpv import CLOUD_CPV_CHOICES

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def _choices_check(field: str, choices) -> Q:
    return Q(**{f"{field}__in": [value for value, _label in choices]})


# --------------------------------------------------------------------------
# The sensitivity policy, as data (DESIGN §2)


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


# --------------------------------------------------------------------------
# Providers


class ProviderStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")


class Provider(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    siren = models.CharField(max_length=9, blank=True, help_text=_("French SIREN, 9 digits"))
    vat_number = models.CharField(max_length=20, blank=True)
    registered_office_country = models.CharField(max_length=2)
    central_administration_country = models.CharField(max_length=2)
    main_establishment_country = models.CharField(max_length=2)
    is_sme = models.BooleanField(default=False)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=ProviderStatus.choices, default=ProviderStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=_choices_check("status", ProviderStatus.choices),
                name="provider_status_valid",
            ),
            models.UniqueConstraint(
                fields=["siren"], condition=~Q(siren=""), name="uniq_provider_siren"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OwnershipStake(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="stakes")
    holder_name = models.CharField(max_length=200)
    holder_country = models.CharField(max_length=2)
    capital_pct = models.DecimalField(max_digits=5, decimal_places=2, validators=PERCENT)
    voting_pct = models.DecimalField(max_digits=5, decimal_places=2, validators=PERCENT)
    has_veto = models.BooleanField(default=False)
    has_board_majority = models.BooleanField(default=False)

    class Meta:
        ordering = ["-capital_pct", "holder_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    capital_pct__gte=0, capital_pct__lte=100, voting_pct__gte=0, voting_pct__lte=100
                ),
                name="stake_pct_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} ({self.holder_country}) {self.capital_pct} %"


class MemberRole(models.TextChoices):
    ADMIN = "admin", _("administrator")
    MEMBER = "member", _("member")


class ProviderMembership(models.Model):
    # A user acts for one organisation: one provider membership per user.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_membership"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=_choices_check("role", MemberRole.choices),
                name="provider_member_role_valid",
            )
        ]


# --------------------------------------------------------------------------
# Offers


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
# Certifications


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


# --------------------------------------------------------------------------
# Supplier declarations and attestations (ESPD / DUME)


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
