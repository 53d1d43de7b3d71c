"""French essential procurement data — DECP 2.0.3, « données essentielles de
la commande publique » (arrêtés du 22 décembre 2022 modifiés; Code de la
commande publique R2196-1) — for every contract the window concludes at or
above ``settings.DECP_THRESHOLD``: awarded tenders and accepted direct
purchases.

Two layers:

* a pure core — ``Contract`` (plain data) → ``marche_entry`` (one ``marche``
  of the official JSON schema) — that holds every mapping decision and is
  tested without a database;
* read-only queries that turn ``Award`` and ``Order`` rows into
  ``Contract``\\ s in publication order, for the API feed, the downloads, the
  ``export_decp`` command and the agency page.

Dates. The project records no separate publication event. An entry exists
from the moment the contract does — the award (tender) or the provider's
acceptance (order), which is also what notifies the holder in the window —
so ``dateNotification`` and ``datePublicationDonnees`` are both that day
(Europe/Paris), and the feed orders entries by that instant.

Modifications. The project records none yet: ``Contract.modifications`` is
empty and the key is omitted (the schema wants at least one item when
present). A later modification table only has to fill that tuple with
``Modification`` values; the builder already renders them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Subcontractor
from catalog.policy import EU
from tenders import selectors
from tenders.models import (
    Agency,
    Award,
    Order,
    OrderStatus,
    Procedure,
    ResponseStatus,
    Tender,
    TenderResponse,
    TenderStatus,
)

SCHEMA_VERSION = "2.0.3"

TENDER = "tender"
ORDER = "order"
# Ties on the publication instant are broken by kind, then by row id.
KIND_RANK = {TENDER: 0, ORDER: 1}

# ``procedure``: our procedures onto the regulatory list of the schema.
PROCEDURES = {
    Procedure.OPEN: "Appel d'offres ouvert",
    Procedure.ADAPTED: "Procédure adaptée",
    # Below the « dispense de procédure » threshold (R2122-8) the legal basis
    # is a contract concluded without prior publicity or competition — also
    # for a small tender the window happened to let several providers answer.
    Procedure.DIRECT: "Marché passé sans publicité ni mise en concurrence préalable",
}

# ``nature``: cloud services are ordinary public contracts. Not a
# « marché de partenariat » (no design-build-finance), and not « de défense
# ou de sécurité »: classified needs (N4) are refused outright, and
# Diffusion Restreinte (N3) is a protection marking, not a classification.
NATURE = "Marché"

# ``formePrix``: a tender is won by a total price for the stated quantity and
# duration (lump sum); a direct purchase is a catalogue unit price × quantity.
PRICE_FORMS = {TENDER: "Forfaitaire", ORDER: "Unitaire"}
# ``typesPrix``: the awarded total (or the unit price snapshotted on the
# order) is final and fixed; the window records no revision clause.
PRICE_TYPE = "Définitif ferme"

# ``ccag``: neither tenders nor orders record a reference to a CCAG (CCAG-TIC
# would be the natural one for IT services); claiming one we do not record
# would be wrong, so « Pas de CCAG » until a tender field states it.
CCAG = "Pas de CCAG"

# ``techniques`` / ``modalitesExecution``: no framework agreement, dynamic
# system, e-auction or tranche/purchase-order execution exists in the window.
# The direct purchase picks from a catalogue, but that is not the regulatory
# « catalogue électronique » technique (a form of tendering, R2162-…).
NO_TECHNIQUE = "Sans objet"
NO_EXECUTION_MODE = "Sans objet"

# ``considerationsSociales`` / ``considerationsEnvironnementales``: tenders
# weigh price, technical and "other" criteria with no recorded social or
# environmental clause or criterion.
NO_SOCIAL = "Pas de considération sociale"
NO_ENVIRONMENTAL = "Pas de considération environnementale"

# ``lieuExecution``: Agency records no address. A SIRET is only issued to an
# establishment in France, so France is the one place derivable for sure;
# « Code pays » with France's INSEE geographic code (COG 99100) is the
# coarsest code the schema allows. When Agency gains an INSEE commune or
# département code, pass it as ``Contract.place``.
PLACE_FRANCE = ("99100", "Code pays")

# Greece's intra-EU VAT numbers start with EL, not its ISO code GR.
EU_VAT_PREFIXES = (EU - {"GR"}) | {"EL"}

# ``id``: 1 to 16 characters, unique per buyer, avoiding & " \ < space , ;.
_SAFE_IDENTIFIER = re.compile(r"[A-Za-z0-9_-]{1,16}")
OBJECT_MAX_LENGTH = 1000

# Why an awarded contract is not in the data (None: it is).
BELOW_THRESHOLD = "below_threshold"
HOLDER_UNIDENTIFIED = "holder_unidentified"


# --------------------------------------------------------------------------
# Pure core


@dataclass(frozen=True)
class Holder:
    """A contract holder's legal identity, as recorded on its provider."""

    siren: str = ""
    vat_number: str = ""


