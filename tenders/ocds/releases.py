"""OCDS 1.1 releases (schema 1.1.5), the pure core: ``TenderFacts`` (plain
data) → one ``release`` per stage a tender has reached. Every mapping
decision lives here and needs no database; ``docs/opendata.md`` has the
table.

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
deadline closed the tender, and the queries (``tenders.ocds.queries``) do
not even load them while ``tenders.selectors.responses_sealed`` holds. No
response price is ever published: OCDS 1.1 core has no bid values, and the
award carries the winner's price only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from catalog.cpv import CLOUD_CPV
from catalog.units import UNITS
from core.dates import add_months
from tenders.models import Procedure, TenderStatus

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


def stages_of(t: TenderFacts) -> list[tuple[Stage, datetime]]:
    """The stages a tender has reached, with their dates, in order. Drafts
    (never published) have none. The change feed's triggers journal the
    same stages as they are reached (tenders/migrations/0007)."""
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
