"""Read-only queries that turn public tenders into ``TenderFacts``, for the
records, the change feed (``tenders.ocds.feed``) and ``manage.py
export_ocds``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from tenders import selectors
from tenders.models import ResponseStatus, Tender, TenderResponse, TenderStatus, WithdrawnAward
from tenders.ocds.packages import record
from tenders.ocds.releases import (
    LOCAL_PROVIDER_ID,
    ORG_SCHEME,
    AwardFacts,
    Organisation,
    TenderFacts,
    WithdrawnAwardFacts,
    ocid_prefix,
    releases_of,
)


def _public_tenders() -> QuerySet[Tender]:
    """Published-and-later tenders, as anyone may see them (the one scoping
    rule, in tenders.selectors): drafts, and drafts cancelled before
    publication, never appear."""
    return selectors.tenders_visible_to(AnonymousUser())


def organisation_of_agency(agency) -> Organisation:
    return Organisation(f"{ORG_SCHEME}-{agency.siret}", agency.name, ORG_SCHEME, agency.siret)


def organisation_of_provider(provider) -> Organisation:
    siren = provider.siren.replace(" ", "")
    if siren:
        return Organisation(f"{ORG_SCHEME}-{siren}", provider.name, ORG_SCHEME, siren)
    return Organisation(LOCAL_PROVIDER_ID.format(pk=provider.pk), provider.name)


def _facts(tenders: list[Tender]) -> dict[int, TenderFacts]:
    """Facts of these tenders in four queries whatever their number."""
    opened = [t.pk for t in tenders if not selectors.responses_sealed(t)]
    tenderers: dict[int, dict[int, Organisation]] = {}
    live = (
        TenderResponse.objects.filter(tender_id__in=opened, status=ResponseStatus.SUBMITTED)
        .select_related("provider")
        .order_by("submitted_at", "pk")
    )
    for response in live:
        tenderers.setdefault(response.tender_id, {}).setdefault(
            response.provider_id, organisation_of_provider(response.provider)
        )
    withdrawn: dict[int, list[WithdrawnAwardFacts]] = {}
    for item in (
        WithdrawnAward.objects.filter(tender_id__in=[t.pk for t in tenders])
        .select_related("response__provider")
        .order_by("withdrawn_at", "pk")
    ):
        withdrawn.setdefault(item.tender_id, []).append(
            WithdrawnAwardFacts(
                pk=item.award_id,
                amount=item.amount,
                awarded_at=item.awarded_at,
                withdrawn_at=item.withdrawn_at,
                supplier=organisation_of_provider(item.response.provider),
                reason=item.reason,
            )
        )
    levels = selectors.levels_by_code()
    facts = {}
    for t in tenders:
        decided = (TenderStatus.AWARDED, TenderStatus.CONTRACT_SIGNED)
        award = getattr(t, "award", None) if t.status in decided else None
        facts[t.pk] = TenderFacts(
            pk=t.pk,
            reference=t.reference,
            title=t.title,
            description=t.description,
            status=t.status,
            procedure=t.procedure,
            cpv_code=t.cpv_code,
            quantity=t.quantity,
            unit=t.unit,
            duration_months=t.duration_months,
            estimated_value=t.estimated_value,
            response_deadline=t.response_deadline,
            published_at=t.published_at,
            closed_at=t.closed_at,
            decided_at=t.decided_at,
            status_reason=t.status_reason,
            weights=(t.weight_price, t.weight_technical, t.weight_other),
            required_level=selectors.required_level(
                agency=t.agency, level=t.level, flags=list(t.flags), levels=levels
            ).code,
            flags=tuple(t.flags),
            location_constraint=t.location_constraint,
            buyer=organisation_of_agency(t.agency),
            tenderers=tuple(tenderers.get(t.pk, {}).values()),
            award=AwardFacts(
                pk=award.pk,
                amount=award.amount,
                awarded_at=award.awarded_at,
                supplier=organisation_of_provider(award.response.provider),
                contract_signed_at=award.contract_signed_at,
            )
            if award
            else None,
            withdrawn=tuple(withdrawn.get(t.pk, ())),
        )
    return facts


def tender_facts(tender_ids: Iterable[int]) -> dict[int, TenderFacts]:
    tenders = list(
        _public_tenders()
        .filter(pk__in=list(tender_ids))
        .select_related("award__response__provider")
    )
    return _facts(tenders)


def record_for(ocid: str) -> dict | None:
    """The record of one public tender, or None (unknown ocid, a draft)."""
    prefix = ocid_prefix() + "-"
    if not ocid.startswith(prefix):
        return None
    tender = (
        _public_tenders()
        .filter(reference=ocid.removeprefix(prefix))
        .values_list("pk", flat=True)
        .first()
    )
    if tender is None:
        return None
    releases = releases_of(tender_facts([tender])[tender])
    return record(releases) if releases else None


def iter_tender_releases(*, batch: int = 200) -> Iterator[list[dict]]:
    """Every public tender's releases, tender by tender (for the export)."""
    ids = list(_public_tenders().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        facts = tender_facts(ids[start : start + batch])
        for pk in ids[start : start + batch]:
            releases = releases_of(facts[pk])
            if releases:
                yield releases


def date_order(releases: list[dict]) -> list[dict]:
    """Date, then release id (code point by code point): the export's order."""
    return sorted(releases, key=lambda r: (datetime.fromisoformat(r["date"]), r["id"]))
