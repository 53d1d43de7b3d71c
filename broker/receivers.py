"""The broker's reactions to the lower apps' domain events.

Every receiver defers its work until the change is committed: a task that
starts before the commit would read the old rows (or none)."""

from __future__ import annotations

from django.dispatch import receiver

from broker import tasks
from catalog import signals as catalog_signals


@receiver(catalog_signals.offer_inputs_changed)
def reassess_on_input_change(sender, offer_ids, reason, **kwargs):
    ids = None if offer_ids is None else sorted(set(offer_ids))
    if ids == []:
        return
    tasks.offers_assess.delay_on_commit(offer_ids=ids, reason=reason)
