"""Sealed responses: submitted, replaced or withdrawn until the deadline,
each with a receipt (the SHA-256 of its canonical content)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import services as catalog_services
from catalog.models import Offer, Provider
from tenders import eligibility, selectors
from tenders.models import ResponseStatus, Tender, TenderResponse, TenderStatus
from tenders.services._common import CENT, TenderError, _conflict, _decimal, _event, _invalid
from tenders.services.lifecycle import deadline_passed

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.core.files import File


def receipt_digest(
    *,
    tender: Tender,
    provider_id: int,
    offer_id: int,
    total_price: Decimal,
    technical_answer: str,
    attachment_sha256: str,
    submitted_at: datetime,
) -> str:
    """SHA-256 of the canonical content: sorted-key JSON, prices as
    strings, time in UTC ISO 8601. The provider can recompute it."""
    canonical = json.dumps(
        {
            "tender": tender.reference,
            "provider": provider_id,
            "offer": offer_id,
            "total_price": str(Decimal(total_price).quantize(CENT)),
            "technical_answer": technical_answer,
            "attachment_sha256": attachment_sha256,
            "submitted_at": submitted_at.astimezone(UTC).isoformat(),
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _open_for_responses(tender: Tender) -> Tender:
    """Lock the tender and check, with the server's clock inside the
    transaction, that responses are still accepted."""
    locked = Tender.objects.select_for_update().get(pk=tender.pk)
    # A request may have closed the tender a moment ago (every read checks
    # the deadline): after the deadline the answer is the same either way.
    if locked.status in (TenderStatus.PUBLISHED, TenderStatus.CLOSED) and deadline_passed(locked):
        raise _conflict(_("The response deadline has passed."), code="deadline_passed")
    if locked.status != TenderStatus.PUBLISHED:
        raise _conflict(
            _("The tender is %(status)s: no response can be submitted, replaced or withdrawn.")
            % {"status": TenderStatus(locked.status).label},
            code="not_published",
        )
    return locked


@transaction.atomic
def response_submit(
    *,
    tender: Tender,
    provider: Provider,
    actor: User,
    offer: Offer,
    total_price: Any,
    technical_answer: str,
    attachment: File | None = None,
) -> TenderResponse:
    locked = _open_for_responses(tender)
    if offer.provider_id != provider.pk:
        raise _invalid("offer", _("Respond with one of your own offers."))
    catalog_services.provider_compliance_require(provider)
    need = selectors.need_of(locked)
    failed = eligibility.failures(need, selectors.offer_snapshot(offer.pk, live=True))
    if failed:
        raise TenderError(
            _("This offer is not eligible for this tender now."),
            code="not_eligible",
            fields={"offer": [f["rule"] for f in failed]},
        )
    price = _decimal(
        "total_price",
        total_price,
        minimum=Decimal("0.01"),
        column=TenderResponse._meta.get_field("total_price"),
    )
    if price != price.quantize(CENT):
        raise _invalid("total_price", _("A price in euros and cents (two decimals at most)."))
    # In cents from here on: the receipt, the audit and the stored row agree.
    price = price.quantize(CENT)
    answer = (technical_answer or "").strip()
    if not answer:
        raise _invalid("technical_answer", _("A technical answer is required."))
    digest = ""
    if attachment:
        if attachment.size > settings.EVIDENCE_MAX_BYTES:
            raise _invalid("attachment", _("The attachment is too large."))
        head = attachment.read(8)
        attachment.seek(0)
        if not head.startswith(b"%PDF-"):
            raise _invalid("attachment", _("The attachment must be a PDF file."))
        sha = hashlib.sha256()
        for chunk in attachment.chunks():
            sha.update(chunk)
        attachment.seek(0)
        digest = sha.hexdigest()
    now = timezone.now()
    # The time on the receipt is the time that must precede the deadline:
    # the checks above take a moment, and a response checked a millisecond
    # before the deadline must not be stamped (and accepted) after it.
    if deadline_passed(locked, now):
        raise _conflict(_("The response deadline has passed."), code="deadline_passed")
    replaced = list(
        TenderResponse.objects.select_for_update().filter(
            tender=locked, provider=provider, status=ResponseStatus.SUBMITTED
        )
    )
    for old in replaced:
        old.status = ResponseStatus.REPLACED
        old.save(update_fields=["status"])
    response = TenderResponse(
        tender=locked,
        provider=provider,
        offer=offer,
        total_price=price,
        technical_answer=answer,
        attachment_sha256=digest,
        submitted_at=now,
        submitted_by=actor,
        receipt_sha256=receipt_digest(
            tender=locked,
            provider_id=provider.pk,
            offer_id=offer.pk,
            total_price=price,
            technical_answer=answer,
            attachment_sha256=digest,
            submitted_at=now,
        ),
    )
    if attachment:
        # Stored under a random name: the uploaded name would make the file
        # of a sealed response guessable under MEDIA_URL.
        attachment.name = f"{uuid.uuid4().hex}.pdf"
        response.attachment = attachment
    response.save()
    # The audit records the receipt, never the content.
    _event(
        "response.submit",
        actor=actor,
        obj=response,
        organisation=provider.name,
        tender_id=locked.pk,
        data={
            "receipt_sha256": response.receipt_sha256,
            "submitted_at": now.isoformat(),
            "replaces": [r.pk for r in replaced],
        },
    )
    return response


@transaction.atomic
def response_withdraw(*, response: TenderResponse, actor: User) -> TenderResponse:
    _open_for_responses(response.tender)
    locked = TenderResponse.objects.select_for_update().get(pk=response.pk)
    if locked.status != ResponseStatus.SUBMITTED:
        raise _conflict(_("Only a live response can be withdrawn."))
    locked.status = ResponseStatus.WITHDRAWN
    locked.withdrawn_at = timezone.now()
    locked.save(update_fields=["status", "withdrawn_at"])
    _event(
        "response.withdraw",
        actor=actor,
        obj=locked,
        organisation=locked.provider.name,
        tender_id=locked.tender_id,
        data={"receipt_sha256": locked.receipt_sha256},
    )
    return locked
