"""Every read of the catalogue that scopes or shapes a query."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    Exists,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from catalog import policy
from catalog.models import (
    Attestation,
    Certification,
    CertificationStatus,
    DataFlag,
    LevelCertificationRequirement,
    Offer,
    OfferAssessment,
    OfferStatus,
    OwnershipStake,
    PolicyVersion,
    Provider,
    ProviderMembership,
    ProviderStatus,
    SchemeEquivalence,
    SchemeVersionSunset,
    SensitivityLevel,
    Subcontractor,
    SupplierDeclaration,
)
from core import feed

SEARCH_CONFIG = "french"


def fold(text: str) -> str:
    """Lower-case and strip accents. pgserver ships no `unaccent`, so the
    search document and the query are folded the same way in Python."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    if decomposed.isascii():  # nothing to strip
        return decomposed.lower()
    return "".join(itertools.filterfalse(unicodedata.combining, decomposed)).lower()


# --------------------------------------------------------------------------
# Organisations


def provider_of(user) -> Provider | None:
    """The provider a user acts for, or None (anonymous, agency, operator)."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = (
        ProviderMembership.objects.select_related("provider").filter(user_id=user.pk).first()
    )
    return membership.provider if membership else None


def is_operator(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_staff)


def providers_visible_to(user) -> QuerySet[Provider]:
    qs = Provider.objects.prefetch_related("stakes")
    if is_operator(user):
        return qs
    own = provider_of(user)
    visible = Q(status=ProviderStatus.ACTIVE)
    if own:
        visible |= Q(pk=own.pk)
    return qs.filter(visible)


def providers_editable_by(user) -> QuerySet[Provider]:
    own = provider_of(user)
    if own is None:
        return Provider.objects.none()
    return Provider.objects.prefetch_related("stakes").filter(pk=own.pk)


# --------------------------------------------------------------------------
# Offers


def _offer_shape(qs: QuerySet[Offer]) -> QuerySet[Offer]:
    return qs.select_related("provider", "assessment").prefetch_related(
        "subcontractors",
        Prefetch(
            "certifications",
            queryset=Certification.objects.select_related("scheme").only(
                "id",
                "scheme__code",
                "scheme__name",
                "scheme_version",
                "reference",
                "status",
                "verification",
                "issued_on",
                "expires_on",
                "provider_id",
            ),
        ),
    )


def offers_visible_to(user) -> QuerySet[Offer]:
    """Published offers of active providers for everyone; a provider's members
    also see their own drafts and withdrawn offers; operators see all."""
    qs = _offer_shape(Offer.objects.all())
    if is_operator(user):
        return qs
    public = Q(status=OfferStatus.PUBLISHED, provider__status=ProviderStatus.ACTIVE)
    own = provider_of(user)
    if own:
        public |= Q(provider_id=own.pk)
    return qs.filter(public)


def offers_editable_by(user) -> QuerySet[Offer]:
    own = provider_of(user)
    if own is None:
        return Offer.objects.none()
    return _offer_shape(Offer.objects.filter(provider_id=own.pk))


def offers_filter(
    qs: QuerySet[Offer],
    *,
    level: str | None = None,
    flags: Iterable[str] = (),
    category: str | None = None,
    location: str | None = None,
    certification: str | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    q: str | None = None,
) -> QuerySet[Offer]:
    """The catalogue filters, shared by the API and the web UI. Arguments
    are already validated (see catalog.api.OfferFilterSerializer)."""
    if level:
        rank = SensitivityLevel.objects.filter(code=level).values("rank")[:1]
        qs = qs.filter(assessment__level_rank__gte=Subquery(rank))
    flags = [flag for flag in flags if flag]
    if flags:
        qs = qs.filter(assessment__flags__contains=flags)
    if category:
        qs = qs.filter(category=category)
    if location:
        countries = sorted(policy.EU) if location == "EU" else [location]
        qs = qs.filter(data_countries__contained_by=countries).exclude(data_countries=[])
    if certification:
        today = timezone.localdate()
        qs = qs.filter(
            Exists(
                Certification.objects.filter(
                    scope_offers=OuterRef("pk"),
                    scheme__code=certification,
                    status=CertificationStatus.VALID,
                    verification=Certification.Verification.VERIFIED,
                ).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            )
        )
    if min_price is not None:
        qs = qs.filter(normalised_price__gte=min_price)
    if max_price is not None:
        qs = qs.filter(normalised_price__lte=max_price)
    if q:
        query = SearchQuery(fold(q), config=SEARCH_CONFIG, search_type="websearch")
        qs = qs.filter(search_document=query).annotate(
            search_rank=SearchRank(F("search_document"), query)
        )
    return qs


# --------------------------------------------------------------------------
# Certifications


def certifications_visible_to(user) -> QuerySet[Certification]:
    """Certificates are public facts once verified; a provider sees all of its
    own, operators see everything."""
    qs = Certification.objects.select_related("scheme", "provider").prefetch_related(
        Prefetch("scope_offers", queryset=Offer.objects.only("id", "name"))
    )
    if is_operator(user):
        return qs
    visible = Q(
        verification=Certification.Verification.VERIFIED, provider__status=ProviderStatus.ACTIVE
    )
    own = provider_of(user)
    if own:
        visible |= Q(provider_id=own.pk)
    return qs.filter(visible)


def certifications_editable_by(user) -> QuerySet[Certification]:
    own = provider_of(user)
    if own is None:
        return Certification.objects.none()
    return (
        Certification.objects.select_related("scheme", "provider")
        .prefetch_related("scope_offers")
        .filter(provider_id=own.pk)
    )


# --------------------------------------------------------------------------
# The policy, as the pure engine's plain data


def policy_version_current() -> int:
    return PolicyVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0


def policy_current() -> policy.Policy:
    requirements: dict[int, list[policy.CertRequirement]] = {}
    for req in LevelCertificationRequirement.objects.select_related("scheme"):
        requirements.setdefault(req.level_id, []).append(
            policy.CertRequirement(req.scheme.code, req.min_version, req.min_assurance)
        )
    levels = tuple(
        policy.LevelPolicy(
            code=lv.code,
            rank=lv.rank,
            grantable=lv.grantable,
            data_zone=lv.data_zone,
            administration_zone=lv.administration_zone,
            support_zone=lv.support_zone,
            requires_eu_control=lv.requires_eu_control,
            max_non_eu_holder_pct=lv.max_non_eu_holder_pct,
            max_non_eu_total_pct=lv.max_non_eu_total_pct,
            forbid_non_eu_data_subcontractors=lv.forbid_non_eu_data_subcontractors,
            requires_dr_support=lv.requires_dr_support,
            certification_requirements=tuple(
                sorted(requirements.get(lv.pk, []), key=lambda r: r.scheme)
            ),
        )
        for lv in SensitivityLevel.objects.order_by("rank")
    )
    flags = tuple(
        policy.FlagPolicy(
            code=flag.code,
            storage_zone=flag.storage_zone,
            required_scheme=flag.required_scheme.code if flag.required_scheme else "",
            required_min_version=flag.required_min_version,
        )
        for flag in DataFlag.objects.select_related("required_scheme").order_by("code")
    )
    equivalences = tuple(
        policy.Equivalence(eq.scheme.code, eq.counts_as.code, eq.counts_as_version)
        for eq in SchemeEquivalence.objects.select_related("scheme", "counts_as")
    )
    sunsets = tuple(
        policy.Sunset(s.scheme.code, s.version_below, s.invalid_after)
        for s in SchemeVersionSunset.objects.select_related("scheme")
    )
    return policy.Policy(
        version=policy_version_current(),
        levels=levels,
        flags=flags,
        equivalences=equivalences,
        sunsets=sunsets,
    )


class FactsReader:
    """The policy engine's inputs, read as tuples (no model instances).

    ``inputs`` gives each offer a compact key built from ids and plain
    values — provider, locations, DR support, the certificates whose scope
    holds the offer, subcontractors, and last the category (which only
    flags read: ``key[:-1]`` keys ``policy.assess_levels``) — equal for two
    offers exactly when the engine sees the same facts (it never reads the
    offer's id); ``facts`` builds the engine's dataclasses for a key. A provider's
    seats, stakes and certificates are read once per reader: one reader
    serves one re-assessment run.
    """

    def __init__(self) -> None:
        self._providers: dict[int, tuple[policy.ProviderFacts, tuple[tuple, ...]]] = {}

    def inputs(self, offer_ids: Iterable[int]) -> list[tuple[int, tuple]]:
        # Plain SQL with one array parameter: an ``__in`` of thousands of ids
        # costs Django and psycopg more per id than the query does.
        ids = list(offer_ids)
        offer = Offer._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                # The six location arrays as one text (e.g. "{FR}|{DE,FR}|..."):
                # a key as it is, parsed once per distinct key by ``facts``.
                f"""SELECT id, provider_id,
                           concat_ws('|', storage_countries::text, processing_countries::text,
                                     backup_countries::text, technical_data_countries::text,
                                     administration_countries::text, support_countries::text),
                           support_documented, dr_support, category
                    FROM {offer} WHERE id = ANY(%s) ORDER BY id""",  # noqa: S608 (model table)
                [ids],
            )
            rows = cursor.fetchall()
            cursor.execute(
                f"SELECT offer_id, certification_id FROM {Certification.scope_offers.through._meta.db_table} "  # noqa: S608
                "WHERE offer_id = ANY(%s)",
                [ids],
            )
            scope_rows = cursor.fetchall()
            cursor.execute(
                f"""SELECT s.offer_id, s.name, s.country, s.has_data_access, s.catalog_offer_id,
                           a.level, a.level_rank
                    FROM {Subcontractor._meta.db_table} s
                    LEFT JOIN {OfferAssessment._meta.db_table} a ON a.offer_id = s.catalog_offer_id
                    WHERE s.offer_id = ANY(%s) ORDER BY s.offer_id, s.id""",  # noqa: S608
                [ids],
            )
            subcontractor_rows = cursor.fetchall()
        self._providers_read({row[1] for row in rows} - self._providers.keys())
        scopes: dict[int, list[int]] = {}
        for offer_id, cert_id in scope_rows:
            scopes.setdefault(offer_id, []).append(cert_id)
        subcontractors: dict[int, list[policy.SubcontractorFacts]] = {}
        for offer_id, name, country, access, chain_id, level, rank in subcontractor_rows:
            subcontractors.setdefault(offer_id, []).append(
                policy.SubcontractorFacts(
                    name=name,
                    country=country,
                    has_data_access=access,
                    in_catalog=chain_id is not None,
                    chain_level=level,
                    chain_rank=rank,
                )
            )
        return [
            (
                pk,
                (
                    provider_id,
                    places,
                    documented,
                    dr,
                    frozenset(scopes.get(pk, ())),
                    tuple(subcontractors.get(pk, ())),
                    category,
                ),
            )
            for pk, provider_id, places, documented, dr, category in rows
        ]

    def _providers_read(self, provider_ids: set[int]) -> None:
        if not provider_ids:
            return
        stakes: dict[int, list[policy.Stake]] = {}
        for provider_id, *stake in OwnershipStake.objects.filter(
            provider_id__in=provider_ids
        ).values_list(
            "provider_id",
            "holder_name",
            "holder_country",
            "capital_pct",
            "voting_pct",
            "has_veto",
            "has_board_majority",
        ):
            stakes.setdefault(provider_id, []).append(policy.Stake(*stake))
        certs: dict[int, list[tuple]] = {}
        # The model's order (scheme, latest expiry first), then the id: the
        # engine prefers, among equals, the certificate it meets first.
        for provider_id, *cert in (
            Certification.objects.filter(provider_id__in=provider_ids)
            .order_by("scheme__code", "-expires_on", "pk")
            .values_list(
                "provider_id",
                "pk",
                "scheme__code",
                "reference",
                "scheme_version",
                "assurance",
                "status",
                "verification",
                "issued_on",
                "expires_on",
                "hds_activities",
            )
        ):
            certs.setdefault(provider_id, []).append(tuple(cert))
        for pk, name, registered, central, main in Provider.objects.filter(
            pk__in=provider_ids
        ).values_list(
            "pk",
            "name",
            "registered_office_country",
            "central_administration_country",
            "main_establishment_country",
        ):
            self._providers[pk] = (
                policy.ProviderFacts(
                    name=name,
                    registered_office_country=registered,
                    central_administration_country=central,
                    main_establishment_country=main,
                    stakes=tuple(stakes.get(pk, ())),
                ),
                tuple(certs.get(pk, ())),
            )

    def facts(self, offer_id: int, key: tuple) -> policy.OfferFacts:
        provider_id, places, documented, dr, scope, subcontractors, category = key
        provider, certs = self._providers[provider_id]
        return policy.OfferFacts(
            id=offer_id,
            provider=provider,
            # Country codes are two letters: PostgreSQL never quotes them.
            locations={
                role: tuple(text.strip("{}").split(",")) if text != "{}" else ()
                for role, text in zip(policy.LOCATION_ROLES, places.split("|"), strict=True)
            },
            support_documented=documented,
            dr_support=dr,
            certifications=tuple(
                policy.CertFacts(
                    id=pk,
                    scheme=scheme,
                    reference=reference,
                    version=version,
                    assurance=assurance,
                    status=status,
                    verification=verification,
                    issued_on=issued_on,
                    expires_on=expires_on,
                    covers_offer=pk in scope,
                    hds_activities=tuple(activities),
                )
                for pk, scheme, reference, version, assurance, status, verification, issued_on, expires_on, activities in certs
            ),
            subcontractors=subcontractors,
            category=category,
        )


def offers_by_provider(offer_ids: Iterable[int]) -> list[int]:
    """These offer ids, each once, by provider then id; ids of no offer last."""
    ids = sorted(set(offer_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Offer._meta.db_table} WHERE id = ANY(%s) ORDER BY provider_id, id",  # noqa: S608
            [ids],
        )
        found = [pk for (pk,) in cursor.fetchall()]
    missing = set(ids).difference(found)
    return found + [pk for pk in ids if pk in missing]


def offer_facts(offer_ids: Iterable[int]) -> list[policy.OfferFacts]:
    reader = FactsReader()
    return [reader.facts(pk, key) for pk, key in reader.inputs(offer_ids)]


def offers_depending_on(offer_ids: Iterable[int]) -> list[int]:
    """Offers that use one of these offers as a subcontractor."""
    return list(
        Offer.objects.filter(subcontractors__catalog_offer_id__in=list(offer_ids))
        .values_list("pk", flat=True)
        .distinct()
    )


# --------------------------------------------------------------------------
# Change feed (see core.feed)

# One feed for every app (core.feed); re-exported for the catalogue's readers.
FEED_MAX_LIMIT = feed.FEED_MAX_LIMIT
FeedEvent = feed.FeedEvent
FeedPage = feed.FeedPage
feed_cursor_encode = feed.cursor_encode
feed_cursor_decode = feed.cursor_decode
changes_since = feed.changes_since


def offer_ids_of_changes(events: list[FeedEvent]) -> list[int]:
    """Offer ids in the order of their last change in the page; a provider's
    change stands for each of its offers."""
    provider_ids = [e.entity_id for e in events if e.entity == "provider"]
    offers_of = {}
    if provider_ids:
        for offer_id, provider_id in Offer.objects.filter(provider_id__in=provider_ids).values_list(
            "pk", "provider_id"
        ):
            offers_of.setdefault(provider_id, []).append(offer_id)
    ordered: dict[int, None] = {}
    for event in events:
        ids = (
            offers_of.get(event.entity_id, []) if event.entity == "provider" else [event.entity_id]
        )
        for offer_id in ids:
            ordered.pop(offer_id, None)
            ordered[offer_id] = None
    return list(ordered)


# --------------------------------------------------------------------------
# Supplier declarations and attestations: private to their provider and the
# operator (a buyer reads a provider's status, "documents valid", not them).


def declaration_current(provider: Provider) -> SupplierDeclaration | None:
    return (
        SupplierDeclaration.objects.filter(provider=provider).order_by("-signed_at", "-id").first()
    )


def attestations_current(provider: Provider) -> dict[str, Attestation]:
    """The attestation that counts for each kind: the one expiring last."""
    latest: dict[str, Attestation] = {}
    for attestation in Attestation.objects.filter(provider=provider).order_by(
        "kind", "-expires_on", "-id"
    ):
        latest.setdefault(attestation.kind, attestation)
    return latest


def declarations_visible_to(user) -> QuerySet[SupplierDeclaration]:
    qs = SupplierDeclaration.objects.select_related("provider")
    if is_operator(user):
        return qs
    own = provider_of(user)
    return qs.filter(provider_id=own.pk) if own else qs.none()


def attestations_visible_to(user) -> QuerySet[Attestation]:
    qs = Attestation.objects.select_related("provider")
    if is_operator(user):
        return qs
    own = provider_of(user)
    return qs.filter(provider_id=own.pk) if own else qs.none()


def _latest_only(qs: QuerySet, *, partition: tuple[str, ...], order: tuple[str, ...]) -> QuerySet:
    """Rows that are the latest of their partition (a newer one supersedes)."""
    model = qs.model
    newest = (
        model.objects.filter(**{f: OuterRef(f) for f in partition})
        .order_by(*order)
        .values("pk")[:1]
    )
    return qs.filter(pk=Subquery(newest))


def declarations_expiring(
    qs: QuerySet[SupplierDeclaration], *, within_days: int, today=None
) -> QuerySet[SupplierDeclaration]:
    """Current declarations whose validity ends within ``within_days``
    (already expired ones included: they need a signature just as much)."""
    today = today or timezone.localdate()
    qs = _latest_only(qs, partition=("provider",), order=("-signed_at", "-id"))
    return qs.filter(valid_until__lte=today + timedelta(days=within_days)).order_by(
        "valid_until", "id"
    )


def attestations_expiring(
    qs: QuerySet[Attestation], *, within_days: int, today=None
) -> QuerySet[Attestation]:
    today = today or timezone.localdate()
    qs = _latest_only(qs, partition=("provider", "kind"), order=("-expires_on", "-id"))
    return qs.filter(expires_on__lte=today + timedelta(days=within_days)).order_by(
        "expires_on", "id"
    )


# --------------------------------------------------------------------------
# Reuse: the public bodies using an offer ("agencies using", FedRAMP-style)

_usage_reader = None
_usage_count_sql = None


def offer_usage_register(reader, count_sql=None) -> None:
    """The demand side knows which public bodies awarded or ordered an
    offer; the catalogue knows no other app, so ``tenders`` registers its
    reader here when it starts (tenders.apps), and ``count_sql(column)``,
    the number of those bodies as a correlated subquery (sql, params)."""
    global _usage_reader, _usage_count_sql
    _usage_reader = reader
    _usage_count_sql = count_sql


def offers_used_by_count() -> Expression:
    """Per offer row, ``len(offers_used_by([offer])[offer])``, inside the
    query that reads the offers (no query of its own)."""
    if _usage_count_sql is None:
        return Value(0, output_field=IntegerField())
    sql, params = _usage_count_sql(f'"{Offer._meta.db_table}"."id"')
    return RawSQL(sql, params, output_field=IntegerField())  # noqa: S611 (tables and statuses are the code's own)


def offers_used_by(offer_ids: Iterable[int]) -> dict[int, list[dict]]:
    """Per offer id, the public bodies that awarded it (once the award is
    public) or ordered it (once accepted): ``{"name", "slug", "since"}``,
    oldest first; offers nobody uses are absent. A constant number of
    queries for any number of offers."""
    if _usage_reader is None:
        return {}
    return _usage_reader(list(offer_ids))
