"""Every write of the demand side. Keyword-only, ``<noun>_<verb>``.

Tender and order lifecycles are transition tables with one guarded
function each (``_tender_transition``, ``_order_transition``) that locks the
row, checks the table, announces the event (the broker writes the audit
chain in the same transaction) and saves."""

from __future__ import annotations

import hashlib
import json
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog import services as catalog_services
from catalog import units
from catalog.cpv import CLOUD_CPV
from catalog.models import (
    BuyerCategory,
    MemberRole,
    Offer,
    ProviderMembership,
    SensitivityLevel,
    ServiceCategory,
)
from catalog.services import DomainError, siret_valid
from tenders import eligibility, selectors, signals
from tenders.models import (
    Agency,
    AgencyMembership,
    Award,
    Clarification,
    Complaint,
    ComplaintStatus,
    MatchingState,
    Order,
    OrderStatus,
    Procedure,
    ResponseStatus,
    ShortlistEntry,
    SourcingFile,
    Tender,
    TenderResponse,
    TenderStatus,
    WithdrawnAward,
)


class TenderError(DomainError):
    """The one domain error of the demand side (mapped once to HTTP)."""


def _require_supplier_documents(provider) -> None:
    """No response and no order without a valid declaration of the
    exclusion grounds and valid attestations (CCP L2141-1 to L2141-11)."""
    problems = catalog_services.provider_compliance_problems(provider)
    if problems:
        raise TenderError(
            _(
                "A valid declaration of the exclusion grounds and valid attestations are required "
                "to respond to a tender or accept an order."
            ),
            code="supplier_documents_required",
            http_status=409,
            fields=problems,
        )


def _invalid(field: str, message: str) -> TenderError:
    return TenderError(message, fields={field: [message]})


def _conflict(message: str, code: str = "conflict") -> TenderError:
    return TenderError(message, code=code, http_status=409)


def _event(
    action: str,
    *,
    actor,
    obj,
    organisation: str = "",
    data: dict | None = None,
    tender_id: int | None = None,
) -> None:
    signals.tender_event.send(
        sender=type(obj),
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        organisation=organisation,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        data=data or {},
        tender_id=tender_id,
    )


# --------------------------------------------------------------------------
# Agencies


@transaction.atomic
def agency_create(
    *, name: str, siret: str, buyer_category: str, slug: str = "", admin=None
) -> Agency:
    name = (name or "").strip()
    if not name:
        raise _invalid("name", _("A name is required."))
    siret = (siret or "").replace(" ", "")
    if not siret_valid(siret):
        raise _invalid("siret", _("A SIRET is 14 digits with a valid check digit."))
    category = BuyerCategory.objects.filter(code=buyer_category).first()
    if category is None:
        raise _invalid("buyer_category", _("Unknown buyer category."))
    if Agency.objects.filter(siret=siret).exists():
        raise _invalid("siret", _("An agency with this SIRET is already registered."))
    agency = Agency.objects.create(
        name=name, siret=siret, buyer_category=category, slug=slug or slugify(name)[:80]
    )
    if admin is not None:
        agency_member_add(agency=agency, user=admin, role=MemberRole.ADMIN)
    return agency


def agency_member_add(*, agency: Agency, user, role: str = MemberRole.MEMBER) -> AgencyMembership:
    if role not in MemberRole.values:
        raise _invalid("role", _("Use one of %(names)s.") % {"names": ", ".join(MemberRole.values)})
    # Asked of the database, not of the user instance (its cached relations
    # may predate a membership added elsewhere).
    if ProviderMembership.objects.filter(user_id=user.pk).exists():
        raise TenderError(
            _("A user acts for one organisation: this user is a provider member."),
            code="conflict",
            http_status=409,
        )
    if AgencyMembership.objects.filter(user_id=user.pk).exists():
        raise TenderError(
            _("A user acts for one organisation: this user already belongs to an agency."),
            code="conflict",
            http_status=409,
        )
    return AgencyMembership.objects.create(agency=agency, user=user, role=role)


# --------------------------------------------------------------------------
# Tenders: validation

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


CENT = Decimal("0.01")


