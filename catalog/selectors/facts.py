"""The policy and the facts of the offers, as the pure engine's plain data
(catalog.policy): read in bulk, as tuples, for a re-assessment run."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from catalog import policy
from catalog.models import (
    Certification,
    DataFlag,
    LevelCertificationRequirement,
    Offer,
    OfferAssessment,
    OwnershipStake,
    PolicyVersion,
    Provider,
    SchemeEquivalence,
    SchemeVersionSunset,
    SensitivityLevel,
    Subcontractor,
)


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
        for (
            provider_id,
            holder,
            country,
            capital,
            voting,
            veto,
            board,
        ) in OwnershipStake.objects.filter(provider_id__in=provider_ids).values_list(
            "provider_id",
            "holder_name",
            "holder_country",
            "capital_pct",
            "voting_pct",
            "has_veto",
            "has_board_majority",
        ):
            stakes.setdefault(provider_id, []).append(
                policy.Stake(holder, country, capital, voting, veto, board)
            )
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


def offer_facts(offer_ids: Iterable[int]) -> list[policy.OfferFacts]:
    reader = FactsReader()
    return [reader.facts(pk, key) for pk, key in reader.inputs(offer_ids)]
