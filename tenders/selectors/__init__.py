"""Every read of the demand side that scopes or shapes a query, one module
per sub-domain. The scoping rules live once here and serve the HTML views
and the API alike.

Sealed responses: the only way to read responses is
``responses.responses_visible_to`` (see its module).

``from tenders import selectors; selectors.tenders_visible_to(user)``
reaches every public name through this package."""

from tenders.selectors.agencies import (
    agency_membership_of,
    agency_of,
)
from tenders.selectors.evaluation import (
    RankedResponse,
    estimated_cost_for,
    offer_why_not,
    ranking,
)
from tenders.selectors.needs import (
    levels_by_code,
    need_for,
    need_of,
    offer_snapshot,
    required_level,
)
from tenders.selectors.orders import (
    orders_visible_to,
)
from tenders.selectors.responses import (
    SEALED_STATUSES,
    response_of,
    responses_of_provider,
    responses_sealed,
    responses_visible_to,
)
from tenders.selectors.reuse import (
    offer_usage_count_sql,
    offers_used_by,
)
from tenders.selectors.sourcing import (
    snapshot_canonical,
    snapshot_digest,
    sourcing_file_uses,
    sourcing_file_verify,
    sourcing_files_of,
    sourcing_result_state,
    sourcing_results,
    sourcing_snapshot_offers,
)
from tenders.selectors.standstill import (
    DecisionNotice,
    complaints_visible_to,
    decision_notice,
)
from tenders.selectors.tenders import (
    PUBLIC_STATUSES,
    clarifications_of,
    opportunities_of,
    shortlist_of,
    tender_for_output,
    tenders_managed_by,
    tenders_visible_to,
)

__all__ = [
    "PUBLIC_STATUSES",
    "SEALED_STATUSES",
    "DecisionNotice",
    "RankedResponse",
    "agency_membership_of",
    "agency_of",
    "clarifications_of",
    "complaints_visible_to",
    "decision_notice",
    "estimated_cost_for",
    "levels_by_code",
    "need_for",
    "need_of",
    "offer_snapshot",
    "offer_usage_count_sql",
    "offer_why_not",
    "offers_used_by",
    "opportunities_of",
    "orders_visible_to",
    "ranking",
    "required_level",
    "response_of",
    "responses_of_provider",
    "responses_sealed",
    "responses_visible_to",
    "shortlist_of",
    "snapshot_canonical",
    "snapshot_digest",
    "sourcing_file_uses",
    "sourcing_file_verify",
    "sourcing_files_of",
    "sourcing_result_state",
    "sourcing_results",
    "sourcing_snapshot_offers",
    "tender_for_output",
    "tenders_managed_by",
    "tenders_visible_to",
]
