"""Offers: their fields and what is derived from them (normalised price,
data countries, search document), their subcontractors, and their status
through one guarded transition."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.search import SearchVector
from django.db import transaction
from django.db.models import Q, QuerySet, Value
from django.utils.translation import gettext as _

from catalog import signals, units
from catalog.cpv import CLOUD_CPV
from catalog.errors import CatalogError
from catalog.models import (
    Offer,
    OfferStatus,
    Provider,
    ProviderStatus,
    ServiceCategory,
    Subcontractor,
)
from catalog.selectors.search import SEARCH_CONFIG, fold
from catalog.services._common import (
    _column,
    _countries,
    _country,
    _decimal,
    _invalid,
    assessment_request,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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
MAX_UNIT_PRICE = Decimal("99999999")


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
        # Below the column's own bound: sold per hour, the highest price is
        # 730 times larger per month and must still fit normalised_price.
        clean["unit_price"] = _decimal(
            "unit_price",
            clean["unit_price"],
            column=_column(Offer, "unit_price"),
            maximum=MAX_UNIT_PRICE,
        )
    if "minimum_commitment" in clean:
        clean["minimum_commitment"] = _decimal(
            "minimum_commitment",
            clean["minimum_commitment"] or 0,
            column=_column(Offer, "minimum_commitment"),
        )
    if clean.get("capacity") not in (None, ""):
        clean["capacity"] = _decimal(
            "capacity", clean["capacity"], column=_column(Offer, "capacity")
        )
    elif "capacity" in clean:
        clean["capacity"] = None
    if clean.get("sla_pct") not in (None, ""):
        clean["sla_pct"] = _decimal(
            "sla_pct", clean["sla_pct"], column=_column(Offer, "sla_pct"), maximum=Decimal(100)
        )
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


def _search_refresh(offers: QuerySet[Offer]) -> None:
    """Rebuild the stored full-text document from accent-folded text (name
    weighs most, then the provider, then the description)."""
    for offer in offers.select_related("provider").only(
        "id", "name", "description", "provider__name"
    ):
        Offer.objects.filter(pk=offer.pk).update(
            search_document=(
                SearchVector(Value(fold(offer.name)), weight="A", config=SEARCH_CONFIG)
                + SearchVector(Value(fold(offer.provider.name)), weight="B", config=SEARCH_CONFIG)
                + SearchVector(Value(fold(offer.description)), weight="C", config=SEARCH_CONFIG)
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
    actor: User | None,
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
    *,
    offer: Offer,
    actor: User,
    subcontractors: list[dict] | None = None,
    **data: Any,
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
        if chain_id is not None and not _chain_offer_nameable(offer, chain_id):
            raise _invalid(
                f"subcontractors[{index}].catalog_offer",
                _("Not a published offer of the catalogue, nor another of your own offers."),
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


def _chain_offer_nameable(offer: Offer, chain_id: object) -> bool:
    """Whether ``offer`` may run on ``chain_id``: a published offer of an
    active provider (what anyone can see) or another offer of its own
    provider. The chain's reason quotes the subcontractor's level, so naming
    another provider's draft would reveal its assessment; a missing id and a
    hidden one are refused alike so that ids cannot be probed."""
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id == offer.pk:
        return False
    visible = Q(status=OfferStatus.PUBLISHED, provider__status=ProviderStatus.ACTIVE)
    return (
        Offer.objects.filter(pk=chain_id)
        .filter(visible | Q(provider_id=offer.provider_id))
        .exists()
    )


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
def offer_subcontractors_set(*, offer: Offer, actor: User, subcontractors: list[dict]) -> bool:
    """Replace the subcontractor list; True when it changed."""
    clean = _subcontractors_clean(offer, subcontractors)
    current = list(
        offer.subcontractors.values(
            "name", "country", "role", "has_data_access", "catalog_offer_id"
        )
    )

    def key(rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted(
            (r["name"], r["country"], r["role"], r["has_data_access"], r["catalog_offer_id"] or 0)
            for r in rows
        )

    if key(current) == key(clean):
        return False
    _subcontractors_write(offer, subcontractors)
    assessment_request(offer_ids=[offer.pk], reason="subcontractors")
    return True


OFFER_TRANSITIONS: dict[str, set[str]] = {
    OfferStatus.DRAFT: {OfferStatus.PUBLISHED, OfferStatus.WITHDRAWN},
    OfferStatus.PUBLISHED: {OfferStatus.WITHDRAWN},
    OfferStatus.WITHDRAWN: {OfferStatus.PUBLISHED},
}


def _offer_transition(offer: Offer, target: str, *, actor: User | None, reason: str = "") -> Offer:
    """The one place an offer changes status: lock, check the table, save,
    announce it (the broker writes ``offer.<target>`` to the audit chain in
    this transaction and re-ranks open tenders after commit). Moving to the
    status it has is a no-op; a move the table forbids is a 409."""
    offer = (
        Offer.objects.select_for_update(of=("self",)).select_related("provider").get(pk=offer.pk)
    )
    if offer.status == target:
        return offer
    if target not in OFFER_TRANSITIONS[offer.status]:
        raise CatalogError(
            _("An offer cannot go from %(status)s to %(target)s.")
            % {"status": OfferStatus(offer.status).label, "target": OfferStatus(target).label},
            code="conflict",
            http_status=409,
        )
    previous = offer.status
    offer.status = target
    offer.save(update_fields=["status", "updated_at"])
    signals.offer_transitioned.send(
        sender=Offer,
        offer_id=offer.pk,
        action=f"offer.{target}",
        actor=actor if getattr(actor, "pk", None) else None,
        organisation=offer.provider.name,
        data={"from": previous, "to": target, "reason": reason},
    )
    signals.offer_status_changed.send(sender=Offer, offer_id=offer.pk, status=target)
    return offer


@transaction.atomic
def offer_publish(*, offer: Offer, actor: User | None) -> Offer:
    if offer.provider.status != ProviderStatus.ACTIVE:
        raise CatalogError(
            _("A suspended provider cannot publish offers."), code="forbidden", http_status=403
        )
    return _offer_transition(offer, OfferStatus.PUBLISHED, actor=actor)


@transaction.atomic
def offer_withdraw(*, offer: Offer, actor: User | None) -> Offer:
    return _offer_transition(offer, OfferStatus.WITHDRAWN, actor=actor)
