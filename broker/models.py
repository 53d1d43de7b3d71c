"""What the broker keeps: the audit chain, the notifications, and the
integrations (webhooks with their delivery log, organisation API keys)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """An append-only event chained by SHA-256 to the previous one.

    ``hash = sha256(previous hash + canonical JSON of this event)``; the
    table refuses UPDATE and DELETE (trigger in migration 0002), and
    ``manage.py audit_verify`` recomputes the chain."""

    created_at = models.DateTimeField()
    # PROTECT: a user who acted is deactivated, never deleted from history.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    tender_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["tender_id"]),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class AuditAnchor(models.Model):
    """The head of the audit chain on a day, also published as a signed
    file (``file``, under the media storage) and in the open data.

    One per day, written once: the table refuses UPDATE and DELETE like the
    chain (migration 0005). ``manage.py audit_verify`` reads the files as
    well as this table, so deleting both events and their anchor rows is
    still caught by the files left outside the database."""

    day = models.DateField(unique=True)
    published_at = models.DateTimeField()
    event_count = models.BigIntegerField()
    # None, with the genesis hash, for an empty chain.
    last_event_id = models.BigIntegerField(null=True, blank=True)
    last_hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=64)
    file = models.CharField(max_length=200)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(event_count__gte=0), name="broker_auditanchor_count_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.event_count} events, #{self.last_event_id}"


class Notification(models.Model):
    """An in-app notification (also e-mailed). ``key`` makes sending
    idempotent: the same event never notifies the same user twice."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="uniq_notification_key")
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.subject}"


class Preference(models.Model):
    """What a person chose for themselves: the language their notifications
    and e-mails are written in (the web's FR/EN switch records it). No row:
    the site's default language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="preference",
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


# --------------------------------------------------------------------------
# Integrations: webhooks and API keys. Both belong to exactly one
# organisation, a provider or an agency; the check constraints say so.


def _one_organisation(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=(
            models.Q(provider__isnull=False, agency__isnull=True)
            | models.Q(provider__isnull=True, agency__isnull=False)
        ),
        name=name,
    )


class WebhookEndpoint(models.Model):
    """Where an organisation wants its events POSTed.

    The secret signs every delivery (HMAC-SHA256), so it is kept in clear:
    it is shown once, at creation, and never served again by the API or the
    admin. ``event_types`` holds codes of ``broker.webhooks.EVENT_TYPES``
    (checked by the service: the list grows without a migration)."""

    provider = models.ForeignKey(
        "catalog.Provider",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    agency = models.ForeignKey(
        "tenders.Agency",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.CharField(max_length=500)
    secret = models.CharField(max_length=80)
    event_types = ArrayField(models.CharField(max_length=40))
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [_one_organisation("webhook_endpoint_one_organisation")]
        indexes = [GinIndex(fields=["event_types"], name="webhook_event_types_gin")]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint, sent until a 2xx answer or the last
    attempt. The idempotency key is the same for every attempt (and for a
    manual redelivery): receivers use it to drop duplicates, which
    at-least-once delivery allows."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40)
    # Stable per real-world event: a re-run of what caused it (a re-match,
    # a redelivered task) finds the delivery already there.
    event_id = models.CharField(max_length=120)
    payload = models.JSONField()
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="uniq_webhook_delivery_event"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values),
                name="webhook_delivery_status_valid",
            ),
        ]
        # The sweeper's query: pending deliveries whose time has come.
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """The log: one row per attempt, written when the attempt starts; a row
    without a duration is an attempt whose worker died."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="uniq_webhook_attempt_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number}: {self.status_code or self.error}"


class ApiKeyScopes(models.TextChoices):
    READ = "read", _("read")
    READ_WRITE = "read,write", _("read and write")


class ApiKey(models.Model):
    """An organisation's key for integrations, beside user tokens.

    Only the SHA-256 of the key is stored; the key is shown once. It acts
    with the rights of the member who made it, for as long as that member
    is active and still belongs to the organisation."""

    Scopes = ApiKeyScopes

    provider = models.ForeignKey(
        "catalog.Provider", null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    agency = models.ForeignKey(
        "tenders.Agency", null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=20, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.CharField(
        max_length=12, choices=ApiKeyScopes.choices, default=ApiKeyScopes.READ
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            _one_organisation("api_key_one_organisation"),
            models.CheckConstraint(
                condition=models.Q(scopes__in=ApiKeyScopes.values), name="api_key_scopes_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def can_write(self) -> bool:
        return self.scopes == ApiKeyScopes.READ_WRITE


class ApiToken(models.Model):
    """A member's own token (``Authorization: Token <key>``), issued by
    ``POST /api/v1/auth/token/`` for the account's username and password.

    Only the SHA-256 of the key is stored; the key is shown once. A token
    stops working when it expires (``API_TOKEN_TTL_HOURS`` after issue),
    when revoked (``DELETE /api/v1/auth/token/``), and when its user's
    password changes by whatever path (reset form, admin, ``set_password``):
    ``password_fingerprint`` is an HMAC of the password hash it was issued
    under, checked at each request, as Django's sessions do
    (``get_session_auth_hash``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    password_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"token #{self.pk} of {self.user_id}"
