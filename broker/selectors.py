"""Reads of the broker."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from broker.models import (
    ApiKey,
    ApiToken,
    AuditAnchor,
    Notification,
    Preference,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from catalog.models import MemberRole, Provider, ProviderMembership
from tenders.models import Agency, AgencyMembership

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser, User


def preferred_languages(user_ids: list[int]) -> dict[int, str]:
    """Each user's language for what is written to them: their recorded
    preference, else the site's default."""
    chosen = dict(
        Preference.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "language")
    )
    return {user_id: chosen.get(user_id, settings.LANGUAGE_CODE) for user_id in user_ids}


def preferred_language(user: User) -> str | None:
    """The language this user recorded, or None if they never chose."""
    return Preference.objects.filter(user_id=user.pk).values_list("language", flat=True).first()


def notifications_of(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk).order_by("-id")


# --------------------------------------------------------------------------
# Organisations: webhooks and API keys belong to a provider or an agency


@dataclass(frozen=True)
class Organisation:
    """The organisation a user acts for, and the user's role in it."""

    provider: Provider | None
    agency: Agency | None
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == MemberRole.ADMIN

    @property
    def owner(self) -> Provider | Agency:
        owner = self.provider or self.agency
        assert owner is not None, "organisation_of sets a provider or an agency"
        return owner

    @property
    def name(self) -> str:
        return self.owner.name

    @property
    def owner_fields(self) -> dict[str, Any]:
        """The foreign keys of a row that belongs to this organisation."""
        return {"provider": self.provider, "agency": self.agency}

    @property
    def rows(self) -> Q:
        """Rows (with provider/agency keys) that belong to this organisation."""
        if self.provider is not None:
            return Q(provider_id=self.provider.pk)
        return Q(agency_id=self.owner.pk)


def organisation_of(user: AbstractBaseUser | AnonymousUser) -> Organisation | None:
    """A user belongs to one organisation at most (tenders.services
    agency_member_add refuses a second one)."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    membership = (
        ProviderMembership.objects.select_related("provider").filter(user_id=user.pk).first()
    )
    if membership is not None:
        return Organisation(provider=membership.provider, agency=None, role=membership.role)
    agency_membership = (
        AgencyMembership.objects.select_related("agency").filter(user_id=user.pk).first()
    )
    if agency_membership is not None:
        return Organisation(
            provider=None, agency=agency_membership.agency, role=agency_membership.role
        )
    return None


# --------------------------------------------------------------------------
# Webhooks


def webhook_endpoints_of(organisation: Organisation) -> QuerySet[WebhookEndpoint]:
    return (
        WebhookEndpoint.objects.filter(organisation.rows)
        .select_related("provider", "agency")
        .order_by("-id")
    )


def webhook_deliveries_of(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The delivery log of an endpoint, newest first, with its attempts."""
    return (
        WebhookDelivery.objects.filter(endpoint_id=endpoint.pk)
        .order_by("-id")
        .prefetch_related(
            Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number"))
        )
    )


def webhook_endpoints_listening(
    *, event_type: str, provider_ids: Iterable[int] = (), agency_ids: Iterable[int] = ()
) -> QuerySet[WebhookEndpoint]:
    """The active endpoints of these organisations subscribed to this event."""
    return (
        WebhookEndpoint.objects.filter(active=True, event_types__contains=[event_type])
        .filter(Q(provider_id__in=list(provider_ids)) | Q(agency_id__in=list(agency_ids)))
        .order_by("pk")
    )


def webhook_anyone_listening(event_type: str) -> bool:
    """One cheap query before any payload is built: most events have no
    subscriber at all."""
    return WebhookEndpoint.objects.filter(active=True, event_types__contains=[event_type]).exists()


# --------------------------------------------------------------------------
# API keys


def api_keys_of(organisation: Organisation) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organisation.rows).select_related("created_by").order_by("-id")


def api_key_for_prefix(prefix: str) -> ApiKey | None:
    """The key with this prefix, its creator, and whether the creator still
    belongs to the key's organisation: one query per authenticated call."""
    return (
        ApiKey.objects.select_related("created_by")
        .annotate(
            creator_in_provider=Exists(
                ProviderMembership.objects.filter(
                    user_id=OuterRef("created_by_id"), provider_id=OuterRef("provider_id")
                )
            ),
            creator_in_agency=Exists(
                AgencyMembership.objects.filter(
                    user_id=OuterRef("created_by_id"), agency_id=OuterRef("agency_id")
                )
            ),
        )
        .filter(prefix=prefix)
        .first()
    )


def audit_anchors() -> QuerySet[AuditAnchor]:
    """The published anchors of the audit chain, newest first (open data)."""
    return AuditAnchor.objects.order_by("-day")


def api_token_for_hash(key_hash: str) -> ApiToken | None:
    """The token with this key hash and its user: one query per
    authenticated call."""
    return ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()