@dataclass(frozen=True)
class Modification:
    """A change notified after publication (amount, duration, holders). The
    project records none yet; see the module docstring."""

    number: int
    notified_on: date
    published_on: date
    duration_months: int | None = None
    amount: Decimal | None = None
    holders: tuple[Holder, ...] = ()


Position = tuple[datetime, int, int]


@dataclass(frozen=True)
class Contract:
    kind: str  # TENDER or ORDER
    pk: int  # the Award or Order row: with the kind, the feed position
    reference: str
    buyer_siret: str
    subject: str
    cpv_code: str
    procedure: str  # a tenders.models.Procedure value
    duration_months: int
    amount: Decimal  # EUR excl. VAT
    published_at: datetime  # award or acceptance instant (aware)
    holders: tuple[Holder, ...]
    offers_received: int = 1
    subcontracting_declared: bool = False
    place: tuple[str, str] = PLACE_FRANCE
    modifications: tuple[Modification, ...] = ()

    @property
    def published_on(self) -> date:
        return timezone.localdate(self.published_at)

    @property
    def position(self) -> Position:
        return (self.published_at, KIND_RANK[self.kind], self.pk)


def holder_identifier(holder: Holder) -> dict | None:
    """The schema's ``titulaire``: a French company by its SIREN, typed
    « SIRET » — the schema has no SIREN type, and the project records the
    legal entity (SIREN, the first 9 digits of every SIRET), not the
    establishment's NIC; the ``id`` has no pattern. Otherwise the VAT
    number: « TVA » for an intra-EU one, « HORS-UE » for another country's
    (e.g. a Swiss UID). None when nothing identifies the holder: such a
    contract cannot be published and the agency page says so."""
    siren = holder.siren.replace(" ", "")
    if siren:
        return {"typeIdentifiant": "SIRET", "id": siren}
    vat = holder.vat_number.replace(" ", "").upper()
    if vat:
        return {"typeIdentifiant": "TVA" if vat[:2] in EU_VAT_PREFIXES else "HORS-UE", "id": vat}
    return None


def publication_blocker(
    *, amount: Decimal, holders: tuple[Holder, ...], threshold: Decimal
) -> str | None:
    """Why a concluded contract stays out of the DECP, or None. The feed
    query applies the same rule in SQL (``_publishable``)."""
    if amount < threshold:
        return BELOW_THRESHOLD
    if not holders or any(holder_identifier(h) is None for h in holders):
        return HOLDER_UNIDENTIFIED
    return None


def decp_identifier(contract: Contract) -> str:
    """Our references (``GC-2025-00001``, ``CMD-2025-00001``) are unique in
    their table, their prefixes differ, they fit the schema and they are what
    the buyer sees everywhere: they are the identifier. One that does not fit
    (a long TENDER_REFERENCE_PREFIX) becomes kind letter + year + row id,
    which has no dash and so never collides with a reference."""
    if _SAFE_IDENTIFIER.fullmatch(contract.reference):
        return contract.reference
    letter = "M" if contract.kind == TENDER else "C"
    return f"{letter}{contract.published_at.year}{contract.pk}"


def cpv_for_decp(code: str) -> str:
    """The schema accepts ``72416000`` or ``72416000-9`` and prefers the code
    without its check digit."""
    return code.split("-", 1)[0]


