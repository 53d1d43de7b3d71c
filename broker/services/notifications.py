"""Notifications: in-app and by e-mail, once per (user, key), each in the
language its recipient reads; and the notices of orders, answered
questions and expiring documents."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from broker import selectors
from broker.models import Notification, Preference
from broker.services._common import _invalid
from catalog.models import Attestation, Certification, CertificationStatus, SupplierDeclaration
from tenders.models import Clarification, Order

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def notify(
    *,
    users: Iterable[User],
    kind: str,
    key: str,
    message: Callable[[], tuple[str, str]],
    url: str = "",
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


def preference_language_set(*, user: User, language: str) -> Preference:
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


def _when(moment: datetime) -> str:
    """A date and time in the active language's short form, with its zone."""
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local:%Z}"


def _day(day: date) -> str:
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


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of this user as read; one UPDATE."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def provider_users(provider_ids: Iterable[int]) -> list[User]:
    return list(
        get_user_model().objects.filter(
            provider_membership__provider_id__in=list(provider_ids), is_active=True
        )
    )


def agency_users(agency_id: int) -> list[User]:
    return list(
        get_user_model().objects.filter(agency_membership__agency_id=agency_id, is_active=True)
    )


def _declaration_expiring_message(declaration: SupplierDeclaration) -> tuple[str, str]:
    return (
        _("Declaration on honour (ESPD): valid until %(day)s")
        % {"day": _day(declaration.valid_until)},
        _(
            "Sign a new declaration of the exclusion grounds: without it you can no longer respond to "
            "tenders or accept orders."
        ),
    )


def _attestation_expiring_message(attestation: Attestation) -> tuple[str, str]:
    return (
        _("Attestation “%(kind)s”: valid until %(day)s")
        % {"kind": attestation.get_kind_display(), "day": _day(attestation.expires_on)},
        _(
            "Upload a current attestation: without it you can no longer respond to tenders or accept "
            "orders."
        ),
    )


def supplier_documents_warn_expiry(*, today: date | None = None) -> int:
    """Warn providers whose current declaration or attestation expires
    within SUPPLIER_DOCUMENTS_WARNING_DAYS (or has expired): once per
    document and threshold (the window, then 7 days, then expired), so the
    daily run is idempotent."""
    from catalog import selectors as catalog_selectors

    today = today or timezone.localdate()
    window = settings.SUPPLIER_DOCUMENTS_WARNING_DAYS
    sent = 0

    def bucket(day: date) -> str:
        left = (day - today).days
        return "expired" if left < 0 else "7" if left <= 7 else str(window)

    for declaration in catalog_selectors.declarations_expiring(
        SupplierDeclaration.objects.all(), within_days=window, today=today
    ):
        sent += len(
            notify(
                users=provider_users([declaration.provider_id]),
                kind="supplier_document_expiring",
                key=f"declaration-expiry:{declaration.pk}:{bucket(declaration.valid_until)}",
                message=partial(_declaration_expiring_message, declaration),
                url="/api/v1/declarations/compliance/",
            )
        )
    for attestation in catalog_selectors.attestations_expiring(
        Attestation.objects.all(), within_days=window, today=today
    ):
        sent += len(
            notify(
                users=provider_users([attestation.provider_id]),
                kind="supplier_document_expiring",
                key=f"attestation-expiry:{attestation.pk}:{bucket(attestation.expires_on)}",
                message=partial(_attestation_expiring_message, attestation),
                url="/api/v1/declarations/compliance/",
            )
        )
    return sent


def _certificate_expiring_message(
    cert: Certification, expires_on: date, days: int
) -> tuple[str, str]:
    return (
        _("%(scheme)s %(reference)s expires in %(days)s days")
        % {"scheme": cert.scheme.name, "reference": cert.reference, "days": days},
        _(
            "The certificate %(scheme)s %(reference)s expires on %(day)s. The offers that rely on it "
            "lose their qualification on that date."
        )
        % {
            "scheme": cert.scheme.name,
            "reference": cert.reference,
            "day": _day(expires_on),
        },
    )


def certifications_warn_expiry(*, today: date | None = None) -> int:
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
                    message=partial(_certificate_expiring_message, cert, target, days),
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
