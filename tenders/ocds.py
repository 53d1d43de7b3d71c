"""Open Contracting Data Standard 1.1 (schema 1.1.5) for the window's
tenders: releases, a release package, record packages with the compiled
release. ``docs/opendata.md`` has the mapping table.

Two layers, like ``tenders.decp``:

* a pure core — ``TenderFacts`` (plain data) → ``release`` / ``record`` /
  the packages — that holds every mapping decision and needs no database;
* read-only queries that turn public tenders into facts, in feed order,
  for the API (``tenders.api_ocds``) and ``manage.py export_ocds``.

Releases are derived from the tender's own timestamps, one per stage; each
is the state of the process *at that stage* (tender details cannot change
after publication, responses cannot change after the deadline, an award is
final), so a release never changes once it exists and its ``id`` is stable:

=========================  ======================  ==================  ===============
stage                      date                    tag                 tender.status
=========================  ======================  ==================  ===============
``-tender``                published_at            tender              active
``-closed``                closed_at               tenderUpdate        active
``-cancelled``             decided_at              tenderCancellation  cancelled
``-unsuccessful``          decided_at              tenderUpdate        unsuccessful
``-award-<award id>``      award.awarded_at        award               complete
``-award-<id>-cancelled``  withdrawn_at            awardUpdate         active
``-contract``              award.contract_signed   contract            complete
=========================  ======================  ==================  ===============

The award decision and the contract are two releases: the contract is
signed only after the standstill (Code de la commande publique R2182-1),
and only then does a ``contract`` appear. An award withdrawn before
signature (a complaint upheld) keeps its ``-award-<id>`` release and gets
an ``awardUpdate`` marking it ``cancelled``; the tender is evaluated again
(status active) and a new award has a release of its own id.

Sealed responses: tenderers (parties, ``tender.tenderers``,
``numberOfTenderers``) exist only in releases of a stage after the
deadline closed the tender, and the queries do not even load them while
``tenders.selectors.responses_sealed`` holds. No response price is ever
published: OCDS 1.1 core has no bid values, and the award carries the
winner's price only.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import copy
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Collate, Concat
from django.utils import timezone

from catalog.cpv import CLOUD_CPV
from catalog.units import UNITS
from tenders import selectors
from tenders.models import (
    Procedure,
    ResponseStatus,
    Tender,
    TenderResponse,
    TenderStatus,
    WithdrawnAward,
)

OCDS_VERSION = "1.1"
PUBLISHER = {"name": "Guichet Cloud"}
# Licence Ouverte / Open Licence 2.0 (Etalab): the licence French public
# bodies publish their open data under (Code des relations entre le public
# et l'administration, D323-2-1).
LICENSE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
LANGUAGE = "fr"

# Party identifiers (https://org-id.guide): "FR-RCS" is the register
# org-id.guide lists for French organisations, identified by SIREN (legal
# unit) or SIRET (establishment); its former "FR-INSEE" list (the SIRENE
# directory) is deprecated in its favour. Agencies are identified by the
# SIRET they buy with (the DECP « acheteur » too), providers by SIREN.
# A provider without a SIREN (a foreign company) has no identifier we can
# place in an org-id list: its party id is local to the window.
ORG_SCHEME = "FR-RCS"
LOCAL_PROVIDER_ID = "GC-FOURNISSEUR-{pk}"

# Every tender of the window is published on the window and any provider
# whose offer is eligible may answer, in one stage: « open » in OCDS terms
# (method.csv: "all interested suppliers can submit a tender"), whatever the
# legal regime — which procurementMethodDetails names. Not « selective »
# (no candidate pre-selection), not « limited » (the buyer picks no one),
# and not « direct » even below the « dispense de procédure » threshold:
# a published tender with several answers is not a single-supplier award.
PROCUREMENT_METHODS = {
    Procedure.OPEN: "open",
    Procedure.ADAPTED: "open",
    Procedure.DIRECT: "open",
}
PROCUREMENT_METHOD_DETAILS = {
    Procedure.OPEN: "Appel d'offres ouvert (Code de la commande publique, art. R2124-2)",
    Procedure.ADAPTED: (
        "Procédure adaptée (MAPA, Code de la commande publique, art. R2123-1), "
        "publiée sur Guichet Cloud"
    ),
    Procedure.DIRECT: (
        "Marché sans publicité ni mise en concurrence préalables (dispense de procédure, "
        "Code de la commande publique, art. R2122-8), mis en concurrence sur Guichet Cloud"
    ),
}
SUBMISSION_DETAILS = (
    "Réponse électronique scellée, déposée sur Guichet Cloud avec une offre "
    "du catalogue éligible au niveau de sensibilité demandé ; aucune réponse "
    "n'est lisible avant la date limite."
)

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# How long a just-stamped release waits before the feed serves it; see
# ``settled_before``.
SETTLE_MARGIN = timedelta(seconds=5)


# --------------------------------------------------------------------------
# Pure core


@dataclass(frozen=True)
class Stage:
    suffix: str  # of the release id
    tags: tuple[str, ...]
    tender_status: str  # tenderStatus.csv
    opened: bool  # past the deadline: tenderers may appear


TENDER = Stage("tender", ("tender",), "active", False)
CLOSED = Stage("closed", ("tenderUpdate",), "active", True)
CANCELLED = Stage("cancelled", ("tenderCancellation",), "cancelled", True)
UNSUCCESSFUL = Stage("unsuccessful", ("tenderUpdate",), "unsuccessful", True)
CONTRACT = Stage("contract", ("contract",), "complete", True)
STAGES = {stage.suffix: stage for stage in (TENDER, CLOSED, CANCELLED, UNSUCCESSFUL, CONTRACT)}


@dataclass(frozen=True)
class AwardStage(Stage):
    """The award decision of one award (``cancelled``: its withdrawal)."""

    award_pk: int = 0
    cancelled: bool = False


def award_stage(pk: int) -> AwardStage:
    return AwardStage(f"award-{pk}", ("award",), "complete", True, award_pk=pk)


def award_cancelled_stage(pk: int) -> AwardStage:
    return AwardStage(
        f"award-{pk}-cancelled", ("awardUpdate",), "active", True, award_pk=pk, cancelled=True
    )


def stage_for(suffix: str) -> Stage:
    """The stage of a release id's suffix (the feed's index gives these)."""
    if suffix in STAGES:
        return STAGES[suffix]
    pk = suffix.removeprefix("award-").removesuffix("-cancelled")
    if not suffix.startswith("award-") or not pk.isdigit():
        raise ValueError(f"unknown release stage {suffix!r}")
    return award_cancelled_stage(int(pk)) if suffix.endswith("-cancelled") else award_stage(int(pk))


@dataclass(frozen=True)
class Organisation:
    party_id: str
    name: str
    scheme: str = ""
    identifier: str = ""


@dataclass(frozen=True)
class AwardFacts:
    pk: int
    amount: Decimal  # EUR excl. VAT, the winning response's total
    awarded_at: datetime
    supplier: Organisation
    contract_signed_at: datetime | None = None


@dataclass(frozen=True)
class WithdrawnAwardFacts:
    pk: int  # the award's own id, kept by the history
    amount: Decimal
    awarded_at: datetime
    withdrawn_at: datetime
    supplier: Organisation
    reason: str


@dataclass(frozen=True)
class TenderFacts:
    pk: int
    reference: str
    title: str
    description: str
    status: str  # a TenderStatus value
    procedure: str  # a Procedure value
    cpv_code: str  # with its check digit, as stored
    quantity: Decimal  # per month, in ``unit``
    unit: str  # a catalog.units code
    duration_months: int
    estimated_value: Decimal  # EUR excl. VAT
    response_deadline: datetime
    published_at: datetime | None
    closed_at: datetime | None
    decided_at: datetime | None
    status_reason: str
    weights: tuple[int, int, int]  # price, technical, other
    required_level: str
    flags: tuple[str, ...]
    location_constraint: str
    buyer: Organisation
    # Providers with a live response; empty unless the deadline closed the tender.
    tenderers: tuple[Organisation, ...] = ()
    award: AwardFacts | None = None
    withdrawn: tuple[WithdrawnAwardFacts, ...] = ()


def ocid_prefix() -> str:
    return settings.OCDS_OCID_PREFIX


def ocid_for(reference: str, prefix: str | None = None) -> str:
    return f"{prefix or ocid_prefix()}-{reference}"


def rfc3339(moment: datetime) -> str:
    """Paris time with its offset (RFC 3339 / ISO 8601), to the
    microsecond when there are some: the feed's order is exactly the order
    of these dates, then of the release ids."""
    return timezone.localtime(moment).isoformat()


def _number(value: Decimal) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _money(amount: Decimal) -> dict:
    return {"amount": _number(amount), "currency": "EUR"}


def add_months(moment: datetime, months: int) -> datetime:
    """The same wall-clock time ``months`` later in Paris, on the last day
    of the month when the day does not exist (31 January + 1 month)."""
    local = timezone.localtime(moment)
    years, month0 = divmod(local.month - 1 + months, 12)
    year, month = local.year + years, month0 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def stages_of(t: TenderFacts) -> list[tuple[Stage, datetime]]:
    """The stages a tender has reached, with their dates, in order. Drafts
    (never published) have none. The feed query mirrors this in SQL
    (``_index``)."""
    if t.published_at is None or t.status == TenderStatus.DRAFT:
        return []
    reached = [(TENDER, t.published_at)]
    if t.closed_at is not None:
        reached.append((CLOSED, t.closed_at))
    for withdrawn in t.withdrawn:
        reached.append((award_stage(withdrawn.pk), withdrawn.awarded_at))
        reached.append((award_cancelled_stage(withdrawn.pk), withdrawn.withdrawn_at))
    if t.status == TenderStatus.CANCELLED and t.decided_at is not None:
        reached.append((CANCELLED, t.decided_at))
    elif t.status == TenderStatus.UNSUCCESSFUL and t.decided_at is not None:
        reached.append((UNSUCCESSFUL, t.decided_at))
    elif t.status in (TenderStatus.AWARDED, TenderStatus.CONTRACT_SIGNED) and t.award is not None:
        reached.append((award_stage(t.award.pk), t.award.awarded_at))
        if t.status == TenderStatus.CONTRACT_SIGNED and t.award.contract_signed_at is not None:
            reached.append((CONTRACT, t.award.contract_signed_at))
    # Stable: a withdrawal comes after its award even at the same instant.
    return sorted(reached, key=lambda pair: pair[1])


def _reference(org: Organisation) -> dict:
    return {"id": org.party_id, "name": org.name}


def _party(org: Organisation, roles: list[str]) -> dict:
    party = {"id": org.party_id, "name": org.name}
    if org.identifier:
        party["identifier"] = {"scheme": org.scheme, "id": org.identifier, "legalName": org.name}
    party["roles"] = roles
    return party


def _item(t: TenderFacts) -> dict:
    unit = UNITS[t.unit]
    code = t.cpv_code.split("-", 1)[0]
    return {
        "id": "1",
        "description": f"{_number(t.quantity)} {unit.label} par mois pendant {t.duration_months} mois "
        f"({_number(t.quantity * t.duration_months)} {unit.label} au total)",
        # CPV without its check digit, as TED publishes it (itemClassificationScheme.csv
        # accepts both forms).
        "classification": {
            "scheme": "CPV",
            "id": code,
            "description": CLOUD_CPV.get(t.cpv_code, ""),
        },
        # The units billed over the whole contract, so that value ÷ quantity
        # is a unit price: 200 TB-month per month for 24 months is 4,800 TB-month.
        "quantity": _number(t.quantity * t.duration_months),
        "unit": {"name": unit.label},
    }


# The buyer's stated reason, where OCDS 1.1 core can hold it: it has no
# status-details field, but a document of the right type may describe it.
REASON_DOCUMENTS = {
    CANCELLED: ("cancellation", "cancellationDetails", "Motif de l'annulation"),
    UNSUCCESSFUL: (
        "unsuccessful",
        "evaluationReports",
        "Motif de la déclaration sans suite (infructuosité)",
    ),
}


def _eligibility(t: TenderFacts) -> str:
    parts = [f"Offres qualifiées au niveau de sensibilité {t.required_level} ou plus"]
    if t.flags:
        parts.append("exigences " + ", ".join(t.flags))
    if t.location_constraint:
        parts.append(f"données localisées : {t.location_constraint}")
    return " ; ".join(parts) + " (évaluation publique de chaque offre par Guichet Cloud)."


def _tender(
    t: TenderFacts, stage: Stage, at: datetime, tenderers: tuple[Organisation, ...]
) -> dict:
    price, technical, other = t.weights
    tender: dict = {"id": t.reference, "title": t.title}
    if t.description:
        tender["description"] = t.description
    tender.update(
        {
            "status": stage.tender_status,
            "procuringEntity": _reference(t.buyer),
            "items": [_item(t)],
            "value": _money(t.estimated_value),
            "procurementMethod": PROCUREMENT_METHODS[t.procedure],
            "procurementMethodDetails": PROCUREMENT_METHOD_DETAILS[t.procedure],
            "mainProcurementCategory": "services",
            "awardCriteria": "priceOnly" if price == 100 else "ratedCriteria",
            "awardCriteriaDetails": f"Prix {price} %, valeur technique {technical} %, autres critères {other} %",
            "submissionMethod": ["electronicSubmission"],
            "submissionMethodDetails": SUBMISSION_DETAILS,
            "tenderPeriod": {
                "startDate": rfc3339(t.published_at),
                "endDate": rfc3339(t.response_deadline),
            },
            "eligibilityCriteria": _eligibility(t),
        }
    )
    if stage.opened and t.closed_at is not None:
        tender["numberOfTenderers"] = len(tenderers)
        if tenderers:
            tender["tenderers"] = [_reference(org) for org in tenderers]
        award_period = {"startDate": rfc3339(t.closed_at)}
        if (
            stage is UNSUCCESSFUL
            or stage is CONTRACT
            or (isinstance(stage, AwardStage) and not stage.cancelled)
        ):
            award_period["endDate"] = rfc3339(at)
        tender["awardPeriod"] = award_period
    reason = REASON_DOCUMENTS.get(stage)
    if reason and t.status_reason:
        document_id, document_type, title = reason
        tender["documents"] = [
            {
                "id": document_id,
                "documentType": document_type,
                "title": title,
                "description": t.status_reason,
                "datePublished": rfc3339(at),
                "language": LANGUAGE,
            }
        ]
    return tender


def _period(t: TenderFacts, start: datetime) -> dict:
    end = add_months(start, t.duration_months)
    return {
        "startDate": rfc3339(start),
        "endDate": rfc3339(end),
        "durationInDays": (end - timezone.localtime(start)).days,
    }


def _award(
    t: TenderFacts, ocid: str, award: AwardFacts | WithdrawnAwardFacts, *, cancelled: bool
) -> dict:
    data = {
        "id": f"{ocid}-award-{award.pk}",
        "status": "cancelled" if cancelled else "active",
        "date": rfc3339(award.awarded_at),
        "value": _money(award.amount),
        "suppliers": [_reference(award.supplier)],
        "items": [_item(t)],
        # The anticipated period, from the decision; the contract has the real one.
        "contractPeriod": _period(t, award.awarded_at),
    }
    if cancelled and getattr(award, "reason", ""):
        data["description"] = f"Attribution retirée avant signature : {award.reason}"
    return data


def _contract(t: TenderFacts, ocid: str) -> dict:
    """Signed after the standstill: the period runs from the signature."""
    award = t.award
    return {
        "id": f"{ocid}-contract-{award.pk}",
        "awardID": f"{ocid}-award-{award.pk}",
        "status": "active",
        "value": _money(award.amount),
        "period": _period(t, award.contract_signed_at),
        "items": [_item(t)],
        "dateSigned": rfc3339(award.contract_signed_at),
    }


def _award_of_stage(t: TenderFacts, stage: Stage) -> AwardFacts | WithdrawnAwardFacts | None:
    if stage is CONTRACT:
        return t.award
    if not isinstance(stage, AwardStage):
        return None
    if t.award is not None and t.award.pk == stage.award_pk:
        return t.award
    return next((w for w in t.withdrawn if w.pk == stage.award_pk), None)


def release(t: TenderFacts, stage: Stage, at: datetime, *, prefix: str | None = None) -> dict:
    """The release of one stage of one tender: the process as it stood then."""
    ocid = ocid_for(t.reference, prefix)
    # Belt and braces with the queries: tenderers only at a stage past the
    # deadline, and only when the deadline did close the tender.
    tenderers = t.tenderers if stage.opened and t.closed_at is not None else ()
    award = _award_of_stage(t, stage)
    supplier = award.supplier if award is not None else None
    parties = [_party(t.buyer, ["buyer", "procuringEntity"])]
    for org in tenderers:
        supplying = supplier is not None and org.party_id == supplier.party_id
        parties.append(_party(org, ["tenderer", "supplier"] if supplying else ["tenderer"]))
    if supplier is not None and all(org.party_id != supplier.party_id for org in tenderers):
        parties.append(_party(supplier, ["supplier"]))
    data = {
        "ocid": ocid,
        "id": f"{ocid}-{stage.suffix}",
        "date": rfc3339(at),
        "tag": list(stage.tags),
        "initiationType": "tender",
        "language": LANGUAGE,
        "parties": parties,
        "buyer": _reference(t.buyer),
        "tender": _tender(t, stage, at, tenderers),
    }
    if award is not None:
        data["awards"] = [_award(t, ocid, award, cancelled=getattr(stage, "cancelled", False))]
        if stage is CONTRACT:
            data["contracts"] = [_contract(t, ocid)]
    return data


def releases_of(t: TenderFacts, *, prefix: str | None = None) -> list[dict]:
    return [release(t, stage, at, prefix=prefix) for stage, at in stages_of(t)]


# The OCDS merge routine (https://standard.open-contracting.org/1.1/en/schema/merging/):
# objects merge field by field, arrays of objects with an ``id`` merge item
# by id, any other value (and a whole-list-merge array) replaces the
# previous one, and null removes it.
OMIT_WHEN_MERGED = ("id", "date", "tag")
WHOLE_LIST_MERGE = ("additionalIdentifiers",)


def _identified_list(value) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and "id" in item for item in value)
    )


def _merge(into: dict, change: dict) -> dict:
    for key, value in change.items():
        current = into.get(key)
        if value is None:
            into.pop(key, None)
        elif isinstance(value, dict):
            into[key] = _merge(current if isinstance(current, dict) else {}, value)
        elif _identified_list(value) and key not in WHOLE_LIST_MERGE:
            by_id = {item["id"]: item for item in current} if _identified_list(current) else {}
            for item in value:
                by_id[item["id"]] = _merge(by_id.get(item["id"], {}), item)
            into[key] = list(by_id.values())
        else:
            into[key] = copy.deepcopy(value)
    return into


def compiled_release(releases: list[dict]) -> dict:
    """The merge of one process's releases, oldest first."""
    ordered = sorted(releases, key=lambda r: datetime.fromisoformat(r["date"]))
    compiled: dict = {}
    for item in ordered:
        _merge(compiled, {k: v for k, v in item.items() if k not in OMIT_WHEN_MERGED})
    latest = ordered[-1]
    return {
        "ocid": latest["ocid"],
        "id": f"{latest['ocid']}-compiled",
        "date": latest["date"],
        "tag": ["compiled"],
        **{k: v for k, v in compiled.items() if k != "ocid"},
    }


