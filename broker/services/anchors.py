"""Anchors of the audit chain: its head (how many events, the last one and
its hash) published each day outside the database, as a signed JSON file
under the media storage, and recorded in a table the open data lists.

The chain alone proves that what remains is unaltered, not that nothing
was cut off its end (broker.audit_chain says why); ``audit_verify_anchored``
checks the chain against every anchor, read from the files as well as
from the table."""

from __future__ import annotations

import dataclasses
import datetime
import json

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from broker.audit_chain import (
    GENESIS,
    Anchor,
    AnchorError,
    ChainReport,
    anchor_key,
    anchor_read,
)
from broker.models import AuditAnchor
from broker.services.audit import audit_verify

ANCHOR_DIR = "audit/anchors"
# Any constant, not the chain's: publishing waits for another publication,
# never for the appends.
ANCHOR_LOCK_KEY = 7_402_312


def audit_anchor_key() -> str:
    return anchor_key(settings.AUDIT_ANCHOR_KEY, settings.SECRET_KEY)


def audit_anchor_path(day: datetime.date) -> str:
    return f"{ANCHOR_DIR}/{day.isoformat()}.json"


def audit_head(*, day: datetime.date) -> Anchor:
    """The head of the chain now. One statement, so one snapshot: the count
    and the last event agree even while others append."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), max(id), "
            "(SELECT hash FROM broker_auditevent ORDER BY id DESC LIMIT 1) "
            "FROM broker_auditevent"
        )
        count, last_id, last_hash = cursor.fetchone()
    return Anchor(
        day=day.isoformat(),
        published_at=timezone.now().isoformat(),
        count=count,
        last_event_id=last_id,
        last_hash=last_hash or GENESIS,
    )


def _anchor_of(row: AuditAnchor) -> Anchor:
    return Anchor(
        day=row.day.isoformat(),
        published_at=row.published_at.isoformat(),
        count=row.event_count,
        last_event_id=row.last_event_id,
        last_hash=row.last_hash,
        source=row.file,
    )


def audit_anchor_document(row: AuditAnchor) -> dict[str, object]:
    """The signed document of a recorded anchor, as its file holds it."""
    return {**_anchor_of(row).document(), "signature": row.signature}


def _write(name: str, document: dict[str, object]) -> None:
    content = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    # A storage renames rather than overwrites: make room for the exact name.
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content.encode()))
    if saved != name:  # the storage moved it: verification would not find it
        raise RuntimeError(f"the anchor was stored as {saved}, not {name}")


def audit_anchor_publish(*, day: datetime.date | None = None) -> tuple[AuditAnchor, bool]:
    """Publish the head of the chain as the anchor of ``day`` (today);
    True if it was published by this call.

    Idempotent: a second run the same day changes nothing. The day's first
    anchor stays as it was signed (the row is written once and the table
    refuses changes); only its file, if lost since, is written again from
    the row, with the same signature."""
    day = day or timezone.localdate()
    written = ""
    try:
        # Durable: the commit happens here, so a failed one is seen here.
        with transaction.atomic(durable=True):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ANCHOR_LOCK_KEY])
            row = AuditAnchor.objects.filter(day=day).first()
            if row is not None:
                if not default_storage.exists(row.file):
                    _write(row.file, audit_anchor_document(row))
                return row, False
            anchor = audit_head(day=day)
            row = AuditAnchor.objects.create(
                day=day,
                published_at=datetime.datetime.fromisoformat(anchor.published_at),
                event_count=anchor.count,
                last_event_id=anchor.last_event_id,
                last_hash=anchor.last_hash,
                signature=anchor.signature(audit_anchor_key()),
                file=audit_anchor_path(day),
            )
            # A file that cannot be written publishes no row.
            _write(row.file, audit_anchor_document(row))
            written = row.file
    except Exception:
        # Nor a row that cannot be committed a file: a file without its row
        # reads, to audit_verify, as rows deleted from the database.
        if written:
            default_storage.delete(written)
        raise
    return row, True


def _anchor_files() -> list[str]:
    try:
        _folders, files = default_storage.listdir(ANCHOR_DIR)
    except FileNotFoundError:
        return []
    return sorted(f"{ANCHOR_DIR}/{name}" for name in files if name.endswith(".json"))


def audit_anchors_read() -> tuple[list[Anchor], list[str]]:
    """Every anchor, from the table and from the files, each with a valid
    signature; and the problems found reading them. A file whose row is
    gone is a problem (rows were deleted in the database); a row whose file
    is gone is not (the storage lost it: the row still anchors)."""
    key = audit_anchor_key()
    anchors: list[Anchor] = []
    problems: list[str] = []
    recorded: dict[str, Anchor | None] = {}
    for row in AuditAnchor.objects.order_by("day"):
        try:
            anchor = anchor_read(audit_anchor_document(row), key, source=row.file)
        except AnchorError as error:
            problems.append(f"table row: {error}")
            recorded[row.day.isoformat()] = None
            continue
        recorded[anchor.day] = anchor
        anchors.append(anchor)
    for name in _anchor_files():
        try:
            with default_storage.open(name, "rb") as handle:
                document = json.loads(handle.read())
            anchor = anchor_read(document, key, source=name)
        except AnchorError as error:
            problems.append(str(error))
            continue
        except ValueError as error:
            problems.append(f"{name}: not JSON ({error})")
            continue
        if anchor.day not in recorded:
            problems.append(f"{anchor.label}: no row in the table records it (deleted?)")
        elif recorded[anchor.day] == anchor:
            continue  # the row's twin, checked once
        elif recorded[anchor.day] is not None:
            problems.append(f"{anchor.label}: the file and the table differ")
        anchors.append(anchor)
    return anchors, problems


def audit_verify_anchored() -> ChainReport:
    """The chain recomputed and checked against every anchor; the problems
    of the anchors themselves (a bad signature, a file without its row)
    come first."""
    anchors, problems = audit_anchors_read()
    report = audit_verify(anchors=anchors)
    if not problems:
        return report
    return dataclasses.replace(report, anchor_problems=(*problems, *report.anchor_problems))
