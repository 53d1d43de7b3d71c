"""The daily digest of open sourcing files: what changed in each saved
search's result since the last one."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from broker.services.notifications import agency_users, notify
from tenders import selectors as tender_selectors
from tenders import services as tender_services
from tenders.models import SourcingFile


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


def _sourcing_digest_message(name: str, new: list[dict], lost: list[dict]) -> tuple[str, str]:
    subject = _(
        "Sourcing file “%(name)s”: %(new)s new offer(s), %(lost)s offer(s) no longer eligible"
    ) % {"name": name, "new": len(new), "lost": len(lost)}
    return subject, _sourcing_digest_body(new, lost)


def sourcing_digest_run(*, now: datetime | None = None) -> int:
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
                        message=partial(_sourcing_digest_message, item.name, new, lost),
                        url=reverse("agency-sourcing-file-detail", args=[item.pk]),
                    )
                )
    return sent
