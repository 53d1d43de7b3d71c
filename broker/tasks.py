"""Celery tasks. Each takes ids, loads rows, calls a service, retries only
transient errors, and is idempotent: a second run (redelivery after a
crash, a duplicate enqueue) changes nothing."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from broker import services
from catalog import services as catalog_services
from tenders import services as tender_services
from tenders.models import MatchingState, Tender, TenderStatus

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError,)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": True, "max_retries": 5}


def enqueue_after_commit(task, **kwargs) -> None:
    """Send a task after commit; if the broker is unreachable the work is
    not lost: the beat's sweepers pick up what stayed queued."""

    def send():
        try:
            task.delay(**kwargs)
        except Exception:  # Redis down: logged, recovered by a sweeper
            logger.exception("could not enqueue %s(%s)", task.name, kwargs)

    transaction.on_commit(send)


@shared_task(**RETRY)
def offers_assess(offer_ids: list[int] | None = None, reason: str = "") -> dict:
    run = catalog_services.offers_assess(offer_ids=offer_ids)
    logger.info("assessed %s offers (%s changed) after %s", run.assessed, len(run.changed), reason)
    return {"assessed": run.assessed, "changed": run.changed}


@shared_task(**RETRY)
def certifications_expire() -> dict:
    return {"expired": catalog_services.certifications_expire_due()}


@shared_task(**RETRY)
def certifications_warn_expiry() -> dict:
    return {"notified": services.certifications_warn_expiry()}


@shared_task(**RETRY)
def tender_match(tender_id: int) -> dict:
    run = services.tender_match(tender_id=tender_id)
    return {"tender_id": tender_id, "rows": run.rows, "invited": run.invited}


@shared_task(**RETRY)
def tenders_rematch(offer_ids: list[int]) -> dict:
    tender_ids = services.tenders_affected_by(offer_ids)
    failed = []
    for tender_id in tender_ids:
        try:
            services.tender_match(tender_id=tender_id)
        except TRANSIENT:
            raise  # retried as a whole: matching again is idempotent
        except Exception:
            # One tender whose matching fails (marked failed, with the
            # error) must not leave the other tenders with a stale shortlist.
            logger.exception("re-matching tender %s failed", tender_id)
            failed.append(tender_id)
    return {"tenders": tender_ids, "failed": failed}


@shared_task(**RETRY)
def tenders_close_due() -> dict:
    return {"closed": tender_services.tenders_close_due()}


@shared_task(**RETRY)
def tenders_match_stale() -> dict:
    """Sweeper: a published tender whose matching stayed queued (the broker
    was down at publication) or died running is matched again."""
    cutoff = timezone.now() - timedelta(seconds=settings.MATCHING_STALE_AFTER_SECONDS)
    stale = list(
        Tender.objects.filter(status=TenderStatus.PUBLISHED)
        .filter(
            matching_state__in=[MatchingState.QUEUED, MatchingState.RUNNING],
            matching_queued_at__lt=cutoff,
        )
        .values_list("pk", flat=True)
    )
    for tender_id in stale:
        services.tender_match(tender_id=tender_id)
    return {"matched": stale}


@shared_task(**RETRY)
def tender_decision_notify(tender_id: int, action: str) -> dict:
    return {"notified": services.tender_decision_notify(tender_id=tender_id, action=action)}


@shared_task(**RETRY)
def standstill_notify(object_id: int, action: str) -> dict:
    return {"notified": services.standstill_notify(object_id=object_id, action=action)}


@shared_task(**RETRY)
def supplier_documents_warn_expiry() -> dict:
    return {"notified": services.supplier_documents_warn_expiry()}


@shared_task(**RETRY)
def clarification_notify(clarification_id: int) -> dict:
    return {"notified": services.clarification_notify(clarification_id=clarification_id)}


@shared_task(**RETRY)
def sourcing_files_digest() -> dict:
    """Daily: alert agencies of what changed in their open sourcing files."""
    return {"notified": services.sourcing_digest_run()}


@shared_task(**RETRY)
def audit_anchor_publish() -> dict:
    """Daily: the head of the audit chain, signed, in the media storage and
    the open data. A second run the same day changes nothing."""
    anchor, published = services.audit_anchor_publish()
    return {
        "day": anchor.day.isoformat(),
        "published": published,
        "count": anchor.event_count,
        "last_event_id": anchor.last_event_id,
    }


@shared_task(**RETRY)
def order_notify(order_id: int, action: str) -> dict:
    return {"notified": services.order_notify(order_id=order_id, action=action)}


# --------------------------------------------------------------------------
# Webhooks


@shared_task(**RETRY)
def webhook_deliver(delivery_id: int, attempt: int = 1) -> dict:
    """Attempt ``attempt`` of a delivery; on failure, the next one is
    scheduled with the back-off. A duplicate of this task (a redelivered
    message, the sweeper) finds the attempt already made and does nothing."""
    outcome = services.webhook_attempt(delivery_id=delivery_id, attempt=attempt)
    if outcome is None:
        return {"delivery_id": delivery_id, "attempt": attempt, "status": "skipped"}
    if outcome.retry_in is not None:
        try:
            webhook_deliver.apply_async(
                kwargs={"delivery_id": delivery_id, "attempt": attempt + 1},
                countdown=outcome.retry_in,
            )
        except Exception:  # Redis down: the sweeper sends it when it is due
            logger.exception(
                "could not schedule attempt %s of webhook delivery %s", attempt + 1, delivery_id
            )
    return {
        "delivery_id": delivery_id,
        "attempt": attempt,
        "status": outcome.status,
        "status_code": outcome.status_code,
        "retry_in": outcome.retry_in,
    }


@shared_task(**RETRY)
def webhooks_retry_due() -> dict:
    """Sweeper: pending deliveries whose attempt is overdue (their task was
    lost) are sent again."""
    due = services.webhook_deliveries_due()
    for delivery_id, attempt in due:
        webhook_deliver.delay(delivery_id=delivery_id, attempt=attempt)
    return {"sent": [delivery_id for delivery_id, _ in due]}
