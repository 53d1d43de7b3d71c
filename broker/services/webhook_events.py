"""Webhook events: which domain events are announced, to whom, with which
facts (public ones only: never the content of a sealed response)."""

from __future__ import annotations

from django.db import transaction

from broker import selectors
from broker.models import WebhookDelivery
from broker.services.webhook_deliveries import webhook_event_emit
from catalog.models import Certification, Offer
from tenders.models import (
    Award,
    Clarification,
    Order,
    ShortlistEntry,
    Tender,
    TenderResponse,
    WithdrawnAward,
)


def _tender_facts(tender: Tender) -> dict:
    return {
        "id": tender.pk,
        "reference": tender.reference,
        "title": tender.title,
        "status": tender.status,
        "status_reason": tender.status_reason,
        "category": tender.category,
        "cpv_code": tender.cpv_code,
        "level": tender.level,
        "response_deadline": tender.response_deadline,
        "published_at": tender.published_at,
        "closed_at": tender.closed_at,
        "decided_at": tender.decided_at,
        "agency": {"id": tender.agency_id, "name": tender.agency.name},
        "url": f"/api/v1/tenders/{tender.pk}/",
    }


def _order_facts(order: Order) -> dict:
    return {
        "id": order.pk,
        "reference": order.reference,
        "status": order.status,
        "status_reason": order.status_reason,
        "agency": {"id": order.agency_id, "name": order.agency.name},
        "provider": {"id": order.provider_id, "name": order.provider.name},
        "offer": {"id": order.offer_id, "name": order.offer.name},
        "quantity": order.quantity,
        "duration_months": order.duration_months,
        "unit_price": order.unit_price,
        "total": order.total,
        "placed_at": order.placed_at,
        "decided_at": order.decided_at,
        "url": f"/api/v1/orders/{order.pk}/",
    }


def _tender_participants(tender: Tender) -> set[int]:
    """Providers that responded to (even if they withdrew) or were invited
    to a tender: they hear of its decisions."""
    return set(
        TenderResponse.objects.filter(tender=tender).values_list("provider_id", flat=True)
    ) | set(tender.invitations.values_list("provider_id", flat=True))


# The demand side's actions that are webhook events. The "tender.awarded"
# transition is announced by "award.create", sent right after it in the same
# transaction, once the award (supplier, amount) exists.
TENDER_WEBHOOK_EVENTS = {
    "tender.published": "tender.published",
    "tender.closed": "tender.closed",
    "award.create": "tender.awarded",
    "tender.unsuccessful": "tender.unsuccessful",
    "tender.cancelled": "tender.cancelled",
    "award.withdraw": "tender.award_withdrawn",
    "tender.contract_signed": "tender.contract_signed",
    "clarification.ask": "clarification.asked",
    "clarification.answer": "clarification.answered",
    "order.place": "order.placed",
    "order.accepted": "order.accepted",
    "order.declined": "order.declined",
    "order.cancelled": "order.cancelled",
}


def webhooks_on_tender_event(
    *, action: str, object_id: int, tender_id: int | None, audit_id: int
) -> list[WebhookDelivery]:
    """Who hears of a demand-side event: the agency of its tenders and
    orders; the providers invited to or responding to a tender of its
    decisions, invitees and the asker of an answer, the provider of an
    order. Responses are sealed: their submission is no event at all."""
    event_type = TENDER_WEBHOOK_EVENTS.get(action)
    if event_type is None or not selectors.webhook_anyone_listening(event_type):
        return []
    if event_type.startswith("order."):
        order = Order.objects.select_related("agency", "provider", "offer").get(pk=object_id)
        return webhook_event_emit(
            event_type=event_type,
            event_id=f"{event_type}:{order.pk}",
            data={"order": _order_facts(order)},
            provider_ids=[order.provider_id],
            agency_ids=[order.agency_id],
        )
    # Every event of the table but the orders' is about one tender.
    assert tender_id is not None, action
    tender = Tender.objects.select_related("agency").get(pk=tender_id)
    data: dict = {"tender": _tender_facts(tender)}
    event_id = f"{event_type}:{tender.pk}"
    providers: set[int] = set()
    if event_type in ("tender.awarded", "tender.contract_signed"):
        award = Award.objects.select_related("response__provider", "response__offer").get(
            **({"pk": object_id} if event_type == "tender.awarded" else {"tender_id": tender.pk})
        )
        data["award"] = {
            "id": award.pk,
            "amount": award.amount,
            "awarded_at": award.awarded_at,
            "supplier": {"id": award.response.provider_id, "name": award.response.provider.name},
            "offer": {"id": award.response.offer_id, "name": award.response.offer.name},
        }
        if event_type == "tender.contract_signed":
            data["award"]["contract_signed_at"] = award.contract_signed_at
        elif WithdrawnAward.objects.filter(tender_id=tender.pk).exists():
            # A new award after a withdrawal is an event of its own.
            event_id = f"{event_type}:{tender.pk}:{award.pk}"
        providers = _tender_participants(tender)
    elif event_type == "tender.award_withdrawn":
        withdrawn = WithdrawnAward.objects.get(pk=object_id)
        data["withdrawn_award"] = {
            "award_id": withdrawn.award_id,
            "reason": withdrawn.reason,
            "withdrawn_at": withdrawn.withdrawn_at,
        }
        event_id = f"{event_type}:{tender.pk}:{withdrawn.award_id}"
        providers = _tender_participants(tender)
    elif event_type in ("tender.closed", "tender.unsuccessful", "tender.cancelled"):
        providers = _tender_participants(tender)
    elif event_type.startswith("clarification."):
        clarification = Clarification.objects.get(pk=object_id)
        # The asker is never named, as in the API.
        data["clarification"] = {
            "id": clarification.pk,
            "question": clarification.question,
            "asked_at": clarification.created_at,
        }
        event_id = f"{event_type}:{clarification.pk}"
        if event_type == "clarification.answered":
            data["clarification"].update(
                answer=clarification.answer, answered_at=clarification.answered_at
            )
            # An answer may be edited: each edit is an event of its own.
            event_id = f"{event_type}:{clarification.pk}:{audit_id}"
            providers = set(tender.invitations.values_list("provider_id", flat=True)) | {
                clarification.provider_id
            }
    return webhook_event_emit(
        event_type=event_type,
        event_id=event_id,
        data=data,
        provider_ids=providers,
        agency_ids=[tender.agency_id],
    )


