"""Sourcing files: saved catalogue searches, locked into a procurement
record (a frozen, SHA-256-digested result)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from catalog.errors import CatalogError
from catalog.models import Offer
from tenders import selectors
from tenders.models import Agency, SourcingFile
from tenders.selectors.sourcing import snapshot_digest
from tenders.services._common import TenderError, _conflict, _event, _invalid

if TYPE_CHECKING:
    from django.contrib.auth.models import User


SOURCING_FILTER_KEYS = (
    "level",
    "flags",
    "category",
    "location",
    "certification",
    "min_price",
    "max_price",
    "q",
    "ordering",
)
# Keys of the catalogue search page that are not filters: its page number
# and the unit prices are shown in. A query string copied from that page
# drops them; any other unknown key is refused, never silently ignored.
SEARCH_PAGE_KEYS = ("page", "unit")
SNAPSHOT_FORMAT = 1


def sourcing_filters_clean(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The catalogue search parameters (a dict or a query string), parsed
    by the catalogue's own filter parser — a saved search means exactly
    what the search means — and normalised: only the given keys, flags as
    a sorted list, prices as plain decimal strings. An unknown key is a
    field error under its own name (a typo must not widen the search)."""
    data: dict[str, Any] = {}
    getlist = getattr(raw, "getlist", None)
    ignored = SEARCH_PAGE_KEYS if getlist is not None else ()
    unknown = sorted(str(key) for key in raw if key not in (*SOURCING_FILTER_KEYS, *ignored))
    if unknown:
        message = _("Unknown filter; use one of %(names)s.") % {
            "names": ", ".join(SOURCING_FILTER_KEYS)
        }
        raise TenderError(_("Invalid search filters."), fields={key: [message] for key in unknown})
    for key in SOURCING_FILTER_KEYS:
        if getlist is not None:  # a query string: repeated ``flags=`` make one list
            values = [v for v in getlist(key) if str(v).strip()]
            value = ",".join(values) if key == "flags" else (values[-1] if values else None)
        else:
            value = raw.get(key)
            if key == "flags" and isinstance(value, list | tuple):
                value = ",".join(str(v) for v in value)
        if value not in (None, ""):
            data[key] = value
    try:
        asked = catalog_selectors.offer_query_parse(data).given()
    except CatalogError as error:
        raise TenderError(_("Invalid search filters."), fields=error.fields) from None
    clean: dict[str, Any] = {}
    for key, value in asked.items():
        if key == "flags":
            value = sorted(set(value))
        elif isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        elif isinstance(value, str):
            value = value.strip()
        if value in ("", []):
            continue
        clean[key] = value
    return clean


def _offer_record(offer: Offer) -> dict[str, Any]:
    """One offer as the locked file keeps it: what was sold at what price,
    and the assessment (level, flags, every check's rule, result and facts,
    the policy version) that made it eligible."""
    assessment = getattr(offer, "assessment", None)
    return {
        "id": offer.pk,
        "name": offer.name,
        "category": offer.category,
        "cpv_code": offer.cpv_code,
        "provider": {
            "id": offer.provider_id,
            "name": offer.provider.name,
            "siren": offer.provider.siren,
        },
        "unit": offer.unit,
        "unit_price": str(offer.unit_price),
        "price_is_illustrative": offer.price_is_illustrative,
        "normalised_price": str(offer.normalised_price),
        "normalised_unit": offer.normalised_unit,
        "minimum_commitment": str(offer.minimum_commitment),
        "minimum_months": offer.minimum_months,
        "sla_pct": str(offer.sla_pct) if offer.sla_pct is not None else None,
        "locations": offer.location_map(),
        "certifications": [
            {
                "scheme": c.scheme.code,
                "version": c.scheme_version,
                "reference": c.reference,
                "status": c.status,
                "verification": c.verification,
                "expires_on": c.expires_on.isoformat() if c.expires_on else None,
            }
            for c in offer.certifications.all()
        ],
        "assessment": None
        if assessment is None
        else {
            "level": assessment.level,
            "level_rank": assessment.level_rank,
            "flags": sorted(assessment.flags),
            "policy_version": assessment.policy_version,
            "assessed_at": assessment.assessed_at.astimezone(UTC).isoformat(),
            "checks": assessment.checks,
            "relied_certificates": assessment.relied_certificates,
        },
    }


def _sourcing_file_usable(sourcing_file: SourcingFile, agency: Agency) -> None:
    """A purchase or a tender starts only from its own agency's locked file."""
    if sourcing_file.agency_id != agency.pk:
        raise _invalid("sourcing_file", _("Unknown sourcing file."))
    if not sourcing_file.is_locked:
        raise _invalid(
            "sourcing_file",
            _("Lock the sourcing file before starting a purchase or a tender from it."),
        )


