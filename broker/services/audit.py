"""The audit chain: every event hashed with the one before it, appended
under an advisory lock, verifiable end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from django.db import connection, transaction
from django.utils import timezone

from broker.audit_chain import (
    GENESIS,
    Anchor,
    ChainReport,
    canonical_json,
    chain_verify,
    event_hash,
)
from broker.models import AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# Any constant: the advisory lock that serialises appends to the chain.
AUDIT_LOCK_KEY = 7_402_311


def audit_fields(event: AuditEvent) -> dict[str, Any]:
    """The event as the chain hashes it (and as an export writes it), with
    its ``previous_hash`` and ``hash``."""
    return {
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
        "previous_hash": event.previous_hash,
        "hash": event.hash,
    }


def audit_hash(event: AuditEvent) -> str:
    return event_hash(audit_fields(event), event.previous_hash)


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


def audit_events() -> Iterator[dict[str, Any]]:
    """Every event in chain order, as ``audit_fields``. One query: the rows
    of one snapshot, even while others append."""
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        yield audit_fields(event)


def audit_verify(*, anchors: Sequence[Anchor] = ()) -> ChainReport:
    """Recompute the chain; with ``anchors``, also check that it still
    holds each one's last event (see broker.audit_chain)."""
    return chain_verify(audit_events(), anchors)


def audit_export(*, out: TextIO) -> int:
    """Write the chain to ``out``, one event a line (JSON Lines, the fields
    of ``audit_fields``), for ``python -m broker.audit_offline``; the number
    of events written."""
    count = 0
    for fields in audit_events():
        out.write(canonical_json(fields) + "\n")
        count += 1
    return count