def _whole(value: Any, low: int, high: int) -> bool:
    # bool is an int subclass: True must not pass for 1.
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _decimal(field: str, value: Any, *, minimum: Decimal = Decimal("0"), column=None) -> Decimal:
    """A finite number at least ``minimum`` and, given the model field that
    stores it, below the column's whole-digit limit: the database would
    refuse more (a numeric overflow), so the caller hears it as a field
    error whatever door it came through."""
    if isinstance(value, bool):
        raise _invalid(field, _("A number is required."))
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _invalid(field, _("A number is required.")) from None
    if not result.is_finite() or result < minimum:
        raise _invalid(field, _("Must be a number of at least %(minimum)s.") % {"minimum": minimum})
    if column is not None and result >= Decimal(10) ** (column.max_digits - column.decimal_places):
        raise _invalid(
            field,
            _("Must be less than %(limit)s.")
            % {"limit": Decimal(10) ** (column.max_digits - column.decimal_places)},
        )
    return result


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

    def current(name):
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


def _next_reference(prefix: str, model) -> str:
    """The next free ``PREFIX-YEAR-NNNNN``. Two creations at once would read
    the same last number: a transaction-scoped advisory lock per stem makes
    them take turns (the caller is atomic, so the lock lasts until its
    row is committed)."""
    year = timezone.localdate().year
    stem = f"{prefix}-{year}-"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(stem.encode())])
    last = (
        model.objects.filter(reference__startswith=stem)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{number:05d}"


# --------------------------------------------------------------------------
# Tenders: lifecycle

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
    tender: Tender, target: str, *, actor, reason: str = "", data: dict | None = None, **fields: Any
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
    *, agency: Agency, actor, sourcing_file: SourcingFile | None = None, **data: Any
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
def tender_update(*, tender: Tender, actor, **data: Any) -> Tender:
    locked = Tender.objects.select_for_update().get(pk=tender.pk)
    if locked.status != TenderStatus.DRAFT:
        raise _conflict(_("Only a draft tender can be edited."), code="not_draft")
    clean = _tender_clean(data, instance=locked)
    for name, value in clean.items():
        setattr(locked, name, value)
    locked.save()
    return locked


@transaction.atomic
def tender_publish(*, tender: Tender, actor) -> Tender:
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
def tender_cancel(*, tender: Tender, actor, reason: str) -> Tender:
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


@transaction.atomic
def tender_close_if_due(*, tender: Tender, now: datetime | None = None) -> Tender:
    """Close a published tender whose deadline has passed. Idempotent, and
    called by every request that depends on the deadline, so nothing waits
    for the beat."""
    now = now or timezone.now()
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


@transaction.atomic
def response_score(
    *, response: TenderResponse, actor, technical_score: Any = None, other_score: Any = None
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
def tender_award(*, tender: Tender, actor, response: TenderResponse) -> Award:
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
def tender_declare_unsuccessful(*, tender: Tender, actor, reason: str) -> Tender:
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


# --------------------------------------------------------------------------
# Matching results (computed by the broker, stored here)


def tender_matching_mark(*, tender_id: int, state: str, error: str = "") -> None:
    now = timezone.now()
    values: dict[str, Any] = {"matching_state": state}
    if state == MatchingState.QUEUED:
        values["matching_queued_at"] = now
    elif state == MatchingState.RUNNING:
        values.update(matching_started_at=now, matching_error="")
    elif state in (MatchingState.DONE, MatchingState.FAILED):
        values.update(matching_finished_at=now, matching_error=error[:500])
    Tender.objects.filter(pk=tender_id).update(**values)


def tender_matching_start(*, tender_id: int) -> bool:
    """Mark a run as started (``running``) if the tender is published and
    before its deadline; False, and nothing written, otherwise (the caller
    closes a tender past its deadline: ``tender_close_if_due``).

    One statement, its own transaction, committed without waiting for the
    WAL flush (``synchronous_commit`` off for this transaction only): the
    mark is idempotent, and a crash that lost it leaves the tender queued
    for the sweeper. The shortlist's own transaction stays durable."""
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""WITH quick AS (SELECT set_config('synchronous_commit', 'off', true))
                UPDATE {Tender._meta.db_table} SET matching_state = %s, matching_started_at = %s,
                                                    matching_error = ''
                WHERE id = %s AND status = %s AND response_deadline > %s AND EXISTS (SELECT FROM quick)""",  # noqa: S608
            [MatchingState.RUNNING, now, tender_id, TenderStatus.PUBLISHED, now],
        )
        return cursor.rowcount == 1


# Both shortlist writers insert into the table aliased ``e``: a row whose
# values are unchanged is not written (it keeps its id and computed_at).
_SHORTLIST_UPSERT = """ON CONFLICT (tender_id, offer_id) DO UPDATE SET
    rank = EXCLUDED.rank, score = EXCLUDED.score, estimated_cost = EXCLUDED.estimated_cost,
    reasons = EXCLUDED.reasons, warnings = EXCLUDED.warnings, computed_at = EXCLUDED.computed_at
    WHERE (e.rank, e.score, e.estimated_cost, e.reasons, e.warnings)
          IS DISTINCT FROM (EXCLUDED.rank, EXCLUDED.score, EXCLUDED.estimated_cost, EXCLUDED.reasons, EXCLUDED.warnings)"""


@transaction.atomic
def shortlist_store(*, tender_id: int, rows: list[dict]) -> list[int]:
    """Replace a published tender's shortlist with ``rows`` (``offer_id``,
    ``rank``, ``score``, ``estimated_cost``, ``reasons``, ``warnings``) and
    invite the providers not invited yet. Returns the newly invited provider
    ids. Storing the same rows twice changes nothing and invites nobody.

    Set-based (a whole-category shortlist is ~10k rows at 100k offers):
    one DELETE of the stale rows, one upsert of the others that writes only
    the new and the changed ones (an unchanged row keeps its id and its
    computation time), without reading the stored rows back."""
    tender = Tender.objects.select_for_update().get(pk=tender_id)
    if tender.status != TenderStatus.PUBLISHED:
        return []
    wanted = {row["offer_id"]: row for row in rows}
    table = ShortlistEntry._meta.db_table
    # Server-side binding, binary parameters (%b): Django's client-side
    # binding, and text-format arrays, escape every quote of a ~10k-row
    # shortlist's reasons in Python.
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE tender_id = %b AND NOT (offer_id = ANY(%b::bigint[]))",  # noqa: S608
            [tender_id, list(wanted)],
        )
        if wanted:
            values = list(wanted.values())
            cursor.execute(
                f"""INSERT INTO {table} AS e (tender_id, offer_id, rank, score, estimated_cost, within_budget,
                                              reasons, warnings, computed_at)
                    SELECT %b, o, r, s, c, true, re::jsonb, w::jsonb, %b
                    FROM unnest(%b::bigint[], %b::int[], %b::numeric[], %b::numeric[], %b::text[], %b::text[])
                         AS t(o, r, s, c, re, w)
                    {_SHORTLIST_UPSERT}""",  # noqa: S608
                [
                    tender_id,
                    timezone.now(),
                    list(wanted),
                    [row["rank"] for row in values],
                    [row["score"] for row in values],
                    [row["estimated_cost"] for row in values],
                    [json.dumps(row["reasons"]) for row in values],
                    [json.dumps(row["warnings"]) for row in values],
                ],
            )
    providers = set(Offer.objects.filter(pk__in=list(wanted)).values_list("provider_id", flat=True))
    already = set(tender.invitations.values_list("provider_id", flat=True))
    new = sorted(providers - already)
    from tenders.models import Invitation

    Invitation.objects.bulk_create(
        [Invitation(tender=tender, provider_id=pk) for pk in new], ignore_conflicts=True
    )
    return new


def shortlist_replace(
    *, tender: Tender, select: tuple[str, list], finish: bool = False
) -> tuple[int, list[int]]:
    """``shortlist_store`` for a shortlist computed in the database:
    ``select`` (SQL and parameters for Django's cursor) gives ``offer_id``,
    ``provider_id``, ``rank``, ``score``, ``estimated_cost``, ``reasons``,
    ``warnings``. One statement deletes the stale rows, upserts the new and
    changed ones (an unchanged row keeps its id and computation time) and
    invites the providers not invited yet; nothing crosses into Python.
    Returns the number of rows and the newly invited provider ids.
    ``finish`` also records the matching run as done, in the same statement
    (one round trip less per run; it commits or rolls back with the rest).

    The caller holds ``tender``'s row lock (``select_for_update``) and has
    checked that it is published, inside the current transaction."""
    from tenders.models import Invitation

    sql, params = select
    shortlist, invitation = ShortlistEntry._meta.db_table, Invitation._meta.db_table
    now = timezone.now()
    # Data-modifying CTEs all see the same snapshot: the DELETE and the
    # upsert touch disjoint rows (stale / wanted offers), the invitations
    # another table. NOT IN (offer ids are never null) is a hashed subplan
    # whatever the planner guesses of the CTE's size; NOT EXISTS became a
    # nested loop over both shortlists when it guessed one row.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH scored AS MATERIALIZED ({sql}),
                stale AS (
                    DELETE FROM {shortlist} WHERE tender_id = %s
                       AND offer_id NOT IN (SELECT offer_id FROM scored)),
                stored AS (
                    INSERT INTO {shortlist} AS e (tender_id, offer_id, rank, score, estimated_cost, within_budget,
                                                  reasons, warnings, computed_at)
                    SELECT %s, offer_id, rank, score, estimated_cost, true, reasons, warnings, %s FROM scored
                    {_SHORTLIST_UPSERT}),
                invited AS (
                    INSERT INTO {invitation} (tender_id, provider_id, created_at)
                    SELECT DISTINCT %s::bigint, provider_id, %s::timestamptz FROM scored
                    ON CONFLICT (tender_id, provider_id) DO NOTHING
                    RETURNING provider_id),
                finished AS (
                    UPDATE {Tender._meta.db_table} SET matching_state = %s, matching_finished_at = %s,
                                                        matching_error = ''
                    WHERE id = %s AND %s)
                SELECT (SELECT count(*) FROM scored), array(SELECT provider_id FROM invited ORDER BY 1)""",  # noqa: S608
            [
                *params,
                tender.pk,
                tender.pk,
                now,
                tender.pk,
                now,
                MatchingState.DONE,
                now,
                tender.pk,
                finish,
            ],
        )
        count, invited = cursor.fetchone()
    return count, list(invited)


# --------------------------------------------------------------------------
# Clarifications


@transaction.atomic
def clarification_ask(*, tender: Tender, provider, actor, question: str) -> Clarification:
    question = (question or "").strip()
    if not question:
        raise _invalid("question", _("A question is required."))
    tender = tender_close_if_due(tender=tender)
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
def clarification_answer(*, clarification: Clarification, actor, answer: str) -> Clarification:
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


# --------------------------------------------------------------------------
# Sealed responses


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
    provider,
    actor,
    offer: Offer,
    total_price: Any,
    technical_answer: str,
    attachment=None,
) -> TenderResponse:
    locked = _open_for_responses(tender)
    if offer.provider_id != provider.pk:
        raise _invalid("offer", _("Respond with one of your own offers."))
    _require_supplier_documents(provider)
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
def response_withdraw(*, response: TenderResponse, actor) -> TenderResponse:
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


