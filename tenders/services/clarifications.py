"""Clarifications: providers ask while a tender is published, the buyer
answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Provider
from tenders.models import Clarification, Tender, TenderStatus
from tenders.services._common import _conflict, _event, _invalid
from tenders.services.lifecycle import tender_close_if_due

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def clarification_ask(
    *, tender: Tender, provider: Provider, actor: User, question: str
) -> Clarification:
    question = (question or "").strip()
    if not question:
        raise _invalid("question", _("A question is required."))
    tender_close_if_due(tender=tender)
    # Locked while the question is recorded: the tender cannot close between
    # the check and the insert.
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    if tender.status != TenderStatus.PUBLISHED:
        raise _conflict(
            _("Questions are asked while the tender is published."), code="not_published"
        )
    item = Clarification.objects.create(
        tender=tender, provider=provider, asked_by=actor, question=question
    )
    _event(
        "clarification.ask", actor=actor, obj=item, organisation=provider.name, tender_id=tender.pk
    )
    return item


@transaction.atomic
def clarification_answer(
    *, clarification: Clarification, actor: User, answer: str
) -> Clarification:
    answer = (answer or "").strip()
    if not answer:
        raise _invalid("answer", _("An answer is required."))
    item = (
        Clarification.objects.select_for_update()
        .select_related("tender__agency")
        .get(pk=clarification.pk)
    )
    if item.tender.status not in (TenderStatus.PUBLISHED, TenderStatus.CLOSED):
        raise _conflict(_("This tender no longer takes clarifications."))
    item.answer = answer
    item.answered_at = timezone.now()
    item.answered_by = actor
    item.save()
    _event(
        "clarification.answer",
        actor=actor,
        obj=item,
        organisation=item.tender.agency.name,
        tender_id=item.tender_id,
    )
    return item
