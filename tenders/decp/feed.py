"""The ``?since=`` feed of DECP entries, read from the one change feed
(``core.feed``): commit-safe, so an entry that commits late is never
skipped by a client resuming from its cursor.

An entry is derived from an award (its signature), an accepted order, and
its holder's legal identity: the journal's ``award``, ``order`` and
``provider`` events are what may change one (an award or order row
written, a provider's SIREN or VAT number set or cleared). Serving an
event is serving the entry as it stands now, if it is in the DECP; a
client keeps the last version of each entry (``acheteur`` and ``id``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q

from core.feed import FeedEvent
from tenders.decp.entries import Contract
from tenders.decp.queries import contract_from_award, contract_from_order, publishable

FEED_ENTITIES = ("award", "order", "provider")


def contracts_of_changes(events: Sequence[FeedEvent]) -> list[Contract]:
    """The DECP entries these journal events touch, each once, in the order
    of its last event. Two queries at most whatever the count."""
    last: dict[tuple[str, int], int] = {}
    for index, event in enumerate(events):
        last[(event.entity, event.entity_id)] = index
    award_ids = [pk for entity, pk in last if entity == "award"]
    order_ids = [pk for entity, pk in last if entity == "order"]
    provider_ids = [pk for entity, pk in last if entity == "provider"]
    awards, orders = publishable()
    ranked: list[tuple[int, Contract]] = []
    if award_ids or provider_ids:
        for award in awards.filter(Q(pk__in=award_ids) | Q(response__provider_id__in=provider_ids)):
            rank = max(
                last.get(("award", award.pk), -1),
                last.get(("provider", award.response.provider_id), -1),
            )
            ranked.append((rank, contract_from_award(award)))
    if order_ids or provider_ids:
        for order in orders.filter(Q(pk__in=order_ids) | Q(provider_id__in=provider_ids)):
            rank = max(
                last.get(("order", order.pk), -1), last.get(("provider", order.provider_id), -1)
            )
            ranked.append((rank, contract_from_order(order)))
    ranked.sort(key=lambda pair: pair[0])
    return [contract for _rank, contract in ranked]
