"""Every read of the catalogue that scopes or shapes a query. One module per
sub-domain; this package re-exports their names, so ``from catalog import
selectors; selectors.offers_visible_to(user)`` reads the same whatever
module holds the function."""

from catalog.selectors.certifications import (
    certifications_editable_by,
    certifications_visible_to,
)
from catalog.selectors.declarations import (
    attestations_current,
    attestations_expiring,
    attestations_visible_to,
    declaration_current,
    declarations_expiring,
    declarations_visible_to,
)
from catalog.selectors.facts import (
    FactsReader,
    offer_facts,
    policy_current,
    policy_version_current,
)
from catalog.selectors.offers import (
    FEED_MAX_LIMIT,
    FeedEvent,
    FeedPage,
    changes_since,
    feed_cursor_decode,
    feed_cursor_encode,
    offer_ids_of_changes,
    offers_by_provider,
    offers_depending_on,
    offers_editable_by,
    offers_visible_to,
)
from catalog.selectors.providers import (
    is_operator,
    provider_of,
    providers_editable_by,
    providers_visible_to,
)
from catalog.selectors.search import (
    ORDERINGS,
    SEARCH_CONFIG,
    OfferQuery,
    fold,
    offer_level_check,
    offer_query_parse,
    offers_filter,
    offers_search,
)
from catalog.selectors.usage import offer_usage_register, offers_used_by, offers_used_by_count

__all__ = [
    "FEED_MAX_LIMIT",
    "ORDERINGS",
    "SEARCH_CONFIG",
    "FactsReader",
    "FeedEvent",
    "FeedPage",
    "OfferQuery",
    "attestations_current",
    "attestations_expiring",
    "attestations_visible_to",
    "certifications_editable_by",
    "certifications_visible_to",
    "changes_since",
    "declaration_current",
    "declarations_expiring",
    "declarations_visible_to",
    "feed_cursor_decode",
    "feed_cursor_encode",
    "fold",
    "is_operator",
    "offer_facts",
    "offer_ids_of_changes",
    "offer_level_check",
    "offer_query_parse",
    "offer_usage_register",
    "offers_by_provider",
    "offers_depending_on",
    "offers_editable_by",
    "offers_filter",
    "offers_search",
    "offers_used_by",
    "offers_used_by_count",
    "offers_visible_to",
    "policy_current",
    "policy_version_current",
    "provider_of",
    "providers_editable_by",
    "providers_visible_to",
]
