"""The providers of a scale load (with their stakes and certificates),
and the policy engine's assessments of their offers, computed once per kind
of provider, location profile, DR support and category."""

# SQL here is assembled from this package's own constants, never from input.
# ruff: noqa: S608

from __future__ import annotations

import hashlib
import json
import random
import time
from datetime import date
from decimal import Decimal

from django.utils import timezone

from bench.scale.data import (
    CERT_DATES,
    CERT_ID_STANDIN,
    CERT_ISSUED_ON,
    CITIES,
    LOCATION_PROFILES,
    PROVIDER_PROFILES,
    REFERENCE_PREFIX,
    SLUG_PREFIX,
)
from bench.scale.sql import SeedError, copy_rows, copy_text, reserve_ids
from catalog import policy, selectors
from catalog.services import digest_payload


def _pick(rng: random.Random, weighted: dict) -> str:
    return rng.choices(list(weighted), weights=[v["weight"] for v in weighted.values()])[0]


def luhn_complete(digits: str) -> str:
    """Append the check digit that makes ``digits`` pass the Luhn test."""
    for check in "0123456789":
        candidate = digits + check
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            n = int(ch) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def _reference_standin(i: int) -> str:
    return f"@@certificate-{i}@@"


class ProviderLoader:
    """Loads the providers; keeps what the offers and tenders need of them."""

    def __init__(self, cursor, rng: random.Random, timings: dict[str, float]):
        self.cursor = cursor
        self.rng = rng
        self.timings = timings
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.policy = selectors.policy_current()
        schemes = dict(self._rows("SELECT code, id FROM catalog_certificationscheme"))
        self.scheme_ids = schemes
        # Published offers of active providers -> provider, for the awards.
        # Kept in memory: asking the freshly loaded, not yet analysed tables
        # chose a plan that ran for minutes at 1M offers.
        self.offer_provider: dict[int, int] = {}
        # Engine results by (provider template key, location, DR, category),
        # as indexes into the distinct rendered results; and the distinct
        # assessments by (provider id, template).
        self.template_of: dict[tuple, int] = {}
        self.template_index: dict[tuple, int] = {}
        self.templates: list[tuple] = []
        self.result_of: dict[tuple[int, int], int] = {}
        self.engine_runs = 0
        self.distinct_results = 0

    def _rows(self, sql: str, params=None) -> list[tuple]:
        self.cursor.execute(sql, params or [])
        return self.cursor.fetchall()

    def _timed(self, name: str, t: float) -> None:
        self.timings[name] = time.perf_counter() - t

    # ----------------------------------------------------------------------

    def providers(self, n: int) -> list[dict]:
        t = time.perf_counter()
        rng, now = self.rng, self.now
        ids = reserve_ids(self.cursor, "catalog_provider", n)
        providers = []
        for i, pk in enumerate(ids):
            profile = _pick(rng, PROVIDER_PROFILES)
            spec = PROVIDER_PROFILES[profile]
            # One certificate in twelve is not usable (pending verification,
            # expired or in progress), as in a real register.
            certs = []
            for scheme, version, assurance, activities in spec["certs"]:
                roll = rng.random()
                status, verification = "valid", "verified"
                if roll < 0.04:
                    verification = "pending"
                elif roll < 0.06:
                    status = "expired"
                elif roll < 0.08 and scheme == "SECNUMCLOUD":
                    status = "j1"
                certs.append(
                    dict(
                        scheme=scheme,
                        version=version,
                        assurance=assurance,
                        hds_activities=list(activities),
                        status=status,
                        verification=verification,
                    )
                )
            # A provider runs its offers in one or two places (its own
            # datacentres), not in every location profile.
            locations = [_pick(rng, LOCATION_PROFILES)]
            if rng.random() < 0.5:
                locations.append(_pick(rng, LOCATION_PROFILES))
            providers.append(
                dict(
                    id=pk,
                    locations=locations,
                    profile=profile,
                    seats=spec["seats"],
                    stakes=spec["stakes"],
                    certs=certs,
                    name=f"{rng.choice(['Nuage', 'Cloud', 'Hébergement', 'Datacentre', 'Numérique'])} "
                    f"{rng.choice(CITIES)} {i + 1}",
                    status="suspended" if rng.random() < 0.02 else "active",
                )
            )
        copy_rows(
            self.cursor,
            "catalog_provider",
            [
                "id",
                "name",
                "slug",
                "siren",
                "vat_number",
                "registered_office_country",
                "central_administration_country",
                "main_establishment_country",
                "is_sme",
                "website",
                "description",
                "status",
                "status_reason",
                "created_at",
                "updated_at",
            ],
            (
                (
                    p["id"],
                    p["name"],
                    f"{SLUG_PREFIX}{p['id']}",
                    luhn_complete(f"{p['id'] % 10**8:08d}") if p["seats"][0] == "FR" else "",
                    "",
                    *p["seats"],
                    rng.random() < 0.6,
                    "",
                    f"Fournisseur {p['profile']}",
                    p["status"],
                    "",
                    now,
                    now,
                )
                for p in providers
            ),
        )
        copy_rows(
            self.cursor,
            "catalog_ownershipstake",
            [
                "provider_id",
                "holder_name",
                "holder_country",
                "capital_pct",
                "voting_pct",
                "has_veto",
                "has_board_majority",
            ],
            (
                (p["id"], holder, country, capital, voting, False, capital > 50)
                for p in providers
                for holder, country, capital, voting in p["stakes"]
            ),
        )
        cert_ids = iter(
            reserve_ids(
                self.cursor, "catalog_certification", sum(len(p["certs"]) for p in providers)
            )
        )
        for p in providers:
            for cert in p["certs"]:
                cert["id"] = next(cert_ids)
                cert["reference"] = f"{REFERENCE_PREFIX}{cert['scheme']}-{p['id']}"
                cert["expires_on"] = (
                    date(2025, 12, 31)
                    if cert["status"] == "expired"
                    else CERT_DATES[cert["scheme"]]
                )
        copy_rows(
            self.cursor,
            "catalog_certification",
            [
                "id",
                "provider_id",
                "scheme_id",
                "scheme_version",
                "assurance",
                "reference",
                "status",
                "issued_on",
                "expires_on",
                "scope_countries",
                "hds_activities",
                "evidence",
                "evidence_sha256",
                "evidence_url",
                "verification",
                "verification_reason",
                "verified_at",
                "created_at",
                "updated_at",
            ],
            (
                (
                    c["id"],
                    p["id"],
                    self.scheme_ids[c["scheme"]],
                    c["version"],
                    c["assurance"],
                    c["reference"],
                    c["status"],
                    CERT_ISSUED_ON,
                    c["expires_on"],
                    [],
                    c["hds_activities"],
                    "",
                    "",
                    "",
                    c["verification"],
                    "",
                    now if c["verification"] == "verified" else None,
                    now,
                    now,
                )
                for p in providers
                for c in p["certs"]
            ),
        )
        self._timed("providers", t)
        return providers

    def _provider_template_key(self, provider: dict) -> str:
        """What the engine sees of a provider, its certificates written with
        stand-ins for their ids and references: providers of one profile
        whose certificates are in the same states share every result."""
        return repr((self._provider_facts(provider), self._cert_facts(provider)))

    @staticmethod
    def _provider_facts(provider: dict) -> policy.ProviderFacts:
        return policy.ProviderFacts(
            name="",
            registered_office_country=provider["seats"][0],
            central_administration_country=provider["seats"][1],
            main_establishment_country=provider["seats"][2],
            stakes=tuple(
                policy.Stake(h, c, Decimal(cap), Decimal(vot), False, cap > 50)
                for h, c, cap, vot in provider["stakes"]
            ),
        )

    @staticmethod
    def _cert_facts(provider: dict) -> tuple[policy.CertFacts, ...]:
        # As catalog.selectors.FactsReader reads them: every certificate of
        # the provider has every one of its offers in scope, and they come
        # in the order (scheme, latest expiry first, id).
        order = sorted(
            range(len(provider["certs"])),
            key=lambda i: (
                provider["certs"][i]["scheme"],
                -provider["certs"][i]["expires_on"].toordinal(),
                provider["certs"][i]["id"],
            ),
        )
        return tuple(
            policy.CertFacts(
                id=CERT_ID_STANDIN + i,
                scheme=c["scheme"],
                reference=_reference_standin(i),
                version=c["version"],
                assurance=c["assurance"],
                status=c["status"],
                verification=c["verification"],
                issued_on=CERT_ISSUED_ON,
                expires_on=c["expires_on"],
                covers_offer=True,
                hds_activities=tuple(c["hds_activities"]),
            )
            for i, c in ((i, provider["certs"][i]) for i in order)
        )

    def _template(self, provider: dict, location: str, dr: bool, category: str) -> int:
        """Index of the engine's result (COPY-ready texts, certificate ids
        and references still stand-ins) for the offers of this kind of
        provider, location profile, DR support and category."""
        key = (provider["template_key"], location, dr, category)
        index = self.template_of.get(key)
        if index is not None:
            return index
        facts = policy.OfferFacts(
            id=0,
            provider=self._provider_facts(provider),
            locations={
                role: tuple(countries)
                for role, countries in zip(
                    policy.LOCATION_ROLES, LOCATION_PROFILES[location]["where"], strict=True
                )
            },
            support_documented=LOCATION_PROFILES[location]["documented"],
            dr_support=dr,
            certifications=self._cert_facts(provider),
            category=category,
        )
        result = policy.assess(facts, self.policy, self.today)
        self.engine_runs += 1
        rendered = (
            result.level,
            str(result.level_rank),
            copy_text(result.flags),
            copy_text(json.dumps(result.checks_data(), ensure_ascii=False, default=str)),
            copy_text(json.dumps(result.relied_certificates, ensure_ascii=False, default=str)),
            digest_payload(result, self.policy.version),
        )
        index = self.template_index.setdefault(rendered, len(self.templates))
        if index == len(self.templates):
            self.templates.append(rendered)
        self.template_of[key] = index
        return index

    def _result_line(self, index: int, provider: dict, template: int) -> str:
        """One distinct assessment: the template with the provider's own
        certificate ids and references, and the digest of that text."""
        level, rank, flags, checks, relied, payload = self.templates[template]
        for i, cert in enumerate(provider["certs"]):
            standin, real = str(CERT_ID_STANDIN + i), str(cert["id"])
            ref_standin = _reference_standin(i)
            checks = checks.replace(standin, real).replace(ref_standin, cert["reference"])
            relied = relied.replace(standin, real).replace(ref_standin, cert["reference"])
            payload = payload.replace(standin, real).replace(ref_standin, cert["reference"])
        digest = hashlib.sha256(payload.encode()).hexdigest()
        return f"{index}\t{level}\t{rank}\t{flags}\t{checks}\t{relied}\t{digest}"

    def _lexemes(self, texts: list[str]) -> list[list[tuple[str, list[int]]]]:
        """to_tsvector of each (already folded) text, as (lexeme, positions)."""
        found: list[list[tuple[str, list[int]]]] = [[] for _ in texts]
        for i, lexeme, positions in self._rows(
            f"""SELECT t.i, v.lexeme, v.positions
                FROM unnest(%s::text[]) WITH ORDINALITY AS t(txt, i),
                     unnest(to_tsvector('{selectors.SEARCH_CONFIG}'::regconfig, t.txt)) AS v""",  # noqa: S608
            [texts],
        ):
            if "\\" in lexeme or "\t" in lexeme:
                raise SeedError(f"Unexpected lexeme {lexeme!r}")
            found[i - 1].append((lexeme.replace("'", "''"), list(positions)))
        return found
