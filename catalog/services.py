"""Every write of the catalogue. Keyword-only, typed, ``<noun>_<verb>``.

Each service validates, writes inside a transaction and announces what
changed through ``catalog.signals``; the broker re-assesses after commit."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import psycopg
from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Value
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_countries import countries as iso_countries

from catalog import policy, selectors, signals, units
from catalog.cpv import CLOUD_CPV
from catalog.models import (
    Attestation,
    AttestationKind,
    Certification,
    CertificationScheme,
    CertificationStatus,
    ExclusionGround,
    MemberRole,
    Offer,
    OfferAssessment,
    OfferStatus,
    OperatorAction,
    OwnershipStake,
    PolicyVersion,
    Provider,
    ProviderMembership,
    ProviderStatus,
    ServiceCategory,
    Subcontractor,
    SupplierDeclaration,
)
from core.errors import DomainError


class CatalogError(DomainError):
    """The catalogue's domain error."""


def _invalid(field: str, message: str) -> CatalogError:
    return CatalogError(message, fields={field: [message]})


def _forbidden(message: str) -> CatalogError:
    return CatalogError(message, code="forbidden", http_status=403)


# --------------------------------------------------------------------------
# Identifiers (DESIGN §9)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# La Poste's SIREN does not follow Luhn (INSEE exception); its SIRETs sum to
# a multiple of 5 instead.
LA_POSTE_SIREN = "356000000"


def siren_valid(siren: str) -> bool:
    return len(siren) == 9 and siren.isdigit() and (siren == LA_POSTE_SIREN or luhn_valid(siren))


def siret_valid(siret: str) -> bool:
    if len(siret) != 14 or not siret.isdigit():
        return False
    if siret.startswith(LA_POSTE_SIREN):
        return sum(int(ch) for ch in siret) % 5 == 0
    return luhn_valid(siret)


def french_vat_key(siren: str) -> str:
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def vat_valid(vat: str, siren: str = "") -> bool:
    """Intra-EU VAT number: country prefix + national part. French numbers
    are FR + 2-digit key + SIREN, the key being (12 + 3 × (SIREN mod 97))
    mod 97; other countries are checked for shape only."""
    vat = vat.replace(" ", "").upper()
    if len(vat) < 4 or not vat[:2].isalpha() or not vat[2:].isalnum():
        return False
    if vat.startswith("FR"):
        if len(vat) != 13 or not vat[4:].isdigit():
            return False
        vat_siren = vat[4:]
        if siren and vat_siren != siren:
            return False
        return vat[2:4] == french_vat_key(vat_siren)
    return 4 <= len(vat) <= 16


def _country(field: str, code: str) -> str:
    code = (code or "").strip().upper()
    if code not in iso_countries:
        raise _invalid(
            field, _("'%(code)s' is not an ISO 3166-1 alpha-2 country code.") % {"code": code}
        )
    return code


def _countries(field: str, codes: Iterable[str]) -> list[str]:
    if isinstance(codes, str):
        codes = [c for c in codes.split(",") if c.strip()]
    return sorted({_country(field, code) for code in codes})


def _decimal(
    field: str,
    value: Any,
    *,
    minimum: Decimal | None = Decimal("0"),
    maximum: Decimal | None = None,
) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _invalid(field, _("A number is required.")) from None
    if not result.is_finite():
        raise _invalid(field, _("A finite number is required."))
    if minimum is not None and result < minimum:
        raise _invalid(field, _("Must be at least %(minimum)s.") % {"minimum": minimum})
    if maximum is not None and result > maximum:
        raise _invalid(field, _("Must be at most %(maximum)s.") % {"maximum": maximum})
    return result


def _operator_record(
    *, actor, action: str, obj, reason: str = "", data: dict | None = None
) -> None:
    OperatorAction.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        reason=reason,
        data=data or {},
    )
    signals.operator_decided.send(
        sender=type(obj),
        actor=actor,
        action=action,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        data={"reason": reason, **(data or {})},
    )


def assessment_request(*, offer_ids: list[int] | None, reason: str) -> None:
    """Ask for these offers (None: all) to be re-assessed after commit."""
    signals.offer_inputs_changed.send(sender=Offer, offer_ids=offer_ids, reason=reason)


# --------------------------------------------------------------------------
# Providers


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


