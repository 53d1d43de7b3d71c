"""The audit chain's pure core: how an event is hashed, how an anchor (the
head of the chain published outside the database) is signed, and how a
sequence of events is checked against its anchors.

Plain data in, plain data out, no database and no Django settings: the
same functions check the live table (``manage.py audit_verify``) and an
export on a machine that has neither (``python -m broker.audit_offline``).

Why anchors: the hash chain proves that what remains is unaltered, not that
nothing is missing. Deleting the newest events (with the append-only
trigger bypassed) leaves a shorter chain that still links. An anchor
records, each day, how many events there were and which one was last with
its hash; a chain that no longer holds that event, with that hash, at that
position, lost its tail."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.crypto import salted_hmac

GENESIS = "0" * 64
# What an event's hash covers, besides the previous hash.
HASHED_FIELDS = (
    "id",
    "created_at",
    "actor",
    "actor_label",
    "organisation",
    "action",
    "object_type",
    "object_id",
    "tender_id",
    "data",
)
ANCHOR_VERSION = 1
ANCHOR_ALGORITHM = "HMAC-SHA256"
# Its own salt: the anchor key derived from SECRET_KEY signs nothing else.
ANCHOR_KEY_SALT = "broker.audit.anchor"


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def event_hash(fields: Mapping[str, Any], previous_hash: str) -> str:
    """``sha256(previous hash + canonical JSON of the hashed fields)``."""
    hashed = {name: fields[name] for name in HASHED_FIELDS}
    return hashlib.sha256((previous_hash + canonical_json(hashed)).encode()).hexdigest()


# --------------------------------------------------------------------------
# Anchors


class AnchorError(ValueError):
    """An anchor document that is malformed or whose signature is wrong."""


def anchor_key(configured: str, secret_key: str) -> str:
    """The key that signs anchors: ``AUDIT_ANCHOR_KEY`` when set, else one
    derived from ``SECRET_KEY`` (never SECRET_KEY itself)."""
    if configured:
        return configured
    if not secret_key:
        raise AnchorError("no anchor key: set AUDIT_ANCHOR_KEY (or DJANGO_SECRET_KEY)")
    return salted_hmac(
        ANCHOR_KEY_SALT, "anchor-key", secret=secret_key, algorithm="sha256"
    ).hexdigest()


@dataclass(frozen=True)
class Anchor:
    """The head of the chain at ``published_at``: ``count`` events, the
    last one ``last_event_id`` with ``last_hash`` (none and GENESIS for an
    empty chain). ``source`` says where it was read, for messages."""

    day: str
    published_at: str
    count: int
    last_event_id: int | None
    last_hash: str
    source: str = field(default="", compare=False)

    def document(self) -> dict[str, object]:
        """What is signed (and published, with the signature)."""
        return {
            "version": ANCHOR_VERSION,
            "algorithm": ANCHOR_ALGORITHM,
            "day": self.day,
            "published_at": self.published_at,
            "count": self.count,
            "last_event_id": self.last_event_id,
            "last_hash": self.last_hash,
        }

    def signature(self, key: str) -> str:
        return hmac.new(
            key.encode(), canonical_json(self.document()).encode(), hashlib.sha256
        ).hexdigest()

    def signed_document(self, key: str) -> dict[str, object]:
        return {**self.document(), "signature": self.signature(key)}

    @property
    def label(self) -> str:
        return f"anchor {self.day}" + (f" ({self.source})" if self.source else "")


def anchor_read(document: object, key: str, *, source: str = "") -> Anchor:
    """The anchor of a signed document (a file, or an item of the open-data
    list: keys beyond the signed ones are ignored); AnchorError if it is
    malformed or its signature does not match."""
    if not isinstance(document, Mapping):
        raise AnchorError(f"{source or 'anchor'}: not a JSON object")
    try:
        last_event_id = document["last_event_id"]
        anchor = Anchor(
            day=str(document["day"]),
            published_at=str(document["published_at"]),
            count=int(document["count"]),
            last_event_id=None if last_event_id is None else int(last_event_id),
            last_hash=str(document["last_hash"]),
            source=source,
        )
        signature = str(document["signature"])
        version = document["version"]
    except (KeyError, TypeError, ValueError) as error:
        raise AnchorError(f"{source or 'anchor'}: malformed ({error!r})") from error
    if version != ANCHOR_VERSION:
        raise AnchorError(f"{anchor.label}: unknown version {version!r}")
    if not hmac.compare_digest(signature, anchor.signature(key)):
        raise AnchorError(
            f"{anchor.label}: its signature does not match "
            "(the anchor was altered, or signed with another key)"
        )
    return anchor


# --------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class ChainReport:
    """``broken_at`` is the first event whose link or hash is wrong;
    ``anchor_problems`` say which anchors the chain does not reach."""

    count: int
    broken_at: int | None
    reason: str = ""
    anchors_checked: int = 0
    anchor_problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.broken_at is None and not self.anchor_problems


def _anchor_problem(anchor: Anchor, seen: Mapping[int, tuple[int, str]], count: int) -> str:
    if anchor.count == 0:
        return ""  # the empty chain is a prefix of every chain
    if anchor.last_event_id is None or anchor.last_event_id not in seen:
        return (
            f"{anchor.label}: event #{anchor.last_event_id}, the anchored last event "
            f"(number {anchor.count}), is missing; the chain holds {count} events: "
            "events were deleted"
        )
    position, found_hash = seen[anchor.last_event_id]
    if found_hash != anchor.last_hash:
        return (
            f"{anchor.label}: event #{anchor.last_event_id} has hash {found_hash}, "
            f"the anchor says {anchor.last_hash}"
        )
    if position != anchor.count:
        return (
            f"{anchor.label}: event #{anchor.last_event_id} is event number {position}, "
            f"the anchor counts {anchor.count}"
        )
    return ""


def chain_verify(
    events: Iterable[Mapping[str, Any]], anchors: Iterable[Anchor] = ()
) -> ChainReport:
    """Recompute the chain over ``events`` (in id order, each with the
    HASHED_FIELDS, ``previous_hash`` and ``hash``), then check that it
    holds every anchor's last event, with its hash, at its position."""
    newest_first = sorted(anchors, key=lambda anchor: anchor.day, reverse=True)
    wanted = {anchor.last_event_id for anchor in newest_first}
    seen: dict[int, tuple[int, str]] = {}
    previous = GENESIS
    count = 0
    for event in events:
        count += 1
        event_id = event["id"]
        if event["previous_hash"] != previous:
            return ChainReport(
                count, event_id, "its previous_hash does not match the event before it"
            )
        if event_hash(event, previous) != event["hash"]:
            return ChainReport(count, event_id, "its content does not match its hash")
        previous = str(event["hash"])
        if event_id in wanted:
            seen[event_id] = (count, previous)
    problems = tuple(
        problem for anchor in newest_first if (problem := _anchor_problem(anchor, seen, count))
    )
    return ChainReport(count, None, anchors_checked=len(newest_first), anchor_problems=problems)
