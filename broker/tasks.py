"""Celery tasks. Each takes ids, loads rows, calls a service, and is
idempotent: a second run (redelivery after a crash, a duplicate enqueue)
changes nothing."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from catalog import services as catalog_services

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError,)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def offers_assess(self, offer_ids: list[int] | None = None, reason: str = "") -> dict:
    run = catalog_services.offers_assess(offer_ids=offer_ids)
    logger.info("assessed %s offers (%s changed) after %s", run.assessed, len(run.changed), reason)
    return {"assessed": run.assessed, "changed": run.changed}


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def certifications_expire(self) -> dict:
    expired = catalog_services.certifications_expire_due()
    return {"expired": expired}
