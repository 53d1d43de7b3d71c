"""Demand side: agencies, their tenders and the tenders' life — shortlists,
invitations, clarifications, sealed responses, evaluation, award — and
direct purchases from the catalogue."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.functions import RandomUUID
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from catalog.cpv import CLOUD_CPV_CHOICES
from catalog.models import MemberRole, Offer, Provider, ServiceCategory
from catalog.units import UNIT_CHOICES


def _in(field: str, choices) -> Q:
    return Q(**{f"{field}__in": [value for value, _label in choices]})


class Agency(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    siret = models.CharField(max_length=14, help_text=_("14 digits, Luhn check"))
    # A code of catalog.BuyerCategory (policy data, editable by operators).
    buyer_category = models.ForeignKey(
        "catalog.BuyerCategory", on_delete=models.PROTECT, related_name="agencies"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [models.UniqueConstraint(fields=["siret"], name="uniq_agency_siret")]

    def __str__(self) -> str:
        return self.name


class AgencyMembership(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_membership"
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=_in("role", MemberRole.choices), name="agency_member_role_valid"
            )
        ]


class TenderStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    CLOSED = "closed", _("closed")
    AWARDED = "awarded", _("awarded")
    # The agency signed the contract after the standstill (R2182-1).
    CONTRACT_SIGNED = "contract_signed", _("contract signed")
    UNSUCCESSFUL = "unsuccessful", _("unsuccessful")
    CANCELLED = "cancelled", _("cancelled")


class Procedure(models.TextChoices):
    # Thresholds in settings (Code de la commande publique R2122-8 for the
    # "dispense de procédure", R2123-1 / EU thresholds for the adapted one).
    DIRECT = "direct", _("direct purchase (no procedure)")
    ADAPTED = "adapted", _("adapted procedure (MAPA)")
    OPEN = "open", _("open procedure")


class MatchingState(models.TextChoices):
    NONE = "", _("not requested")
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class Tender(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="tenders")
    reference = models.CharField(max_length=30, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=30, choices=ServiceCategory.choices)
    cpv_code = models.CharField(max_length=10, choices=CLOUD_CPV_CHOICES)
    level = models.CharField(max_length=2)
    flags = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    # "" (no constraint), "EU", or an ISO country every data location must be in.
    location_constraint = models.CharField(max_length=2, blank=True)
    quantity = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    unit = models.CharField(max_length=20, choices=UNIT_CHOICES)
    duration_months = models.PositiveSmallIntegerField()
    estimated_value = models.DecimalField(
        max_digits=14, decimal_places=2, help_text=_("EUR excl. VAT")
    )
    procedure = models.CharField(max_length=10, choices=Procedure.choices)
    response_deadline = models.DateTimeField()
    weight_price = models.PositiveSmallIntegerField(default=60)
    weight_technical = models.PositiveSmallIntegerField(default=40)
    weight_other = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=TenderStatus.choices, default=TenderStatus.DRAFT
    )
    status_reason = models.CharField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    matching_state = models.CharField(
        max_length=10, choices=MatchingState.choices, blank=True, default=""
    )
    matching_queued_at = models.DateTimeField(null=True, blank=True)
    matching_started_at = models.DateTimeField(null=True, blank=True)
    matching_finished_at = models.DateTimeField(null=True, blank=True)
    matching_error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The locked sourcing file this tender started from (procurement record).
    sourcing_file = models.ForeignKey(
        "SourcingFile", null=True, blank=True, on_delete=models.PROTECT, related_name="tenders"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_in("status", TenderStatus.choices), name="tender_status_valid"
            ),
            models.CheckConstraint(
                condition=_in("procedure", Procedure.choices), name="tender_procedure_valid"
            ),
            models.CheckConstraint(
                condition=_in("matching_state", MatchingState.choices),
                name="tender_matching_state_valid",
            ),
            models.CheckConstraint(
                condition=Exact(F("weight_price") + F("weight_technical") + F("weight_other"), 100),
                name="tender_weights_sum_100",
            ),
            models.CheckConstraint(
                condition=Q(duration_months__gte=1), name="tender_duration_positive"
            ),
            models.CheckConstraint(condition=~Q(level="N4"), name="tender_never_classified"),
        ]
        indexes = [models.Index(fields=["status", "response_deadline"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def weights_total(self) -> int:
        return self.weight_price + self.weight_technical + self.weight_other


class ShortlistEntry(models.Model):
    """One qualified offer on a tender's shortlist, computed by the broker."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="shortlist")
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="shortlist_entries")
    rank = models.PositiveIntegerField()
    score = models.DecimalField(max_digits=7, decimal_places=3)
    estimated_cost = models.DecimalField(max_digits=16, decimal_places=2)
    within_budget = models.BooleanField(default=True)
    reasons = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "offer"], name="uniq_shortlist_offer"),
        ]


