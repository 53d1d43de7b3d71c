"""Providers: registration, profile (identity, seats, ownership) and the
operator's suspension. A change to what §19.6 reads re-assesses the
provider's offers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog import signals
from catalog.errors import CatalogError
from catalog.models import (
    MemberRole,
    Offer,
    OfferStatus,
    OwnershipStake,
    Provider,
    ProviderMembership,
    ProviderStatus,
)
from catalog.services._common import (
    _column,
    _country,
    _decimal,
    _invalid,
    _operator_record,
    _required_reason,
    assessment_request,
)
from catalog.services.identifiers import siren_valid, vat_valid
from catalog.services.offers import _search_refresh

if TYPE_CHECKING:
    from django.contrib.auth.models import User


PROVIDER_FIELDS = {
    "name",
    "siren",
    "vat_number",
    "registered_office_country",
    "central_administration_country",
    "main_establishment_country",
    "is_sme",
    "website",
    "description",
}
# Fields the §19.6 control rules read: changing one re-assesses every offer.
CONTROL_FIELDS = {
    "registered_office_country",
    "central_administration_country",
    "main_establishment_country",
}


def _provider_clean(data: dict[str, Any], *, instance: Provider | None = None) -> dict[str, Any]:
    unknown = set(data) - PROVIDER_FIELDS - {"stakes"}
    if unknown:
        raise CatalogError(_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    clean = dict(data)
    if "name" in clean:
        clean["name"] = (clean["name"] or "").strip()
        if not clean["name"]:
            raise _invalid("name", _("A legal name is required."))
    for field in CONTROL_FIELDS:
        if field in clean:
            clean[field] = _country(field, clean[field])
    siren = clean.get("siren", instance.siren if instance else "")
    if "siren" in clean and clean["siren"]:
        clean["siren"] = clean["siren"].replace(" ", "")
        siren = clean["siren"]
        if not siren_valid(siren):
            raise _invalid("siren", _("A SIREN is 9 digits with a valid Luhn check digit."))
    if clean.get("vat_number"):
        clean["vat_number"] = clean["vat_number"].replace(" ", "").upper()
        if not vat_valid(clean["vat_number"], siren or ""):
            raise _invalid(
                "vat_number",
                _("Not a valid intra-EU VAT number for this SIREN.")
                if siren
                else _("Not a valid intra-EU VAT number."),
            )
    return clean


def _stakes_clean(stakes: list[dict]) -> list[dict[str, Any]]:
    clean: list[dict[str, Any]] = []
    for index, stake in enumerate(stakes):
        name = (stake.get("holder_name") or "").strip()
        if not name:
            raise _invalid(f"stakes[{index}].holder_name", _("A holder name is required."))
        clean.append(
            {
                "holder_name": name,
                "holder_country": _country(
                    f"stakes[{index}].holder_country", stake.get("holder_country", "")
                ),
                "capital_pct": _decimal(
                    f"stakes[{index}].capital_pct",
                    stake.get("capital_pct", 0),
                    column=_column(OwnershipStake, "capital_pct"),
                    maximum=Decimal(100),
                ),
                "voting_pct": _decimal(
                    f"stakes[{index}].voting_pct",
                    stake.get("voting_pct", stake.get("capital_pct", 0)),
                    column=_column(OwnershipStake, "voting_pct"),
                    maximum=Decimal(100),
                ),
                "has_veto": bool(stake.get("has_veto", False)),
                "has_board_majority": bool(stake.get("has_board_majority", False)),
            }
        )
    for key in ("capital_pct", "voting_pct"):
        if sum(s[key] for s in clean) > 100:
            raise _invalid(
                "stakes", _("Stakes add up to more than 100 %% (%(key)s).") % {"key": key}
            )
    return clean


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "provider"
    slug, n = base, 2
    while Provider.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def provider_create(
    *, actor: User | None, stakes: list[dict] | None = None, slug: str = "", **data: Any
) -> Provider:
    """Register a provider; the acting user (if any) becomes its admin."""
    if (
        actor is not None
        and getattr(actor, "pk", None)
        and (
            ProviderMembership.objects.filter(user=actor).exists()
            or hasattr(actor, "agency_membership")
        )
    ):
        # A user acts for one organisation (DESIGN §1).
        raise CatalogError(
            _("You already act for an organisation."), code="conflict", http_status=409
        )
    for required in ("name", *sorted(CONTROL_FIELDS)):
        if not data.get(required):
            raise _invalid(required, _("This field is required."))
    clean = _provider_clean(data)
    if clean.get("siren") and Provider.objects.filter(siren=clean["siren"]).exists():
        raise _invalid("siren", _("A provider with this SIREN is already registered."))
    provider = Provider.objects.create(slug=slug or _unique_slug(clean["name"]), **clean)
    if stakes:
        OwnershipStake.objects.bulk_create(
            OwnershipStake(provider=provider, **s) for s in _stakes_clean(stakes)
        )
    if actor is not None and getattr(actor, "pk", None):
        ProviderMembership.objects.create(user=actor, provider=provider, role=MemberRole.ADMIN)
    return provider


@transaction.atomic
def provider_update(*, provider: Provider, actor: User, **data: Any) -> Provider:
    stakes = data.pop("stakes", None)
    clean = _provider_clean(data, instance=provider)
    if (
        clean.get("siren")
        and Provider.objects.filter(siren=clean["siren"]).exclude(pk=provider.pk).exists()
    ):
        raise _invalid("siren", _("A provider with this SIREN is already registered."))
    control_changed = any(
        getattr(provider, f) != v for f, v in clean.items() if f in CONTROL_FIELDS
    )
    for field, value in clean.items():
        setattr(provider, field, value)
    provider.save()
    if stakes is not None:
        provider_stakes_set(provider=provider, actor=actor, stakes=stakes)
    elif control_changed:
        assessment_request(
            offer_ids=list(provider.offers.values_list("pk", flat=True)), reason="provider_control"
        )
    if "name" in clean:
        _search_refresh(Offer.objects.filter(provider=provider))
    return provider


@transaction.atomic
def provider_stakes_set(
    *, provider: Provider, actor: User, stakes: list[dict]
) -> list[OwnershipStake]:
    """Replace the ownership table; re-assess the provider's offers when it
    actually changed (an identical table is a no-op)."""
    clean = _stakes_clean(stakes)

    def key(rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted(
            (
                r["holder_name"],
                r["holder_country"],
                r["capital_pct"],
                r["voting_pct"],
                r["has_veto"],
                r["has_board_majority"],
            )
            for r in rows
        )

    current = list(
        provider.stakes.values(
            "holder_name",
            "holder_country",
            "capital_pct",
            "voting_pct",
            "has_veto",
            "has_board_majority",
        )
    )
    if key(current) == key(clean):
        return list(provider.stakes.all())
    provider.stakes.all().delete()
    created = OwnershipStake.objects.bulk_create(
        OwnershipStake(provider=provider, **s) for s in clean
    )
    assessment_request(
        offer_ids=list(provider.offers.values_list("pk", flat=True)), reason="ownership"
    )
    return created


def _provider_set_status(
    provider: Provider, status: str, *, actor: User, action: str, reason: str
) -> Provider:
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.status == status:
        return provider
    provider.status = status
    provider.status_reason = reason
    provider.status_changed_at = timezone.now()
    provider.status_changed_by = actor
    provider.save()
    _operator_record(actor=actor, action=action, obj=provider, reason=reason)
    # Its published offers enter or leave every open tender's shortlist.
    for offer_id in provider.offers.filter(status=OfferStatus.PUBLISHED).values_list(
        "pk", flat=True
    ):
        signals.offer_status_changed.send(sender=Offer, offer_id=offer_id, status=action)
    return provider


@transaction.atomic
def provider_suspend(*, provider: Provider, actor: User, reason: str) -> Provider:
    return _provider_set_status(
        provider,
        ProviderStatus.SUSPENDED,
        actor=actor,
        action="provider.suspend",
        reason=_required_reason(reason, _("A reason is required to suspend a provider.")),
    )


@transaction.atomic
def provider_reactivate(*, provider: Provider, actor: User, reason: str = "") -> Provider:
    return _provider_set_status(
        provider,
        ProviderStatus.ACTIVE,
        actor=actor,
        action="provider.reactivate",
        reason=(reason or "").strip(),
    )
