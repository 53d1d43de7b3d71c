"""The buyer's dashboard and the list of its tenders."""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.web import paginate
from tenders import selectors
from tenders.models import (
    TenderStatus,
)
from tenders.views.access import agency_crumbs, agency_member_required
from tenders.views.agency._common import (
    DASHBOARD_ROWS,
    PAGE_SIZE,
    STATUS_BADGES,
)
from tenders.views.agency.orders import order_row


@agency_member_required
def dashboard(request):
    tenders = selectors.tenders_managed_by(request.user)
    counts = dict(tenders.order_by().values_list("status").annotate(n=Count("id")))
    groups = []
    for status, label in TenderStatus.choices:
        if counts.get(status):
            groups.append(
                {
                    "status": status,
                    "label": label,
                    "count": counts[status],
                    "badge": STATUS_BADGES.get(status, "info"),
                    "rows": list(
                        tenders.filter(status=status).order_by("-updated_at", "-id")[
                            :DASHBOARD_ROWS
                        ]
                    ),
                }
            )
    orders = selectors.orders_visible_to(request.user).order_by("-placed_at", "-id")
    # What waits for the buyer: closed tenders to evaluate and decide, and
    # questions providers are waiting an answer to.
    to_do = list(
        tenders.filter(status__in=(TenderStatus.PUBLISHED, TenderStatus.CLOSED))
        .annotate(open_questions=Count("clarifications", filter=Q(clarifications__answer="")))
        .filter(Q(status=TenderStatus.CLOSED) | Q(open_questions__gt=0))
        .order_by("response_deadline", "id")[:PAGE_SIZE]
    )
    return render(
        request,
        "tenders/agency/dashboard.html",
        {
            "agency": request.agency,
            "groups": groups,
            "tender_total": sum(counts.values()),
            "to_do": to_do,
            "orders": [order_row(o) for o in orders[:DASHBOARD_ROWS]],
            "order_total": orders.count(),
            "badges": STATUS_BADGES,
            "dashboard_rows": DASHBOARD_ROWS,
        },
    )


@agency_member_required
def tender_list(request):
    tenders = selectors.tenders_managed_by(request.user).order_by("-updated_at", "-id")
    status = request.GET.get("status", "")
    if status in TenderStatus.values:
        tenders = tenders.filter(status=status)
    else:
        status = ""
    return render(
        request,
        "tenders/agency/tender_list.html",
        {
            "page_obj": paginate(request, tenders, per_page=PAGE_SIZE),
            "status": status,
            "statuses": TenderStatus.choices,
            "badges": STATUS_BADGES,
            "breadcrumb_data": agency_crumbs(_("Tenders")),
        },
    )
