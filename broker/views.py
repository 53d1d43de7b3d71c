"""The broker's pages: everyone's notifications inbox, and the operator's
audit log with the result of the chain check (DESIGN §5)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST
from dsfr.forms import DsfrBaseForm

from broker import selectors, services
from broker.models import AuditEvent
from catalog.views.access import operator_required
from core.web import breadcrumb, paginate

# --------------------------------------------------------------------------
# Notifications


def _safe_url(request, url: str) -> str:
    """Only links inside the marketplace: a stored URL is shown as a link,
    and a ``next`` is followed, only when it stays on this site."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


@require_GET
@login_required
def inbox(request):
    notifications = (
        selectors.notifications_of(request.user)
        .annotate(
            unread_first=Case(
                When(read_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("unread_first", "-created_at", "-id")
    )
    page = paginate(request, notifications, per_page=20)
    for notification in page:
        notification.link = _safe_url(request, notification.url)
    return render(
        request,
        "broker/inbox.html",
        {
            "page_obj": page,
            "breadcrumb_data": breadcrumb(_("Notifications")),
        },
    )


def _back(request):
    return redirect(
        _safe_url(request, request.POST.get("next", "")) or reverse("notification-inbox")
    )


@require_POST
@login_required
def read(request, pk: int):
    # Scoped by the selector: another user's notification is a 404.
    notification = get_object_or_404(selectors.notifications_of(request.user), pk=pk)
    services.notification_mark_read(notification=notification)
    return _back(request)


@require_POST
@login_required
def read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d notification marked as read.",
                "%(count)d notifications marked as read.",
                count,
            )
            % {"count": count},
        )
    return _back(request)


# --------------------------------------------------------------------------
# The audit log (operators only)

CHAIN_REASONS = {
    "its previous_hash does not match the event before it": gettext_lazy(
        "its link to the previous event does not match that event"
    ),
    "its content does not match its hash": gettext_lazy("its content does not match its hash"),
}


class AuditFilterForm(DsfrBaseForm):
    object_type = forms.ChoiceField(label=gettext_lazy("Object type"), required=False)
    tender = forms.IntegerField(label=gettext_lazy("Tender number"), required=False, min_value=1)

    def __init__(self, *args, object_types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", _("Any")), *((t, t) for t in object_types)]


@require_GET
@operator_required
def audit(request):
    object_types = list(
        AuditEvent.objects.order_by("object_type").values_list("object_type", flat=True).distinct()
    )
    form = AuditFilterForm(request.GET, object_types=object_types)
    events = AuditEvent.objects.order_by("-id")
    if form.is_valid():
        if form.cleaned_data["object_type"]:
            events = events.filter(object_type=form.cleaned_data["object_type"])
        if form.cleaned_data["tender"]:
            events = events.filter(tender_id=form.cleaned_data["tender"])
    page = paginate(request, events, per_page=50)
    for event in page:
        event.data_text = json.dumps(
            event.data, ensure_ascii=False, sort_keys=True, separators=(", ", ": ")
        )
    # The whole chain is recomputed on each visit, and checked against its
    # anchors: a check that is cached is a check an attacker can outrun.
    report = services.audit_verify_anchored()
    broken_page = None
    if report.broken_at is not None:
        broken_page = AuditEvent.objects.filter(pk__gt=report.broken_at).count() // 50 + 1
    return render(
        request,
        "broker/audit.html",
        {
            "form": form,
            "page_obj": page,
            "report": report,
            "broken_page": broken_page,
            "broken_reason": CHAIN_REASONS.get(report.reason, report.reason),
            "operator_section": "audit",
            "breadcrumb_data": breadcrumb(_("Audit log")),
        },
    )


urlpatterns = [
    path("notifications/", inbox, name="notification-inbox"),
    path("notifications/<int:pk>/lue/", read, name="notification-read"),
    path("notifications/lues/", read_all, name="notification-read-all"),
    path("operateur/journal/", audit, name="operator-audit"),
]
