"""What every HTML page's frame shows: who is signed in, for which
organisation, the unread notifications, and the menu for that role."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from broker.selectors import notifications_of, organisation_of
from catalog.selectors import is_operator


def _menu(user, organisation) -> list[dict]:
    items = [
        {"label": _("Catalogue"), "url": reverse("catalog-search")},
        {"label": _("Compare prices"), "url": reverse("catalog-compare")},
        {"label": _("Providers"), "url": reverse("provider-directory")},
        {"label": _("Tenders"), "url": reverse("tender-public-list")},
        {"label": _("Open data"), "url": reverse("open-data")},
    ]
    if user.is_authenticated and (organisation is not None or is_operator(user)):
        items.insert(0, {"label": _("Dashboard"), "url": reverse("dashboard")})
    return items


def frame(request) -> dict:
    user = getattr(request, "user", None)
    if user is None:
        return {}
    organisation = organisation_of(user) if user.is_authenticated else None
    unread = (
        notifications_of(user).filter(read_at__isnull=True).count() if user.is_authenticated else 0
    )
    path = request.path
    menu = _menu(user, organisation)
    for item in menu:
        item["current"] = path == item["url"] or (
            item["url"] != "/" and path.startswith(item["url"])
        )
    return {
        "frame_organisation": organisation,
        "frame_operator": user.is_authenticated and is_operator(user),
        "frame_unread": unread,
        "frame_menu": menu,
        "skiplinks": [
            {"link": "#content", "label": _("Content")},
            {"link": "#fr-navigation", "label": _("Menu")},
            {"link": "#footer", "label": _("Footer")},
        ],
    }