# --------------------------------------------------------------------------
# Direct purchases

ORDER_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PLACED: {OrderStatus.ACCEPTED, OrderStatus.DECLINED, OrderStatus.CANCELLED},
    OrderStatus.ACCEPTED: set(),
    OrderStatus.DECLINED: set(),
    OrderStatus.CANCELLED: set(),
}


def _order_transition(
    order: Order, target: str, *, actor, organisation: str, reason: str = ""
) -> Order:
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if target not in ORDER_TRANSITIONS[locked.status]:
        raise _conflict(
            _("A %(status)s order cannot become %(target)s.")
            % {"status": OrderStatus(locked.status).label, "target": OrderStatus(target).label},
            code="transition_not_allowed",
        )
    previous = locked.status
    locked.status = target
    locked.status_reason = reason
    locked.decided_at = timezone.now()
    locked.decided_by = actor if getattr(actor, "pk", None) else None
    locked.save()
    _event(
        f"order.{target}",
        actor=actor,
        obj=locked,
        organisation=organisation,
        data={"from": previous, "to": target, "reason": reason},
    )
    return locked


@transaction.atomic
def order_place(
    *,
    agency: Agency,
    actor,
    offer: Offer,
    quantity: Any,
    duration_months: int,
    level: str = "N0",
    flags: list[str] | None = None,
    sourcing_file: SourcingFile | None = None,
) -> Order:
    """Order an eligible catalogue offer directly, below the threshold; the
    eligibility is re-checked now, against the stated sensitivity. Started
    from a locked ``sourcing_file``, the offer must be one of its frozen
    result and the order stays linked to it."""
    if sourcing_file is not None:
        _sourcing_file_usable(sourcing_file, agency)
        if offer.pk not in sourcing_file_offer_ids(sourcing_file):
            raise _invalid("offer", _("This offer is not in the sourcing file's locked result."))
    quantity = _decimal(
        "quantity", quantity, minimum=Decimal("0.01"), column=Order._meta.get_field("quantity")
    )
    if not _whole(duration_months, 1, 120):
        raise _invalid("duration_months", _("A whole number of months between 1 and 120."))
    clean = _tender_clean({"level": level, "flags": flags or []}, instance=None)
    offer = Offer.objects.select_related("provider").get(pk=offer.pk)
    need = selectors.need_for(
        agency=agency,
        level=clean["level"],
        flags=clean["flags"],
        category=None,
        location="",
        unit=offer.unit,
        quantity=quantity,
        months=duration_months,
    )
    failed = eligibility.failures(need, selectors.offer_snapshot(offer.pk, live=True))
    if failed:
        raise TenderError(
            _("This offer is not eligible for this order."),
            code="not_eligible",
            fields={"offer": [f["rule"] for f in failed]},
        )
    total = units.estimated_cost(
        normalised_price=offer.normalised_price,
        quantity=quantity,
        unit=offer.unit,
        months=duration_months,
    )
    if total >= settings.DIRECT_PURCHASE_THRESHOLD:
        raise _invalid(
            "quantity",
            _(
                "A direct purchase stays below %(threshold)s € excl. VAT (this one is %(total)s €): publish a tender instead."
            )
            % {"threshold": settings.DIRECT_PURCHASE_THRESHOLD, "total": total},
        )
    order = Order.objects.create(
        agency=agency,
        offer=offer,
        provider=offer.provider,
        quantity=quantity,
        duration_months=duration_months,
        unit_price=offer.unit_price,
        normalised_price=offer.normalised_price,
        total=total,
        level=clean["level"],
        flags=clean["flags"],
        placed_by=actor if getattr(actor, "pk", None) else None,
        reference=_next_reference("CMD", Order),
        sourcing_file=sourcing_file,
    )
    _event(
        "order.place",
        actor=actor,
        obj=order,
        organisation=agency.name,
        data={
            "offer_id": offer.pk,
            "total": str(total),
            **({"sourcing_file_id": sourcing_file.pk} if sourcing_file is not None else {}),
        },
    )
    return order


