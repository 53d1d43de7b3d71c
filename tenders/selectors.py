"""Every read of the demand side that scopes or shapes a query.

Sealed responses: the only way to read responses is ``responses_visible_to``,
which gives a provider its own and an agency its tender's responses only once
the deadline has CLOSED the tender. Counts go through the same selector."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from catalog import policy, units
from catalog import selectors as catalog_selectors
from catalog.models import Offer, OfferAssessment, ProviderStatus, SensitivityLevel
from tenders import eligibility
from tenders.eligibility import Need, OfferSnapshot
from tenders.models import (
    Agency,
    AgencyMembership,
    Award,
    Clarification,
    Invitation,
    Order,
    OrderStatus,
    ResponseStatus,
    ShortlistEntry,
    SourcingFile,
    Tender,
    TenderResponse,
    TenderStatus,
)

PUBLIC_STATUSES = (
    TenderStatus.PUBLISHED,
    TenderStatus.CLOSED,
    TenderStatus.AWARDED,
    TenderStatus.CONTRACT_SIGNED,
    TenderStatus.UNSUCCESSFUL,
    TenderStatus.CANCELLED,
)
SEALED_STATUSES = (TenderStatus.DRAFT, TenderStatus.PUBLISHED)


def agency_membership_of(user) -> AgencyMembership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        AgencyMembership.objects.select_related("agency__buyer_category")
        .filter(user_id=user.pk)
        .first()
    )


def agency_of(user) -> Agency | None:
    membership = agency_membership_of(user)
    return membership.agency if membership else None


def _tender_shape(qs: QuerySet[Tender]) -> QuerySet[Tender]:
    # The output shows the required level, which reads the buyer category's
    # health floor: joined here rather than fetched once per row.
    return qs.select_related("agency__buyer_category__health_min_level")


def tender_for_output(pk: int) -> Tender:
    """A tender fresh from the database, shaped for its JSON."""
    return _tender_shape(Tender.objects.all()).get(pk=pk)


def tenders_visible_to(user) -> QuerySet[Tender]:
    """Published-and-later tenders for everyone; an agency also sees its own
    drafts; operators see everything. Cancelled drafts stay private."""
    qs = _tender_shape(Tender.objects.all())
    if catalog_selectors.is_operator(user):
        return qs
    visible = Q(status__in=PUBLIC_STATUSES, published_at__isnull=False)
    agency = agency_of(user)
    if agency:
        visible |= Q(agency_id=agency.pk)
    return qs.filter(visible)


def tenders_managed_by(user) -> QuerySet[Tender]:
    agency = agency_of(user)
    if agency is None:
        return Tender.objects.none()
    return _tender_shape(Tender.objects.filter(agency_id=agency.pk))


def responses_sealed(tender: Tender) -> bool:
    """Sealed until the deadline closes the tender, and for good when it never
    did: a tender cancelled while published never opens its responses (a
    buyer must not cancel to peek at the prices and start again)."""
    return tender.status in SEALED_STATUSES or tender.closed_at is None


def responses_visible_to(user, tender: Tender) -> QuerySet[TenderResponse]:
    """A provider sees its own responses; the agency (and the operator) sees
    the live responses only after the deadline has closed the tender;
    nobody else sees any."""
    qs = TenderResponse.objects.select_related("provider", "offer", "tender").filter(tender=tender)
    provider = catalog_selectors.provider_of(user)
    if provider is not None:
        return qs.filter(provider_id=provider.pk)
    if responses_sealed(tender):
        return qs.none()
    agency = agency_of(user)
    if (agency and agency.pk == tender.agency_id) or catalog_selectors.is_operator(user):
        return qs.filter(status=ResponseStatus.SUBMITTED)
    return qs.none()


def responses_of_provider(user) -> QuerySet[TenderResponse]:
    """Every response of the user's provider, across tenders, newest first:
    its own only (a sealed response never leaves its provider)."""
    provider = catalog_selectors.provider_of(user)
    if provider is None:
        return TenderResponse.objects.none()
    return (
        TenderResponse.objects.select_related("tender__agency", "offer")
        .filter(provider_id=provider.pk)
        .order_by("-submitted_at", "-id")
    )


def opportunities_of(user) -> QuerySet[Tender]:
    """Published tenders still open for responses on whose shortlist one of
    the user's provider's offers stands, or to which it was invited;
    soonest deadline first, with ``responded`` (it has a live response)."""
    provider = catalog_selectors.provider_of(user)
    if provider is None:
        return Tender.objects.none()
    shortlisted = ShortlistEntry.objects.filter(
        tender_id=OuterRef("pk"), offer__provider_id=provider.pk
    )
    invited = Invitation.objects.filter(tender_id=OuterRef("pk"), provider_id=provider.pk)
    live = TenderResponse.objects.filter(
        tender_id=OuterRef("pk"), provider_id=provider.pk, status=ResponseStatus.SUBMITTED
    )
    return (
        tenders_visible_to(user)
        .filter(status=TenderStatus.PUBLISHED, response_deadline__gt=timezone.now())
        .filter(Exists(shortlisted) | Exists(invited))
        .annotate(responded=Exists(live))
        .order_by("response_deadline", "pk")
    )


def clarifications_of(tender: Tender) -> QuerySet[Clarification]:
    return Clarification.objects.filter(tender=tender).select_related("provider")


def shortlist_of(tender: Tender) -> QuerySet[ShortlistEntry]:
    return (
        ShortlistEntry.objects.filter(tender=tender)
        .select_related("offer__provider")
        .order_by("rank")
    )


def orders_visible_to(user) -> QuerySet[Order]:
    qs = Order.objects.select_related("agency", "offer", "provider")
    if catalog_selectors.is_operator(user):
        return qs
    agency = agency_of(user)
    if agency:
        return qs.filter(agency_id=agency.pk)
    provider = catalog_selectors.provider_of(user)
    if provider:
        return qs.filter(provider_id=provider.pk)
    return qs.none()


# --------------------------------------------------------------------------
# Eligibility inputs


def levels_by_code() -> dict[str, SensitivityLevel]:
    return {level.code: level for level in SensitivityLevel.objects.all()}


def required_level(
    *,
    agency: Agency,
    level: str,
    flags: list[str],
    levels: dict[str, SensitivityLevel] | None = None,
) -> SensitivityLevel:
    """The level a need demands: the stated one, raised for health data of
    State bodies (doctrine « cloud au centre »: health data is N2 for them).
    ``levels`` (from ``levels_by_code``) spares a query per tender in lists."""
    stated = (
        levels[level] if levels and level in levels else SensitivityLevel.objects.get(code=level)
    )
    floor = agency.buyer_category.health_min_level if "HEALTH" in flags else None
    if floor is not None and floor.rank > stated.rank:
        return floor
    return stated


def need_for(
    *,
    agency: Agency,
    level: str,
    flags: list[str],
    category: str | None,
    location: str,
    unit: str,
    quantity: Decimal,
    months: int | None = None,
    levels: dict[str, SensitivityLevel] | None = None,
) -> Need:
    required = required_level(agency=agency, level=level, flags=flags, levels=levels)
    return Need(
        level=required.code,
        level_rank=required.rank,
        flags=tuple(sorted(flags)),
        category=category,
        location=location,
        unit=unit,
        quantity=Decimal(quantity),
        months=months,
    )


def need_of(tender: Tender, levels: dict[str, SensitivityLevel] | None = None) -> Need:
    return need_for(
        agency=tender.agency,
        level=tender.level,
        flags=list(tender.flags),
        category=tender.category,
        location=tender.location_constraint,
        unit=tender.unit,
        quantity=tender.quantity,
        months=tender.duration_months,
        levels=levels,
    )


def offer_snapshot(offer_id: int, *, live: bool = False) -> OfferSnapshot:
    """An offer as the eligibility rules read it. By default with its stored
    assessment (what matching used); ``live`` runs the policy engine on
    today's facts instead, for the decisions that must hold *now* — a
    submission, an order — even if a certificate expired this morning and
    the beat has not re-assessed the offer yet."""
    offer = Offer.objects.select_related("provider").get(pk=offer_id)
    if live:
        facts = catalog_selectors.offer_facts([offer_id])
        result = policy.assess(facts[0], catalog_selectors.policy_current(), timezone.localdate())
        level, rank, flags, checks = (
            result.level or None,
            result.level_rank,
            result.flags,
            result.checks_data(),
        )
        if level is None:
            rank = None
    else:
        assessment = OfferAssessment.objects.filter(offer_id=offer_id).first()
        level = assessment.level if assessment else None
        rank = assessment.level_rank if assessment else None
        flags = assessment.flags if assessment else []
        checks = assessment.checks if assessment else []
    return OfferSnapshot(
        id=offer.pk,
        status=offer.status,
        provider_active=offer.provider.status == ProviderStatus.ACTIVE,
        category=offer.category,
        unit=offer.unit,
        data_countries=tuple(offer.data_countries),
        minimum_commitment=offer.minimum_commitment,
        capacity=offer.capacity,
        level=level,
        level_rank=rank,
        flags=tuple(flags),
        failed_checks=tuple(c for c in checks if not c["passed"]),
        minimum_months=offer.minimum_months,
    )


# --------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class RankedResponse:
    response: TenderResponse
    price_score: Decimal
    technical_score: Decimal
    other_score: Decimal
    total: Decimal
    rank: int


def ranking(responses: list[TenderResponse], tender: Tender) -> list[RankedResponse]:
    """Price score = lowest price ÷ price × price weight; technical and other
    scores (out of 100) weighted likewise; ranked by total, then price."""
    if not responses:
        return []
    lowest = min(r.total_price for r in responses)
    rows = []
    for r in responses:
        price = (lowest / r.total_price * tender.weight_price).quantize(Decimal("0.01"))
        technical = (r.technical_score or 0) * tender.weight_technical / 100
        other = (r.other_score or 0) * tender.weight_other / 100
        rows.append(
            (
                r,
                price,
                Decimal(technical).quantize(Decimal("0.01")),
                Decimal(other).quantize(Decimal("0.01")),
            )
        )
    rows.sort(key=lambda row: (-(row[1] + row[2] + row[3]), row[0].total_price, row[0].pk))
    return [RankedResponse(r, p, t, o, p + t + o, i + 1) for i, (r, p, t, o) in enumerate(rows)]


def offer_why_not(tender: Tender, offer: Offer) -> tuple[list[dict], Decimal | None]:
    """Why ``offer`` is not on ``tender``'s shortlist: every requirement it
    fails (``{"rule", "facts"}``, on the stored assessment matching used),
    the budget included, and its estimated cost (None when the units do not
    compare). Empty failures: it qualifies."""
    failures = eligibility.failures(need_of(tender), offer_snapshot(offer.pk))
    cost = estimated_cost_for(tender, offer)
    if cost is not None and cost > tender.estimated_value:
        # Eligible or not, an offer over the budget is left off the shortlist.
        failures.append(
            {
                "rule": "budget",
                "facts": {"estimated_cost": str(cost), "budget": str(tender.estimated_value)},
            }
        )
    return failures, cost


def estimated_cost_for(tender: Tender, offer: Offer) -> Decimal | None:
    """The estimated total of an offer for a tender (normalised price ×
    quantity × months), or None when their units do not compare."""
    if not units.units_compatible(tender.unit, offer.unit):
        return None
    quantity = units.quantity_in_unit(
        quantity=tender.quantity, from_unit=tender.unit, to_unit=offer.unit
    )
    return units.estimated_cost(
        normalised_price=offer.normalised_price,
        quantity=quantity,
        unit=offer.unit,
        months=tender.duration_months,
    )


# --------------------------------------------------------------------------
# Sourcing files (saved catalogue searches)


def sourcing_files_of(user) -> QuerySet[SourcingFile]:
    """An agency's sourcing files, for its members only (the drafts of a
    procurement record: never public)."""
    agency = agency_of(user)
    if agency is None:
        return SourcingFile.objects.none()
    return SourcingFile.objects.filter(agency_id=agency.pk).select_related(
        "agency", "created_by", "locked_by"
    )


def sourcing_results(filters: dict) -> QuerySet[Offer]:
    """What the public catalogue search returns for these (normalised)
    filters, in the same order as /api/v1/offers/."""
    from django.contrib.auth.models import AnonymousUser

    from catalog.api import ORDERINGS

    kwargs = {key: value for key, value in filters.items() if key != "ordering"}
    for key in ("min_price", "max_price"):
        if kwargs.get(key) is not None:
            kwargs[key] = Decimal(kwargs[key])
    qs = catalog_selectors.offers_filter(
        catalog_selectors.offers_visible_to(AnonymousUser()), **kwargs
    )
    ordering = filters.get("ordering") or ("price" if not filters.get("q") else "-id")
    return qs.order_by(*ORDERINGS[ordering])


def sourcing_result_state(filters: dict) -> dict[str, dict]:
    """The result as the daily digest compares it: per offer id (a string,
    as JSON keys are), its name, provider and assessed level."""
    rows = sourcing_results(filters).values_list(
        "pk", "name", "provider__name", "assessment__level", "assessment__level_rank"
    )
    return {
        str(pk): {
            "name": name,
            "provider": provider,
            "level": level or "",
            "rank": rank if rank is not None else -1,
        }
        for pk, name, provider, level, rank in rows
    }


def sourcing_file_uses(sourcing_file: SourcingFile) -> tuple[list[Tender], list[Order]]:
    """The tenders and direct purchases that started from this file."""
    return (
        list(sourcing_file.tenders.order_by("-id")),
        list(sourcing_file.orders.select_related("offer", "provider").order_by("-id")),
    )


def sourcing_file_verify(sourcing_file: SourcingFile) -> bool:
    """Recompute the SHA-256 of the stored snapshot and compare it with the
    digest recorded at lock time (and in the audit chain)."""
    from tenders.services import snapshot_digest

    if not sourcing_file.is_locked or sourcing_file.snapshot is None:
        return False
    return snapshot_digest(sourcing_file.snapshot) == sourcing_file.snapshot_sha256


def sourcing_snapshot_offers(sourcing_file: SourcingFile) -> list[dict]:
    """The frozen offers of a locked file, each check explained in the
    current language (``reason``): the sentence is rendered when shown,
    from the frozen rule and facts, never stored."""
    from django.utils.translation import get_language

    from catalog.texts import check_reason

    lang = get_language()
    offers = []
    for offer in (sourcing_file.snapshot or {}).get("offers", []):
        assessment = offer.get("assessment") or {}
        checks = [
            {**check, "reason": check_reason(check, lang)} for check in assessment.get("checks", [])
        ]
        offers.append({**offer, "assessment": {**assessment, "checks": checks}})
    return offers


# --------------------------------------------------------------------------
# Reuse: which public bodies awarded or ordered an offer


def _award_public_statuses() -> list[str]:
    # An award is public once its tender is awarded, and stays so in any
    # later contract state a tender may gain.
    return [s for s in ("awarded", "contract_signed") if s in TenderStatus.values]


def offers_used_by(offer_ids) -> dict[int, list[dict]]:
    """Per offer, the public bodies that awarded it (tender awarded) or
    ordered it (order accepted): ``{"name", "slug", "since"}`` once per
    body, ``since`` the date of its first award or accepted order, oldest
    first. Two queries whatever the number of offers."""
    ids = list(offer_ids)
    if not ids:
        return {}
    first: dict[int, dict[int, dict]] = {}

    def add(offer_id, agency_id, name, slug, when):
        if when is None:
            return
        day = timezone.localdate(when)
        seen = first.setdefault(offer_id, {})
        if agency_id not in seen or day < seen[agency_id]["since"]:
            seen[agency_id] = {"name": name, "slug": slug, "since": day}

    awards = Award.objects.filter(
        response__offer_id__in=ids, tender__status__in=_award_public_statuses()
    )
    for row in awards.values_list(
        "response__offer_id",
        "tender__agency_id",
        "tender__agency__name",
        "tender__agency__slug",
        "awarded_at",
    ):
        add(*row)
    orders = Order.objects.filter(offer_id__in=ids, status=OrderStatus.ACCEPTED)
    for row in orders.values_list(
        "offer_id", "agency_id", "agency__name", "agency__slug", "decided_at"
    ):
        add(*row)
    return {
        offer_id: sorted(bodies.values(), key=lambda b: (b["since"], b["name"]))
        for offer_id, bodies in first.items()
    }


def offer_usage_count_sql(offer_id_column: str) -> tuple[str, list]:
    """``len(offers_used_by(...)[offer])`` as a correlated SQL subquery on
    ``offer_id_column``: the catalogue list counts the bodies in its page
    query (two index probes per row) instead of reading them."""
    award, response, tender, order = (
        m._meta.db_table for m in (Award, TenderResponse, Tender, Order)
    )
    statuses = _award_public_statuses()
    sql = (
        f"SELECT count(DISTINCT u.agency_id) FROM ("  # noqa: S608 (the models' tables; statuses are parameters)
        f"SELECT t.agency_id FROM {award} a JOIN {response} r ON r.id = a.response_id "
        f"JOIN {tender} t ON t.id = a.tender_id "
        f"WHERE r.offer_id = {offer_id_column} AND t.status IN ({', '.join(['%s'] * len(statuses))}) "
        f"UNION ALL SELECT o.agency_id FROM {order} o "
        f"WHERE o.offer_id = {offer_id_column} AND o.status = %s AND o.decided_at IS NOT NULL) u"
    )
    return sql, [*statuses, OrderStatus.ACCEPTED]


# --------------------------------------------------------------------------
# Award decision, standstill and complaints


@dataclass(frozen=True)
class DecisionNotice:
    """What a reader may know of a tender's award decision. ``own`` is the
    reader's ranked response (a tenderer), ``ranking`` every ranked
    response (the buyer and the operator only), ``winner`` the winner's row
    (tenderers, the buyer and the operator: R2181-3)."""

    tender: Tender
    award: object | None  # Award
    withdrawn: list
    ranking: list[RankedResponse]
    own: RankedResponse | None
    winner: RankedResponse | None
    complaints: list
    standstill_running: bool
    is_buyer: bool
    is_tenderer: bool


def complaints_visible_to(user, tender: Tender) -> QuerySet:
    """The buyer and the operator see every complaint of the tender, a
    provider its own; nobody else any."""
    from tenders.models import Complaint

    qs = Complaint.objects.filter(tender=tender).select_related("provider")
    if catalog_selectors.is_operator(user):
        return qs
    agency = agency_of(user)
    if agency and agency.pk == tender.agency_id:
        return qs
    provider = catalog_selectors.provider_of(user)
    return qs.filter(provider_id=provider.pk) if provider else qs.none()


def decision_notice(user, tender: Tender) -> DecisionNotice:
    from tenders.models import Award, WithdrawnAward

    award = (
        Award.objects.select_related("response__provider", "response__offer")
        .filter(tender_id=tender.pk)
        .first()
    )
    withdrawn = list(
        WithdrawnAward.objects.filter(tender_id=tender.pk).select_related("response__provider")
    )
    agency = agency_of(user)
    is_buyer = bool(agency and agency.pk == tender.agency_id) or catalog_selectors.is_operator(user)
    provider = catalog_selectors.provider_of(user)
    ranked: list[RankedResponse] = []
    if not responses_sealed(tender):
        live = list(
            TenderResponse.objects.filter(
                tender=tender, status=ResponseStatus.SUBMITTED
            ).select_related("provider", "offer")
        )
        ranked = ranking(live, tender)
    own = next((r for r in ranked if provider and r.response.provider_id == provider.pk), None)
    winner = next((r for r in ranked if award and r.response.pk == award.response_id), None)
    return DecisionNotice(
        tender=tender,
        award=award,
        withdrawn=withdrawn,
        ranking=ranked if is_buyer else [],
        own=own,
        winner=winner if (is_buyer or own) else None,
        complaints=list(complaints_visible_to(user, tender)),
        standstill_running=bool(
            award
            and award.standstill_ends_at
            and tender.status == TenderStatus.AWARDED
            and timezone.now() < award.standstill_ends_at
        ),
        is_buyer=is_buyer,
        is_tenderer=own is not None,
    )
