"""Domain events of the demand side. ``tenders`` never imports ``broker``:
it announces what happened and the broker reacts (audit chain, matching,
notifications). Sent inside the transaction of the change, so an audit
receiver writes in that same transaction; side effects wait for commit.

``tender_event`` arguments:
    action        "tender.publish", "response.submit", "order.accept", ...
    actor         the acting user or None (the system, e.g. the beat)
    organisation  the acting organisation's label, or ""
    object_type   "tender", "response", "order", "clarification", "award",
                  "sourcingfile" (actions "sourcing_file.create", ".lock" with
                  the snapshot's SHA-256, ".delete")
    object_id     the row's id
    data          a JSON-safe dict; never a sealed response's content
    tender_id     the tender concerned, or None
"""

from django.dispatch import Signal

tender_event = Signal()