def _object(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= OBJECT_MAX_LENGTH:
        return text
    return text[: OBJECT_MAX_LENGTH - 1].rstrip() + "…"


def _amount(value: Decimal) -> int | float:
    """A JSON number (the schema's ``montant`` is a number), to the cent."""
    value = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return int(value) if value == value.to_integral_value() else float(value)


def _titulaires(holders: tuple[Holder, ...]) -> list[dict]:
    identified = [holder_identifier(h) for h in holders]
    if not identified or None in identified:
        raise ValueError("every holder of a DECP entry needs a SIREN or a VAT number")
    return [{"titulaire": identifier} for identifier in identified]


def _modification(change: Modification) -> dict:
    entry: dict = {
        "id": change.number,
        "dateNotificationModification": change.notified_on.isoformat(),
        "datePublicationDonneesModification": change.published_on.isoformat(),
    }
    if change.duration_months is not None:
        entry["dureeMois"] = change.duration_months
    if change.amount is not None:
        entry["montant"] = _amount(change.amount)
    if change.holders:
        entry["titulaires"] = _titulaires(change.holders)
    return entry


def marche_entry(contract: Contract) -> dict:
    """One ``marche`` of the DECP 2.0.3 schema. Optional fields the window
    knows nothing about (advance rate, origin shares, framework id,
    subcontracting acts) are left out rather than guessed."""
    day = contract.published_on.isoformat()
    code, code_type = contract.place
    entry = {
        "id": decp_identifier(contract),
        "acheteur": {"id": contract.buyer_siret},
        "nature": NATURE,
        "objet": _object(contract.subject),
        "codeCPV": cpv_for_decp(contract.cpv_code),
        "techniques": {"technique": [NO_TECHNIQUE]},
        "modalitesExecution": {"modaliteExecution": [NO_EXECUTION_MODE]},
        "marcheInnovant": False,
        "ccag": CCAG,
        # Live responses at the award (withdrawn or replaced ones are not
        # offers any more); a direct purchase is one catalogue offer.
        "offresRecues": contract.offers_received,
        # No advance is recorded (R2191-3 lets the holder refuse it).
        "attributionAvance": False,
        # Responses and orders are made by one provider, never a consortium.
        "typeGroupementOperateurs": "Pas de groupement",
        "sousTraitanceDeclaree": contract.subcontracting_declared,
        "procedure": PROCEDURES[contract.procedure],
        "lieuExecution": {"code": code, "typeCode": code_type},
        "dureeMois": contract.duration_months,
        "dateNotification": day,
        "datePublicationDonnees": day,
        "montant": _amount(contract.amount),
        "formePrix": PRICE_FORMS[contract.kind],
        "typesPrix": {"typePrix": [PRICE_TYPE]},
        "titulaires": _titulaires(contract.holders),
        "considerationsSociales": {"considerationSociale": [NO_SOCIAL]},
        "considerationsEnvironnementales": {"considerationEnvironnementale": [NO_ENVIRONMENTAL]},
    }
    if contract.modifications:
        changes = sorted(contract.modifications, key=lambda change: change.number)
        entry["modifications"] = [{"modification": _modification(change)} for change in changes]
    return entry


def document(entries: list[dict]) -> dict:
    """The schema's top level: ``{"marches": {"marche": [...]}}``."""
    return {"marches": {"marche": list(entries)}}


def dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2)


# Cursor of the ``?since=`` feed: an opaque, URL-safe encoding of the last
# entry's position (publication instant, kind, row id).


