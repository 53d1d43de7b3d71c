"""The broker's writes: the audit chain, notifications, matching runs,
webhooks (endpoints, events, deliveries) and organisation API keys."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import string
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from broker import matching, selectors, webhooks
from broker.models import (
    ApiKey,
    AuditEvent,
    DeliveryStatus,
    Notification,
    Preference,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from broker.selectors import Organisation
from catalog.models import Certification, CertificationStatus, Offer, SensitivityLevel
from catalog.services import DomainError
from tenders import selectors as tender_selectors
from tenders import services as tender_services
from tenders.models import (
    Award,
    Clarification,
    MatchingState,
    Order,
    ResponseStatus,
    ShortlistEntry,
    SourcingFile,
    Tender,
    TenderResponse,
    TenderStatus,
    WithdrawnAward,
)

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
# Any constant: the advisory lock that serialises appends to the chain.
AUDIT_LOCK_KEY = 7_402_311


# --------------------------------------------------------------------------
# Audit chain


def _canonical(event: AuditEvent) -> str:
    return json.dumps(
        {
            "id": event.pk,
            "created_at": event.created_at.isoformat(),
            "actor": event.actor_id,
            "actor_label": event.actor_label,
            "organisation": event.organisation,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "tender_id": event.tender_id,
            "data": event.data,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )


def audit_hash(event: AuditEvent) -> str:
    return hashlib.sha256((event.previous_hash + _canonical(event)).encode()).hexdigest()


def audit_append(
    *,
    actor,
    organisation: str,
    action: str,
    object_type: str,
    object_id: int,
    data: dict | None = None,
    tender_id: int | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction. The advisory lock makes
    concurrent appends take turns, so each links to the true previous one."""
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return audit_append(
                actor=actor,
                organisation=organisation,
                action=action,
                object_type=object_type,
                object_id=object_id,
                data=data,
                tender_id=tender_id,
            )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])
        # The id is part of what is hashed and the row is written once (the
        # table refuses UPDATE): take the id from the sequence first.
        cursor.execute("SELECT nextval(pg_get_serial_sequence('broker_auditevent', 'id'))")
        (next_id,) = cursor.fetchone()
    previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
    event = AuditEvent(
        pk=next_id,
        created_at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", "") or "system",
        organisation=(organisation or "")[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        tender_id=tender_id,
        data=json.loads(json.dumps(data or {}, default=str)),
        previous_hash=previous,
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
            return ChainReport(
                count, event.pk, "its previous_hash does not match the event before it"
            )
        if audit_hash(event) != event.hash:
            return ChainReport(count, event.pk, "its content does not match its hash")
        previous = event.hash
    return ChainReport(count, None)


# --------------------------------------------------------------------------
# Notifications


def notify(
    *, users, kind: str, key: str, message: Callable[[], tuple[str, str]], url: str = ""
) -> list[Notification]:
    """In-app notification plus e-mail, once per (user, key): re-running the
    event that caused it notifies nobody twice. ``message`` composes the
    (subject, body) pair; it is called once per language, with that
    language active, and each recipient gets the text in the language they
    chose (``Preference``), else the site's default."""
    users = list(users)
    languages = selectors.preferred_languages([user.pk for user in users])
    texts: dict[str, tuple[str, str]] = {}
    created = []
    for user in users:
        language = languages[user.pk]
        if language not in texts:
            with translation.override(language):
                texts[language] = message()
        subject, body = texts[language]
        notification, fresh = Notification.objects.get_or_create(
            recipient=user,
            key=key[:200],
            defaults={"kind": kind, "subject": subject[:200], "body": body, "url": url[:300]},
        )
        if fresh:
            created.append(notification)
    if created:
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: notifications_email(notification_ids=ids))
    return created


def preference_language_set(*, user, language: str) -> Preference:
    """Record the language this person reads: their next notifications and
    e-mails are written in it."""
    if language not in dict(settings.LANGUAGES):
        raise _invalid(
            "language", _("Use one of %(names)s.") % {"names": ", ".join(dict(settings.LANGUAGES))}
        )
    preference, _created = Preference.objects.update_or_create(
        user=user, defaults={"language": language}
    )
    return preference


def _when(moment) -> str:
    """A date and time in the active language's short form, with its zone."""
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local:%Z}"


def _day(day) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def notifications_email(*, notification_ids: list[int]) -> int:
    sent = 0
    for notification in Notification.objects.select_related("recipient").filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ):
        if not notification.recipient.email:
            continue
        send_mail(
            notification.subject,
            notification.body + (f"\n\n{notification.url}" if notification.url else ""),
            settings.DEFAULT_FROM_EMAIL,
            [notification.recipient.email],
            fail_silently=True,
        )
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of this user as read; one UPDATE."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def provider_users(provider_ids) -> list:
    return list(
        get_user_model().objects.filter(
            provider_membership__provider_id__in=list(provider_ids), is_active=True
        )
    )


