"""French essential procurement data — DECP 2.0.3, « données essentielles de
la commande publique » (arrêtés du 22 décembre 2022 modifiés; Code de la
commande publique R2196-1) — the pure core: ``Contract`` (plain data) →
``marche_entry`` (one ``marche`` of the official JSON schema). Every
mapping decision lives here and is tested without a database.

Dates. The project records no separate publication event. An entry exists
from the moment the contract does — the signature (tender) or the
provider's acceptance (order), which is also what notifies the holder in
the window — so ``dateNotification`` and ``datePublicationDonnees`` are
both that day (Europe/Paris), and the whole document orders entries by that
instant.

Modifications. The project records none yet: ``Contract.modifications`` is
empty and the key is omitted (the schema wants at least one item when
present). A later modification table only has to fill that tuple with
``Modification`` values; the builder already renders them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from catalog.policy import EU
from tenders.models import Procedure

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


@dataclass(frozen=True)
class Contract:
    kind: str  # TENDER or ORDER
    pk: int  # the Award or Order row
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
    def position(self) -> tuple[datetime, int, int]:
        """Its place in the whole document: instant, kind, row."""
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
    """Why a concluded contract stays out of the DECP, or None. The
    queries apply the same rule in SQL (``tenders.decp.queries``)."""
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
