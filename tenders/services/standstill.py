"""Standstill, complaints and the contract's signature.

After the award decision every tenderer hears its rank, its scores and
the winner's (Code de la commande publique R2181-3, L2181-1); the buyer
may sign the contract only once the standstill has run (R2182-1,
settings.STANDSTILL_DAYS) and no complaint against the award is open."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Provider
from core.uploads import upload_accept
from tenders.models import (
    Award,
    Complaint,
    ComplaintStatus,
    ResponseStatus,
    Tender,
    TenderResponse,
    TenderStatus,
    WithdrawnAward,
)
from tenders.services._common import TenderError, _conflict, _event, _invalid
from tenders.services.lifecycle import _tender_transition

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.core.files import File


def _award_of(tender: Tender) -> Award:
    award = Award.objects.filter(tender_id=tender.pk).first()
    if award is None:
        raise _conflict(_("This tender has no award."), code="not_awarded")
    return award


def _locked_awarded(tender: Tender) -> tuple[Tender, Award]:
    """Lock the tender row — filing a complaint, answering it, withdrawing
    the award and signing take turns on it — and check it is AWARDED."""
    locked = Tender.objects.select_for_update().select_related("agency").get(pk=tender.pk)
    if locked.status != TenderStatus.AWARDED:
        raise _conflict(
            _("The tender is %(status)s: this needs an award awaiting signature.")
            % {"status": TenderStatus(locked.status).label},
            code="not_awarded",
        )
    return locked, _award_of(locked)


def standstill_running(award: Award, now: datetime | None = None) -> bool:
    return (
        award.standstill_ends_at is not None and (now or timezone.now()) < award.standstill_ends_at
    )


@transaction.atomic
def complaint_file(
    *,
    tender: Tender,
    provider: Provider,
    actor: User,
    text: str,
    attachment: File | None = None,
) -> Complaint:
    """A tenderer whose response was not retained contests the award,
    during the standstill only."""
    text = (text or "").strip()
    if not text:
        raise _invalid("text", _("State the grounds of the complaint."))
    locked, award = _locked_awarded(tender)
    if not standstill_running(award):
        raise _conflict(
            _("Complaints are filed during the standstill, which is over."), code="standstill_over"
        )
    if award.response.provider_id == provider.pk:
        raise TenderError(
            _("The successful tenderer does not contest its own award."),
            code="forbidden",
            http_status=403,
        )
    if not TenderResponse.objects.filter(
        tender=locked, provider=provider, status=ResponseStatus.SUBMITTED
    ).exists():
        raise TenderError(
            _("Only a tenderer of this tender can file a complaint."),
            code="forbidden",
            http_status=403,
        )
    if Complaint.objects.filter(
        award_ref=award.pk, provider=provider, status=ComplaintStatus.OPEN
    ).exists():
        raise _conflict(
            _("You already have an open complaint against this award: the buyer answers it first."),
            code="complaint_open",
        )
    complaint = Complaint(
        tender=locked,
        award_ref=award.pk,
        provider=provider,
        text=text,
        filed_at=timezone.now(),
        filed_by=actor if getattr(actor, "pk", None) else None,
    )
    if attachment:
        complaint.attachment_sha256 = upload_accept("attachment", attachment, error=TenderError)
        complaint.attachment = attachment
    complaint.save()
    _event(
        "complaint.file",
        actor=actor,
        obj=complaint,
        organisation=provider.name,
        tender_id=locked.pk,
        data={"award_id": award.pk, "attachment_sha256": complaint.attachment_sha256},
    )
    return complaint


COMPLAINT_DECISIONS = (ComplaintStatus.UPHELD, ComplaintStatus.DISMISSED)


@transaction.atomic
def complaint_answer(*, complaint: Complaint, actor: User, decision: str, answer: str) -> Complaint:
    """The buyer answers: upheld withdraws the award and resumes the
    evaluation; dismissed lets the standstill run on."""
    if decision not in COMPLAINT_DECISIONS:
        raise _invalid("decision", _("Uphold or dismiss the complaint."))
    answer = (answer or "").strip()
    if not answer:
        raise _invalid("answer", _("An answer stating the buyer's reasons is required."))
    locked, award = _locked_awarded(complaint.tender)
    item = Complaint.objects.select_for_update().select_related("provider").get(pk=complaint.pk)
    if item.status != ComplaintStatus.OPEN:
        raise _conflict(
            _("This complaint is already %(status)s.")
            % {"status": ComplaintStatus(item.status).label},
            code="complaint_decided",
        )
    item.status = decision
    item.answer = answer
    item.answered_at = timezone.now()
    item.answered_by = actor if getattr(actor, "pk", None) else None
    item.save()
    _event(
        "complaint.answer",
        actor=actor,
        obj=item,
        organisation=locked.agency.name,
        tender_id=locked.pk,
        data={"decision": decision, "award_id": item.award_ref},
    )
    if decision == ComplaintStatus.UPHELD and item.award_ref == award.pk:
        award_withdraw(
            tender=locked, actor=actor, reason=f"Complaint of {item.provider.name} upheld: {answer}"
        )
    return item


@transaction.atomic
def award_withdraw(*, tender: Tender, actor: User, reason: str) -> WithdrawnAward:
    """Withdraw an award before signature: its facts move to the history
    (``WithdrawnAward``, same id), the tender goes back to CLOSED for the
    evaluation to resume, and the complaints against it lapse."""
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("A reason is required to withdraw an award."))
    locked, award = _locked_awarded(tender)
    now = timezone.now()
    history = WithdrawnAward.objects.create(
        award_id=award.pk,
        tender=locked,
        response_id=award.response_id,
        amount=award.amount,
        awarded_at=award.awarded_at,
        awarded_by_id=award.awarded_by_id,
        standstill_ends_at=award.standstill_ends_at,
        withdrawn_at=now,
        withdrawn_by=actor if getattr(actor, "pk", None) else None,
        reason=reason[:2000],
    )
    Complaint.objects.filter(award_ref=award.pk, status=ComplaintStatus.OPEN).update(
        status=ComplaintStatus.LAPSED, answer="The contested award was withdrawn.", answered_at=now
    )
    award.delete()
    _tender_transition(
        locked,
        TenderStatus.CLOSED,
        actor=actor,
        reason=reason[:500],
        decided_at=None,
        data={"award_id": history.award_id, "withdrawn": True},
    )
    _event(
        "award.withdraw",
        actor=actor,
        obj=history,
        organisation=locked.agency.name,
        tender_id=locked.pk,
        data={
            "award_id": history.award_id,
            "response_id": history.response_id,
            "reason": reason[:500],
        },
    )
    return history


@transaction.atomic
def tender_contract_sign(*, tender: Tender, actor: User) -> Award:
    """Mark the contract signed: only after the standstill, and only while
    no complaint against the award is open."""
    locked, award = _locked_awarded(tender)
    now = timezone.now()
    if standstill_running(award, now):
        ends = timezone.localtime(award.standstill_ends_at)
        raise TenderError(
            _("The standstill runs until %(ends)s: the contract cannot be signed before.")
            % {"ends": format(ends, "%Y-%m-%d %H:%M %Z")},
            code="standstill_running",
            http_status=409,
            fields={"standstill_ends_at": [f"The standstill runs until {ends:%Y-%m-%d %H:%M %Z}."]},
        )
    open_count = Complaint.objects.filter(award_ref=award.pk, status=ComplaintStatus.OPEN).count()
    if open_count:
        raise TenderError(
            _(
                "%(open_count)s complaint(s) against this award are open: answer them before signing."
            )
            % {"open_count": open_count},
            code="complaint_open",
            http_status=409,
            fields={"complaints": ["Answer the open complaints before signing."]},
        )
    award.contract_signed_at = now
    award.contract_signed_by = actor if getattr(actor, "pk", None) else None
    award.save(update_fields=["contract_signed_at", "contract_signed_by"])
    _tender_transition(
        locked,
        TenderStatus.CONTRACT_SIGNED,
        actor=actor,
        data={"award_id": award.pk, "signed_at": now.isoformat()},
    )
    return award
