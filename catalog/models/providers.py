"""Providers, their ownership and their members."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models._base import PERCENT, _choices_check


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