@transaction.atomic
def order_accept(*, order: Order, actor) -> Order:
    _require_supplier_documents(order.provider)
    return _order_transition(
        order, OrderStatus.ACCEPTED, actor=actor, organisation=order.provider.name
    )


@transaction.atomic
def order_decline(*, order: Order, actor, reason: str) -> Order:
    if not (reason or "").strip():
        raise _invalid("reason", _("A reason is required to decline an order."))
    return _order_transition(
        order,
        OrderStatus.DECLINED,
        actor=actor,
        organisation=order.provider.name,
        reason=reason.strip(),
    )


@transaction.atomic
def order_cancel(*, order: Order, actor, reason: str = "") -> Order:
    return _order_transition(
        order,
        OrderStatus.CANCELLED,
        actor=actor,
        organisation=order.agency.name,
        reason=(reason or "").strip(),
    )


# --------------------------------------------------------------------------
# Sourcing files: saved catalogue searches, locked into a procurement record

SOURCING_FILTER_KEYS = (
    "level",
    "flags",
    "category",
    "location",
    "certification",
    "min_price",
    "max_price",
    "q",
    "ordering",
)
SNAPSHOT_FORMAT = 1


def sourcing_filters_clean(raw) -> dict[str, Any]:
    """The catalogue search parameters (a dict or a query string), parsed
    by the catalogue's own filter parser — a saved search means exactly
    what the search means — and normalised: only the given keys, flags as
    a sorted list, prices as plain decimal strings."""
    from catalog.api import OfferFilter

    data: dict[str, Any] = {}
    getlist = getattr(raw, "getlist", None)
    for key in SOURCING_FILTER_KEYS:
        if getlist is not None:  # a query string: repeated ``flags=`` make one list
            values = [v for v in getlist(key) if str(v).strip()]
            value = ",".join(values) if key == "flags" else (values[-1] if values else None)
        else:
            value = raw.get(key)
            if key == "flags" and isinstance(value, list | tuple):
                value = ",".join(str(v) for v in value)
        if value not in (None, ""):
            data[key] = value
    parsed = OfferFilter(data=data)
    if not parsed.is_valid():
        fields = {
            key: [str(e) for e in (errors if isinstance(errors, list) else [errors])]
            for key, errors in parsed.errors.items()
        }
        raise TenderError(_("Invalid search filters."), fields=fields)
    clean: dict[str, Any] = {}
    for key, value in parsed.validated_data.items():
        if key == "flags":
            value = sorted(set(value))
        elif isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        elif isinstance(value, str):
            value = value.strip()
        if value in ("", []):
            continue
        clean[key] = value
    return clean