def record(releases: list[dict]) -> dict:
    """One process's record: its releases embedded, oldest first, and the
    compiled release."""
    if not releases:
        raise ValueError("a record needs at least one release")
    return {
        "ocid": releases[0]["ocid"],
        "releases": releases,
        "compiledRelease": compiled_release(releases),
    }


def _latest(dates: Iterable[str]) -> str:
    return max(dates, key=datetime.fromisoformat)


def _package_head(uri: str, published: str) -> dict:
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": published,
        "publisher": dict(PUBLISHER),
        "license": LICENSE,
    }


def release_package(releases: list[dict], *, uri: str) -> dict:
    """A release package. Its ``publishedDate`` is the newest release's
    date: the package is generated on demand, and the schema asks for the
    date of the last change to its contents then. The schema wants at least
    one release: an empty one is refused here rather than served invalid."""
    if not releases:
        raise ValueError("an OCDS release package holds at least one release")
    return {**_package_head(uri, _latest(r["date"] for r in releases)), "releases": releases}


def record_package(records: list[dict], *, uri: str) -> dict:
    if not records:
        raise ValueError("an OCDS record package holds at least one record")
    return {
        **_package_head(uri, _latest(r["compiledRelease"]["date"] for r in records)),
        "records": records,
    }


def dumps(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)


