"""The one commit-safe change feed: offers, providers, tenders, awards, OCDS
releases and DECP contracts are all read from ``core.models.ChangeEvent``.

A cursor is the (transaction id, event id) of the last event served. Only
transactions older than the oldest one still running are served, so an
event that commits late can never land behind a cursor already given out:
a client resuming from its cursor misses nothing, whatever order the
writing transactions committed in.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

FEED_MAX_LIMIT = 500


@dataclass(frozen=True)
class FeedEvent:
    id: int
    entity: str
    entity_id: int
    txid: int


@dataclass(frozen=True)
class FeedPage:
    events: list[FeedEvent]
    cursor: str
    has_more: bool


def cursor_encode(txid: int, event_id: int) -> str:
    return base64.urlsafe_b64encode(f"{txid}.{event_id}".encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[int, int]:
    """``""`` or ``"0"`` is the beginning; anything else must be a cursor
    this feed gave out. Raises ValueError otherwise."""
    if cursor in ("", "0"):
        return 0, 0
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        text = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor of this feed") from exc
    txid, dot, event_id = text.partition(".")
    if not dot:
        raise ValueError("not a cursor of this feed")
    return int(txid), int(event_id)


def changes_since(*, entities: Iterable[str], cursor: str, limit: int) -> FeedPage:
    """Events of ``entities`` after ``cursor``, in commit-safe order."""
    after_txid, after_id = cursor_decode(cursor)
    limit = max(1, min(limit, FEED_MAX_LIMIT))
    with connection.cursor() as db:
        db.execute(
            """
            SELECT id, entity, entity_id, txid FROM catalog_changeevent
            WHERE entity = ANY(%s) AND (txid, id) > (%s, %s)
              AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
            ORDER BY txid, id
            LIMIT %s
            """,
            [list(entities), after_txid, after_id, limit + 1],
        )
        rows = [FeedEvent(*row) for row in db.fetchall()]
    page, has_more = rows[:limit], len(rows) > limit
    last = page[-1] if page else None
    return FeedPage(
        events=page,
        has_more=has_more,
        cursor=cursor_encode(last.txid, last.id) if last else cursor or "0",
    )