def _stakes_clean(stakes: list[dict]) -> list[dict]:
    clean = []
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
                    maximum=Decimal(100),
                ),
                "voting_pct": _decimal(
                    f"stakes[{index}].voting_pct",
                    stake.get("voting_pct", stake.get("capital_pct", 0)),
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
    *, actor, stakes: list[dict] | None = None, slug: str = "", **data: Any
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
def provider_update(*, provider: Provider, actor, **data: Any) -> Provider:
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
def provider_stakes_set(*, provider: Provider, actor, stakes: list[dict]) -> list[OwnershipStake]:
    """Replace the ownership table; re-assess the provider's offers when it
    actually changed (an identical table is a no-op)."""
    clean = _stakes_clean(stakes)

    def key(rows):
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
    provider: Provider, status: str, *, actor, action: str, reason: str
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
def provider_suspend(*, provider: Provider, actor, reason: str) -> Provider:
    return _provider_set_status(
        provider,
        ProviderStatus.SUSPENDED,
        actor=actor,
        action="provider.suspend",
        reason=_required_reason(reason, _("A reason is required to suspend a provider.")),
    )


@transaction.atomic
def provider_reactivate(*, provider: Provider, actor, reason: str = "") -> Provider:
    return _provider_set_status(
        provider,
        ProviderStatus.ACTIVE,
        actor=actor,
        action="provider.reactivate",
        reason=(reason or "").strip(),
    )


# --------------------------------------------------------------------------
# Offers

LOCATION_FIELDS = (
    "storage_countries",
    "processing_countries",
    "backup_countries",
    "technical_data_countries",
    "administration_countries",
    "support_countries",
)
DATA_LOCATION_FIELDS = LOCATION_FIELDS[:4]
OFFER_FIELDS = {
    "name",
    "description",
    "category",
    "cpv_code",
    "unit",
    "unit_price",
    "price_is_illustrative",
    "minimum_commitment",
    "minimum_months",
    "capacity",
    "sla_pct",
    "support_documented",
    "dr_support",
    *LOCATION_FIELDS,
}
# Editing these changes what the policy engine reads.
ASSESSED_FIELDS = {*LOCATION_FIELDS, "support_documented", "dr_support"}


def _offer_clean(data: dict[str, Any], *, instance: Offer | None) -> dict[str, Any]:
    unknown = set(data) - OFFER_FIELDS
    if unknown:
        raise CatalogError(_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    clean = dict(data)
    if "name" in clean:
        clean["name"] = (clean["name"] or "").strip()
        if not clean["name"]:
            raise _invalid("name", _("A name is required."))
    if "category" in clean and clean["category"] not in ServiceCategory.values:
        raise _invalid(
            "category",
            _("Unknown category; choose one of %(names)s.")
            % {"names": ", ".join(ServiceCategory.values)},
        )
    if "cpv_code" in clean and clean["cpv_code"] not in CLOUD_CPV:
        raise _invalid(
            "cpv_code",
            _("Not a CPV code of the cloud list (e.g. 72317000-0 data storage services)."),
        )
    if "unit" in clean and clean["unit"] not in units.UNITS:
        raise _invalid(
            "unit", _("Unknown unit; choose one of %(names)s.") % {"names": ", ".join(units.UNITS)}
        )
    if "unit_price" in clean:
        clean["unit_price"] = _decimal(
            "unit_price", clean["unit_price"], maximum=Decimal("99999999")
        )
    if "minimum_commitment" in clean:
        clean["minimum_commitment"] = _decimal(
            "minimum_commitment", clean["minimum_commitment"] or 0
        )
    if clean.get("capacity") not in (None, ""):
        clean["capacity"] = _decimal("capacity", clean["capacity"])
    elif "capacity" in clean:
        clean["capacity"] = None
    if clean.get("sla_pct") not in (None, ""):
        clean["sla_pct"] = _decimal("sla_pct", clean["sla_pct"], maximum=Decimal(100))
    elif "sla_pct" in clean:
        clean["sla_pct"] = None
    if "minimum_months" in clean:
        months = clean["minimum_months"] or 0
        if not isinstance(months, int) or months < 0 or months > 120:
            raise _invalid("minimum_months", _("A whole number of months between 0 and 120."))
    for field in LOCATION_FIELDS:
        if field in clean:
            clean[field] = _countries(field, clean[field] or [])
    minimum = clean.get(
        "minimum_commitment", instance.minimum_commitment if instance else Decimal(0)
    )
    capacity = clean.get("capacity", instance.capacity if instance else None)
    if capacity is not None and capacity < minimum:
        raise _invalid("capacity", _("Capacity cannot be below the minimum commitment."))
    return clean


def _offer_derive(offer: Offer) -> None:
    offer.normalised_unit, offer.normalised_price = units.normalise_price(
        offer.unit, offer.unit_price
    )
    offer.data_countries = sorted(
        {c for field in DATA_LOCATION_FIELDS for c in getattr(offer, field)}
    )


def _search_refresh(offers) -> None:
    """Rebuild the stored full-text document from accent-folded text (name
    weighs most, then the provider, then the description)."""
    for offer in offers.select_related("provider").only(
        "id", "name", "description", "provider__name"
    ):
        Offer.objects.filter(pk=offer.pk).update(
            search_document=(
                SearchVector(
                    Value(selectors.fold(offer.name)), weight="A", config=selectors.SEARCH_CONFIG
                )
                + SearchVector(
                    Value(selectors.fold(offer.provider.name)),
                    weight="B",
                    config=selectors.SEARCH_CONFIG,
                )
                + SearchVector(
                    Value(selectors.fold(offer.description)),
                    weight="C",
                    config=selectors.SEARCH_CONFIG,
                )
            )
        )


@transaction.atomic
def offer_refresh_derived(*, offer: Offer) -> Offer:
    """Recompute what is derived from an offer's own fields (normalised
    price, data countries, search document) after an edit outside
    ``offer_update``, e.g. in the operator's admin."""
    _offer_derive(offer)
    Offer.objects.filter(pk=offer.pk).update(
        normalised_unit=offer.normalised_unit,
        normalised_price=offer.normalised_price,
        data_countries=offer.data_countries,
    )
    _search_refresh(Offer.objects.filter(pk=offer.pk))
    return offer


@transaction.atomic
def offer_create(
    *,
    provider: Provider,
    actor,
    subcontractors: list[dict] | None = None,
    status: str = OfferStatus.DRAFT,
    **data: Any,
) -> Offer:
    for required in ("name", "category", "cpv_code", "unit", "unit_price"):
        if data.get(required) in (None, ""):
            raise _invalid(required, _("This field is required."))
    clean = _offer_clean(data, instance=None)
    offer = Offer(provider=provider, **clean)
    _offer_derive(offer)
    offer.save()
    if subcontractors:
        _subcontractors_write(offer, subcontractors)
    _search_refresh(Offer.objects.filter(pk=offer.pk))
    if status == OfferStatus.PUBLISHED:
        offer_publish(offer=offer, actor=actor)
    assessment_request(offer_ids=[offer.pk], reason="offer_created")
    return offer


@transaction.atomic
def offer_update(
    *, offer: Offer, actor, subcontractors: list[dict] | None = None, **data: Any
) -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    clean = _offer_clean(data, instance=offer)
    assessed = any(getattr(offer, f) != v for f, v in clean.items() if f in ASSESSED_FIELDS)
    for field, value in clean.items():
        setattr(offer, field, value)
    _offer_derive(offer)
    offer.save()
    if subcontractors is not None:
        assessed = (
            offer_subcontractors_set(offer=offer, actor=actor, subcontractors=subcontractors)
            or assessed
        )
    if {"name", "description"} & set(clean):
        _search_refresh(Offer.objects.filter(pk=offer.pk))
    if assessed:
        assessment_request(offer_ids=[offer.pk], reason="offer_edited")
    elif clean and offer.status == OfferStatus.PUBLISHED:
        # Price or capacity changes do not touch eligibility but do change
        # how the offer ranks in open tenders.
        signals.offer_status_changed.send(sender=Offer, offer_id=offer.pk, status="edited")
    return offer


def _subcontractors_clean(offer: Offer, rows: list[dict]) -> list[dict]:
    clean = []
    for index, row in enumerate(rows):
        name = (row.get("name") or "").strip()
        if not name:
            raise _invalid(f"subcontractors[{index}].name", _("A name is required."))
        role = row.get("role") or Subcontractor.Role.OTHER
        if role not in Subcontractor.Role.values:
            raise _invalid(
                f"subcontractors[{index}].role",
                _("Unknown role; choose one of %(names)s.")
                % {"names": ", ".join(Subcontractor.Role.values)},
            )
        chain_id = row.get("catalog_offer") or row.get("catalog_offer_id")
        if chain_id is not None:
            if chain_id == offer.pk or not Offer.objects.filter(pk=chain_id).exists():
                raise _invalid(
                    f"subcontractors[{index}].catalog_offer",
                    _("Not another offer of the catalogue."),
                )
        clean.append(
            {
                "name": name,
                "country": _country(f"subcontractors[{index}].country", row.get("country", "")),
                "role": role,
                "has_data_access": bool(row.get("has_data_access", False)),
                "catalog_offer_id": chain_id,
            }
        )
    return clean


def _subcontractors_write(offer: Offer, rows: list[dict]) -> None:
    clean = _subcontractors_clean(offer, rows)
    _chain_guard(offer, [row["catalog_offer_id"] for row in clean if row["catalog_offer_id"]])
    offer.subcontractors.all().delete()
    Subcontractor.objects.bulk_create(Subcontractor(offer=offer, **row) for row in clean)


def _chain_guard(offer: Offer, chain_ids: list[int]) -> None:
    """Refuse a subcontracting cycle (A runs on B which runs on A): the
    weakest-link rule would never settle."""
    seen, frontier = set(), set(chain_ids)
    while frontier:
        if offer.pk in frontier:
            raise _invalid(
                "subcontractors",
                _("This subcontracting chain would loop back to the offer itself."),
            )
        seen |= frontier
        frontier = (
            set(
                Subcontractor.objects.filter(
                    offer_id__in=frontier, catalog_offer__isnull=False
                ).values_list("catalog_offer_id", flat=True)
            )
            - seen
        )


@transaction.atomic
def offer_subcontractors_set(*, offer: Offer, actor, subcontractors: list[dict]) -> bool:
    """Replace the subcontractor list; True when it changed."""
    clean = _subcontractors_clean(offer, subcontractors)
    current = list(
        offer.subcontractors.values(
            "name", "country", "role", "has_data_access", "catalog_offer_id"
        )
    )

    def key(rows):
        return sorted(
            (r["name"], r["country"], r["role"], r["has_data_access"], r["catalog_offer_id"] or 0)
            for r in rows
        )

    if key(current) == key(clean):
        return False
    _subcontractors_write(offer, subcontractors)
    assessment_request(offer_ids=[offer.pk], reason="subcontractors")
    return True


OFFER_TRANSITIONS = {
    OfferStatus.DRAFT: {OfferStatus.PUBLISHED, OfferStatus.WITHDRAWN},
    OfferStatus.PUBLISHED: {OfferStatus.WITHDRAWN},
    OfferStatus.WITHDRAWN: {OfferStatus.PUBLISHED},
}


def _offer_transition(offer: Offer, target: str) -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.status == target:
        return offer
    if target not in OFFER_TRANSITIONS[offer.status]:
        raise CatalogError(
            _("An offer cannot go from %(status)s to %(target)s.")
            % {"status": OfferStatus(offer.status).label, "target": OfferStatus(target).label},
            code="conflict",
            http_status=409,
        )
    offer.status = target
    offer.save(update_fields=["status", "updated_at"])
    signals.offer_status_changed.send(sender=Offer, offer_id=offer.pk, status=target)
    return offer


@transaction.atomic
def offer_publish(*, offer: Offer, actor) -> Offer:
    if offer.provider.status != ProviderStatus.ACTIVE:
        raise CatalogError(
            _("A suspended provider cannot publish offers."), code="forbidden", http_status=403
        )
    return _offer_transition(offer, OfferStatus.PUBLISHED)


@transaction.atomic
def offer_withdraw(*, offer: Offer, actor) -> Offer:
    return _offer_transition(offer, OfferStatus.WITHDRAWN)


# --------------------------------------------------------------------------
# Certifications

CERT_FIELDS = {
    "scheme",
    "scheme_version",
    "assurance",
    "reference",
    "status",
    "issued_on",
    "expires_on",
    "scope_offers",
    "scope_countries",
    "hds_activities",
    "evidence",
    "evidence_url",
}
# A provider may declare these statuses; suspension, revocation and expiry
# come from the issuer through the operator or from the calendar.
PROVIDER_DECLARABLE_STATUSES = {"j0", "j1", "j2", "valid"}


def _date(field: str, value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _invalid(field, _("A date in YYYY-MM-DD form is required.")) from None


def _evidence_digest(evidence) -> str:
    digest = hashlib.sha256()
    for chunk in evidence.chunks():
        digest.update(chunk)
    evidence.seek(0)
    return digest.hexdigest()


def _cert_clean(
    provider: Provider, data: dict[str, Any], *, instance: Certification | None
) -> dict[str, Any]:
    unknown = set(data) - CERT_FIELDS
    if unknown:
        raise CatalogError(_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    clean = dict(data)
    if "scheme" in clean:
        scheme = clean["scheme"]
        if not isinstance(scheme, CertificationScheme):
            scheme = CertificationScheme.objects.filter(code=str(scheme)).first()
            if scheme is None:
                raise _invalid("scheme", _("Unknown certification scheme."))
        clean["scheme"] = scheme
    if "reference" in clean:
        clean["reference"] = (clean["reference"] or "").strip()
        if not clean["reference"]:
            raise _invalid("reference", _("The certificate reference is required."))
    if "status" in clean and clean["status"] not in PROVIDER_DECLARABLE_STATUSES:
        raise _invalid(
            "status",
            _(
                "A provider declares a certificate as in progress (j0, j1, j2) or valid; "
                "suspension, revocation and expiry are recorded by the operator."
            ),
        )
    for field in ("issued_on", "expires_on"):
        if field in clean:
            clean[field] = _date(field, clean[field])
    issued = clean.get("issued_on", instance.issued_on if instance else None)
    expires = clean.get("expires_on", instance.expires_on if instance else None)
    if issued and expires and expires <= issued:
        raise _invalid("expires_on", _("The expiry date must be after the issue date."))
    status = clean.get("status", instance.status if instance else "valid")
    if status == "valid" and not expires:
        raise _invalid("expires_on", _("A valid certificate has an expiry date."))
    if "scope_offers" in clean:
        ids = [o.pk if isinstance(o, Offer) else int(o) for o in clean["scope_offers"] or []]
        owned = set(
            Offer.objects.filter(provider=provider, pk__in=ids).values_list("pk", flat=True)
        )
        foreign = [i for i in ids if i not in owned]
        if foreign:
            raise _invalid(
                "scope_offers",
                _("Offers %(foreign)s are not offers of this provider.") % {"foreign": foreign},
            )
        clean["scope_offers"] = sorted(owned)
    if "scope_countries" in clean:
        clean["scope_countries"] = _countries("scope_countries", clean["scope_countries"] or [])
    if "hds_activities" in clean:
        acts = clean["hds_activities"] or []
        if any(not isinstance(a, int) or a < 1 or a > 6 for a in acts):
            raise _invalid("hds_activities", _("HDS activities are numbered 1 to 6."))
        clean["hds_activities"] = sorted(set(acts))
    evidence = clean.get("evidence")
    if evidence:
        upload_check("evidence", evidence)
    return clean


def upload_check(field: str, upload) -> None:
    """An uploaded proof (certificate evidence, attestation, complaint
    attachment): at most EVIDENCE_MAX_BYTES, a PDF or an image checked by
    its magic bytes, not by its name."""
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise _invalid(
            field,
            _("The file exceeds %(maximum)s bytes.") % {"maximum": settings.EVIDENCE_MAX_BYTES},
        )
    head = upload.read(8)
    upload.seek(0)
    if not (
        head.startswith(b"%PDF-") or head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff")
    ):
        raise _invalid(field, _("The file must be a PDF, PNG or JPEG file."))


def upload_store_name(upload) -> str:
    """A random stored name with the extension of its real type: the
    uploaded name would make a private file guessable under MEDIA_URL."""
    import uuid

    head = upload.read(8)
    upload.seek(0)
    extension = (
        ".pdf" if head.startswith(b"%PDF-") else ".png" if head.startswith(b"\x89PNG") else ".jpg"
    )
    return f"{uuid.uuid4().hex}{extension}"


def _cert_affected_offers(cert: Certification, extra: Iterable[int] = ()) -> list[int]:
    return sorted(set(cert.scope_offers.values_list("pk", flat=True)) | set(extra))


@transaction.atomic
def certification_create(*, provider: Provider, actor, **data: Any) -> Certification:
    for required in ("scheme", "reference"):
        if not data.get(required):
            raise _invalid(required, _("This field is required."))
    clean = _cert_clean(provider, data, instance=None)
    if Certification.objects.filter(scheme=clean["scheme"], reference=clean["reference"]).exists():
        raise _invalid("reference", _("This certificate is already registered."))
    scope = clean.pop("scope_offers", [])
    evidence = clean.pop("evidence", None)
    cert = Certification(provider=provider, **clean)
    if evidence:
        cert.evidence_sha256 = _evidence_digest(evidence)
        evidence.name = upload_store_name(evidence)
        cert.evidence = evidence
    cert.save()
    cert.scope_offers.set(scope)
    assessment_request(offer_ids=_cert_affected_offers(cert), reason="certification_created")
    return cert


@transaction.atomic
def certification_update(*, certification: Certification, actor, **data: Any) -> Certification:
    """A provider's edit of anything the engine reads sends the certificate
    back to the operator's verification queue: a verified certificate whose
    scope or dates changed is no longer what the operator verified."""
    cert = Certification.objects.select_for_update().get(pk=certification.pk)
    clean = _cert_clean(cert.provider, data, instance=cert)
    before = set(cert.scope_offers.values_list("pk", flat=True))
    scope = clean.pop("scope_offers", None)
    evidence = clean.pop("evidence", None)
    changed = any(getattr(cert, f) != v for f, v in clean.items())
    if scope is not None and set(scope) != before:
        changed = True
    if evidence:
        cert.evidence_sha256 = _evidence_digest(evidence)
        evidence.name = upload_store_name(evidence)
        cert.evidence = evidence
        changed = True
    if not changed:
        return cert
    for field, value in clean.items():
        setattr(cert, field, value)
    cert.verification = Certification.Verification.PENDING
    cert.verified_by = None
    cert.verified_at = None
    cert.verification_reason = ""
    cert.save()
    if scope is not None:
        cert.scope_offers.set(scope)
    assessment_request(offer_ids=_cert_affected_offers(cert, before), reason="certification_edited")
    return cert


def _cert_decide(
    certification: Certification,
    *,
    actor,
    action: str,
    reason: str = "",
    verification: str | None = None,
    status: str | None = None,
) -> Certification:
    cert = Certification.objects.select_for_update().get(pk=certification.pk)
    if verification is not None:
        cert.verification = verification
        cert.verified_by = actor
        cert.verified_at = timezone.now()
        cert.verification_reason = reason
    if status is not None:
        cert.status = status
        cert.verification_reason = reason or cert.verification_reason
    cert.save()
    _operator_record(
        actor=actor,
        action=action,
        obj=cert,
        reason=reason,
        data={"status": cert.status, "verification": cert.verification},
    )
    assessment_request(offer_ids=_cert_affected_offers(cert), reason=action)
    return cert


@transaction.atomic
def certification_verify(*, certification: Certification, actor) -> Certification:
    if certification.status in {"revoked"}:
        raise CatalogError(
            _("A revoked certificate cannot be verified."), code="conflict", http_status=409
        )
    return _cert_decide(
        certification,
        actor=actor,
        action="certification.verify",
        verification=Certification.Verification.VERIFIED,
    )


def _required_reason(reason: str, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", missing)
    return reason


@transaction.atomic
def certification_reject(*, certification: Certification, actor, reason: str) -> Certification:
    return _cert_decide(
        certification,
        actor=actor,
        action="certification.reject",
        reason=_required_reason(reason, _("A reason is required to reject evidence.")),
        verification=Certification.Verification.REJECTED,
    )


@transaction.atomic
def certification_revoke(*, certification: Certification, actor, reason: str) -> Certification:
    return _cert_decide(
        certification,
        actor=actor,
        action="certification.revoke",
        reason=_required_reason(reason, _("A reason is required to revoke a certificate.")),
        status=CertificationStatus.REVOKED,
    )


@transaction.atomic
def certification_suspend(*, certification: Certification, actor, reason: str) -> Certification:
    return _cert_decide(
        certification,
        actor=actor,
        action="certification.suspend",
        reason=_required_reason(reason, _("A reason is required to suspend a certificate.")),
        status=CertificationStatus.SUSPENDED,
    )


def certifications_expire_due(*, today: date | None = None) -> list[int]:
    """Mark valid certificates past their expiry date as expired. Idempotent:
    a second run finds nothing left to expire."""
    today = today or timezone.localdate()
    expired = []
    with transaction.atomic():
        due = list(
            Certification.objects.select_for_update(skip_locked=True).filter(
                status=CertificationStatus.VALID, expires_on__lt=today
            )
        )
        for cert in due:
            cert.status = CertificationStatus.EXPIRED
            cert.save(update_fields=["status", "updated_at"])
            _operator_record(
                actor=None,
                action="certification.expire",
                obj=cert,
                data={"expires_on": cert.expires_on.isoformat()},
            )
            assessment_request(
                offer_ids=_cert_affected_offers(cert), reason="certification_expired"
            )
            expired.append(cert.pk)
    return expired


# --------------------------------------------------------------------------
# Policy and assessments


@transaction.atomic
def policy_version_bump(*, actor, note: str = "") -> PolicyVersion:
    """Record an edit of the policy tables and re-assess every offer."""
    current = selectors.policy_version_current()
    version = PolicyVersion.objects.create(number=current + 1, created_by=actor, note=note[:300])
    assessment_request(offer_ids=None, reason="policy_changed")
    return version


@dataclass(frozen=True)
class AssessRun:
    assessed: int
    changed: list[int]


def checks_json(checks: Iterable[policy.Check]) -> list[str]:
    """Each check's JSON; ``"[" + ", ".join(...) + "]"`` is the list's."""
    return [json.dumps(c.as_dict(), sort_keys=True, default=str) for c in checks]


def assessment_json(
    result: policy.Assessment, version: int, check_texts: list[str] | None = None
) -> tuple[str, str, str, str]:
    """An assessment's stored JSON — checks, relied certificates, flags —
    and the text its ``inputs_digest`` hashes, each list encoded once. That
    text is ``json.dumps({"level", "flags", "checks", "relied", "policy"},
    sort_keys=True, default=str)``, assembled from the encoded parts in its
    sorted key order (the checks are ~5 kB: encoding them twice was a third
    of a re-assessment's Python time). ``check_texts``: the checks already
    encoded (``checks_json``)."""
    if check_texts is None:
        check_texts = checks_json(result.checks)
    checks = "[" + ", ".join(check_texts) + "]"
    relied = json.dumps(result.relied_certificates, sort_keys=True, default=str)
    flags = json.dumps(result.flags, sort_keys=True, default=str)
    payload = (
        f'{{"checks": {checks}, "flags": {flags}, "level": {json.dumps(result.level)}, '
        f'"policy": {json.dumps(version)}, "relied": {relied}}}'
    )
    return checks, relied, flags, payload


def digest_payload(result: policy.Assessment, version: int) -> str:
    """The text an assessment's ``inputs_digest`` hashes (seed_scale renders
    it once per distinct result and substitutes certificate ids)."""
    return assessment_json(result, version)[3]


def _digest(result: policy.Assessment, version: int) -> str:
    return hashlib.sha256(digest_payload(result, version).encode()).hexdigest()


def offers_assess(
    *, offer_ids: Iterable[int] | None = None, today: date | None = None, batch_size: int = 2000
) -> AssessRun:
    """Run the policy engine for these offers (None: all) and store what
    changed. Idempotent: an unchanged result is not written again. Offers
    that run on a re-assessed offer (subcontracting chain) follow."""
    today = today or timezone.localdate()
    current_policy = selectors.policy_current()
    # By provider: the offers sharing an engine input come together (in
    # one batch, one write of each distinct result).
    if offer_ids is None:
        pending = list(Offer.objects.order_by("provider_id", "pk").values_list("pk", flat=True))
    else:
        pending = selectors.offers_by_provider(offer_ids)
    changed: set[int] = set()
    assessed = 0
    reader = selectors.FactsReader()
    results: dict[tuple, tuple] = {}
    # An offer that runs on another one is assessed again once its
    # subcontractor changed, even if both were in the same batch (its first
    # pass may have read the subcontractor's old level). Chains cannot loop
    # (offer_subcontractors_set refuses cycles); the cap is a safety net.
    passes: dict[int, int] = {}
    start = 0
    while start < len(pending):
        batch, start = pending[start : start + batch_size], start + batch_size
        for pk in batch:
            passes[pk] = passes.get(pk, 0) + 1
        if len(results) > RESULTS_KEPT:
            results.clear()
        batch_changed = _assess_batch(batch, current_policy, today, reader, results)
        assessed += len(batch)
        changed.update(batch_changed)
        if batch_changed:
            dependents = [
                pk for pk in selectors.offers_depending_on(batch_changed) if passes.get(pk, 0) < 10
            ]
            if dependents:
                pending, start = sorted(set(pending[start:]) | set(dependents)), 0
    if changed:
        signals.assessments_changed.send(sender=Offer, offer_ids=sorted(changed))
    return AssessRun(assessed=assessed, changed=sorted(changed))


# Engine results kept by a re-assessment run (each ~6 kB of JSON); the
# offers of one provider come together, so a full catalogue hits them
# while they are kept.
RESULTS_KEPT = 20_000


@transaction.atomic
def _assess_batch(
    offer_ids: list[int],
    current_policy: policy.Policy,
    today: date,
    reader: selectors.FactsReader,
    results: dict[tuple, tuple],
) -> list[int]:
    inputs = reader.inputs(offer_ids)
    # Not locked: the upsert locks the rows it writes and skips a row whose
    # digest another run has meanwhile made equal (locking every row up
    # front rewrote each one's header even when nothing changed).
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT offer_id, inputs_digest FROM {OfferAssessment._meta.db_table} "  # noqa: S608
            "WHERE offer_id = ANY(%s)",
            [offer_ids],
        )
        existing = dict(cursor.fetchall())
    now = timezone.now()
    # One engine run per distinct input (the reader's compact key): the
    # engine is pure and never reads the offer's id, so the offers of one
    # provider with the same locations, DR support, category, certificates
    # and subcontractors share a result and its JSON, encoded once. The
    # level rules, most of the work, never read the category (the key's
    # last part): their outcome and its JSON are shared across categories.
    rows = []
    for offer_id, key in inputs:
        done = results.get(key)
        if done is None:
            facts = reader.facts(offer_id, key)
            levels = results.get(key[:-1])
            if levels is None:
                outcome = policy.assess_levels(facts, current_policy, today)
                levels = results[key[:-1]] = (outcome, checks_json(outcome.checks))
            flags = policy.assess_flags(facts, current_policy, today)
            result = policy.assessment_of(levels[0], flags)
            checks, relied, flag_list, payload = assessment_json(
                result, current_policy.version, [*levels[1], *checks_json(flags.checks)]
            )
            done = results[key] = (
                result.level,
                result.level_rank,
                flag_list,
                hashlib.sha256(payload.encode()).hexdigest(),
                checks,
                relied,
            )
        if existing.get(offer_id) == done[3]:
            continue
        rows.append((offer_id, done))
    return _assessments_write(rows, version=current_policy.version, now=now) if rows else []


def _assessments_write(rows: list[tuple], *, version: int, now) -> list[int]:
    """One upsert for a batch of results (was an update_or_create, a SELECT
    and an UPDATE, per offer); the change-feed row triggers fire as before.
    Each distinct result (its ~5 kB of checks) is sent and parsed once, the
    offers refer to it by index. ``rows``: (offer id, (level, rank, flags
    JSON, digest, checks JSON, relied certificates JSON)). A row whose
    stored digest already equals the new one (another run wrote it since it
    was read) is left alone; returns the offers actually written."""
    index: dict[str, int] = {}
    distinct: list[tuple] = []
    offer_index = []
    for _offer_id, done in rows:
        digest = done[3]
        if digest not in index:
            index[digest] = len(distinct)
            distinct.append(done)
        offer_index.append(index[digest])
    table = OfferAssessment._meta.db_table
    # Server-side binding, binary parameters (%b): Django's client-side
    # binding, and text-format arrays, escape every quote of the ~5 kB check
    # lists in Python (measured: ~2 s per batch of 500).
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        # The distinct results go through a temporary table: stored there,
        # their checks are compressed once and every offer's row takes the
        # compressed value as it is (from a CTE, each row compressed the
        # same ~5 kB again: 130-210 → 55-65 µs per row written, 100k offers).
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS catalog_assessment_result (i int, l text, rk int,"
            " f varchar(20)[], c jsonb, rc jsonb, d text) ON COMMIT DELETE ROWS"
        )
        cursor.execute("DELETE FROM catalog_assessment_result")
        cursor.execute(
            """INSERT INTO catalog_assessment_result
               SELECT i, l, rk, ARRAY(SELECT jsonb_array_elements_text(f::jsonb)), c::jsonb, rc::jsonb, d
               FROM unnest(%b::int[], %b::text[], %b::int[], %b::text[], %b::text[], %b::text[], %b::text[])
                    AS u(i, l, rk, f, c, rc, d)""",
            [list(range(len(distinct))), *([d[i] for d in distinct] for i in (0, 1, 2, 4, 5, 3))],
        )
        cursor.execute(
            f"""INSERT INTO {table} (offer_id, level, level_rank, flags, checks, relied_certificates,
                                     policy_version, inputs_digest, assessed_at)
                SELECT t.o, r.l, r.rk, r.f, r.c, r.rc, %b, r.d, %b
                FROM unnest(%b::bigint[], %b::int[]) AS t(o, i) JOIN catalog_assessment_result r ON r.i = t.i
                ON CONFLICT (offer_id) DO UPDATE SET
                    level = EXCLUDED.level, level_rank = EXCLUDED.level_rank, flags = EXCLUDED.flags,
                    checks = EXCLUDED.checks, relied_certificates = EXCLUDED.relied_certificates,
                    policy_version = EXCLUDED.policy_version, inputs_digest = EXCLUDED.inputs_digest,
                    assessed_at = EXCLUDED.assessed_at
                WHERE {table}.inputs_digest IS DISTINCT FROM EXCLUDED.inputs_digest
                RETURNING offer_id""",  # noqa: S608
            [version, now, [r[0] for r in rows], offer_index],
        )
        return [offer_id for (offer_id,) in cursor.fetchall()]


# --------------------------------------------------------------------------
# Supplier declarations and attestations (ESPD / DUME)
#
# Exclusion grounds: Code de la commande publique L2141-1 to L2141-11,
# Directive 2014/24/EU art. 57. A buyer must exclude a supplier to which a
# mandatory ground applies; the window asks every provider for a signed
# declaration on honour and the periodic attestations the buyer would ask
# the winner for (R2143-6 to R2143-10, Code du travail D8222-5), and refuses
# a response or an order while any of them is missing or out of date.

# Longest validity of each attestation from its issue date: the URSSAF
# attestation is renewed every six months (D8222-5), the registration
# extract is accepted under three months old, the tax attestation covers a
# year of filings.
ATTESTATION_MAX_MONTHS = {"social": 6, "tax": 12, "registration": 3}


def _add_months(day: date, months: int) -> date:
    import calendar

    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def declaration_digest(
    *,
    provider_id: int,
    grounds: dict[str, bool],
    comment: str,
    signer_name: str,
    signed_at,
    valid_until: date,
) -> str:
    """SHA-256 of the canonical declared content (sorted-key JSON, UTC
    time): anyone holding the declaration can recompute it."""
    from datetime import UTC

    canonical = json.dumps(
        {
            "provider": provider_id,
            "grounds": {k: bool(v) for k, v in sorted(grounds.items())},
            "comment": comment,
            "signer_name": signer_name,
            "signed_at": signed_at.astimezone(UTC).isoformat(),
            "valid_until": valid_until.isoformat(),
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _require_provider_admin(provider: Provider, actor) -> None:
    if not ProviderMembership.objects.filter(
        user_id=getattr(actor, "pk", None), provider=provider, role=MemberRole.ADMIN
    ).exists():
        raise _forbidden(_("Only an administrator of the provider signs its declaration."))


@transaction.atomic
def declaration_sign(
    *, provider: Provider, actor, grounds: dict[str, Any], signer_name: str, comment: str = ""
) -> SupplierDeclaration:
    """Sign a declaration on honour of every exclusion ground; valid for
    ``SUPPLIER_DECLARATION_VALIDITY_MONTHS``. Signing again supersedes it."""
    _require_provider_admin(provider, actor)
    codes = set(ExclusionGround.values)
    if not isinstance(grounds, dict):
        raise _invalid("grounds", _("Answer every exclusion ground with true or false."))
    unknown = sorted(set(grounds) - codes)
    if unknown:
        raise _invalid(
            "grounds", _("Unknown exclusion grounds: %(names)s.") % {"names": ", ".join(unknown)}
        )
    missing = sorted(codes - set(grounds))
    if missing:
        raise _invalid(
            "grounds",
            _("Answer every exclusion ground; missing: %(names)s.") % {"names": ", ".join(missing)},
        )
    if any(not isinstance(v, bool) for v in grounds.values()):
        raise _invalid("grounds", _("Answer every exclusion ground with true or false."))
    signer_name = (signer_name or "").strip()
    if not signer_name:
        raise _invalid("signer_name", _("The signatory's full name is required."))
    comment = (comment or "").strip()
    now = timezone.now()
    valid_until = _add_months(
        timezone.localdate(now), settings.SUPPLIER_DECLARATION_VALIDITY_MONTHS
    )
    clean = {code: grounds[code] for code in sorted(codes)}
    declaration = SupplierDeclaration.objects.create(
        provider=provider,
        grounds=clean,
        comment=comment,
        signer_name=signer_name,
        signed_by=actor,
        signed_at=now,
        valid_until=valid_until,
        content_sha256=declaration_digest(
            provider_id=provider.pk,
            grounds=clean,
            comment=comment,
            signer_name=signer_name,
            signed_at=now,
            valid_until=valid_until,
        ),
    )
    return declaration


@transaction.atomic
def attestation_create(
    *,
    provider: Provider,
    actor,
    kind: str,
    reference: str,
    issued_on: Any,
    expires_on: Any = None,
    document=None,
) -> Attestation:
    """Record an attestation. Its expiry is the issuer's, capped at the
    kind's longest validity (six months for the URSSAF one); by default
    that longest validity."""
    if kind not in AttestationKind.values:
        raise _invalid(
            "kind", _("Use one of %(names)s.") % {"names": ", ".join(AttestationKind.values)}
        )
    reference = (reference or "").strip()
    if not reference:
        raise _invalid("reference", _("The attestation's number or verification code is required."))
    issued = _date("issued_on", issued_on)
    if issued is None:
        raise _invalid("issued_on", _("The issue date is required."))
    today = timezone.localdate()
    if issued > today:
        raise _invalid("issued_on", _("The issue date cannot be in the future."))
    longest = _add_months(issued, ATTESTATION_MAX_MONTHS[kind])
    expires = _date("expires_on", expires_on) or longest
    if expires <= issued:
        raise _invalid("expires_on", _("The expiry date must be after the issue date."))
    if expires > longest:
        raise _invalid(
            "expires_on",
            _("An attestation of this kind is valid %(months)s months at most (until %(until)s).")
            % {"months": ATTESTATION_MAX_MONTHS[kind], "until": longest.isoformat()},
        )
    if expires < today:
        raise _invalid("expires_on", _("This attestation has already expired."))
    attestation = Attestation(
        provider=provider,
        kind=kind,
        reference=reference,
        issued_on=issued,
        expires_on=expires,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    if document:
        upload_check("document", document)
        attestation.document_sha256 = _evidence_digest(document)
        document.name = upload_store_name(document)
        attestation.document = document
    attestation.save()
    return attestation


def provider_compliance_problems(
    provider: Provider, *, today: date | None = None
) -> dict[str, list[str]]:
    """What stops this provider from responding or accepting an order now,
    as field messages ({} when nothing does)."""
    today = today or timezone.localdate()
    problems: dict[str, list[str]] = {}
    current = selectors.declaration_current(provider)
    if current is None:
        problems["declaration"] = [
            "No signed declaration of the exclusion grounds (DUME): an administrator "
            "of the provider must sign one."
        ]
    elif current.valid_until < today:
        problems["declaration"] = [
            f"The declaration of the exclusion grounds expired on "
            f"{current.valid_until.isoformat()}: sign a new one."
        ]
    elif current.any_ground_applies:
        problems["declaration"] = [
            "The declaration states that an exclusion ground applies "
            "(Code de la commande publique L2141-1 to L2141-10)."
        ]
    latest = selectors.attestations_current(provider)
    for kind, label in AttestationKind.choices:
        attestation = latest.get(kind)
        if attestation is None:
            problems.setdefault("attestations", []).append(f"Missing attestation: {label}.")
        elif attestation.expires_on < today:
            problems.setdefault("attestations", []).append(
                f"Expired attestation ({attestation.expires_on.isoformat()}): {label}."
            )
    return problems


def provider_compliance_require(provider: Provider) -> None:
    """Raise a CatalogError (409) listing what is missing or expired."""
    problems = provider_compliance_problems(provider)
    if problems:
        raise CatalogError(
            _(
                "A valid declaration of the exclusion grounds and valid attestations are required "
                "to respond to a tender or accept an order."
            ),
            code="supplier_documents_required",
            http_status=409,
            fields=problems,
        )


# --------------------------------------------------------------------------
# Bulk import of offers (``manage.py import_offers FILE``)

IMPORT_DECIMALS = {  # field: (max digits, decimal places), as the offer API (OfferInput)
    "unit_price": (12, 4),
    "minimum_commitment": (12, 2),
    "capacity": (14, 2),
    "sla_pct": (6, 3),
}
IMPORT_TEXT_LIMITS = {"name": 200, "description": 10000}
IMPORT_REQUIRED = ("name", "category", "cpv_code", "unit", "unit_price")
IMPORT_BOOLEANS = {
    "": False,
    "0": False,
    "false": False,
    "no": False,
    "1": True,
    "true": True,
    "yes": True,
}


def _import_bool(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    answer = IMPORT_BOOLEANS.get(str(value).strip().lower())
    if answer is None:
        raise _invalid(field, _("Must be a valid boolean."))
    return answer


def _import_months(field: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return 0
        if not value.isdigit():
            raise _invalid(field, _("A whole number of months between 0 and 120."))
        return int(value)
    return value


def _import_decimal(field: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
    if value in (None, ""):
        return value
    number = _decimal(field, value)
    digits, places = IMPORT_DECIMALS[field]
    _sign, figures, exponent = number.as_tuple()  # DRF's DecimalField.validate_precision
    after = max(0, -exponent)
    before = len(figures) + exponent if exponent >= 0 else max(0, len(figures) + exponent)
    if after > places:
        raise _invalid(field, _("At most %(places)s decimal places.") % {"places": places})
    if before > digits - places:
        raise _invalid(
            field,
            _("At most %(digits)s digits before the decimal point.") % {"digits": digits - places},
        )
    return number


def _import_text(field: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if len(value) > IMPORT_TEXT_LIMITS.get(field, len(value)):
            raise _invalid(
                field, _("At most %(limit)s characters.") % {"limit": IMPORT_TEXT_LIMITS[field]}
            )
    return value


IMPORT_CONVERT = {
    **dict.fromkeys(("price_is_illustrative", "support_documented", "dr_support"), _import_bool),
    "minimum_months": _import_months,
    **dict.fromkeys(IMPORT_DECIMALS, _import_decimal),
}


def _import_row(
    row: dict[str, Any], countries: frozenset[str], categories: frozenset[str]
) -> dict[str, Any]:
    """One row (text cells as a CSV gives them, or typed values), validated
    as the offer API and ``offer_create`` validate an offer. Country lists
    and the category are checked against snapshots (``countries``,
    ``categories``); a bad value raises ``_country``'s or ``_offer_clean``'s
    own error."""
    typed, located = {}, {}
    for field, value in row.items():
        if field is None or value is None:  # a CSV row longer, or shorter, than its header
            continue
        if field in LOCATION_FIELDS:
            if isinstance(value, str):
                value = value.replace(";", ",").replace(" ", ",").split(",")
            codes = {code.strip().upper() for code in (value or []) if code and code.strip()}
            for code in codes - countries:
                _country(field, code)
            located[field] = sorted(codes)
            continue
        if field not in OFFER_FIELDS:
            raise _invalid(
                field,
                _("Unknown field; use %(names)s.") % {"names": ", ".join(sorted(OFFER_FIELDS))},
            )
        typed[field] = IMPORT_CONVERT.get(field, _import_text)(field, value)
    for required in IMPORT_REQUIRED:
        if typed.get(required) in (None, ""):
            raise _invalid(required, _("This field is required."))
    category = typed.pop("category")
    if category not in categories:
        _offer_clean({"category": category}, instance=None)
    clean = _offer_clean(typed, instance=None)
    clean["category"] = category
    clean.update(located)
    return clean


def _copy_text(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if isinstance(value, list):  # country codes: two letters, nothing to quote
        return "{" + ",".join(value) + "}"
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


@transaction.atomic
def offers_import(*, provider: Provider, actor, rows: Iterable[dict[str, Any]]) -> list[int]:
    """Create the provider's offers from ``rows`` (dicts of the offer API's
    fields, as text or typed; no subcontractors), all or nothing: every row
    is validated as the offer API validates it, and one invalid row
    rejects the file with every row's errors (``rows[<index>].<field>``,
    index from 0). ``actor`` None is the command line (the operator); a
    user must be a member of the provider or an operator. Rows are written
    by one COPY (ids from the table's sequence, search documents computed
    by the server as ``_search_refresh`` computes them, in one query) as
    drafts, then assessed after commit.
    Returns the new offers' ids in row order."""
    if actor is not None and not selectors.is_operator(actor):
        own = selectors.provider_of(actor)
        if own is None or own.pk != provider.pk:
            raise _forbidden(_("Only the provider's members or an operator import its offers."))
    offers: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    total = 0
    countries, categories = frozenset(iso_countries.countries), frozenset(ServiceCategory.values)
    defaults = {f.attname: f.get_default() for f in Offer._meta.concrete_fields}
    now = timezone.now().isoformat()
    for index, row in enumerate(rows):
        total += 1
        try:
            clean = _import_row(row, countries, categories)
        except CatalogError as error:
            for field, messages in (error.fields or {"row": [str(error.message)]}).items():
                errors[f"rows[{index}].{field}"] = [str(m) for m in messages]
            continue
        offer = {
            **defaults,
            **clean,
            "provider_id": provider.pk,
            "created_at": now,
            "updated_at": now,
        }
        # _offer_derive, on the row
        offer["normalised_unit"], offer["normalised_price"] = units.normalise_price(
            offer["unit"], offer["unit_price"]
        )
        offer["data_countries"] = sorted(
            {c for field in DATA_LOCATION_FIELDS for c in offer[field]}
        )
        offers.append(offer)
    if errors:
        raise CatalogError(
            _("%(count)s of %(total)s rows are invalid; nothing was imported.")
            % {"count": len({key.split(".")[0] for key in errors}), "total": total},
            fields=errors,
        )
    if not offers:
        return []
    fields = [f for f in Offer._meta.concrete_fields if f.name not in ("id", "search_document")]
    table = Offer._meta.db_table
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        # Ids from the table's own sequence, and each row's search document
        # computed by the server exactly as _search_refresh computes it: the
        # rows then go straight into the table with one COPY.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(offers)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            """SELECT (setweight(to_tsvector(%(config)s::regconfig, t.name), 'A')
                       || setweight(to_tsvector(%(config)s::regconfig, %(provider)s::text), 'B')
                       || setweight(to_tsvector(%(config)s::regconfig, t.description), 'C'))::text
               FROM unnest(%(names)s::text[], %(descriptions)s::text[]) WITH ORDINALITY AS t(name, description, i)
               ORDER BY t.i""",
            {
                "config": selectors.SEARCH_CONFIG,
                "provider": selectors.fold(provider.name),
                "names": [selectors.fold(o["name"]) for o in offers],
                "descriptions": [selectors.fold(o["description"]) for o in offers],
            },
            binary=True,
        )
        documents = [row[0] for row in cursor.fetchall()]
        attnames = [f.attname for f in fields]
        columns = ", ".join(["id", *(f.column for f in fields), "search_document"])
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608
            lines = []
            for offer_id, offer, document in zip(ids, offers, documents, strict=True):
                lines.append(
                    "\t".join(
                        [
                            str(offer_id),
                            *(_copy_text(offer[a]) for a in attnames),
                            _copy_text(document),
                        ]
                    )
                )
                if len(lines) == 2000:
                    copy.write("\n".join(lines) + "\n")
                    lines = []
            if lines:
                copy.write("\n".join(lines) + "\n")
    assessment_request(offer_ids=ids, reason="offers_imported")
    return ids
