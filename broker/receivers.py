"""The broker's reactions to domain events: the lower apps' and its own
(``broker.signals``: its services never import the tasks they need sent).

Audit events are written synchronously, in the transaction of the change
(so a rolled-back change leaves no audit row, and a committed one always
has one). Webhook deliveries are rows too, created in that transaction
(an event rolled back is never announced); they are sent after the
commit, like everything else: a task that starts before it would read the
old rows, or none."""

from __future__ import annotations

from django.dispatch import receiver

from broker import services, tasks
from broker import signals as broker_signals
from catalog import signals as catalog_signals
from tenders import signals as tender_signals

DECISIONS = {
    "tender.closed",
    "tender.awarded",
    "tender.unsuccessful",
    "tender.cancelled",
    "tender.contract_signed",
}
STANDSTILL_EVENTS = {"complaint.file", "complaint.answer", "award.withdraw"}
ORDER_EVENTS = {"order.place", "order.accepted", "order.declined", "order.cancelled"}


# Send after commit; the beat's sweepers recover what Redis lost.
_enqueue = tasks.enqueue_after_commit


@receiver(broker_signals.webhook_attempts_due)
def send_webhook_attempts(sender, attempts, **kwargs):
    for delivery_id, attempt in attempts:
        _enqueue(tasks.webhook_deliver, delivery_id=delivery_id, attempt=attempt)


@receiver(catalog_signals.offer_inputs_changed)
def reassess_on_input_change(sender, offer_ids, reason, **kwargs):
    ids = None if offer_ids is None else sorted(set(offer_ids))
    if ids == []:
        return
    _enqueue(tasks.offers_assess, offer_ids=ids, reason=reason)


@receiver(catalog_signals.assessments_changed)
def rematch_on_assessment_change(sender, offer_ids, **kwargs):
    _enqueue(tasks.tenders_rematch, offer_ids=sorted(offer_ids))
    services.webhooks_on_assessments(offer_ids=sorted(offer_ids))


@receiver(catalog_signals.offer_status_changed)
def rematch_on_offer_change(sender, offer_id, status, **kwargs):
    _enqueue(tasks.tenders_rematch, offer_ids=[offer_id])


@receiver(catalog_signals.offer_transitioned)
def audit_offer_transition(sender, offer_id, action, actor, organisation, data, **kwargs):
    services.audit_append(
        actor=actor,
        organisation=organisation,
        action=action,
        object_type="offer",
        object_id=offer_id,
        data=data,
    )


@receiver(catalog_signals.operator_decided)
def audit_operator_decision(sender, actor, action, object_type, object_id, data, **kwargs):
    event = services.audit_append(
        actor=actor,
        organisation="operator",
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data,
    )
    services.webhooks_on_operator_decision(
        action=action, object_id=object_id, data=data, audit_id=event.pk
    )


@receiver(tender_signals.tender_event)
def on_tender_event(
    sender, action, actor, organisation, object_type, object_id, data, tender_id, **kwargs
):
    event = services.audit_append(
        actor=actor,
        organisation=organisation,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data,
        tender_id=tender_id,
    )
    services.webhooks_on_tender_event(
        action=action, object_id=object_id, tender_id=tender_id, audit_id=event.pk
    )
    if action == "tender.published":
        _enqueue(tasks.tender_match, tender_id=tender_id)
    elif action in DECISIONS:
        _enqueue(tasks.tender_decision_notify, tender_id=tender_id, action=action)
    elif action == "clarification.answer":
        _enqueue(tasks.clarification_notify, clarification_id=object_id)
    elif action in STANDSTILL_EVENTS:
        _enqueue(tasks.standstill_notify, object_id=object_id, action=action)
    elif action in ORDER_EVENTS:
        _enqueue(tasks.order_notify, order_id=object_id, action=action)
