"""The one model every app shares: the change feed's journal."""

from __future__ import annotations

from django.db import models


class ChangeEvent(models.Model):
    """One row per change of a mirrored entity (offer, provider, tender,
    award, …), written by database triggers in the changing transaction, so
    that no write path (service, admin, bulk update) can forget it. The
    trigger function (``catalog_record_change``) and the table keep their
    first names: they were created by the catalogue before this model moved
    down to ``core``.

    ``txid`` is the writing transaction's id. The feed only serves events
    whose transaction is older than the oldest one still running
    (``pg_snapshot_xmin``): those can no longer be joined by an event that
    commits late, so a client that resumes from its cursor misses nothing."""

    entity = models.CharField(max_length=20)
    entity_id = models.BigIntegerField()
    txid = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "catalog_changeevent"
        indexes = [
            models.Index(fields=["entity", "txid", "id"], name="catalog_cha_entity_789059_idx")
        ]
