"""A tender's life: drafting and its checks, publication, closing at the
deadline, cancellation. ``TRANSITIONS`` is the state machine and
``_tender_transition`` its one guarded setter (lock, check the table,
announce, save), which the evaluation and the standstill use too."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import units
from catalog.cpv import CLOUD_CPV
from catalog.models import SensitivityLevel, ServiceCategory
from tenders.models import Agency, MatchingState, Procedure, SourcingFile, Tender, TenderStatus
from tenders.services._common import (
    TenderError,
    _conflict,
    _decimal,
    _event,
    _invalid,
    _next_reference,
    _whole,
)
from tenders.services.sourcing import _sourcing_file_usable, _sourcing_tender_defaults

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TENDER_FIELDS = {
    "title",
    "description",
    "category",
    "cpv_code",
    "level",
    "flags",
    "location_constraint",
    "quantity",
    "unit",
    "duration_months",
    "estimated_value",
    "response_deadline",
    "weight_price",
    "weight_technical",
    "weight_other",
}
# Units a category may be bought in (the quantity must fit the category).
CATEGORY_MEASURES = {
    ServiceCategory.IAAS_COMPUTE: {"compute", "memory", "instance"},
    ServiceCategory.IAAS_STORAGE: {"storage"},
    ServiceCategory.BACKUP: {"storage"},
    ServiceCategory.PAAS_DATABASE: {"instance", "storage", "compute", "memory"},
    ServiceCategory.PAAS_CONTAINERS: {"compute", "memory", "instance"},
    ServiceCategory.SAAS_COLLABORATION: {"user"},
    ServiceCategory.SAAS_BUSINESS: {"user", "instance"},
    ServiceCategory.HOSTING: {"site", "instance", "storage"},
    ServiceCategory.NETWORK: {"bandwidth", "instance"},
}


def procedure_for(estimated_value: Decimal) -> str:
    if estimated_value < settings.DIRECT_PURCHASE_THRESHOLD:
        return Procedure.DIRECT
    if estimated_value < settings.ADAPTED_PROCEDURE_THRESHOLD:
        return Procedure.ADAPTED
    return Procedure.OPEN


def _tender_clean(data: dict[str, Any], *, instance: Tender | None) -> dict[str, Any]:
    unknown = set(data) - TENDER_FIELDS
    if unknown:
        raise TenderError(_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    clean = dict(data)
    if "title" in clean:
        clean["title"] = clean["title"].strip() if isinstance(clean["title"], str) else ""
        if not clean["title"]:
            raise _invalid("title", _("A title is required."))
    if "category" in clean and clean["category"] not in ServiceCategory.values:
        raise _invalid("category", _("Unknown category."))
    if "cpv_code" in clean and clean["cpv_code"] not in CLOUD_CPV:
        raise _invalid(
            "cpv_code",
            _("Not a CPV code of the cloud list (e.g. 72317000-0 data storage services)."),
        )
    if "level" in clean:
        level = SensitivityLevel.objects.filter(code=clean["level"]).first()
        if level is None:
            raise _invalid("level", _("Unknown sensitivity level."))
        if not level.grantable:
            raise _invalid(
                "level", _("Classified data is out of scope: no offer of this window may hold it.")
            )
    if "flags" in clean:
        from catalog.models import DataFlag

        flags = sorted({str(f).upper() for f in clean["flags"] or []})
        known = set(DataFlag.objects.values_list("code", flat=True))
        if set(flags) - known:
            raise _invalid(
                "flags", _("Unknown flags; use %(names)s.") % {"names": ", ".join(sorted(known))}
            )
        clean["flags"] = flags
    if "location_constraint" in clean:
        loc = (clean["location_constraint"] or "").strip().upper()
        if loc and loc != "EU":
            from django_countries import countries

            if loc not in countries:
                raise _invalid(
                    "location_constraint", _("Use EU, an ISO 3166-1 country code, or nothing.")
                )
        clean["location_constraint"] = loc
    if "quantity" in clean:
        clean["quantity"] = _decimal(
            "quantity",
            clean["quantity"],
            minimum=Decimal("0.01"),
            column=Tender._meta.get_field("quantity"),
        )
    if "unit" in clean and clean["unit"] not in units.UNITS:
        raise _invalid("unit", _("Unknown unit."))
    if "duration_months" in clean:
        if not _whole(clean["duration_months"], 1, 120):
            raise _invalid("duration_months", _("A whole number of months between 1 and 120."))
    if "estimated_value" in clean:
        clean["estimated_value"] = _decimal(
            "estimated_value",
            clean["estimated_value"],
            minimum=Decimal("1"),
            column=Tender._meta.get_field("estimated_value"),
        )
        clean["procedure"] = procedure_for(clean["estimated_value"])
    if "response_deadline" in clean:
        deadline = clean["response_deadline"]
        if isinstance(deadline, str):
            from django.utils.dateparse import parse_datetime

            try:
                deadline = parse_datetime(deadline)
            except ValueError:  # well formed but impossible, e.g. month 13
                deadline = None
        if not isinstance(deadline, datetime):
            raise _invalid("response_deadline", _("A date and time with a time zone is required."))
        if timezone.is_naive(deadline):
            deadline = timezone.make_aware(deadline)
        if deadline <= timezone.now():
            raise _invalid("response_deadline", _("The deadline must be in the future."))
        clean["response_deadline"] = deadline
    for field in ("weight_price", "weight_technical", "weight_other"):
        if field in clean and not _whole(clean[field], 0, 100):
            raise _invalid(field, _("A whole number between 0 and 100."))

    def current(name: str) -> Any:
        return clean.get(name, getattr(instance, name) if instance else None)

    weights = [current("weight_price"), current("weight_technical"), current("weight_other")]
    if all(w is not None for w in weights) and sum(weights) != 100:
        raise _invalid(
            "weight_price",
            _("Evaluation weights must add up to 100 (they add up to %(value)s).")
            % {"value": sum(weights)},
        )
    category, unit = current("category"), current("unit")
    if (
        category
        and unit
        and units.UNITS[unit].measure not in CATEGORY_MEASURES.get(category, set())
    ):
        raise _invalid(
            "unit",
            _("A %(label)s quantity does not fit the category %(category)s.")
            % {"label": units.UNITS[unit].label, "category": category},
        )
    return clean


TRANSITIONS: dict[str, set[str]] = {
    TenderStatus.DRAFT: {TenderStatus.PUBLISHED, TenderStatus.CANCELLED},
    TenderStatus.PUBLISHED: {TenderStatus.CLOSED, TenderStatus.CANCELLED},
    TenderStatus.CLOSED: {TenderStatus.AWARDED, TenderStatus.UNSUCCESSFUL, TenderStatus.CANCELLED},
    # Signed once the standstill is over; back to evaluation when the
    # award is withdrawn before signature (a complaint upheld).
    TenderStatus.AWARDED: {TenderStatus.CONTRACT_SIGNED, TenderStatus.CLOSED},
    TenderStatus.CONTRACT_SIGNED: set(),
    TenderStatus.UNSUCCESSFUL: set(),
    TenderStatus.CANCELLED: set(),
}


def _tender_transition(
    tender: Tender,
    target: str,
    *,
    actor: User | None,
    reason: str = "",
    data: dict | None = None,
    **fields: Any,
) -> Tender:
    """The one place a tender changes status: lock, check the table, record
    the event, save. Raises a 409 TenderError for a move the table forbids."""
    # The tender row only (`of`): locking its agency's row too deadlocked
    # with a tender being created for that agency, which holds the audit
    # lock and checks its foreign key to the agency at commit (make loadtest).
    locked = (
        Tender.objects.select_for_update(of=("self",)).select_related("agency").get(pk=tender.pk)
    )
    if target not in TRANSITIONS[locked.status]:
        raise _conflict(
            _("A %(status)s tender cannot become %(target)s.")
            % {"status": TenderStatus(locked.status).label, "target": TenderStatus(target).label},
            code="transition_not_allowed",
        )
    previous = locked.status
    locked.status = target
    if reason:
        locked.status_reason = reason
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    _event(
        f"tender.{target}",
        actor=actor,
        obj=locked,
        organisation=locked.agency.name,
        data={"from": previous, "to": target, "reason": reason, **(data or {})},
        tender_id=locked.pk,
    )
    return locked


@transaction.atomic
def tender_create(
    *, agency: Agency, actor: User, sourcing_file: SourcingFile | None = None, **data: Any
) -> Tender:
    """Create a draft. Started from a locked ``sourcing_file``, the tender
    stays linked to it and takes its filters (category, level, flags,
    location) as defaults."""
    defaults = {
        "flags": [],
        "location_constraint": "",
        "weight_price": 60,
        "weight_technical": 40,
        "weight_other": 0,
        "description": "",
    }
    if sourcing_file is not None:
        _sourcing_file_usable(sourcing_file, agency)
        defaults.update(_sourcing_tender_defaults(sourcing_file.filters))
    values = {**defaults, **data}
    for required in (
        "title",
        "category",
        "cpv_code",
        "level",
        "quantity",
        "unit",
        "duration_months",
        "estimated_value",
        "response_deadline",
    ):
        if values.get(required) in (None, ""):
            raise _invalid(required, _("This field is required."))
    clean = _tender_clean(values, instance=None)
    tender = Tender.objects.create(
        agency=agency,
        created_by=actor if getattr(actor, "pk", None) else None,
        reference=_next_reference(settings.TENDER_REFERENCE_PREFIX, Tender),
        sourcing_file=sourcing_file,
        **clean,
    )
    _event(
        "tender.create",
        actor=actor,
        obj=tender,
        organisation=agency.name,
        tender_id=tender.pk,
        data={
            "reference": tender.reference,
            **({"sourcing_file_id": sourcing_file.pk} if sourcing_file is not None else {}),
        },
    )
    return tender


@transaction.atomic
def tender_update(*, tender: Tender, actor: User, **data: Any) -> Tender:
    locked = Tender.objects.select_for_update().get(pk=tender.pk)
    if locked.status != TenderStatus.DRAFT:
        raise _conflict(_("Only a draft tender can be edited."), code="not_draft")
    clean = _tender_clean(data, instance=locked)
    for name, value in clean.items():
        setattr(locked, name, value)
    locked.save()
    return locked


@transaction.atomic
def tender_publish(*, tender: Tender, actor: User) -> Tender:
    """Publish and queue matching; the broker enqueues it after commit."""
    now = timezone.now()
    minimum = timedelta(hours=settings.TENDER_MIN_RESPONSE_HOURS)
    # Locked before the deadline is read: an edit cannot slip in between.
    current = Tender.objects.select_for_update().get(pk=tender.pk)
    if current.status == TenderStatus.DRAFT and (
        current.response_deadline <= now or current.response_deadline < now + minimum
    ):
        raise _invalid(
            "response_deadline",
            _("The deadline must be in the future and leave at least %(hours)s hours to respond.")
            % {"hours": settings.TENDER_MIN_RESPONSE_HOURS},
        )
    return _tender_transition(
        current,
        TenderStatus.PUBLISHED,
        actor=actor,
        published_at=now,
        matching_state=MatchingState.QUEUED,
        matching_queued_at=now,
        matching_started_at=None,
        matching_finished_at=None,
        matching_error="",
    )


@transaction.atomic
def tender_cancel(*, tender: Tender, actor: User, reason: str) -> Tender:
    if not (reason or "").strip():
        raise _invalid("reason", _("A reason is required to cancel a tender."))
    # A published tender past its deadline is closed first, so the history
    # (and the responders) see the close before the cancellation.
    tender = tender_close_if_due(tender=tender)
    return _tender_transition(
        tender,
        TenderStatus.CANCELLED,
        actor=actor,
        reason=reason.strip(),
        decided_at=timezone.now(),
    )


def deadline_passed(tender: Tender, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= tender.response_deadline


def tender_close_if_due(*, tender: Tender, now: datetime | None = None) -> Tender:
    """Close a published tender whose deadline has passed. Idempotent, and
    called by every request that depends on the deadline, so nothing waits
    for the beat.

    Reads never lock: the deadline is checked on a plain read, and the row is
    locked (and checked again) only to actually close. A GET of a tender
    whose row matching holds answers at once instead of queueing behind it."""
    now = now or timezone.now()
    current = Tender.objects.get(pk=tender.pk)
    if current.status != TenderStatus.PUBLISHED or not deadline_passed(current, now):
        return current
    with transaction.atomic():
        locked = Tender.objects.select_for_update().get(pk=tender.pk)
        if locked.status != TenderStatus.PUBLISHED or not deadline_passed(locked, now):
            return locked
        return _tender_transition(locked, TenderStatus.CLOSED, actor=None, closed_at=now)


def tenders_close_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    closed = []
    for tender in Tender.objects.filter(status=TenderStatus.PUBLISHED, response_deadline__lte=now):
        if tender_close_if_due(tender=tender, now=now).status == TenderStatus.CLOSED:
            closed.append(tender.pk)
    return closed


def _require_closed(tender: Tender) -> Tender:
    tender = tender_close_if_due(tender=tender)
    if tender.status != TenderStatus.CLOSED:
        raise _conflict(
            _("Responses are evaluated once the tender is closed; it is %(status)s.")
            % {"status": TenderStatus(tender.status).label},
            code="not_closed",
        )
    return tender
