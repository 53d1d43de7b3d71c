"""The audit chain: every event hashed with the one before it, appended
under an advisory lock, verifiable end to end."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone

from broker.models import AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User


GENESIS = "0" * 64
# Any constant: the advisory lock that serialises appends to the chain.
AUDIT_LOCK_KEY = 7_402_311


def _canonical(event: AuditEvent) -> str:
    return json.dumps(
        {
            "id": event.pk,
            "created_at": event.created_at.isoformat(),
            "actor": event.actor_id,
            "actor_label": event.actor_label,
            "organisation": event.organisation,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "tender_id": event.tender_id,
            "data": event.data,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )


def audit_hash(event: AuditEvent) -> str:
    return hashlib.sha256((event.previous_hash + _canonical(event)).encode()).hexdigest()


def audit_append(
    *,
    actor: User | None,
    organisation: str,
    action: str,
    object_type: str,
    object_id: int,
    data: dict | None = None,
    tender_id: int | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction. The advisory lock makes
    concurrent appends take turns, so each links to the true previous one."""
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return audit_append(
                actor=actor,
                organisation=organisation,
                action=action,
                object_type=object_type,
                object_id=object_id,
                data=data,
                tender_id=tender_id,
            )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])
        # The id is part of what is hashed and the row is written once (the
        # table refuses UPDATE): take the id from the sequence first.
        cursor.execute("SELECT nextval(pg_get_serial_sequence('broker_auditevent', 'id'))")
        (next_id,) = cursor.fetchone()
    previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
    event = AuditEvent(
        pk=next_id,
        created_at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", "") or "system",
        organisation=(organisation or "")[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        tender_id=tender_id,
        data=json.loads(json.dumps(data or {}, default=str)),
        previous_hash=previous,
    )
    event.hash = audit_hash(event)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainReport:
    count: int
    broken_at: int | None
    reason: str = ""


def audit_verify() -> ChainReport:
    previous = GENESIS
    count = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        if event.previous_hash != previous:
            return ChainReport(
                count, event.pk, "its previous_hash does not match the event before it"
            )
        if audit_hash(event) != event.hash:
            return ChainReport(count, event.pk, "its content does not match its hash")
        previous = event.hash
    return ChainReport(count, None)
