"""The models every app shares: the change feed's journal, and the keys of
the forms already submitted."""

from __future__ import annotations

from django.conf import settings
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


class SubmissionKey(models.Model):
    """A form that creates something carries a key of its own (a hidden
    field drawn when the form is displayed); its first post records the key
    in the same transaction as the write (``core.submissions.submitted_once``).
    A second post of the same form (a double click, a browser retry) hits the
    unique constraint and is answered "already recorded". It lives in
    PostgreSQL, not in the cache: with Redis down, a submission is stored,
    never silently taken for a duplicate."""

    key = models.UUIDField(unique=True)
    scope = models.CharField(max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