class Invitation(models.Model):
    """A provider invited to respond because one of its offers was
    shortlisted. Unique per tender and provider: re-matching never invites
    twice."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="invitations")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="invitations")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tender", "provider"], name="uniq_invitation")
        ]


class Clarification(models.Model):
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="clarifications")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.TextField()
    answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class ResponseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    REPLACED = "replaced", _("replaced")
    WITHDRAWN = "withdrawn", _("withdrawn")


class TenderResponse(models.Model):
    """A sealed response. Nobody but its provider reads it before the tender
    is CLOSED: every read goes through tenders.selectors."""

    # The id in every URL and API answer. The integer key is sequential over
    # all tenders: a provider comparing two of its own would count the
    # responses submitted in between, sealed ones included. The database
    # default serves rows written outside the ORM (bench/scale's COPY).
    public_id = models.UUIDField(
        default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False
    )
    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="responses")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="responses")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="responses")
    total_price = models.DecimalField(
        max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    technical_answer = models.TextField()
    attachment = models.FileField(upload_to="responses/%Y/%m/", blank=True)
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.SUBMITTED
    )
    submitted_at = models.DateTimeField()
    receipt_sha256 = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    technical_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    other_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_in("status", ResponseStatus.choices), name="response_status_valid"
            ),
            # One live response per provider and tender.
            models.UniqueConstraint(
                fields=["tender", "provider"],
                condition=Q(status="submitted"),
                name="uniq_live_response",
            ),
            models.CheckConstraint(condition=Q(total_price__gt=0), name="response_price_positive"),
        ]


class Award(models.Model):
    """Exactly one award per tender: the unique tender column is the
    database's guarantee when two agents award at once."""

    tender = models.OneToOneField(Tender, on_delete=models.PROTECT, related_name="award")
    response = models.OneToOneField(TenderResponse, on_delete=models.PROTECT, related_name="award")
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    awarded_at = models.DateTimeField()
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # No signature before this instant (standstill, R2182-1); null for
    # awards made before standstills existed.
    standstill_ends_at = models.DateTimeField(null=True, blank=True)
    contract_signed_at = models.DateTimeField(null=True, blank=True)
    contract_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(contract_signed_at__isnull=True)
                | Q(standstill_ends_at__isnull=True)
                | Q(contract_signed_at__gte=F("standstill_ends_at")),
                name="award_signed_after_standstill",
            ),
        ]


class WithdrawnAward(models.Model):
    """The history of an award withdrawn before signature (a complaint
    upheld, or the buyer's own correction). The ``Award`` row is deleted —
    one award per tender stays the database's guarantee — and its facts
    stay here, under its original id, for the OCDS ``awardUpdate`` and the
    procurement record."""

    award_id = models.BigIntegerField(unique=True)
    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="withdrawn_awards")
    response = models.ForeignKey(
        TenderResponse, on_delete=models.PROTECT, related_name="withdrawn_awards"
    )
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    awarded_at = models.DateTimeField()
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    standstill_ends_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField()
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=2000)

    class Meta:
        ordering = ["withdrawn_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__gte=F("awarded_at")), name="withdrawn_after_award"
            ),
        ]


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("open")
    UPHELD = "upheld", _("upheld")
    DISMISSED = "dismissed", _("dismissed")
    # The award it contested was withdrawn for another reason.
    LAPSED = "lapsed", _("lapsed")


