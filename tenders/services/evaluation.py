"""Evaluating a closed tender: scores, the award decision, or no award
(unsuccessful)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenders import selectors
from tenders.models import Award, ResponseStatus, Tender, TenderResponse, TenderStatus
from tenders.services._common import _conflict, _decimal, _event, _invalid
from tenders.services.lifecycle import _require_closed, _tender_transition

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser, User


def response_for_buyer(
    *, tender: Tender, user: AbstractBaseUser | AnonymousUser, public_id: uuid.UUID | str
) -> TenderResponse | None:
    """The live response ``public_id`` that the buyer scores or awards, or
    None. The tender's state is checked BEFORE the id is looked up: until
    the deadline has closed it, every id, real or made up, gets the same
    409 ``not_closed``. (Checked the other way round, a real id answered
    409 and any other 404: a buyer counted the sealed responses.)"""
    tender = _require_closed(tender)
    return selectors.response_of(user, tender, public_id)


@transaction.atomic
def response_score(
    *,
    response: TenderResponse,
    actor: User,
    technical_score: Any = None,
    other_score: Any = None,
) -> TenderResponse:
    _require_closed(response.tender)
    locked = TenderResponse.objects.select_for_update().get(pk=response.pk)
    if locked.status != ResponseStatus.SUBMITTED:
        raise _conflict(_("Only live responses are scored."))
    for name, value in (("technical_score", technical_score), ("other_score", other_score)):
        if value is not None:
            score = _decimal(name, value)
            if score > 100:
                raise _invalid(name, _("Scores are out of 100."))
            setattr(locked, name, score)
    locked.save(update_fields=["technical_score", "other_score"])
    return locked


@transaction.atomic
def tender_award(*, tender: Tender, actor: User, response: TenderResponse) -> Award:
    tender = _require_closed(tender)
    # Re-read: the caller's instance may be stale (status, price formatting).
    response = TenderResponse.objects.get(pk=response.pk)
    if response.tender_id != tender.pk or response.status != ResponseStatus.SUBMITTED:
        raise _invalid("response", _("Award one of this tender's live responses."))
    now = timezone.now()
    # The transition locks the tender row: a second, concurrent award waits
    # here, then finds the tender AWARDED and gets a 409. The unique
    # constraint on Award.tender is the last line of defence.
    locked = _tender_transition(
        tender,
        TenderStatus.AWARDED,
        actor=actor,
        decided_at=now,
        data={
            "response_id": response.pk,
            "provider_id": response.provider_id,
            "amount": str(response.total_price),
        },
    )
    try:
        with transaction.atomic():
            award = Award.objects.create(
                tender=locked,
                response=response,
                amount=response.total_price,
                awarded_at=now,
                awarded_by=actor if getattr(actor, "pk", None) else None,
                standstill_ends_at=now + timedelta(days=settings.STANDSTILL_DAYS),
            )
    except IntegrityError:
        raise _conflict(
            _("This tender has already been awarded."), code="already_awarded"
        ) from None
    _event(
        "award.create",
        actor=actor,
        obj=award,
        organisation=locked.agency.name,
        tender_id=locked.pk,
        data={
            "response_id": response.pk,
            "provider_id": response.provider_id,
            "amount": str(award.amount),
        },
    )
    return award


@transaction.atomic
def tender_declare_unsuccessful(*, tender: Tender, actor: User, reason: str) -> Tender:
    if not (reason or "").strip():
        raise _invalid("reason", _("A reason is required."))
    _require_closed(tender)
    return _tender_transition(
        tender,
        TenderStatus.UNSUCCESSFUL,
        actor=actor,
        reason=reason.strip(),
        decided_at=timezone.now(),
    )
