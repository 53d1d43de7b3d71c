"""Supplier declarations and attestations: private to their provider and
the operator (a buyer reads a provider's status, "documents valid", not
them)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from catalog.models import Attestation, Provider, SupplierDeclaration
from catalog.selectors.providers import is_operator, provider_of

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


def declaration_current(provider: Provider) -> SupplierDeclaration | None:
    return (
        SupplierDeclaration.objects.filter(provider=provider).order_by("-signed_at", "-id").first()
    )


def attestations_current(provider: Provider) -> dict[str, Attestation]:
    """The attestation that counts for each kind: the one expiring last."""
    latest: dict[str, Attestation] = {}
    for attestation in Attestation.objects.filter(provider=provider).order_by(
        "kind", "-expires_on", "-id"
    ):
        latest.setdefault(attestation.kind, attestation)
    return latest


def declarations_visible_to(
    user: AbstractBaseUser | AnonymousUser,
) -> QuerySet[SupplierDeclaration]:
    qs = SupplierDeclaration.objects.select_related("provider")
    if is_operator(user):
        return qs
    own = provider_of(user)
    return qs.filter(provider_id=own.pk) if own else qs.none()


def attestations_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Attestation]:
    qs = Attestation.objects.select_related("provider")
    if is_operator(user):
        return qs
    own = provider_of(user)
    return qs.filter(provider_id=own.pk) if own else qs.none()


def _latest_only(qs: QuerySet, *, partition: tuple[str, ...], order: tuple[str, ...]) -> QuerySet:
    """Rows that are the latest of their partition (a newer one supersedes)."""
    model = qs.model
    newest = (
        model.objects.filter(**{f: OuterRef(f) for f in partition})
        .order_by(*order)
        .values("pk")[:1]
    )
    return qs.filter(pk=Subquery(newest))


def declarations_expiring(
    qs: QuerySet[SupplierDeclaration], *, within_days: int, today: date | None = None
) -> QuerySet[SupplierDeclaration]:
    """Current declarations whose validity ends within ``within_days``
    (already expired ones included: they need a signature just as much)."""
    today = today or timezone.localdate()
    qs = _latest_only(qs, partition=("provider",), order=("-signed_at", "-id"))
    return qs.filter(valid_until__lte=today + timedelta(days=within_days)).order_by(
        "valid_until", "id"
    )


def attestations_expiring(
    qs: QuerySet[Attestation], *, within_days: int, today: date | None = None
) -> QuerySet[Attestation]:
    today = today or timezone.localdate()
    qs = _latest_only(qs, partition=("provider", "kind"), order=("-expires_on", "-id"))
    return qs.filter(expires_on__lte=today + timedelta(days=within_days)).order_by(
        "expires_on", "id"
    )