def _sourcing_tender_defaults(filters: dict) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for key in ("category", "level", "flags"):
        if filters.get(key):
            defaults[key] = filters[key]
    if filters.get("location"):
        defaults["location_constraint"] = filters["location"]
    return defaults


def sourcing_file_offer_ids(sourcing_file: SourcingFile) -> set[int]:
    """The offers of a locked file's frozen result."""
    return {offer["id"] for offer in (sourcing_file.snapshot or {}).get("offers", [])}


@transaction.atomic
def sourcing_file_save(
    *, agency: Agency, actor: User, name: str, filters: Mapping[str, Any] | None
) -> SourcingFile:
    """Save a catalogue search under a name. Its current result is the
    starting point of the daily digest (only later changes are reported)."""
    name = (name or "").strip()
    if not name:
        raise _invalid("name", _("A name is required."))
    if len(name) > 200:
        raise _invalid("name", _("200 characters at most."))
    clean = sourcing_filters_clean(filters or {})
    item = SourcingFile.objects.create(
        agency=agency,
        name=name,
        filters=clean,
        created_by=actor if getattr(actor, "pk", None) else None,
        digest_state={"offers": selectors.sourcing_result_state(clean)},
    )
    _event(
        "sourcing_file.create",
        actor=actor,
        obj=item,
        organisation=agency.name,
        data={"name": name, "filters": clean},
    )
    return item


@transaction.atomic
def sourcing_file_delete(*, sourcing_file: SourcingFile, actor: User) -> None:
    locked = (
        SourcingFile.objects.select_for_update().select_related("agency").get(pk=sourcing_file.pk)
    )
    if locked.is_locked:
        raise _conflict(
            _("A locked sourcing file is a procurement record: it cannot be deleted."),
            code="locked",
        )
    _event(
        "sourcing_file.delete",
        actor=actor,
        obj=locked,
        organisation=locked.agency.name,
        data={"name": locked.name},
    )
    locked.delete()


@transaction.atomic
def sourcing_file_lock(*, sourcing_file: SourcingFile, actor: User) -> SourcingFile:
    """Freeze the file's result now: every offer with its prices and its
    assessment, the policy version, the time, in one JSON document whose
    SHA-256 (of its canonical text) goes to the audit chain. From then on
    the row never changes (this service refuses; the database trigger
    refuses any other write path)."""
    locked = (
        SourcingFile.objects.select_for_update().select_related("agency").get(pk=sourcing_file.pk)
    )
    if locked.is_locked:
        raise _conflict(_("This sourcing file is already locked."), code="locked")
    now = timezone.now()
    version = catalog_selectors.policy_version_current()
    offers = [_offer_record(offer) for offer in selectors.sourcing_results(locked.filters)]
    # Through JSON once, so that what is stored is exactly what is hashed.
    document = json.loads(
        json.dumps(
            {
                "format": SNAPSHOT_FORMAT,
                "file": {
                    "id": locked.pk,
                    "name": locked.name,
                    "agency": {
                        "id": locked.agency_id,
                        "name": locked.agency.name,
                        "siret": locked.agency.siret,
                    },
                },
                "filters": locked.filters,
                "locked_at": now.astimezone(UTC).isoformat(),
                "policy_version": version,
                "offers": offers,
            },
            default=str,
        )
    )
    digest = snapshot_digest(document)
    locked.locked_at = now
    locked.locked_by = actor if getattr(actor, "pk", None) else None
    locked.policy_version = version
    locked.snapshot = document
    locked.snapshot_sha256 = digest
    locked.save(
        update_fields=["locked_at", "locked_by", "policy_version", "snapshot", "snapshot_sha256"]
    )
    _event(
        "sourcing_file.lock",
        actor=actor,
        obj=locked,
        organisation=locked.agency.name,
        data={
            "sha256": digest,
            "locked_at": document["locked_at"],
            "policy_version": version,
            "offers": [offer["id"] for offer in offers],
        },
    )
    return locked


def sourcing_file_digest_store(*, sourcing_file_id: int, state: dict, at: datetime) -> bool:
    """Record what the daily digest of an unlocked file saw (the broker
    computes it). A file locked meanwhile keeps no digest: False."""
    return bool(
        SourcingFile.objects.filter(pk=sourcing_file_id, locked_at__isnull=True).update(
            digest_state=state, digest_at=at
        )
    )