# Cursor of the ``?since=`` feed: an opaque, URL-safe encoding of the last
# release's position (instant, release id).

Position = tuple[datetime, str]


def cursor_encode(position: Position) -> str:
    moment, rid = position
    raw = json.dumps(["ocds", moment.isoformat(), rid], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(token: str) -> Position:
    """Raises ValueError for anything ``cursor_encode`` did not produce."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        kind, stamp, rid = json.loads(raw)
        moment = datetime.fromisoformat(stamp)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise ValueError("not an OCDS feed cursor") from exc
    if kind != "ocds" or not isinstance(rid, str) or timezone.is_naive(moment):
        raise ValueError("not an OCDS feed cursor")
    return moment, rid


# --------------------------------------------------------------------------
# Queries (read-only)


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


def feed_order(releases: list[dict]) -> list[dict]:
    """Date, then release id: the feed's order (the ids compare as the
    database's "C" collation does, code point by code point)."""
    return sorted(releases, key=lambda r: (datetime.fromisoformat(r["date"]), r["id"]))


def _index(*, after: Position | None, before: datetime) -> QuerySet:
    """(instant, release id, tender id, stage) of every release, in feed
    order: one query, a union of one select per stage — the SQL twin of
    ``stages_of``."""
    base = _public_tenders().order_by()
    prefix = ocid_prefix()
    parts = (
        (TENDER, "published_at", base),
        (CLOSED, "closed_at", base.filter(closed_at__isnull=False)),
        (
            CANCELLED,
            "decided_at",
            base.filter(status=TenderStatus.CANCELLED, decided_at__isnull=False),
        ),
        (
            UNSUCCESSFUL,
            "decided_at",
            base.filter(status=TenderStatus.UNSUCCESSFUL, decided_at__isnull=False),
        ),
        (
            CONTRACT,
            "award__contract_signed_at",
            base.filter(
                status=TenderStatus.CONTRACT_SIGNED, award__contract_signed_at__isnull=False
            ),
        ),
    )
    award_id = Cast("award__id", CharField())
    withdrawn = WithdrawnAward.objects.filter(tender__in=base.values("pk")).order_by()
    withdrawn_id = Cast("award_id", CharField())
    # Stages named after an award id: (queryset, date, reference, suffix).
    per_award = (
        (
            base.filter(
                status__in=(TenderStatus.AWARDED, TenderStatus.CONTRACT_SIGNED), award__isnull=False
            ),
            "award__awarded_at",
            "reference",
            Concat(Value("award-"), award_id),
        ),
        (withdrawn, "awarded_at", "tender__reference", Concat(Value("award-"), withdrawn_id)),
        (
            withdrawn,
            "withdrawn_at",
            "tender__reference",
            Concat(Value("award-"), withdrawn_id, Value("-cancelled")),
        ),
    )
    selects = []

    def select(qs, field: str, reference: str, suffix, tender: str):
        qs = qs.annotate(
            r_at=F(field),
            r_stage=suffix,
            r_id=Collate(Concat(Value(f"{prefix}-"), F(reference), Value("-"), suffix), "C"),
        ).filter(r_at__lt=before)
        if after is not None:
            moment, rid = after
            qs = qs.filter(Q(r_at__gt=moment) | Q(r_at=moment, r_id__gt=rid))
        selects.append(qs.values_list("r_at", "r_id", tender, "r_stage"))

    for stage, field, qs in parts:
        select(qs, field, "reference", Value(stage.suffix, output_field=CharField()), "pk")
    for qs, field, reference, suffix in per_award:
        select(qs, field, reference, suffix, "pk" if qs.model is Tender else "tender_id")
    return selects[0].union(*selects[1:], all=True).order_by("r_at", "r_id")


def settled_before() -> datetime:
    """The instant before which every release is committed.

    A release's date is stamped inside the transaction that makes it, and
    that transaction commits a little later: a client polling in between,
    then receiving a younger release that committed first, would move its
    cursor past the older one for ever. So the feed serves only releases
    older than the oldest transaction still open on the database (a
    transaction cannot stamp a date before it began) and older than a
    margin (a stamp may be taken just before the first statement of its
    transaction opens it). The records and the export, which are read whole,
    are not held back."""
    with connection.cursor() as cursor:
        # The statistics views are a snapshot per transaction: take a fresh one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        oldest = cursor.fetchone()[0]
    now = timezone.now()
    return min(now, oldest or now) - SETTLE_MARGIN


@dataclass(frozen=True)
class FeedPage:
    releases: list[dict]
    next_cursor: str | None  # the last release's; the given one on an empty page
    has_more: bool


def release_feed(*, since: str | None, limit: int = PAGE_SIZE) -> FeedPage:
    """Releases after the ``since`` cursor (from the first without one), in
    feed order, at most ``limit``. Raises ValueError for a cursor this
    module did not produce."""
    after = cursor_decode(since) if since else None
    rows = list(_index(after=after, before=settled_before())[: limit + 1])
    page = rows[:limit]
    facts = tender_facts({pk for _at, _rid, pk, _stage in page})
    releases = [release(facts[pk], stage_for(suffix), at) for at, _rid, pk, suffix in page]
    cursor = cursor_encode((page[-1][0], page[-1][1])) if page else since
    return FeedPage(releases=releases, next_cursor=cursor or None, has_more=len(rows) > limit)
