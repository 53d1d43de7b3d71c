"""Reads of the broker."""

from __future__ import annotations

from django.db.models import QuerySet

from broker.models import AuditEvent, Notification


def notifications_of(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk).order_by("-id")


def audit_events_of(tender_id: int) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(tender_id=tender_id).order_by("id")