def snapshot_canonical(document: dict) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the text the SHA-256 is taken of."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def snapshot_digest(document: dict) -> str:
    return hashlib.sha256(snapshot_canonical(document).encode()).hexdigest()


def _offer_record(offer: Offer) -> dict[str, Any]:
    """One offer as the locked file keeps it: what was sold at what price,
    and the assessment (level, flags, every check's rule, result and facts,
    the policy version) that made it eligible."""
    assessment = getattr(offer, "assessment", None)
    return {
        "id": offer.pk,
        "name": offer.name,
        "category": offer.category,
        "cpv_code": offer.cpv_code,
        "provider": {
            "id": offer.provider_id,
            "name": offer.provider.name,
            "siren": offer.provider.siren,
        },
        "unit": offer.unit,
        "unit_price": str(offer.unit_price),
        "price_is_illustrative": offer.price_is_illustrative,
        "normalised_price": str(offer.normalised_price),
        "normalised_unit": offer.normalised_unit,
        "minimum_commitment": str(offer.minimum_commitment),
        "minimum_months": offer.minimum_months,
        "sla_pct": str(offer.sla_pct) if offer.sla_pct is not None else None,
        "locations": offer.location_map(),
        "certifications": [
            {
                "scheme": c.scheme.code,
                "version": c.scheme_version,
                "reference": c.reference,
                "status": c.status,
                "verification": c.verification,
                "expires_on": c.expires_on.isoformat() if c.expires_on else None,
            }
            for c in offer.certifications.all()
        ],
        "assessment": None
        if assessment is None
        else {
            "level": assessment.level,
            "level_rank": assessment.level_rank,
            "flags": sorted(assessment.flags),
            "policy_version": assessment.policy_version,
            "assessed_at": assessment.assessed_at.astimezone(UTC).isoformat(),
            "checks": assessment.checks,
            "relied_certificates": assessment.relied_certificates,
        },
    }


