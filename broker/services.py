"""The broker's writes: the audit chain, notifications, and matching runs."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from broker import matching
from broker.models import AuditEvent, Notification
from catalog.models import Offer
from tenders import services as tender_services
from tenders.models import MatchingState, Tender, TenderResponse, TenderStatus

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
# Any constant: the advisory lock that serialises appends to the chain.
AUDIT_LOCK_KEY = 7_402_311


# --------------------------------------------------------------------------
# Audit chain


def _canonical(event: AuditEvent) -> str:
    return json.dumps({
        "id": event.pk, "created_at": event.created_at.isoformat(), "actor": event.actor_id,
        "actor_label": event.actor_label, "organisation": event.organisation, "action": event.action,
        "object_type": event.object_type, "object_id": event.object_id, "tender_id": event.tender_id,
        "data": event.data,
    }, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def audit_hash(event: AuditEvent) -> str:
    return hashlib.sha256((event.previous_hash + _canonical(event)).encode()).hexdigest()


def audit_append(*, actor, organisation: str, action: str, object_type: str, object_id: int,
                 data: dict | None = None, tender_id: int | None = None) -> AuditEvent:
    """Append one event in the caller's transaction. The advisory lock makes
    concurrent appends take turns, so each links to the true previous one."""
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return audit_append(actor=actor, organisation=organisation, action=action,
                                object_type=object_type, object_id=object_id, data=data, tender_id=tender_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])
        # The id is part of what is hashed and the row is written once (the
        # table refuses UPDATE): take the id from the sequence first.
        cursor.execute("SELECT nextval(pg_get_serial_sequence('broker_auditevent', 'id'))")
        (next_id,) = cursor.fetchone()
    previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
    event = AuditEvent(
        pk=next_id, created_at=timezone.now(), actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", "") or "system", organisation=(organisation or "")[:200],
        action=action, object_type=object_type, object_id=object_id, tender_id=tender_id,
        data=json.loads(json.dumps(data or {}, default=str)), previous_hash=previous,
    )
    event.hash = audit_hash(event)
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class ChainReport:
    count: int
    broken_at: int | None
    reason: str = ""


def audit_verify() -> ChainReport:
    previous = GENESIS
    count = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        if event.previous_hash != previous:
            return ChainReport(count, event.pk, "its previous_hash does not match the event before it")
        if audit_hash(event) != event.hash:
            return ChainReport(count, event.pk, "its content does not match its hash")
        previous = event.hash
    return ChainReport(count, None)


# --------------------------------------------------------------------------
# Notifications


def notify(*, users, kind: str, key: str, subject: str, body: str, url: str = "") -> list[Notification]:
    """In-app notification plus e-mail, once per (user, key): re-running the
    event that caused it notifies nobody twice."""
    created = []
    for user in users:
        notification, fresh = Notification.objects.get_or_create(
            recipient=user, key=key[:200],
            defaults={"kind": kind, "subject": subject[:200], "body": body, "url": url[:300]},
        )
        if fresh:
            created.append(notification)
    if created:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: notifications_email(notification_ids=ids))
    return created


def notifications_email(*, notification_ids: list[int]) -> int:
    sent = 0
    for notification in Notification.objects.select_related("recipient").filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ):
        if not notification.recipient.email:
            continue
        send_mail(notification.subject, notification.body + (f"\n\n{notification.url}" if notification.url else ""),
                  settings.DEFAULT_FROM_EMAIL, [notification.recipient.email], fail_silently=True)
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def provider_users(provider_ids) -> list:
    return list(get_user_model().objects.filter(provider_membership__provider_id__in=list(provider_ids),
                                                is_active=True))


def agency_users(agency_id: int) -> list:
    return list(get_user_model().objects.filter(agency_membership__agency_id=agency_id, is_active=True))


# --------------------------------------------------------------------------
# Matching


@dataclass(frozen=True)
class MatchRun:
    tender_id: int
    rows: int
    invited: list[int]


def tender_match(*, tender_id: int) -> MatchRun:
    """Compute and store a published tender's shortlist, invite the newly
    shortlisted providers. Idempotent: the same catalogue gives the same
    rows, and nobody is invited twice."""
    # A tender past its deadline is closed here rather than matched: nobody
    # is invited to a call that no longer takes responses.
    tender = tender_services.tender_close_if_due(tender=Tender.objects.get(pk=tender_id))
    if tender.status != TenderStatus.PUBLISHED:
        return MatchRun(tender_id, 0, [])
    tender_services.tender_matching_mark(tender_id=tender_id, state=MatchingState.RUNNING)
    try:
        with transaction.atomic():
            # Lock the tender, then read the catalogue: two runs of the same
            # tender (publication and a catalogue change, or a redelivery)
            # take turns, and the later one computes from the later
            # catalogue. Computing before the lock let a run that read the
            # old assessments store its rows after a fresher run, putting a
            # revoked offer back on the shortlist.
            tender = (Tender.objects.select_for_update(of=("self",))
                      .select_related("agency__buyer_category").get(pk=tender_id))
            if tender.status != TenderStatus.PUBLISHED:
                rows, invited = [], []
            else:
                rows = matching.score(tender, matching.candidates(tender))
                invited = tender_services.shortlist_store(tender_id=tender_id, rows=rows)
            if invited:
                notify(
                    users=provider_users(invited), kind="invitation", key=f"invitation:{tender_id}",
                    subject=f"Invitation : {tender.reference} {tender.title}",
                    body=(f"Une de vos offres est qualifiée pour l'appel {tender.reference} "
                          f"« {tender.title} » de {tender.agency.name}. Date limite : "
                          f"{timezone.localtime(tender.response_deadline):%d/%m/%Y %H:%M %Z}."),
                    url=f"/api/v1/tenders/{tender_id}/",
                )
            tender_services.tender_matching_mark(tender_id=tender_id, state=MatchingState.DONE)
    except Exception as exc:
        tender_services.tender_matching_mark(tender_id=tender_id, state=MatchingState.FAILED,
                                             error=f"{type(exc).__name__}: {exc}")
        raise
    return MatchRun(tender_id, len(rows), invited)


def tenders_affected_by(offer_ids: list[int]) -> list[int]:
    """Published tenders a change of these offers can affect: those in the
    offers' categories (a new qualification may add them), and those whose
    shortlist holds them (a lost one removes them)."""
    categories = set(Offer.objects.filter(pk__in=offer_ids).values_list("category", flat=True))
    return list(
        Tender.objects.filter(status=TenderStatus.PUBLISHED)
        .filter(Q(category__in=categories) | Q(shortlist__offer_id__in=offer_ids))
        .order_by("pk").values_list("pk", flat=True).distinct()
    )


# --------------------------------------------------------------------------
# Tender decisions: who hears about them


def tender_decision_notify(*, tender_id: int, action: str) -> int:
    tender = Tender.objects.select_related("agency").get(pk=tender_id)
    responders = set(TenderResponse.objects.filter(tender=tender).values_list("provider_id", flat=True))
    invitees = set(tender.invitations.values_list("provider_id", flat=True))
    users = provider_users(responders | invitees)
    if action == "tender.closed":
        users += agency_users(tender.agency_id)
    words = {
        "tender.closed": ("clôturé", "The response deadline has passed; responses are now open to the buyer."),
        "tender.awarded": ("attribué", ""),
        "tender.unsuccessful": ("déclaré infructueux", tender.status_reason),
        "tender.cancelled": ("annulé", tender.status_reason),
    }
    verb, detail = words[action]
    if action == "tender.awarded":
        winner = tender.award.response.provider.name
        detail = f"Attributaire : {winner}."
    created = notify(users=users, kind=action.replace("tender.", "tender_"), key=f"{action}:{tender_id}",
                     subject=f"{tender.reference} {verb}", body=f"L'appel « {tender.title} » est {verb}. {detail}",
                     url=f"/api/v1/tenders/{tender_id}/")
    return len(created)


def certifications_warn_expiry(*, today=None) -> int:
    """Warn providers 90 and 30 days before a certificate they hold expires."""
    from catalog.models import Certification

    today = today or timezone.localdate()
    sent = 0
    for days in (90, 30):
        target = today + timedelta(days=days)
        for cert in Certification.objects.select_related("provider", "scheme").filter(
            status=Certification.Status.VALID, expires_on=target
        ):
            sent += len(notify(
                users=provider_users([cert.provider_id]), kind="certificate_expiring", key=f"cert-expiry:{cert.pk}:{days}",
                subject=f"{cert.scheme.name} {cert.reference} expire dans {days} jours",
                body=f"Le certificat {cert.scheme.name} {cert.reference} expire le {cert.expires_on:%d/%m/%Y}. "
                     "Les offres qui en dépendent perdront leur qualification à cette date.",
                url=f"/api/v1/certifications/{cert.pk}/",
            ))
    return sent


def order_notify(*, order_id: int, action: str) -> int:
    from tenders.models import Order

    order = Order.objects.select_related("agency", "provider", "offer").get(pk=order_id)
    # The other party hears: the provider of an order placed or cancelled by
    # the agency, the agency of an order the provider accepted or declined.
    if action == "order.place":
        users, subject = provider_users([order.provider_id]), f"Nouvelle commande {order.reference}"
    elif action == "order.cancelled":
        users = provider_users([order.provider_id])
        subject = f"Commande {order.reference} : {order.get_status_display()}"
    else:
        users = agency_users(order.agency_id)
        subject = f"Commande {order.reference} : {order.get_status_display()}"
    body = (f"{order.agency.name} — {order.offer.name} : {order.quantity} × {order.duration_months} mois, "
            f"{order.total} € HT. {order.status_reason}").strip()
    return len(notify(users=users, kind=action.replace(".", "_"), key=f"{action}:{order_id}",
                      subject=subject, body=body, url=f"/api/v1/orders/{order_id}/"))


def clarification_notify(*, clarification_id: int) -> int:
    from tenders.models import Clarification

    item = Clarification.objects.select_related("tender").get(pk=clarification_id)
    tender = item.tender
    providers = set(tender.invitations.values_list("provider_id", flat=True)) | {item.provider_id}
    return len(notify(users=provider_users(providers), kind="clarification_answered",
                      key=f"clarification:{clarification_id}",
                      subject=f"{tender.reference} : réponse à une question",
                      body=f"Question : {item.question}\n\nRéponse : {item.answer}",
                      url=f"/api/v1/tenders/{tender.pk}/clarifications/"))