def agency_users(agency_id: int) -> list:
    return list(
        get_user_model().objects.filter(agency_membership__agency_id=agency_id, is_active=True)
    )


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
    # The "running" mark is one statement (the usual case: a published
    # tender before its deadline). Otherwise a tender past its deadline is
    # closed here rather than matched: nobody is invited to a call that no
    # longer takes responses.
    if not tender_services.tender_matching_start(tender_id=tender_id):
        tender_services.tender_close_if_due(tender=Tender(pk=tender_id))
        return MatchRun(tender_id, 0, [])
    try:
        with transaction.atomic():
            # Lock the tender, then read the catalogue: two runs of the same
            # tender (publication and a catalogue change, or a redelivery)
            # take turns, and the later one computes from the later
            # catalogue. Computing before the lock let a run that read the
            # old assessments store its rows after a fresher run, putting a
            # revoked offer back on the shortlist.
            # The scoring runs in the database (matching.shortlist_select,
            # the SQL twin of matching.score) and one statement stores it:
            # nothing per row crosses into Python.
            # The stated level's rank comes with the tender (one query less).
            tender = (
                Tender.objects.select_for_update(of=("self",))
                .select_related("agency__buyer_category__health_min_level")
                .annotate(
                    stated_rank=Subquery(
                        SensitivityLevel.objects.filter(code=OuterRef("level")).values("rank")[:1]
                    )
                )
                .get(pk=tender_id)
            )
            if tender.status != TenderStatus.PUBLISHED:
                rows, invited = 0, []
                tender_services.tender_matching_mark(tender_id=tender_id, state=MatchingState.DONE)
            else:
                stated = {
                    tender.level: SensitivityLevel(code=tender.level, rank=tender.stated_rank)
                }
                need = tender_selectors.need_of(
                    tender, levels=stated if tender.stated_rank is not None else None
                )
                # Also marks the run done: if what follows fails, the
                # transaction rolls back and the run is marked failed below.
                rows, invited = tender_services.shortlist_replace(
                    tender=tender, select=matching.shortlist_select(tender, need), finish=True
                )
            if invited:
                webhooks_on_invitations(tender=tender, provider_ids=invited)
                notify(
                    users=provider_users(invited),
                    kind="invitation",
                    key=f"invitation:{tender_id}",
                    message=lambda: (
                        _("Invitation: %(reference)s %(title)s")
                        % {"reference": tender.reference, "title": tender.title},
                        _(
                            "One of your offers qualifies for the tender %(reference)s “%(title)s” of %(agency)s. "
                            "Deadline: %(deadline)s."
                        )
                        % {
                            "reference": tender.reference,
                            "title": tender.title,
                            "agency": tender.agency.name,
                            "deadline": _when(tender.response_deadline),
                        },
                    ),
                    url=f"/api/v1/tenders/{tender_id}/",
                )
    except Exception as exc:
        tender_services.tender_matching_mark(
            tender_id=tender_id, state=MatchingState.FAILED, error=f"{type(exc).__name__}: {exc}"
        )
        raise
    return MatchRun(tender_id, rows, invited)