def _sourcing_file_usable(sourcing_file: SourcingFile, agency: Agency) -> None:
    """A purchase or a tender starts only from its own agency's locked file."""
    if sourcing_file.agency_id != agency.pk:
        raise _invalid("sourcing_file", _("Unknown sourcing file."))
    if not sourcing_file.is_locked:
        raise _invalid(
            "sourcing_file",
            _("Lock the sourcing file before starting a purchase or a tender from it."),
        )


def _sourcing_tender_defaults(filters: dict) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for key in ("category", "level", "flags"):
        if filters.get(key):
            defaults[key] = filters[key]
    if filters.get("location"):
        defaults["location_constraint"] = filters["location"]
    return defaults


def sourcing_file_offer_ids(sourcing_file: SourcingFile) -> set[int]:
    """The offers of a locked file's frozen result."""
    return {offer["id"] for offer in (sourcing_file.snapshot or {}).get("offers", [])}


@transaction.atomic
def sourcing_file_save(*, agency: Agency, actor, name: str, filters) -> SourcingFile:
    """Save a catalogue search under a name. Its current result is the
    starting point of the daily digest (only later changes are reported)."""
    name = (name or "").strip()
    if not name:
        raise _invalid("name", _("A name is required."))
    if len(name) > 200:
        raise _invalid("name", _("200 characters at most."))
    clean = sourcing_filters_clean(filters or {})
    item = SourcingFile.objects.create(
        agency=agency,
        name=name,
        filters=clean,
        created_by=actor if getattr(actor, "pk", None) else None,
        digest_state={"offers": selectors.sourcing_result_state(clean)},
    )
    _event(
        "sourcing_file.create",
        actor=actor,
        obj=item,
        organisation=agency.name,
        data={"name": name, "filters": clean},
    )
    return item


