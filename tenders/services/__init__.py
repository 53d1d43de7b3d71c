"""Every write of the demand side, one module per sub-domain. Keyword-only,
``<noun>_<verb>``.

Tender and order lifecycles are transition tables with one guarded
function each (``lifecycle._tender_transition``,
``orders._order_transition``) that locks the row, checks the table,
announces the event (the broker writes the audit chain in the same
transaction) and saves.

``from tenders import services; services.tender_publish(...)`` reaches
every public name through this package."""

# The locked file's digest is a pure function both the lock and its
# verification use: it lives with the reads (no services ↔ selectors circle).
from tenders.selectors.sourcing import snapshot_canonical, snapshot_digest
from tenders.services._common import CENT, TenderError
from tenders.services.agencies import agency_create, agency_member_add
from tenders.services.clarifications import clarification_answer, clarification_ask
from tenders.services.evaluation import (
    response_for_buyer,
    response_score,
    tender_award,
    tender_declare_unsuccessful,
)
from tenders.services.lifecycle import (
    CATEGORY_MEASURES,
    TENDER_FIELDS,
    TRANSITIONS,
    deadline_passed,
    procedure_for,
    tender_cancel,
    tender_close_if_due,
    tender_create,
    tender_publish,
    tender_update,
    tenders_close_due,
)
from tenders.services.matching import (
    shortlist_replace,
    tender_matching_mark,
    tender_matching_start,
)
from tenders.services.orders import (
    ORDER_TRANSITIONS,
    order_accept,
    order_cancel,
    order_decline,
    order_place,
)
from tenders.services.responses import receipt_digest, response_submit, response_withdraw
from tenders.services.sourcing import (
    SNAPSHOT_FORMAT,
    SOURCING_FILTER_KEYS,
    sourcing_file_delete,
    sourcing_file_digest_store,
    sourcing_file_lock,
    sourcing_file_offer_ids,
    sourcing_file_save,
    sourcing_filters_clean,
)
from tenders.services.standstill import (
    COMPLAINT_DECISIONS,
    award_withdraw,
    complaint_answer,
    complaint_file,
    standstill_running,
    tender_contract_sign,
)

__all__ = [
    "CATEGORY_MEASURES",
    "CENT",
    "COMPLAINT_DECISIONS",
    "ORDER_TRANSITIONS",
    "SNAPSHOT_FORMAT",
    "SOURCING_FILTER_KEYS",
    "TENDER_FIELDS",
    "TRANSITIONS",
    "TenderError",
    "agency_create",
    "agency_member_add",
    "award_withdraw",
    "clarification_answer",
    "clarification_ask",
    "complaint_answer",
    "complaint_file",
    "deadline_passed",
    "order_accept",
    "order_cancel",
    "order_decline",
    "order_place",
    "procedure_for",
    "receipt_digest",
    "response_for_buyer",
    "response_score",
    "response_submit",
    "response_withdraw",
    "shortlist_replace",
    "snapshot_canonical",
    "snapshot_digest",
    "sourcing_file_delete",
    "sourcing_file_digest_store",
    "sourcing_file_lock",
    "sourcing_file_offer_ids",
    "sourcing_file_save",
    "sourcing_filters_clean",
    "standstill_running",
    "tender_award",
    "tender_cancel",
    "tender_close_if_due",
    "tender_contract_sign",
    "tender_create",
    "tender_declare_unsuccessful",
    "tender_matching_mark",
    "tender_matching_start",
    "tender_publish",
    "tender_update",
    "tenders_close_due",
]
