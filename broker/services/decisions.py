"""Tender decisions and the standstill: who hears about them, and what
each tenderer is told (its rank and scores, the winner's, the end of the
standstill)."""

from __future__ import annotations

from functools import partial

from django.utils.translation import gettext as _

from broker.services.notifications import _when, agency_users, notify, provider_users
from tenders import selectors as tender_selectors
from tenders.models import Award, ResponseStatus, Tender, TenderResponse, WithdrawnAward


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

    def notice(row: tender_selectors.RankedResponse) -> tuple[str, str]:
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
                message=partial(notice, row),
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