class Complaint(models.Model):
    """A tenderer's complaint against an award decision, filed during the
    standstill. An open complaint on the current award blocks the
    signature until the buyer answers it."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="complaints")
    # The award contested (an Award id; the row may since be withdrawn).
    award_ref = models.BigIntegerField()
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="complaints")
    text = models.TextField()
    attachment = models.FileField(upload_to="complaints/%Y/%m/", blank=True)
    attachment_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["filed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_in("status", ComplaintStatus.choices), name="complaint_status_valid"
            ),
            # A decided complaint carries the buyer's answer.
            models.CheckConstraint(
                condition=Q(status="open") | (~Q(answer="") & Q(answered_at__isnull=False)),
                name="complaint_answered_when_decided",
            ),
            # One open complaint per tenderer and award: more arguments go in
            # the same complaint's text, not in a flood of rows.
            models.UniqueConstraint(
                fields=["award_ref", "provider"],
                condition=Q(status="open"),
                name="uniq_open_complaint",
            ),
        ]
        indexes = [models.Index(fields=["tender", "status"])]


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("placed")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    CANCELLED = "cancelled", _("cancelled")


class Order(models.Model):
    """A direct purchase from the catalogue below the threshold."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="orders")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="orders")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="orders")
    reference = models.CharField(max_length=30, unique=True)
    quantity = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    duration_months = models.PositiveSmallIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)
    normalised_price = models.DecimalField(max_digits=18, decimal_places=6)
    total = models.DecimalField(max_digits=16, decimal_places=2)
    level = models.CharField(max_length=2)
    flags = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=OrderStatus.choices, default=OrderStatus.PLACED
    )
    status_reason = models.CharField(max_length=500, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The locked sourcing file this purchase started from (procurement record).
    sourcing_file = models.ForeignKey(
        "SourcingFile", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_in("status", OrderStatus.choices), name="order_status_valid"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_non_negative"),
            models.CheckConstraint(
                condition=Q(duration_months__gte=1), name="order_duration_positive"
            ),
        ]


class SourcingFile(models.Model):
    """A saved catalogue search (the filters of /api/v1/offers/, normalised)
    with a name. Locking freezes its result — offers, assessments, prices,
    policy version — into ``snapshot``, digested by ``snapshot_sha256``
    (SHA-256 of the canonical JSON, see tenders.selectors.sourcing.snapshot_digest).

    A locked file is a procurement record: the service refuses to change
    it, and a database trigger (migration 0003) refuses any UPDATE or
    DELETE of a locked row, whatever the write path."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="sourcing_files")
    name = models.CharField(max_length=200)
    filters = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    snapshot = models.JSONField(null=True, blank=True)
    snapshot_sha256 = models.CharField(max_length=64, blank=True)
    # Alerts of unlocked files: the result as the last daily digest saw it
    # ({"offers": {id: {"name", "level", "rank"}}}), so that the next one
    # reports only what changed since.
    digest_state = models.JSONField(default=dict, blank=True)
    digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Locked means frozen, completely: the time, the snapshot and its digest together.
            models.CheckConstraint(
                condition=(
                    Q(locked_at__isnull=True, snapshot__isnull=True, snapshot_sha256="")
                    | Q(
                        locked_at__isnull=False,
                        snapshot__isnull=False,
                        snapshot_sha256__regex=r"^[0-9a-f]{64}$",
                    )
                ),
                name="sourcing_file_lock_complete",
            ),
        ]
        indexes = [models.Index(fields=["locked_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None