def tenders_affected_by(offer_ids: list[int]) -> list[int]:
    """Published tenders a change of these offers can affect: those in the
    offers' categories (a new qualification may add them), and those whose
    shortlist holds them (a lost one removes them)."""
    categories = set(Offer.objects.filter(pk__in=offer_ids).values_list("category", flat=True))
    return list(
        Tender.objects.filter(status=TenderStatus.PUBLISHED)
        .filter(Q(category__in=categories) | Q(shortlist__offer_id__in=offer_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )


# --------------------------------------------------------------------------
# Tender decisions: who hears about them


def tender_decision_notify(*, tender_id: int, action: str) -> int:
    tender = Tender.objects.select_related("agency").get(pk=tender_id)
    responders = set(
        TenderResponse.objects.filter(tender=tender).values_list("provider_id", flat=True)
    )
    invitees = set(tender.invitations.values_list("provider_id", flat=True))
    users = provider_users(responders | invitees)
    if action == "tender.closed":
        users += agency_users(tender.agency_id)
    if action == "tender.awarded":
        award = Award.objects.filter(tender=tender).select_related("response__provider").first()
        if award is None:  # withdrawn before this ran: its own notice follows
            return 0
        return award_decision_notify(tender=tender, award=award, others=responders | invitees)

    def message() -> tuple[str, str]:
        values = {
            "reference": tender.reference,
            "title": tender.title,
            "reason": tender.status_reason,
        }
        subject, body = {
            "tender.closed": (
                _("%(reference)s closed"),
                _(
                    "The tender “%(title)s” is closed: the response deadline has passed and the "
                    "responses are now open to the buyer."
                ),
            ),
            "tender.unsuccessful": (
                _("%(reference)s declared unsuccessful"),
                _("The tender “%(title)s” is declared unsuccessful. Reason: %(reason)s"),
            ),
            "tender.cancelled": (
                _("%(reference)s cancelled"),
                _("The tender “%(title)s” is cancelled. Reason: %(reason)s"),
            ),
            "tender.contract_signed": (
                _("%(reference)s: contract signed"),
                _("The contract of the tender “%(title)s” is signed with the successful tenderer."),
            ),
        }[action]
        return subject % values, body % values

    created = notify(
        users=users,
        kind=action.replace("tender.", "tender_"),
        key=f"{action}:{tender_id}",
        message=message,
        url=f"/api/v1/tenders/{tender_id}/",
    )
    return len(created)


def award_decision_notify(*, tender: Tender, award: Award, others: set[int]) -> int:
    """The award decision, to each tenderer with the reasons: its own rank
    and scores, the winner's name and score, and the end of the standstill
    during which it may file a complaint (Code de la commande publique
    R2181-3, L2181-1, R2182-1); ``others`` (invitees, tenderers who
    withdrew) hear the outcome only. Once per award: a new award after a
    withdrawal is a new decision, notified again."""
    live = list(
        TenderResponse.objects.filter(
            tender=tender, status=ResponseStatus.SUBMITTED
        ).select_related("provider")
    )
    ranked = tender_selectors.ranking(live, tender)
    winner = next((r for r in ranked if r.response.pk == award.response_id), None)
    winner_name = award.response.provider.name
    key = f"tender.awarded:{tender.pk}:{award.pk}"
    url = f"/api/v1/tenders/{tender.pk}/decision/"

    def subject() -> str:
        return _("%(reference)s awarded") % {"reference": tender.reference}

    def winner_line() -> str:
        if winner is None:
            return _("Successful tenderer: %(name)s.") % {"name": winner_name}
        return _(
            "Successful tenderer: %(name)s, total score %(total)s/100 (rank 1 of %(count)s)."
        ) % {"name": winner_name, "total": winner.total, "count": len(ranked)}

    def notice(row) -> tuple[str, str]:
        own = row.response.pk == award.response_id
        lines = [
            _("The tender “%(title)s” is awarded.") % {"title": tender.title},
            _("Your offer is successful.")
            if own
            else _(
                "Your offer is not successful: it ranks below the successful tenderer's on the announced criteria."
            ),
            _(
                "Your offer: rank %(rank)s of %(count)s, total score %(total)s/100 (price %(price)s, technical "
                "%(technical)s, other %(other)s)."
            )
            % {
                "rank": row.rank,
                "count": len(ranked),
                "total": row.total,
                "price": row.price_score,
                "technical": row.technical_score,
                "other": row.other_score,
            },
            winner_line(),
            _("Criteria: price %(price)s %%, technical value %(technical)s %%, other %(other)s %%.")
            % {
                "price": tender.weight_price,
                "technical": tender.weight_technical,
                "other": tender.weight_other,
            },
        ]
        if award.standstill_ends_at:
            lines.append(
                _(
                    "Standstill until %(ends)s: the contract will not be signed before; you may file a "
                    "complaint during this period."
                )
                % {"ends": _when(award.standstill_ends_at)}
            )
        return subject(), "\n".join(lines)

    sent = 0
    for row in ranked:
        sent += len(
            notify(
                users=provider_users([row.response.provider_id]),
                kind="tender_awarded",
                key=key,
                message=lambda row=row: notice(row),
                url=url,
            )
        )
    others = others - {row.response.provider_id for row in ranked}
    if others:
        sent += len(
            notify(
                users=provider_users(others),
                kind="tender_awarded",
                key=key,
                url=url,
                message=lambda: (
                    subject(),
                    _("The tender “%(title)s” is awarded. %(winner)s")
                    % {"title": tender.title, "winner": winner_line()},
                ),
            )
        )
    return sent


def standstill_notify(*, object_id: int, action: str) -> int:
    """Complaints and withdrawals: the buyer hears of a complaint, the
    complainant of the answer, every tenderer of a withdrawn award."""
    from tenders.models import Complaint

    if action == "complaint.file":
        item = Complaint.objects.select_related("tender", "provider").get(pk=object_id)
        return len(
            notify(
                users=agency_users(item.tender.agency_id),
                kind="complaint_filed",
                key=f"complaint.file:{item.pk}",
                message=lambda: (
                    _("%(reference)s: complaint against the award")
                    % {"reference": item.tender.reference},
                    _(
                        "%(provider)s contests the award: %(text)s\n\nSigning the contract is blocked until "
                        "you answer."
                    )
                    % {"provider": item.provider.name, "text": item.text},
                ),
                url=f"/api/v1/tenders/{item.tender_id}/complaints/",
            )
        )
    if action == "complaint.answer":
        item = Complaint.objects.select_related("tender").get(pk=object_id)
        return len(
            notify(
                users=provider_users([item.provider_id]),
                kind="complaint_answered",
                key=f"complaint.answer:{item.pk}",
                message=lambda: (
                    _("%(reference)s: answer to your complaint (%(status)s)")
                    % {"reference": item.tender.reference, "status": item.get_status_display()},
                    item.answer,
                ),
                url=f"/api/v1/tenders/{item.tender_id}/complaints/",
            )
        )
    history = WithdrawnAward.objects.select_related("tender").get(pk=object_id)
    responders = set(
        TenderResponse.objects.filter(tender_id=history.tender_id).values_list(
            "provider_id", flat=True
        )
    )
    return len(
        notify(
            users=provider_users(responders),
            kind="award_withdrawn",
            key=f"award.withdraw:{history.award_id}",
            message=lambda: (
                _("%(reference)s: award withdrawn") % {"reference": history.tender.reference},
                _("The award is withdrawn and the evaluation resumes. Reason: %(reason)s")
                % {"reason": history.reason},
            ),
            url=f"/api/v1/tenders/{history.tender_id}/decision/",
        )
    )


def supplier_documents_warn_expiry(*, today=None) -> int:
    """Warn providers whose current declaration or attestation expires
    within SUPPLIER_DOCUMENTS_WARNING_DAYS (or has expired): once per
    document and threshold (the window, then 7 days, then expired), so the
    daily run is idempotent."""
    from catalog import selectors as catalog_selectors
    from catalog.models import Attestation, SupplierDeclaration

    today = today or timezone.localdate()
    window = settings.SUPPLIER_DOCUMENTS_WARNING_DAYS
    sent = 0

    def bucket(day) -> str:
        left = (day - today).days
        return "expired" if left < 0 else "7" if left <= 7 else str(window)

    for item in catalog_selectors.declarations_expiring(
        SupplierDeclaration.objects.all(), within_days=window, today=today
    ):
        sent += len(
            notify(
                users=provider_users([item.provider_id]),
                kind="supplier_document_expiring",
                key=f"declaration-expiry:{item.pk}:{bucket(item.valid_until)}",
                message=lambda item=item: (
                    _("Declaration on honour (ESPD): valid until %(day)s")
                    % {"day": _day(item.valid_until)},
                    _(
                        "Sign a new declaration of the exclusion grounds: without it you can no longer respond to "
                        "tenders or accept orders."
                    ),
                ),
                url="/api/v1/declarations/compliance/",
            )
        )
    for item in catalog_selectors.attestations_expiring(
        Attestation.objects.all(), within_days=window, today=today
    ):
        sent += len(
            notify(
                users=provider_users([item.provider_id]),
                kind="supplier_document_expiring",
                key=f"attestation-expiry:{item.pk}:{bucket(item.expires_on)}",
                message=lambda item=item: (
                    _("Attestation “%(kind)s”: valid until %(day)s")
                    % {"kind": item.get_kind_display(), "day": _day(item.expires_on)},
                    _(
                        "Upload a current attestation: without it you can no longer respond to tenders or accept "
                        "orders."
                    ),
                ),
                url="/api/v1/declarations/compliance/",
            )
        )
    return sent


def certifications_warn_expiry(*, today=None) -> int:
    """Warn providers 90 and 30 days before a certificate they hold expires."""
    today = today or timezone.localdate()
    sent = 0
    for days in (90, 30):
        target = today + timedelta(days=days)
        for cert in Certification.objects.select_related("provider", "scheme").filter(
            status=CertificationStatus.VALID, expires_on=target
        ):
            sent += len(
                notify(
                    users=provider_users([cert.provider_id]),
                    kind="certificate_expiring",
                    key=f"cert-expiry:{cert.pk}:{days}",
                    message=lambda cert=cert, days=days: (
                        _("%(scheme)s %(reference)s expires in %(days)s days")
                        % {"scheme": cert.scheme.name, "reference": cert.reference, "days": days},
                        _(
                            "The certificate %(scheme)s %(reference)s expires on %(day)s. The offers that rely on it "
                            "lose their qualification on that date."
                        )
                        % {
                            "scheme": cert.scheme.name,
                            "reference": cert.reference,
                            "day": _day(cert.expires_on),
                        },
                    ),
                    url=f"/api/v1/certifications/{cert.pk}/",
                )
            )
    return sent


def order_notify(*, order_id: int, action: str) -> int:
    order = Order.objects.select_related("agency", "provider", "offer").get(pk=order_id)
    # The other party hears: the provider of an order placed or cancelled by
    # the agency, the agency of an order the provider accepted or declined.
    if action in ("order.place", "order.cancelled"):
        users = provider_users([order.provider_id])
    else:
        users = agency_users(order.agency_id)

    def message() -> tuple[str, str]:
        if action == "order.place":
            subject = _("New order %(reference)s") % {"reference": order.reference}
        else:
            subject = _("Order %(reference)s: %(status)s") % {
                "reference": order.reference,
                "status": order.get_status_display(),
            }
        body = _(
            "%(agency)s — %(offer)s: %(quantity)s × %(months)s months, %(total)s € excl. VAT."
        ) % {
            "agency": order.agency.name,
            "offer": order.offer.name,
            "quantity": order.quantity,
            "months": order.duration_months,
            "total": order.total,
        }
        return subject, f"{body} {order.status_reason}".strip()

    return len(
        notify(
            users=users,
            kind=action.replace(".", "_"),
            key=f"{action}:{order_id}",
            message=message,
            url=f"/api/v1/orders/{order_id}/",
        )
    )


def clarification_notify(*, clarification_id: int) -> int:
    item = Clarification.objects.select_related("tender").get(pk=clarification_id)
    tender = item.tender
    providers = set(tender.invitations.values_list("provider_id", flat=True)) | {item.provider_id}
    return len(
        notify(
            users=provider_users(providers),
            kind="clarification_answered",
            key=f"clarification:{clarification_id}",
            message=lambda: (
                _("%(reference)s: a question answered") % {"reference": tender.reference},
                _("Question: %(question)s\n\nAnswer: %(answer)s")
                % {"question": item.question, "answer": item.answer},
            ),
            url=f"/api/v1/tenders/{tender.pk}/clarifications/",
        )
    )


# --------------------------------------------------------------------------
# Integrations: the broker's one domain error


class BrokerError(DomainError):
    """The one domain error of the broker (mapped once to HTTP by
    ``config.api.exception_handler``)."""


def _invalid(field: str, message: str) -> BrokerError:
    return BrokerError(message, fields={field: [message]})


def _admins_only(organisation: Organisation, message: str) -> None:
    if not organisation.is_admin:
        raise BrokerError(
            message % {"name": organisation.name}, code="permission_denied", http_status=403
        )


def enqueue_after_commit(task, **kwargs) -> None:
    """Send a task after commit; if the broker is unreachable the work is
    not lost: the beat's sweepers pick up what stayed queued."""

    def send():
        try:
            task.delay(**kwargs)
        except Exception:  # Redis down: logged, recovered by a sweeper
            logger.exception("could not enqueue %s(%s)", task.name, kwargs)

    transaction.on_commit(send)


# --------------------------------------------------------------------------
# Webhooks: endpoints

MAX_ENDPOINTS_PER_ORGANISATION = 20


def _webhook_url_clean(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 500:
        raise _invalid("url", _("At most 500 characters."))
    try:
        webhooks.resolve(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)
    except webhooks.UnsafeUrl as exc:
        raise _invalid("url", str(exc)) from None
    return url


def _event_types_clean(event_types) -> list[str]:
    wanted = sorted(set(event_types or []))
    if not wanted:
        raise _invalid("event_types", _("Subscribe to at least one event type."))
    unknown = [code for code in wanted if code not in webhooks.EVENT_TYPES]
    if unknown:
        raise _invalid(
            "event_types",
            _("Unknown event types %(unknown)s; see docs/webhooks.md.") % {"unknown": unknown},
        )
    return wanted


@transaction.atomic
def webhook_endpoint_create(
    *, organisation: Organisation, actor, url: str, event_types: list[str], active: bool = True
) -> WebhookEndpoint:
    """Register an endpoint. Its ``secret`` is generated here and shown to
    the caller this once."""
    if WebhookEndpoint.objects.filter(organisation.rows).count() >= MAX_ENDPOINTS_PER_ORGANISATION:
        raise BrokerError(
            _("An organisation has at most %(maximum)s webhook endpoints.")
            % {"maximum": MAX_ENDPOINTS_PER_ORGANISATION},
            code="limit_reached",
            http_status=409,
        )
    endpoint = WebhookEndpoint.objects.create(
        **organisation.owner_fields,
        url=_webhook_url_clean(url),
        event_types=_event_types_clean(event_types),
        active=bool(active),
        secret="whsec_" + secrets.token_hex(32),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_append(
        actor=actor,
        organisation=organisation.name,
        action="webhook.create",
        object_type="webhookendpoint",
        object_id=endpoint.pk,
        data={"url": endpoint.url, "event_types": endpoint.event_types},
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor,
    organisation: Organisation | None = None,
    url: str | None = None,
    event_types: list[str] | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given. ``organisation`` is the caller's; None when the
    operator acts (Django admin)."""
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if url is not None:
        locked.url = _webhook_url_clean(url)
    if event_types is not None:
        locked.event_types = _event_types_clean(event_types)
    if active is not None:
        locked.active = active
    locked.save()
    audit_append(
        actor=actor,
        organisation=organisation.name if organisation else "operator",
        action="webhook.update",
        object_type="webhookendpoint",
        object_id=locked.pk,
        data={"url": locked.url, "event_types": locked.event_types, "active": locked.active},
    )
    return locked


@transaction.atomic
def webhook_endpoint_delete(
    *, endpoint: WebhookEndpoint, organisation: Organisation, actor
) -> None:
    audit_append(
        actor=actor,
        organisation=organisation.name,
        action="webhook.delete",
        object_type="webhookendpoint",
        object_id=endpoint.pk,
        data={"url": endpoint.url},
    )
    endpoint.delete()


# --------------------------------------------------------------------------
# Webhooks: events and deliveries


def _json_safe(data: dict) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _deliveries_send_after_commit(pairs: list[tuple[int, int]]) -> None:
    from broker import tasks  # tasks import this module: resolved when used

    for delivery_id, attempt in pairs:
        enqueue_after_commit(tasks.webhook_deliver, delivery_id=delivery_id, attempt=attempt)


def _deliveries_create(
    endpoints, *, event_type: str, event_id: str, data: dict
) -> list[WebhookDelivery]:
    """One delivery per endpoint, in the caller's transaction, sent after
    commit. The same event twice (a re-run) creates nothing new."""
    now = timezone.now()
    payload = {
        "id": event_id,
        "type": event_type,
        "created_at": now.isoformat(),
        "data": _json_safe(data),
    }
    created = []
    for endpoint in endpoints:
        delivery, fresh = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            event_id=event_id[:120],
            defaults={"event_type": event_type, "payload": payload, "next_attempt_at": now},
        )
        if fresh:
            created.append(delivery)
    _deliveries_send_after_commit([(delivery.pk, 1) for delivery in created])
    return created


def webhook_event_emit(
    *, event_type: str, event_id: str, data: dict, provider_ids=(), agency_ids=()
) -> list[WebhookDelivery]:
    """Queue ``event_type`` for the subscribed endpoints of these
    organisations. ``data`` carries ids, references, statuses and public
    facts only: never the content of a sealed response."""
    endpoints = selectors.webhook_endpoints_listening(
        event_type=event_type, provider_ids=provider_ids, agency_ids=agency_ids
    )
    return _deliveries_create(endpoints, event_type=event_type, event_id=event_id, data=data)


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


def _order_facts(order) -> dict:
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
        item = WithdrawnAward.objects.get(pk=object_id)
        data["withdrawn_award"] = {
            "award_id": item.award_id,
            "reason": item.reason,
            "withdrawn_at": item.withdrawn_at,
        }
        event_id = f"{event_type}:{tender.pk}:{item.award_id}"
        providers = _tender_participants(tender)
    elif event_type in ("tender.closed", "tender.unsuccessful", "tender.cancelled"):
        providers = _tender_participants(tender)
    elif event_type.startswith("clarification."):
        item = Clarification.objects.get(pk=object_id)
        # The asker is never named, as in the API.
        data["clarification"] = {
            "id": item.pk,
            "question": item.question,
            "asked_at": item.created_at,
        }
        event_id = f"{event_type}:{item.pk}"
        if event_type == "clarification.answered":
            data["clarification"].update(answer=item.answer, answered_at=item.answered_at)
            # An answer may be edited: each edit is an event of its own.
            event_id = f"{event_type}:{item.pk}:{audit_id}"
            providers = set(tender.invitations.values_list("provider_id", flat=True)) | {
                item.provider_id
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


@transaction.atomic
def webhook_ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``ping`` to one endpoint, subscribed or not, to test it."""
    if not endpoint.active:
        raise BrokerError(
            _("This endpoint is inactive: activate it first."), code="inactive", http_status=409
        )
    (delivery,) = _deliveries_create(
        [endpoint],
        event_type=webhooks.PING,
        event_id=f"ping:{uuid.uuid4().hex}",
        data={
            "endpoint": {
                "id": endpoint.pk,
                "url": endpoint.url,
                "event_types": endpoint.event_types,
            },
            "message": "Guichet Cloud can reach this endpoint.",
        },
    )
    return delivery


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, as a new attempt with the same idempotency
    key, whatever its status; a failure goes on with the back-off."""
    locked = (
        WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    )
    if not locked.endpoint.active:
        raise BrokerError(
            _("This endpoint is inactive: activate it first."), code="inactive", http_status=409
        )
    locked.status = DeliveryStatus.PENDING
    locked.next_attempt_at = timezone.now()
    locked.save(update_fields=["status", "next_attempt_at"])
    _deliveries_send_after_commit([(locked.pk, locked.attempts + 1)])
    return locked


@dataclass(frozen=True)
class AttemptOutcome:
    delivery_id: int
    attempt: int
    status: str
    status_code: int | None
    retry_in: int | None  # seconds until the next attempt, if one is due


def _lease() -> timedelta:
    # Long enough for one send to every address of a host; until then the
    # sweeper leaves a claimed delivery alone.
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 4 + 60)


def webhook_attempt(*, delivery_id: int, attempt: int) -> AttemptOutcome | None:
    """Make attempt number ``attempt`` of a pending delivery, log it, and
    decide what follows. Returns None when that attempt is not due any
    more (already made by a concurrent task, the sweeper or a manual
    redelivery, or the delivery is settled): a second run sends nothing.

    The claim is a conditional UPDATE, not a lock held over the network."""
    now = timezone.now()
    with transaction.atomic():
        claimed = WebhookDelivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            attempts=attempt - 1,
        ).update(attempts=attempt, next_attempt_at=now + _lease())
        if not claimed:
            return None
        log = WebhookAttempt.objects.create(delivery_id=delivery_id, number=attempt, at=now)
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    final = True
    if not endpoint.active:
        result = webhooks.SendResult(None, 0, "The endpoint is inactive.")
    else:
        try:
            # Checked again at each send: the name may resolve elsewhere now.
            target = webhooks.resolve(
                endpoint.url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS
            )
        except webhooks.UnsafeUrl as exc:
            result = webhooks.SendResult(None, 0, f"Refused: {exc}")
        else:
            final = False
            body = webhooks.body_bytes(delivery.payload)
            key = str(delivery.idempotency_key)
            result = webhooks.post(
                target,
                body,
                {
                    "Content-Type": "application/json",
                    "Guichet-Event": delivery.event_type,
                    "Guichet-Delivery": key,
                    "Idempotency-Key": key,
                    "Guichet-Attempt": str(attempt),
                    "Guichet-Signature": webhooks.signature(
                        endpoint.secret, int(time.time()), body
                    ),
                },
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            )
    return _attempt_record(delivery, log, result, final=final or attempt >= webhooks.MAX_ATTEMPTS)


def _attempt_record(
    delivery: WebhookDelivery, log: WebhookAttempt, result: webhooks.SendResult, *, final: bool
) -> AttemptOutcome:
    now = timezone.now()
    log.status_code, log.duration_ms, log.error = (
        result.status_code,
        result.duration_ms,
        result.error[:500],
    )
    log.save(update_fields=["status_code", "duration_ms", "error"])
    fields = {
        "last_status_code": result.status_code,
        "last_duration_ms": result.duration_ms,
        "last_error": result.error[:500],
    }
    retry_in = None
    if result.ok:
        fields.update(status=DeliveryStatus.SUCCEEDED, delivered_at=now, next_attempt_at=None)
    elif final:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        retry_in = webhooks.backoff(log.number)
        fields.update(next_attempt_at=now + timedelta(seconds=retry_in))
    # Unless a later attempt was claimed meanwhile (a manual redelivery):
    # its outcome, not this one, decides what follows.
    updated = WebhookDelivery.objects.filter(pk=delivery.pk, attempts=log.number).update(**fields)
    status = fields.get("status", DeliveryStatus.PENDING)
    return AttemptOutcome(
        delivery.pk, log.number, status, result.status_code, retry_in if updated else None
    )


def webhook_deliveries_due(
    *, now=None, grace_seconds: int = 60, limit: int = 500
) -> list[tuple[int, int]]:
    """Pending deliveries whose next attempt is overdue by more than the
    grace (its task was lost: Redis down at commit, a worker killed), as
    ``(delivery id, next attempt number)``."""
    cutoff = (now or timezone.now()) - timedelta(seconds=grace_seconds)
    return [
        (pk, attempts + 1)
        for pk, attempts in WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=cutoff,
        )
        .order_by("next_attempt_at")
        .values_list("pk", "attempts")[:limit]
    ]


# --------------------------------------------------------------------------
# API keys

API_KEY_PREFIX = "gc_live_"
API_KEY_PREFIX_LENGTH = len(API_KEY_PREFIX) + 8
MAX_LIVE_API_KEYS = 50
# last_used_at is written at most this often per key: a busy integration
# does not turn every read into a write.
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_prefix_of(key: str) -> str | None:
    """The visible prefix of a well-formed key (``gc_live_xxxxxxxx_…``)."""
    if (
        len(key) > API_KEY_PREFIX_LENGTH + 1
        and key.startswith(API_KEY_PREFIX)
        and key[API_KEY_PREFIX_LENGTH] == "_"
    ):
        return key[:API_KEY_PREFIX_LENGTH]
    return None


@transaction.atomic
def api_key_create(
    *, organisation: Organisation, actor, name: str, scopes: str
) -> tuple[ApiKey, str]:
    """Create a key for the organisation; returns it with the full key,
    which is shown this once and stored only as its SHA-256."""
    _admins_only(organisation, _("Only an administrator of %(name)s can create API keys."))
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise _invalid("name", _("A name of 1 to 100 characters is required."))
    if scopes not in ApiKey.Scopes.values:
        raise _invalid(
            "scopes", _("Use one of %(names)s.") % {"names": ", ".join(ApiKey.Scopes.values)}
        )
    if (
        ApiKey.objects.filter(organisation.rows, revoked_at__isnull=True).count()
        >= MAX_LIVE_API_KEYS
    ):
        raise BrokerError(
            _("An organisation has at most %(maximum)s live API keys; revoke one first.")
            % {"maximum": MAX_LIVE_API_KEYS},
            code="limit_reached",
            http_status=409,
        )
    for _attempt in range(5):
        prefix = API_KEY_PREFIX + "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    else:  # 36^8 prefixes: five collisions in a row mean something else is wrong
        raise BrokerError(
            _("Could not allocate a key prefix; try again."), code="conflict", http_status=409
        )
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        **organisation.owner_fields,
        name=name,
        prefix=prefix,
        key_hash=api_key_hash(key),
        scopes=scopes,
        created_by=actor,
    )
    audit_append(
        actor=actor,
        organisation=organisation.name,
        action="api_key.create",
        object_type="apikey",
        object_id=api_key.pk,
        data={"prefix": prefix, "name": name, "scopes": scopes},
    )
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor, organisation: Organisation | None = None) -> ApiKey:
    """Revoke a key at once; revoking it again changes nothing.
    ``organisation`` is the caller's, who must be one of its administrators;
    None when the operator revokes (Django admin)."""
    if organisation is not None:
        _admins_only(organisation, _("Only an administrator of %(name)s can revoke API keys."))
    locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_append(
            actor=actor,
            organisation=organisation.name if organisation else "operator",
            action="api_key.revoke",
            object_type="apikey",
            object_id=locked.pk,
            data={"prefix": locked.prefix},
        )
    return locked


def api_key_touch(*, api_key: ApiKey, now=None) -> None:
    now = now or timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < API_KEY_TOUCH_INTERVAL:
        return
    # Conditional: of concurrent requests, one writes.
    ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - API_KEY_TOUCH_INTERVAL)
    ).update(last_used_at=now)
    api_key.last_used_at = now


# --------------------------------------------------------------------------
# Sourcing files: the daily digest of open files


def sourcing_digest_diff(
    previous: dict[str, dict], current: dict[str, dict]
) -> tuple[list[dict], list[dict]]:
    """Pure: the offers new to a saved search's result, and the listed
    offers that lost their eligibility — gone from the result (no longer
    matching: assessment lowered, certificate revoked, offer withdrawn) or
    still there but assessed at a lower level."""
    new = [current[key] for key in sorted(current, key=int) if key not in previous]
    lost = []
    for key in sorted(previous, key=int):
        now = current.get(key)
        if now is None or now["rank"] < previous[key]["rank"]:
            lost.append({**previous[key], "now_level": now["level"] if now else None})
    return new, lost


def _sourcing_digest_body(new: list[dict], lost: list[dict]) -> str:
    lines = []
    if new:
        lines.append(_("New offers matching the search:"))
        lines += [
            _("- %(name)s (%(provider)s, level %(level)s)")
            % {"name": o["name"], "provider": o["provider"], "level": o["level"] or "—"}
            for o in new
        ]
    if lost:
        lines.append(_("Offers no longer eligible:"))
        for o in lost:
            now = (
                _("level %(level)s") % {"level": o["now_level"]}
                if o["now_level"]
                else _("no longer matches the search")
            )
            lines.append(
                _("- %(name)s (%(provider)s): level %(level)s → %(now)s")
                % {
                    "name": o["name"],
                    "provider": o["provider"],
                    "level": o["level"] or "—",
                    "now": now,
                }
            )
    return "\n".join(lines)


def sourcing_digest_run(*, now=None) -> int:
    """Once a day, tell each agency what changed in the result of its open
    sourcing files since the last digest: new matching offers, listed
    offers that lost their eligibility. The state each digest saw is stored
    on the file, so a second run the same day finds the file digested and
    sends nothing (and the notification key is per file and day)."""
    from django.urls import reverse

    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    files = SourcingFile.objects.filter(locked_at__isnull=True).order_by("pk")
    for item in files.only("pk", "agency_id", "name", "filters", "digest_state", "digest_at"):
        if item.digest_at is not None and timezone.localdate(item.digest_at) >= today:
            continue
        current = tender_selectors.sourcing_result_state(item.filters)
        new, lost = sourcing_digest_diff((item.digest_state or {}).get("offers", {}), current)
        with transaction.atomic():
            if not tender_services.sourcing_file_digest_store(
                sourcing_file_id=item.pk, state={"offers": current}, at=now
            ):
                continue  # locked meanwhile: a record has no alerts
            if new or lost:
                sent += len(
                    notify(
                        users=agency_users(item.agency_id),
                        kind="sourcing_digest",
                        key=f"sourcing-digest:{item.pk}:{today.isoformat()}",
                        message=lambda item=item, new=new, lost=lost: (
                            _(
                                "Sourcing file “%(name)s”: %(new)s new offer(s), %(lost)s offer(s) no longer eligible"
                            )
                            % {"name": item.name, "new": len(new), "lost": len(lost)},
                            _sourcing_digest_body(new, lost),
                        ),
                        url=reverse("agency-sourcing-file-detail", args=[item.pk]),
                    )
                )
    return sent