def cursor_encode(position: Position) -> str:
    published_at, rank, pk = position
    raw = f"{published_at.isoformat()}|{rank}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(token: str) -> Position:
    """Raises ValueError for anything this module did not produce."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        stamp, rank, pk = raw.split("|")
        published_at = datetime.fromisoformat(stamp)
        position = (published_at, int(rank), int(pk))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not a DECP cursor") from exc
    if timezone.is_naive(published_at) or position[1] not in KIND_RANK.values():
        raise ValueError("not a DECP cursor")
    return position


# --------------------------------------------------------------------------
# Queries (read-only)


def _awards() -> QuerySet[Award]:
    """Awards of AWARDED tenders (nothing exists before the award), with the
    offers received and whether the winning offer declares subcontractors."""
    live = (
        TenderResponse.objects.filter(
            tender_id=OuterRef("tender_id"), status=ResponseStatus.SUBMITTED
        )
        .order_by()
        .values("tender_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Award.objects.filter(
            tender__status=TenderStatus.CONTRACT_SIGNED, contract_signed_at__isnull=False
        )
        .select_related("tender__agency", "response__provider")
        .annotate(
            offers_received=Coalesce(Subquery(live), 0),
            subcontracted=Exists(
                Subcontractor.objects.filter(offer_id=OuterRef("response__offer_id"))
            ),
        )
    )


def _accepted_orders() -> QuerySet[Order]:
    return (
        Order.objects.filter(status=OrderStatus.ACCEPTED, decided_at__isnull=False)
        .select_related("agency", "provider", "offer")
        .annotate(subcontracted=Exists(Subcontractor.objects.filter(offer_id=OuterRef("offer_id"))))
    )


def _holder(provider) -> Holder:
    return Holder(siren=provider.siren, vat_number=provider.vat_number)


def contract_from_award(award: Award) -> Contract:
    tender = award.tender
    return Contract(
        kind=TENDER,
        pk=award.pk,
        reference=tender.reference,
        buyer_siret=tender.agency.siret,
        subject=tender.title,
        cpv_code=tender.cpv_code,
        procedure=tender.procedure,
        duration_months=tender.duration_months,
        amount=award.amount,
        published_at=award.contract_signed_at,
        holders=(_holder(award.response.provider),),
        offers_received=max(getattr(award, "offers_received", 1), 1),
        subcontracting_declared=bool(getattr(award, "subcontracted", False)),
    )


def _order_subject(order: Order) -> str:
    return f"Achat direct sur catalogue : {order.offer.name}"


def contract_from_order(order: Order) -> Contract:
    return Contract(
        kind=ORDER,
        pk=order.pk,
        reference=order.reference,
        buyer_siret=order.agency.siret,
        subject=_order_subject(order),
        cpv_code=order.offer.cpv_code,
        procedure=Procedure.DIRECT,
        duration_months=order.duration_months,
        amount=order.total,
        published_at=order.decided_at,
        holders=(_holder(order.provider),),
        subcontracting_declared=bool(getattr(order, "subcontracted", False)),
    )


def _identified(provider: str) -> Q:
    # SQL twin of holder_identifier() is not None.
    return ~Q(**{f"{provider}__siren": ""}) | ~Q(**{f"{provider}__vat_number": ""})


def _after(field: str, kind: str, position: Position) -> Q:
    """Rows of ``kind`` strictly after ``position`` in (instant, kind, id)."""
    published_at, rank, pk = position
    later = Q(**{f"{field}__gt": published_at})
    if KIND_RANK[kind] > rank:
        return later | Q(**{field: published_at})
    if KIND_RANK[kind] == rank:
        return later | Q(**{field: published_at, "pk__gt": pk})
    return later


def _publishable(
    *, agency: Agency | None, after: Position | None, threshold: Decimal | None
) -> tuple[QuerySet[Award], QuerySet[Order]]:
    threshold = settings.DECP_THRESHOLD if threshold is None else threshold
    awards = _awards().filter(_identified("response__provider"), amount__gte=threshold)
    orders = _accepted_orders().filter(_identified("provider"), total__gte=threshold)
    if agency is not None:
        awards = awards.filter(tender__agency=agency)
        orders = orders.filter(agency=agency)
    if after is not None:
        awards = awards.filter(_after("contract_signed_at", TENDER, after))
        orders = orders.filter(_after("decided_at", ORDER, after))
    return awards.order_by("contract_signed_at", "pk"), orders.order_by("decided_at", "pk")


def publishable_contracts(
    *,
    agency: Agency | None = None,
    after: Position | None = None,
    limit: int | None = None,
    threshold: Decimal | None = None,
) -> list[Contract]:
    """Contracts in the DECP, in publication order, strictly after ``after``;
    at most ``limit`` of them. Two queries whatever the count."""
    awards, orders = _publishable(agency=agency, after=after, threshold=threshold)
    if limit is not None:
        awards, orders = awards[:limit], orders[:limit]
    contracts = [contract_from_award(a) for a in awards] + [contract_from_order(o) for o in orders]
    contracts.sort(key=lambda contract: contract.position)
    return contracts if limit is None else contracts[:limit]


def decp_document(*, agency: Agency | None = None) -> dict:
    """The whole DECP document (the downloads and ``export_decp``)."""
    return document([marche_entry(c) for c in publishable_contracts(agency=agency)])


def decp_count() -> int:
    awards, orders = _publishable(agency=None, after=None, threshold=None)
    return awards.count() + orders.count()


@dataclass(frozen=True)
class FeedPage:
    contracts: list[Contract]
    next_cursor: str | None  # the last entry's; the given one on an empty page
    has_more: bool

    @property
    def document(self) -> dict:
        return document([marche_entry(c) for c in self.contracts])


def decp_feed(*, since: str | None, limit: int) -> FeedPage:
    """Entries published after the ``since`` cursor (from the start without
    one). Raises ValueError for a cursor this module did not produce.

    The position is the signature/acceptance instant, stamped just before its
    transaction commits: a client polling at that very moment could pass an
    entry that commits a few milliseconds later with an earlier stamp. The
    project has no commit-ordered sequence to close that gap (no model
    change); clients re-reading the full document daily, as DECP consumers
    do, never miss anything."""
    after = cursor_decode(since) if since else None
    contracts = publishable_contracts(after=after, limit=limit + 1)
    page = contracts[:limit]
    cursor = cursor_encode(page[-1].position) if page else since
    return FeedPage(contracts=page, next_cursor=cursor or None, has_more=len(contracts) > limit)


# --------------------------------------------------------------------------
# The buyer's page: every contract of an agency, and where it stands


PUBLISHED = "published"
NOT_AWARDED = "not_awarded"
NO_CONTRACT = "no_contract"


@dataclass(frozen=True)
class AgencyContractRow:
    kind: str
    reference: str
    subject: str
    status: str  # the tender's or order's own status
    procedure: str  # the procedure's name in the reader's language
    holder_name: str
    amount: Decimal | None
    decp_state: str  # PUBLISHED, BELOW_THRESHOLD, HOLDER_UNIDENTIFIED, NOT_AWARDED, NO_CONTRACT
    published_on: date | None


def _decp_state(amount: Decimal, holders: tuple[Holder, ...], threshold: Decimal) -> str:
    return publication_blocker(amount=amount, holders=holders, threshold=threshold) or PUBLISHED


def _tender_row(tender: Tender, threshold: Decimal) -> AgencyContractRow:
    award = (
        getattr(tender, "award", None) if tender.status == TenderStatus.CONTRACT_SIGNED else None
    )
    if award is None:
        ended = tender.status in (TenderStatus.UNSUCCESSFUL, TenderStatus.CANCELLED)
        return AgencyContractRow(
            TENDER,
            tender.reference,
            tender.title,
            tender.status,
            Procedure(tender.procedure).label,
            "",
            None,
            NO_CONTRACT if ended else NOT_AWARDED,
            None,
        )
    holder = award.response.provider
    state = _decp_state(award.amount, (_holder(holder),), threshold)
    return AgencyContractRow(
        TENDER,
        tender.reference,
        tender.title,
        tender.status,
        Procedure(tender.procedure).label,
        holder.name,
        award.amount,
        state,
        timezone.localdate(award.contract_signed_at) if state == PUBLISHED else None,
    )


def _order_row(order: Order, threshold: Decimal) -> AgencyContractRow:
    procedure = Procedure.DIRECT.label
    subject = _order_subject(order)
    if order.status != OrderStatus.ACCEPTED:
        state = NOT_AWARDED if order.status == OrderStatus.PLACED else NO_CONTRACT
        return AgencyContractRow(
            ORDER,
            order.reference,
            subject,
            order.status,
            procedure,
            order.provider.name,
            order.total,
            state,
            None,
        )
    state = _decp_state(order.total, (_holder(order.provider),), threshold)
    return AgencyContractRow(
        ORDER,
        order.reference,
        subject,
        order.status,
        procedure,
        order.provider.name,
        order.total,
        state,
        timezone.localdate(order.decided_at) if state == PUBLISHED else None,
    )


def agency_contract_rows(*, agency: Agency, user) -> list[AgencyContractRow]:
    """What the reader may see of an agency's contracts: its public tenders
    (its own members also see drafts, through the tenders selector) and its
    accepted orders — concluded contracts, public like awards — plus the
    pending and refused orders the reader may already see."""
    threshold = settings.DECP_THRESHOLD
    tenders = (
        selectors.tenders_visible_to(user)
        .filter(agency=agency)
        .select_related("award__response__provider")
        .order_by("-created_at", "-id")
    )
    visible_orders = selectors.orders_visible_to(user).filter(agency=agency).values("pk")
    orders = (
        Order.objects.filter(agency=agency)
        .filter(Q(status=OrderStatus.ACCEPTED) | Q(pk__in=visible_orders))
        .select_related("provider", "offer")
        .order_by("-placed_at", "-id")
    )
    return [_tender_row(t, threshold) for t in tenders] + [_order_row(o, threshold) for o in orders]


def agencies_listed() -> QuerySet[Agency]:
    return Agency.objects.only("name", "slug").order_by("name")
