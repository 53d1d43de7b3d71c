"""French essential procurement data (DECP 2.0.3) for every contract the
window concludes at or above ``settings.DECP_THRESHOLD``: signed tenders
and accepted direct purchases. In layers:

* ``entries`` — the pure core: ``Contract`` (plain data) → one ``marche``
  of the official schema; every mapping decision, no database;
* ``queries`` — ``Award`` and ``Order`` rows as contracts, for the
  downloads and ``manage.py export_decp``;
* ``feed`` — the entries the change feed's events touch, for the
  ``?since=`` API (``tenders.api.decp``);
* ``agency`` — the buyer's page: each contract and where it stands.

``from tenders import decp`` gives all of them."""

from tenders.decp.agency import (
    NO_CONTRACT,
    NOT_AWARDED,
    PUBLISHED,
    AgencyContractRow,
    agencies_listed,
    agency_contract_rows,
)
from tenders.decp.entries import (
    BELOW_THRESHOLD,
    CCAG,
    EU_VAT_PREFIXES,
    HOLDER_UNIDENTIFIED,
    KIND_RANK,
    NATURE,
    NO_ENVIRONMENTAL,
    NO_EXECUTION_MODE,
    NO_SOCIAL,
    NO_TECHNIQUE,
    OBJECT_MAX_LENGTH,
    ORDER,
    PLACE_FRANCE,
    PRICE_FORMS,
    PRICE_TYPE,
    PROCEDURES,
    SCHEMA_VERSION,
    TENDER,
    Contract,
    Holder,
    Modification,
    cpv_for_decp,
    decp_identifier,
    document,
    dumps,
    holder_identifier,
    marche_entry,
    publication_blocker,
)
from tenders.decp.feed import FEED_ENTITIES, contracts_of_changes
from tenders.decp.queries import (
    contract_from_award,
    contract_from_order,
    decp_count,
    decp_document,
    publishable,
    publishable_contracts,
)

__all__ = [
    "BELOW_THRESHOLD",
    "CCAG",
    "EU_VAT_PREFIXES",
    "FEED_ENTITIES",
    "HOLDER_UNIDENTIFIED",
    "KIND_RANK",
    "NATURE",
    "NOT_AWARDED",
    "NO_CONTRACT",
    "NO_ENVIRONMENTAL",
    "NO_EXECUTION_MODE",
    "NO_SOCIAL",
    "NO_TECHNIQUE",
    "OBJECT_MAX_LENGTH",
    "ORDER",
    "PLACE_FRANCE",
    "PRICE_FORMS",
    "PRICE_TYPE",
    "PROCEDURES",
    "PUBLISHED",
    "SCHEMA_VERSION",
    "TENDER",
    "AgencyContractRow",
    "Contract",
    "Holder",
    "Modification",
    "agencies_listed",
    "agency_contract_rows",
    "contract_from_award",
    "contract_from_order",
    "contracts_of_changes",
    "cpv_for_decp",
    "decp_count",
    "decp_document",
    "decp_identifier",
    "document",
    "dumps",
    "holder_identifier",
    "marche_entry",
    "publication_blocker",
    "publishable",
    "publishable_contracts",
]