def webhooks_on_invitations(*, tender: Tender, provider_ids: list[int]) -> list[WebhookDelivery]:
    if not provider_ids or not selectors.webhook_anyone_listening("invitation.created"):
        return []
    offers: dict[int, list[int]] = {}
    for provider_id, offer_id in (
        ShortlistEntry.objects.filter(tender=tender, offer__provider_id__in=provider_ids)
        .order_by("rank")
        .values_list("offer__provider_id", "offer_id")
    ):
        offers.setdefault(provider_id, []).append(offer_id)
    created = []
    for provider_id in provider_ids:
        created += webhook_event_emit(
            event_type="invitation.created",
            event_id=f"invitation.created:{tender.pk}:{provider_id}",
            data={
                "tender": _tender_facts(tender),
                "invitation": {
                    "provider_id": provider_id,
                    "offer_ids": offers.get(provider_id, []),
                },
            },
            provider_ids=[provider_id],
        )
    return created


def webhooks_on_assessments(*, offer_ids: list[int]) -> list[WebhookDelivery]:
    """Each changed assessment is an event for the offer's provider (the
    signal comes after the assessment batches committed: the deliveries of
    one call are written together)."""
    if not offer_ids or not selectors.webhook_anyone_listening("offer.assessed"):
        return []
    created = []
    with transaction.atomic():
        for offer in (
            Offer.objects.filter(pk__in=offer_ids).select_related("assessment").order_by("pk")
        ):
            created += _offer_assessed_emit(offer)
    return created


def _offer_assessed_emit(offer: Offer) -> list[WebhookDelivery]:
    assessment = getattr(offer, "assessment", None)
    if assessment is None:
        return []
    return webhook_event_emit(
        event_type="offer.assessed",
        event_id=f"offer.assessed:{offer.pk}:{assessment.inputs_digest[:16]}:{assessment.assessed_at.timestamp():.6f}",
        data={
            "offer": {
                "id": offer.pk,
                "name": offer.name,
                "status": offer.status,
                "url": f"/api/v1/offers/{offer.pk}/",
            },
            "assessment": {
                "level": assessment.level,
                "flags": list(assessment.flags),
                "policy_version": assessment.policy_version,
                "assessed_at": assessment.assessed_at,
            },
        },
        provider_ids=[offer.provider_id],
    )


CERTIFICATION_WEBHOOK_EVENTS = {
    "certification.verify": "certification.verified",
    "certification.reject": "certification.rejected",
    "certification.suspend": "certification.suspended",
    "certification.revoke": "certification.revoked",
    "certification.expire": "certification.expired",
}


def webhooks_on_operator_decision(
    *, action: str, object_id: int, data: dict, audit_id: int
) -> list[WebhookDelivery]:
    event_type = CERTIFICATION_WEBHOOK_EVENTS.get(action)
    if event_type is None or not selectors.webhook_anyone_listening(event_type):
        return []
    cert = Certification.objects.select_related("scheme").get(pk=object_id)
    return webhook_event_emit(
        event_type=event_type,
        event_id=f"{event_type}:{cert.pk}:{audit_id}",
        data={
            "certification": {
                "id": cert.pk,
                "scheme": cert.scheme.code,
                "scheme_version": cert.scheme_version,
                "reference": cert.reference,
                "status": cert.status,
                "verification": cert.verification,
                "issued_on": cert.issued_on,
                "expires_on": cert.expires_on,
                "offer_ids": sorted(cert.scope_offers.values_list("pk", flat=True)),
                "url": f"/api/v1/certifications/{cert.pk}/",
            },
            "reason": (data or {}).get("reason", ""),
        },
        provider_ids=[cert.provider_id],
    )
