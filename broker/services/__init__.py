"""The broker's writes, by sub-domain: the audit chain (``audit``) and its
daily anchors (``anchors``), notifications (``notifications``, and the
tender decisions' in ``decisions``), matching runs (``matching``), webhooks (``webhook_endpoints``,
``webhook_events``, ``webhook_deliveries``), organisation API keys
(``api_keys``), members' API tokens (``api_tokens``) and the sourcing
digest (``digests``).

The names are re-exported here: ``from broker import services`` then
``services.tender_match(...)``. None of these modules imports
``broker.tasks``: work to be sent after commit is announced through
``broker.signals``."""

from __future__ import annotations

from broker.audit_chain import GENESIS, ChainReport
from broker.services._common import BrokerError
from broker.services.anchors import (
    ANCHOR_DIR,
    audit_anchor_document,
    audit_anchor_key,
    audit_anchor_path,
    audit_anchor_publish,
    audit_anchors_read,
    audit_head,
    audit_verify_anchored,
)
from broker.services.api_keys import (
    API_KEY_PREFIX,
    API_KEY_PREFIX_LENGTH,
    API_KEY_TOUCH_INTERVAL,
    MAX_LIVE_API_KEYS,
    api_key_create,
    api_key_hash,
    api_key_prefix_of,
    api_key_revoke,
    api_key_touch,
)
from broker.services.api_tokens import (
    MAX_LIVE_API_TOKENS,
    api_token_dead,
    api_token_fingerprint,
    api_token_hash,
    api_token_issue,
    api_token_revoke,
    api_token_touch,
)
from broker.services.audit import (
    AUDIT_LOCK_KEY,
    audit_append,
    audit_events,
    audit_export,
    audit_fields,
    audit_hash,
    audit_verify,
)
from broker.services.decisions import (
    award_decision_notify,
    standstill_notify,
    tender_decision_notify,
)
from broker.services.digests import (
    sourcing_digest_diff,
    sourcing_digest_run,
)
from broker.services.matching import (
    MatchRun,
    tender_match,
    tenders_affected_by,
)
from broker.services.notifications import (
    agency_users,
    certifications_warn_expiry,
    clarification_notify,
    notification_mark_read,
    notifications_email,
    notifications_mark_all_read,
    notify,
    order_notify,
    preference_language_set,
    provider_users,
    supplier_documents_warn_expiry,
)
from broker.services.webhook_deliveries import (
    AttemptOutcome,
    webhook_attempt,
    webhook_deliveries_due,
    webhook_event_emit,
    webhook_ping,
    webhook_redeliver,
)
from broker.services.webhook_endpoints import (
    MAX_ENDPOINTS_PER_ORGANISATION,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
)
from broker.services.webhook_events import (
    CERTIFICATION_WEBHOOK_EVENTS,
    TENDER_WEBHOOK_EVENTS,
    webhooks_on_assessments,
    webhooks_on_invitations,
    webhooks_on_operator_decision,
    webhooks_on_tender_event,
)

__all__ = [
    "BrokerError",
    "GENESIS",
    "AUDIT_LOCK_KEY",
    "audit_hash",
    "audit_append",
    "ChainReport",
    "audit_verify",
    "audit_fields",
    "audit_events",
    "audit_export",
    "ANCHOR_DIR",
    "audit_anchor_key",
    "audit_anchor_path",
    "audit_head",
    "audit_anchor_document",
    "audit_anchor_publish",
    "audit_anchors_read",
    "audit_verify_anchored",
    "notify",
    "preference_language_set",
    "notifications_email",
    "notification_mark_read",
    "notifications_mark_all_read",
    "provider_users",
    "agency_users",
    "supplier_documents_warn_expiry",
    "certifications_warn_expiry",
    "order_notify",
    "clarification_notify",
    "tender_decision_notify",
    "award_decision_notify",
    "standstill_notify",
    "MatchRun",
    "tender_match",
    "tenders_affected_by",
    "MAX_ENDPOINTS_PER_ORGANISATION",
    "webhook_endpoint_create",
    "webhook_endpoint_update",
    "webhook_endpoint_delete",
    "webhook_event_emit",
    "webhook_ping",
    "webhook_redeliver",
    "AttemptOutcome",
    "webhook_attempt",
    "webhook_deliveries_due",
    "TENDER_WEBHOOK_EVENTS",
    "webhooks_on_tender_event",
    "webhooks_on_invitations",
    "webhooks_on_assessments",
    "CERTIFICATION_WEBHOOK_EVENTS",
    "webhooks_on_operator_decision",
    "API_KEY_PREFIX",
    "API_KEY_PREFIX_LENGTH",
    "MAX_LIVE_API_KEYS",
    "API_KEY_TOUCH_INTERVAL",
    "api_key_hash",
    "api_key_prefix_of",
    "api_key_create",
    "api_key_revoke",
    "api_key_touch",
    "MAX_LIVE_API_TOKENS",
    "api_token_dead",
    "api_token_fingerprint",
    "api_token_hash",
    "api_token_issue",
    "api_token_revoke",
    "api_token_touch",
    "sourcing_digest_diff",
    "sourcing_digest_run",
]
