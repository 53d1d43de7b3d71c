"""Matching runs: a published tender's shortlist computed and stored in
the database (``broker.matching``), the newly shortlisted invited."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from broker import matching
from broker.services.notifications import _when, notify, provider_users
from broker.services.webhook_events import webhooks_on_invitations
from catalog.models import Offer, SensitivityLevel
from tenders import selectors as tender_selectors
from tenders import services as tender_services
from tenders.models import MatchingState, Tender, TenderStatus


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
            # held to the Python reference of tests/broker/oracle.py) and one
            # statement stores it: nothing per row crosses into Python.
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
            invited: list[int]
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
