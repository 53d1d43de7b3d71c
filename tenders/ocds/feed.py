"""The ``?since=`` feed of releases, read from the one change feed
(``core.feed``): commit-safe, so a release that commits late is never
skipped by a client resuming from its cursor.

A release is born when its tender reaches a stage. Database triggers
(tenders/migrations/0007) journal that moment, in the writing transaction,
as one event per release: the entity names the stage, the entity id is the
tender's for a tender stage and the award's for an award stage (whose
release id carries the award id). Serving an event is building the release
of that stage from the tender's facts as they stand, which is the release
as it was born (a release never changes once it exists)."""

from __future__ import annotations

from collections.abc import Sequence

from core.feed import FeedEvent
from tenders.models import Award, WithdrawnAward
from tenders.ocds.queries import tender_facts
from tenders.ocds.releases import release, stages_of

# Journal entity → release id suffix ("{pk}": the award's id).
TENDER_STAGES = {
    "ocds:tender": "tender",
    "ocds:closed": "closed",
    "ocds:cancelled": "cancelled",
    "ocds:unsuccessful": "unsuccessful",
    "ocds:contract": "contract",
}
AWARD_STAGES = {"ocds:award": "award-{pk}", "ocds:award-cancelled": "award-{pk}-cancelled"}
FEED_ENTITIES = (*TENDER_STAGES, *AWARD_STAGES)


def _tenders_of_awards(award_ids: set[int]) -> dict[int, int]:
    """Award id → tender id, the withdrawn awards included (their history
    row keeps the award's id). One query."""
    if not award_ids:
        return {}
    current = Award.objects.filter(pk__in=award_ids).values_list("pk", "tender_id")
    withdrawn = WithdrawnAward.objects.filter(award_id__in=award_ids).values_list(
        "award_id", "tender_id"
    )
    return dict(current.union(withdrawn))


def releases_of_changes(events: Sequence[FeedEvent]) -> list[dict]:
    """The releases these journal events announce, in the events' order,
    each once. An event whose release is not public (a draft's
    cancellation) gives nothing."""
    award_tenders = _tenders_of_awards({e.entity_id for e in events if e.entity in AWARD_STAGES})
    wanted: list[tuple[int, str]] = []  # (tender id, release id suffix)
    for event in events:
        if event.entity in TENDER_STAGES:
            wanted.append((event.entity_id, TENDER_STAGES[event.entity]))
        elif event.entity_id in award_tenders:
            suffix = AWARD_STAGES[event.entity].format(pk=event.entity_id)
            wanted.append((award_tenders[event.entity_id], suffix))
    if not wanted:
        return []
    facts = tender_facts({tender_id for tender_id, _suffix in wanted})
    reached = {
        pk: {stage.suffix: (stage, at) for stage, at in stages_of(f)} for pk, f in facts.items()
    }
    releases = []
    for tender_id, suffix in dict.fromkeys(wanted):
        if suffix in reached.get(tender_id, {}):
            stage, at = reached[tender_id][suffix]
            releases.append(release(facts[tender_id], stage, at))
    return releases
