"""Sourcing files (saved catalogue searches): an agency's own, their live
results, and the frozen snapshot of a locked one with its digest."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from catalog import selectors as catalog_selectors
from catalog.models import Offer
from tenders.models import Order, SourcingFile, Tender
from tenders.selectors.agencies import agency_of

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


def snapshot_canonical(document: dict) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the text the SHA-256 is taken of."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def snapshot_digest(document: dict) -> str:
    return hashlib.sha256(snapshot_canonical(document).encode()).hexdigest()


def sourcing_files_of(user: AbstractBaseUser | AnonymousUser) -> QuerySet[SourcingFile]:
    """An agency's sourcing files, for its members only (the drafts of a
    procurement record: never public)."""
    agency = agency_of(user)
    if agency is None:
        return SourcingFile.objects.none()
    return SourcingFile.objects.filter(agency_id=agency.pk).select_related(
        "agency", "created_by", "locked_by"
    )


def sourcing_results(filters: dict) -> QuerySet[Offer]:
    """What the public catalogue search returns for these (normalised)
    filters, in the same order as /api/v1/offers/."""
    kwargs = {key: value for key, value in filters.items() if key != "ordering"}
    for key in ("min_price", "max_price"):
        if kwargs.get(key) is not None:
            kwargs[key] = Decimal(kwargs[key])
    qs = catalog_selectors.offers_filter(
        catalog_selectors.offers_visible_to(AnonymousUser()), **kwargs
    )
    ordering = filters.get("ordering") or ("price" if not filters.get("q") else "-id")
    return qs.order_by(*catalog_selectors.ORDERINGS[ordering])


def sourcing_result_state(filters: dict) -> dict[str, dict]:
    """The result as the daily digest compares it: per offer id (a string,
    as JSON keys are), its name, provider and assessed level."""
    rows = sourcing_results(filters).values_list(
        "pk", "name", "provider__name", "assessment__level", "assessment__level_rank"
    )
    return {
        str(pk): {
            "name": name,
            "provider": provider,
            "level": level or "",
            "rank": rank if rank is not None else -1,
        }
        for pk, name, provider, level, rank in rows
    }


def sourcing_file_uses(sourcing_file: SourcingFile) -> tuple[list[Tender], list[Order]]:
    """The tenders and direct purchases that started from this file."""
    return (
        list(sourcing_file.tenders.order_by("-id")),
        list(sourcing_file.orders.select_related("offer", "provider").order_by("-id")),
    )


def sourcing_file_verify(sourcing_file: SourcingFile) -> bool:
    """Recompute the SHA-256 of the stored snapshot and compare it with the
    digest recorded at lock time (and in the audit chain)."""
    from tenders.services import snapshot_digest

    if not sourcing_file.is_locked or sourcing_file.snapshot is None:
        return False
    return snapshot_digest(sourcing_file.snapshot) == sourcing_file.snapshot_sha256


def sourcing_snapshot_offers(sourcing_file: SourcingFile) -> list[dict]:
    """The frozen offers of a locked file, each check explained in the
    current language (``reason``): the sentence is rendered when shown,
    from the frozen rule and facts, never stored."""
    from django.utils.translation import get_language

    from catalog.texts import check_reason

    lang = get_language()
    offers = []
    for offer in (sourcing_file.snapshot or {}).get("offers", []):
        assessment = offer.get("assessment") or {}
        checks = [
            {**check, "reason": check_reason(check, lang)} for check in assessment.get("checks", [])
        ]
        offers.append({**offer, "assessment": {**assessment, "checks": checks}})
    return offers