@transaction.atomic
def sourcing_file_delete(*, sourcing_file: SourcingFile, actor) -> None:
    locked = (
        SourcingFile.objects.select_for_update().select_related("agency").get(pk=sourcing_file.pk)
    )
    if locked.is_locked:
        raise _conflict(
            _("A locked sourcing file is a procurement record: it cannot be deleted."),
            code="locked",
        )
    _event(
        "sourcing_file.delete",
        actor=actor,
        obj=locked,
        organisation=locked.agency.name,
        data={"name": locked.name},
    )
    locked.delete()


@transaction.atomic
def sourcing_file_lock(*, sourcing_file: SourcingFile, actor) -> SourcingFile:
    """Freeze the file's result now: every offer with its prices and its
    assessment, the policy version, the time, in one JSON document whose
    SHA-256 (of its canonical text) goes to the audit chain. From then on
    the row never changes (this service refuses; the database trigger
    refuses any other write path)."""
    from catalog import selectors as catalog_selectors

    locked = (
        SourcingFile.objects.select_for_update().select_related("agency").get(pk=sourcing_file.pk)
    )
    if locked.is_locked:
        raise _conflict(_("This sourcing file is already locked."), code="locked")
    now = timezone.now()
    version = catalog_selectors.policy_version_current()
    offers = [_offer_record(offer) for offer in selectors.sourcing_results(locked.filters)]
    # Through JSON once, so that what is stored is exactly what is hashed.
    document = json.loads(
        json.dumps(
            {
                "format": SNAPSHOT_FORMAT,
                "file": {
                    "id": locked.pk,
                    "name": locked.name,
                    "agency": {
                        "id": locked.agency_id,
                        "name": locked.agency.name,
                        "siret": locked.agency.siret,
                    },
                },
                "filters": locked.filters,
                "locked_at": now.astimezone(UTC).isoformat(),
                "policy_version": version,
                "offers": offers,
            },
            default=str,
        )
    )
    digest = snapshot_digest(document)
    locked.locked_at = now
    locked.locked_by = actor if getattr(actor, "pk", None) else None
    locked.policy_version = version
    locked.snapshot = document
    locked.snapshot_sha256 = digest
    locked.save(
        update_fields=["locked_at", "locked_by", "policy_version", "snapshot", "snapshot_sha256"]
    )
    _event(
        "sourcing_file.lock",
        actor=actor,
        obj=locked,
        organisation=locked.agency.name,
        data={
            "sha256": digest,
            "locked_at": document["locked_at"],
            "policy_version": version,
            "offers": [offer["id"] for offer in offers],
        },
    )
    return locked


def sourcing_file_digest_store(*, sourcing_file_id: int, state: dict, at: datetime) -> bool:
    """Record what the daily digest of an unlocked file saw (the broker
    computes it). A file locked meanwhile keeps no digest: False."""
    return bool(
        SourcingFile.objects.filter(pk=sourcing_file_id, locked_at__isnull=True).update(
            digest_state=state, digest_at=at
        )
    )


# --------------------------------------------------------------------------
# Standstill, complaints and the contract's signature
#
# After the award decision every tenderer hears its rank, its scores and
# the winner's (Code de la commande publique R2181-3, L2181-1); the buyer
# may sign the contract only once the standstill has run (R2182-1,
# settings.STANDSTILL_DAYS) and no complaint against the award is open.


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


def _upload_checked(field: str, upload) -> str:
    """The catalogue's checks for uploaded proofs (size, PDF or image);
    returns the file's SHA-256 and gives it a random stored name."""
    try:
        catalog_services.upload_check(field, upload)
    except catalog_services.CatalogError as exc:
        raise TenderError(exc.message, fields=exc.fields) from None
    sha = hashlib.sha256()
    for chunk in upload.chunks():
        sha.update(chunk)
    upload.seek(0)
    upload.name = catalog_services.upload_store_name(upload)
    return sha.hexdigest()


@transaction.atomic
def complaint_file(*, tender: Tender, provider, actor, text: str, attachment=None) -> Complaint:
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
        complaint.attachment_sha256 = _upload_checked("attachment", attachment)
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
def complaint_answer(*, complaint: Complaint, actor, decision: str, answer: str) -> Complaint:
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
def award_withdraw(*, tender: Tender, actor, reason: str) -> WithdrawnAward:
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
def tender_contract_sign(*, tender: Tender, actor) -> Award:
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
