"""A national-scale marketplace for benchmarks, loaded with PostgreSQL COPY.

    python manage.py seed_scale --offers 1000000 --providers 10000 --tenders 100000
    python manage.py seed_scale --reset --offers 20000 --database-url postgresql://...

Every scale row is marked (provider and agency slugs start with ``scale-``,
tender and order references with ``SCALE-``) so that ``--reset`` removes
exactly what an earlier run added and nothing else.

Assessments are genuine outputs of the pure policy engine, equal to what
``offers_assess`` computes on each offer's own facts (the test compares
every one): the engine runs once per kind of provider (profile, states of
its certificates), location profile, DR support and category, with
stand-ins for the certificate ids and references; each provider's
assessments substitute its own in the rendered JSON and digest text. Each
distinct assessment is COPYed once and joined to its offers.

The change-feed triggers (catalog/migrations/0004, tenders/migrations/0002)
are disabled inside the load transaction (``ALTER TABLE ... DISABLE TRIGGER
USER``) and enabled again before it commits: a bulk baseline is not a
stream of changes (a mirror starts from a full snapshot), and one feed row
per offer and assessment would double the write volume. The ALTER TABLE
takes an exclusive lock on those tables for the load's duration, which a
seed on a dedicated database can afford.

The search document is assembled, not computed per row: PostgreSQL gives
the lexemes of each text fragment once (names, provider names, a pool of
descriptions), and each offer's tsvector is written as tsvector input
(positions shifted as ``||`` shifts them), COPYed with the offer. Secondary
indexes are built after the load; as a superuser the load runs without
per-row foreign-key triggers and checks every key once, set-based.
"""

# SQL here is assembled from this module's own constants, never from input.
# ruff: noqa: S608

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from catalog import policy, selectors, units
from catalog.services import digest_payload
from tenders.services import procedure_for

SLUG_PREFIX = "scale-"
REFERENCE_PREFIX = "SCALE-"
CHUNK = 20_000

CATEGORIES = {
    # category: (CPV code, units of sale, normalised price range EUR excl. VAT, nouns)
    "iaas_compute": (
        "72514000-1",
        ["VCPU_HOUR", "VCPU_MONTH"],
        (5, 60),
        ["Calcul", "Machines virtuelles", "Serveurs dédiés"],
    ),
    "iaas_storage": (
        "72317000-0",
        ["GB_MONTH", "TB_MONTH"],
        (0.005, 0.1),
        ["Stockage objet", "Stockage bloc", "Archivage"],
    ),
    "backup": (
        "72910000-2",
        ["GB_MONTH", "TB_MONTH"],
        (0.01, 0.2),
        ["Sauvegarde", "Reprise d'activité", "Plan de continuité"],
    ),
    "paas_database": (
        "72320000-4",
        ["INSTANCE_HOUR", "INSTANCE_MONTH"],
        (20, 600),
        ["PostgreSQL managé", "Base de données", "Entrepôt de données"],
    ),
    "paas_containers": (
        "72416000-9",
        ["VCPU_MONTH", "VCPU_HOUR"],
        (8, 70),
        ["Kubernetes managé", "Conteneurs", "Plateforme applicative"],
    ),
    "saas_collaboration": (
        "72416000-9",
        ["USER_MONTH"],
        (2, 30),
        ["Messagerie", "Suite bureautique", "Visioconférence"],
    ),
    "saas_business": (
        "48000000-8",
        ["USER_MONTH"],
        (5, 80),
        ["Gestion financière", "Ressources humaines", "Gestion électronique de documents"],
    ),
    "hosting": (
        "72415000-2",
        ["SITE_MONTH"],
        (5, 200),
        ["Hébergement web", "Hébergement applicatif", "Sites publics"],
    ),
    "network": (
        "72700000-7",
        ["MBPS_MONTH"],
        (1, 30),
        ["Réseau privé", "Interconnexion", "Anti-DDoS"],
    ),
}
ADJECTIVES = [
    "souverain",
    "sécurisé",
    "haute disponibilité",
    "qualifié",
    "éco-conçu",
    "mutualisé",
    "dédié",
    "régional",
    "européen",
    "certifié",
    "élastique",
    "chiffré",
]
DESCRIPTION_WORDS = [
    "service",
    "hébergé",
    "données",
    "chiffrement",
    "réversibilité",
    "supervision",
    "disponibilité",
    "sauvegarde",
    "journalisation",
    "authentification",
    "réseau",
    "interopérabilité",
    "support",
    "français",
    "européen",
    "administration",
    "conformité",
    "RGPD",
    "santé",
    "collectivités",
    "ministères",
    "hôpitaux",
]
CITIES = [
    "Paris",
    "Lyon",
    "Lille",
    "Nantes",
    "Toulouse",
    "Strasbourg",
    "Rennes",
    "Bordeaux",
    "Marseille",
]

# Who the provider is: seats, ownership, certificates (scheme, version,
# assurance, HDS activities covered). Weights approximate a European market with many small
# uncertified providers and few SecNumCloud-qualified ones.
PROVIDER_PROFILES = {
    "sovereign_fr": dict(
        weight=15,
        seats=("FR", "FR", "FR"),
        stakes=[("Fondateurs", "FR", 70, 70), ("Fonds souverain", "DE", 30, 30)],
        certs=[
            ("SECNUMCLOUD", "3.2", "", ()),
            ("HDS", "2.0", "", (1, 2, 3, 4, 5, 6)),
            ("ISO27001", "2022", "", ()),
        ],
    ),
    "eu_certified": dict(
        weight=25,
        seats=("DE", "DE", "NL"),
        stakes=[
            ("Holding", "NL", 60, 60),
            ("US Ventures", "US", 20, 20),
            ("Salariés", "DE", 20, 20),
        ],
        # HDS for the infrastructure activities only: its platform and
        # software offers do not qualify for health data.
        certs=[("ISO27001", "2022", "", ()), ("HDS", "2.0", "", (1, 2, 3, 6))],
    ),
    "eu_iso": dict(
        weight=25,
        seats=("ES", "ES", "ES"),
        stakes=[("Familia", "ES", 100, 100)],
        certs=[("ISO27001", "2013", "", ())],
    ),
    "non_eu": dict(
        weight=15,
        seats=("US", "US", "IE"),
        stakes=[("Parent Corp", "US", 100, 100)],
        certs=[("ISO27001", "2022", "", ()), ("C5", "2020", "type2", ())],
    ),
    "uncertified": dict(
        weight=20, seats=("FR", "FR", "FR"), stakes=[("Gérant", "FR", 100, 100)], certs=[]
    ),
}
# Where the offer runs: storage, processing, backup, technical data,
# administration, support, support documented.
LOCATION_PROFILES = {
    "fr": dict(weight=25, where=(["FR"], ["FR"], ["FR"], ["FR"], ["FR"], ["FR"]), documented=False),
    "eu": dict(
        weight=35,
        where=(["DE", "FR"], ["DE"], ["NL"], ["DE"], ["DE"], ["DE", "FR"]),
        documented=False,
    ),
    "eu_offshore_support": dict(
        weight=15, where=(["FR"], ["FR"], ["DE"], ["FR"], ["FR"], ["FR", "MA"]), documented=True
    ),
    "adequacy": dict(
        weight=10, where=(["CH"], ["CH"], ["CH"], ["CH"], ["CH"], ["CH"]), documented=False
    ),
    "global": dict(
        weight=15,
        where=(["US", "IE"], ["US"], ["US"], ["US"], ["US"], ["US", "IN"]),
        documented=False,
    ),
}
TENDER_STATUSES = [
    ("published", 30),
    ("draft", 10),
    ("closed", 15),
    ("awarded", 30),
    ("unsuccessful", 5),
    ("cancelled", 10),
]
CERT_DATES = {
    "SECNUMCLOUD": date(2028, 6, 30),
    "HDS": date(2027, 12, 31),
    "ISO27001": date(2027, 3, 31),
    "C5": date(2027, 9, 30),
}


def _pick(rng: random.Random, weighted: dict) -> str:
    return rng.choices(list(weighted), weights=[v["weight"] for v in weighted.values()])[0]


def _luhn_complete(digits: str) -> str:
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


def _text(value) -> str:
    """One field in PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, list):
        return "{" + ",".join(str(v) for v in value) + "}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _copy_lines(cursor, table: str, columns: Iterable[str], lines: Iterable[str]) -> int:
    """COPY rows already written in COPY text format, one string each."""
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608 (constants)
        buffer = []
        for line in lines:
            buffer.append(line)
            count += 1
            if len(buffer) >= CHUNK:
                copy.write("\n".join(buffer) + "\n")
                buffer = []
        if buffer:
            copy.write("\n".join(buffer) + "\n")
    return count


def _copy(cursor, table: str, columns: Iterable[str], rows: Iterable[tuple]) -> int:
    return _copy_lines(cursor, table, columns, ("\t".join(_text(v) for v in row) for row in rows))


def _lexeme_text(entries: list[tuple[str, list[int]]], shift: int, weight: str) -> str:
    """Lexemes in tsvector input form, positions shifted as ``||`` shifts
    the right operand's (by the left one's highest position), weighted."""
    return " ".join(
        f"'{lexeme}':" + ",".join(f"{p + shift}{weight}" for p in positions)
        for lexeme, positions in entries
    )


def _reserve_ids(cursor, table: str, n: int) -> range:
    """``n`` consecutive ids from the table's identity sequence."""
    if n <= 0:
        return range(0)
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
        [table, table, n],
    )
    last = cursor.fetchone()[0]
    return range(last - n + 1, last + 1)


# A template result names a provider's certificates by these stand-ins;
# each provider's assessments replace them with its own ids and references.
CERT_ID_STANDIN = 987_650_000
CERT_ISSUED_ON = date(2023, 1, 1)
# Pre-rendered variants per fragment (prices per category, terms, descriptions).
POOL = 4096
OFFER_COLUMNS = [
    "id",
    "provider_id",
    "name",
    "description",
    "category",
    "cpv_code",
    "unit",
    "unit_price",
    "price_is_illustrative",
    "normalised_unit",
    "normalised_price",
    "minimum_commitment",
    "minimum_months",
    "capacity",
    "sla_pct",
    "storage_countries",
    "processing_countries",
    "backup_countries",
    "technical_data_countries",
    "administration_countries",
    "support_countries",
    "support_documented",
    "data_countries",
    "dr_support",
    "status",
    "created_at",
    "updated_at",
]


def _reference_standin(i: int) -> str:
    return f"@@certificate-{i}@@"


TRIGGER_TABLES = ["catalog_provider", "catalog_offer", "catalog_offerassessment", "tenders_tender"]


# Loaded in bulk: their secondary indexes are dropped for the load and built
# again after it.
BULK_TABLES = ["catalog_offer", "catalog_offerassessment", "catalog_certification_scope_offers"]


def _secondary_indexes_drop(cursor, tables: list[str]) -> list[str]:
    """Drop the tables' indexes that no constraint owns and return their
    definitions. Building an index once over a million rows costs a
    fraction of inserting every row into it (the GIN search index above
    all); the unique and primary keys stay, they guard the load."""
    cursor.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i
           WHERE i.indrelid = ANY(%s::regclass[])
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
           ORDER BY 1""",
        [tables],
    )
    found = cursor.fetchall()
    for name, _definition in found:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in found]


LOADED_TABLES = [
    "catalog_provider",
    "catalog_ownershipstake",
    "catalog_certification",
    "catalog_offer",
    "catalog_offerassessment",
    "catalog_certification_scope_offers",
    "tenders_agency",
    "tenders_tender",
    "tenders_tenderresponse",
    "tenders_award",
]


def _foreign_keys_check(cursor, tables: list[str]) -> None:
    """Every single-column foreign key of these tables, checked by one
    anti-join each; raise when a row points at nothing."""
    cursor.execute(
        """SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname
           FROM pg_constraint c
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
           WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
             AND c.conrelid = ANY(%s::regclass[])
           ORDER BY 1, 2""",
        [tables],
    )
    for table, column, target, target_column in cursor.fetchall():
        cursor.execute(
            f"""SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM {target} f WHERE f.{target_column} = t.{column})"""
        )
        missing = cursor.fetchone()[0]
        if missing:
            raise CommandError(f"{missing} rows of {table}.{column} point at no {target} row.")


def scale_reset(cursor) -> None:
    """Remove every row an earlier seed_scale added, children first."""
    tender_ids = f"SELECT id FROM tenders_tender WHERE reference LIKE '{REFERENCE_PREFIX}%%'"  # noqa: S608
    provider_ids = f"SELECT id FROM catalog_provider WHERE slug LIKE '{SLUG_PREFIX}%%'"  # noqa: S608
    offer_ids = f"SELECT id FROM catalog_offer WHERE provider_id IN ({provider_ids})"  # noqa: S608
    for table in TRIGGER_TABLES:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    statements = [
        f"DELETE FROM tenders_award WHERE tender_id IN ({tender_ids})",
        f"DELETE FROM tenders_tenderresponse WHERE tender_id IN ({tender_ids})",
        f"DELETE FROM tenders_shortlistentry WHERE tender_id IN ({tender_ids}) OR offer_id IN ({offer_ids})",
        f"DELETE FROM tenders_invitation WHERE tender_id IN ({tender_ids})",
        f"DELETE FROM tenders_tender WHERE id IN ({tender_ids})",
        f"DELETE FROM tenders_agency WHERE slug LIKE '{SLUG_PREFIX}%%'",
        f"DELETE FROM catalog_certification_scope_offers WHERE offer_id IN ({offer_ids})",
        f"DELETE FROM catalog_certification WHERE provider_id IN ({provider_ids})",
        f"DELETE FROM catalog_offerassessment WHERE offer_id IN ({offer_ids})",
        f"DELETE FROM catalog_offer WHERE provider_id IN ({provider_ids})",
        f"DELETE FROM catalog_ownershipstake WHERE provider_id IN ({provider_ids})",
        f"DELETE FROM catalog_provider WHERE slug LIKE '{SLUG_PREFIX}%%'",
    ]
    for sql in statements:
        cursor.execute(sql)
    for table in TRIGGER_TABLES:
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


class Command(BaseCommand):
    help = (
        "Load a national-scale marketplace (offers, assessments, certificates, tenders) with COPY."
    )

    def add_arguments(self, parser):
        parser.add_argument("--offers", type=int, default=100_000)
        parser.add_argument(
            "--providers",
            type=int,
            default=None,
            help="Default: one provider per 100 offers (at least 10).",
        )
        parser.add_argument("--tenders", type=int, default=None, help="Default: one per 10 offers.")
        parser.add_argument("--reset", action="store_true", help="Remove earlier scale data first.")
        parser.add_argument("--seed", type=int, default=20261122)
        parser.add_argument(
            "--database-url",
            default=None,
            help="Load into this database instead of the configured one.",
        )

    def handle(self, *args, **options):
        if options["database_url"]:
            # Reconnect the default alias to the given database for this run.
            import dj_database_url

            connection.close()
            connection.settings_dict.update(
                {
                    k: v
                    for k, v in dj_database_url.parse(options["database_url"]).items()
                    if k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")
                }
            )
        n_offers = options["offers"]
        n_providers = options["providers"] or max(10, n_offers // 100)
        n_tenders = options["tenders"] if options["tenders"] is not None else n_offers // 10
        if n_offers < 0 or n_providers < 1 or n_tenders < 0:
            raise CommandError("Counts must be positive.")
        rng = random.Random(options["seed"])
        timings: dict[str, float] = {}
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            # Foreign keys are checked per statement, not deferred to the
            # commit: ALTER TABLE refuses to run with checks still pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            if options["reset"]:
                t = time.perf_counter()
                scale_reset(cursor)
                timings["reset"] = time.perf_counter() - t
            cursor.execute(
                f"SELECT count(*) FROM catalog_provider WHERE slug LIKE '{SLUG_PREFIX}%%'"  # noqa: S608
            )
            if cursor.fetchone()[0]:
                raise CommandError("Scale data is already loaded: pass --reset to replace it.")
            for table in TRIGGER_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            # A superuser loads without the per-row foreign-key triggers (each
            # also locks the referenced row: a million offer rows rewritten
            # for their assessments' sake); every key is checked once, set
            # based, before the commit instead.
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            unchecked = cursor.fetchone()[0]
            if unchecked:
                cursor.execute("SET LOCAL session_replication_role = replica")
            loader = _Loader(cursor, rng, timings)
            providers = loader.providers(n_providers)
            t = time.perf_counter()
            indexes = _secondary_indexes_drop(cursor, BULK_TABLES)
            timings["drop_indexes"] = time.perf_counter() - t
            offers = loader.offers(n_offers, providers)
            t = time.perf_counter()
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for definition in indexes:
                cursor.execute(definition)
            timings["build_indexes"] = time.perf_counter() - t
            loader.tenders(n_tenders, offers)
            if unchecked:
                t = time.perf_counter()
                cursor.execute("SET LOCAL session_replication_role = origin")
                _foreign_keys_check(cursor, LOADED_TABLES)
                timings["foreign_keys"] = time.perf_counter() - t
            for table in TRIGGER_TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        t = time.perf_counter()
        with connection.cursor() as cursor:
            for table in (
                "catalog_provider",
                "catalog_offer",
                "catalog_offerassessment",
                "catalog_certification_scope_offers",
                "tenders_tender",
            ):
                cursor.execute(f"ANALYZE {table}")
        timings["analyze"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - started
        self.stdout.write(
            f"seed_scale: {n_providers} providers, {n_offers} offers, {n_tenders} tenders in "
            f"{timings['total']:.1f} s ("
            + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k != "total")
            + f"; {loader.engine_runs} policy engine runs, {loader.distinct_results} distinct assessments)"
        )


class _Loader:
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
        ids = _reserve_ids(self.cursor, "catalog_provider", n)
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
        _copy(
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
                    _luhn_complete(f"{p['id'] % 10**8:08d}") if p["seats"][0] == "FR" else "",
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
        _copy(
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
            _reserve_ids(
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
        _copy(
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
            _text(result.flags),
            _text(json.dumps(result.checks_data(), ensure_ascii=False, default=str)),
            _text(json.dumps(result.relied_certificates, ensure_ascii=False, default=str)),
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
                raise CommandError(f"Unexpected lexeme {lexeme!r}")
            found[i - 1].append((lexeme.replace("'", "''"), list(positions)))
        return found

    def offers(self, n: int, providers: list[dict]) -> dict[str, list[int]]:
        """COPY the offers (search document included), then their
        assessments and certificate scopes; return the published offer ids
        by category.

        Rows are assembled from pre-rendered fragments (prices, terms,
        locations, names, descriptions and their search lexemes): the
        per-offer work is a few random picks and one string. Each distinct
        assessment is COPYed once, and the offers' rows are made by one
        INSERT ... SELECT joining them, so the server parses and compresses
        each ~5 kB check list once, not once per offer."""
        t = time.perf_counter()
        rng, cursor = self.rng, self.cursor
        now = self.now.isoformat()
        ids = _reserve_ids(cursor, "catalog_offer", n)
        categories = list(CATEGORIES)
        pool_size = min(POOL, max(n, 1))

        prices: list[list[str]] = []
        names: list[list[tuple[str, str]]] = []
        for category in categories:
            cpv, unit_codes, (low, high), nouns = CATEGORIES[category]
            pool = []
            for _ in range(pool_size):
                unit = unit_codes[rng.randrange(len(unit_codes))]
                normalised = Decimal(str(round(rng.uniform(low, high), 4)))
                unit_price = (normalised * units.UNITS[unit].factor).quantize(Decimal("0.0001"))
                normalised_unit, normalised_price = units.normalise_price(unit, unit_price)
                pool.append(
                    "\t".join(
                        _text(v)
                        for v in (
                            category,
                            cpv,
                            unit,
                            unit_price,
                            False,
                            normalised_unit,
                            normalised_price,
                        )
                    )
                )
            prices.append(pool)
            names.append(
                [
                    (_text(f"{noun} {adj}"), selectors.fold(f"{noun} {adj}"))
                    for noun in nouns
                    for adj in ADJECTIVES
                ]
            )
        terms = []
        for _ in range(pool_size):
            minimum = Decimal(rng.choice([0, 0, 0, 1, 10, 100]))
            capacity = (
                None if rng.random() < 0.7 else minimum + Decimal(rng.choice([1000, 10000, 100000]))
            )
            months = rng.choice([0, 0, 1, 12])
            sla = Decimal(rng.choice(["99.5", "99.9", "99.95", "99.99"]))
            terms.append("\t".join(_text(v) for v in (minimum, months, capacity, sla)))
        descriptions = []
        for _ in range(pool_size):
            text = " ".join(rng.sample(DESCRIPTION_WORDS, 8)) + f" ({rng.choice(CITIES)})."
            descriptions.append((_text(text), selectors.fold(text)))
        place = {}
        for location, spec in LOCATION_PROFILES.items():
            data_countries = sorted({c for countries in spec["where"][:4] for c in countries})
            for dr in (False, True):
                place[location, dr] = "\t".join(
                    _text(v) for v in (*spec["where"], spec["documented"], data_countries, dr)
                )

        # Search lexemes of every fragment, from PostgreSQL itself. A name is
        # "<noun> <adjective> <id>": the id is a lexeme of its own, at the
        # position the stand-in "1" takes.
        flat_names = [folded for pool in names for _text_name, folded in pool]
        lexemes = self._lexemes(
            [f"{folded} 1" for folded in flat_names]
            + [selectors.fold(p["name"]) for p in providers]
            + [folded for _text_desc, folded in descriptions]
        )
        name_lexemes = lexemes[: len(flat_names)]
        provider_lexemes = lexemes[len(flat_names) : len(flat_names) + len(providers)]
        description_lexemes = lexemes[len(flat_names) + len(providers) :]
        name_search = []  # per category, per name: (lexemes text, id position)
        for c, pool in enumerate(names):
            rendered = []
            for j in range(len(pool)):
                entries = name_lexemes[c * len(pool) + j]
                id_position = next(pos[0] for lex, pos in entries if lex == "1")
                rendered.append(
                    (_lexeme_text([e for e in entries if e[0] != "1"], 0, "A"), id_position)
                )
            name_search.append(rendered)
        for p, entries in zip(providers, provider_lexemes, strict=True):
            p["lexemes"] = entries
            p["max_position"] = max((max(pos) for _lex, pos in entries), default=0)
            p["search"] = {}
            p["results"] = {}
            p["template_key"] = self._provider_template_key(p)
        description_search: dict[tuple[int, int], str] = {}

        published: dict[str, list[int]] = {c: [] for c in categories}
        offer_provider = self.offer_provider
        offer_results: list[str] = []
        result_lines: list[str] = []
        random_ = rng.random
        n_providers = len(providers)
        n_categories = len(categories)
        n_names = len(names[0])

        def lines() -> Iterator[str]:
            for pk in ids:
                provider = providers[int(random_() * n_providers)]
                c = int(random_() * n_categories)
                category = categories[c]
                locations = provider["locations"]
                location = locations[0] if random_() < 0.7 else locations[-1]
                dr = location == "fr" and random_() < 0.3
                result_key = (location, dr, c)
                result = provider["results"].get(result_key)
                if result is None:
                    template = self._template(provider, location, dr, category)
                    result = self.result_of.get((provider["id"], template))
                    if result is None:
                        result = self.result_of[provider["id"], template] = len(result_lines)
                        result_lines.append(self._result_line(result, provider, template))
                    provider["results"][result_key] = result
                offer_results.append(f"{pk}\t{result}")
                roll = random_()
                status = "published" if roll < 0.9 else ("draft" if roll < 0.97 else "withdrawn")
                if status == "published" and provider["status"] == "active":
                    published[category].append(pk)
                    offer_provider[pk] = provider["id"]
                j = int(random_() * n_names)
                name = names[c][j][0]
                name_lexemes_text, id_position = name_search[c][j]
                provider_text = provider["search"].get(id_position)
                if provider_text is None:
                    provider_text = provider["search"][id_position] = _lexeme_text(
                        provider["lexemes"], id_position, "B"
                    )
                d = int(random_() * pool_size)
                shift = id_position + provider["max_position"]
                description_text = description_search.get((d, shift))
                if description_text is None:
                    description_text = description_search[d, shift] = _lexeme_text(
                        description_lexemes[d], shift, "C"
                    )
                yield (
                    f"{pk}\t{provider['id']}\t{name} {pk}\t{descriptions[d][0]}\t"
                    f"{prices[c][int(random_() * pool_size)]}\t{terms[int(random_() * pool_size)]}\t"
                    f"{place[location, dr]}\t{status}\t{now}\t{now}\t"
                    f"{name_lexemes_text} '{pk}':{id_position}A {provider_text} {description_text}"
                )

        _copy_lines(cursor, "catalog_offer", [*OFFER_COLUMNS, "search_document"], lines())
        self._timed("offers", t)
        t = time.perf_counter()
        cursor.execute("""
            CREATE TEMPORARY TABLE scale_result (
                idx int, level varchar(2), level_rank smallint, flags varchar(20)[],
                checks jsonb, relied jsonb, digest varchar(64)
            ) ON COMMIT DROP
        """)
        cursor.execute(
            "CREATE TEMPORARY TABLE scale_offer_result (offer_id bigint, idx int) ON COMMIT DROP"
        )
        _copy_lines(
            cursor,
            "scale_result",
            ["idx", "level", "level_rank", "flags", "checks", "relied", "digest"],
            result_lines,
        )
        _copy_lines(cursor, "scale_offer_result", ["offer_id", "idx"], offer_results)
        cursor.execute("ANALYZE scale_result")
        cursor.execute("ANALYZE scale_offer_result")
        cursor.execute(
            """INSERT INTO catalog_offerassessment (offer_id, level, level_rank, flags, checks,
                   relied_certificates, policy_version, inputs_digest, assessed_at)
               SELECT o.offer_id, r.level, r.level_rank, r.flags, r.checks, r.relied, %s, r.digest, %s
               FROM scale_offer_result o JOIN scale_result r ON r.idx = o.idx
               ORDER BY o.offer_id""",
            [self.policy.version, self.now],
        )
        cursor.execute("DROP TABLE scale_offer_result, scale_result")
        self.distinct_results = len(result_lines)
        self._timed("assessments", t)
        t = time.perf_counter()
        # Every certificate of the provider covers every one of its offers.
        cursor.execute(
            """INSERT INTO catalog_certification_scope_offers (certification_id, offer_id)
               SELECT c.id, o.id FROM catalog_offer o
               JOIN catalog_certification c ON c.provider_id = o.provider_id
               WHERE o.id BETWEEN %s AND %s ORDER BY o.id, c.id""",
            [ids.start, ids.stop - 1] if ids else [0, -1],
        )
        self._timed("certificate_scopes", t)
        return published

    def tenders(self, n: int, published: dict[str, list[int]]) -> None:
        t = time.perf_counter()
        rng, cursor, now = self.rng, self.cursor, self.now
        buyers = [pk for (pk,) in self._rows("SELECT id FROM catalog_buyercategory ORDER BY code")]
        n_agencies = max(5, n // 200)
        agency_ids = _reserve_ids(cursor, "tenders_agency", n_agencies)
        _copy(
            cursor,
            "tenders_agency",
            ["id", "name", "slug", "siret", "buyer_category_id", "created_at"],
            (
                (
                    pk,
                    f"Administration {rng.choice(CITIES)} {pk}",
                    f"{SLUG_PREFIX}agency-{pk}",
                    _luhn_complete(f"{pk % 10**13:013d}"),
                    rng.choice(buyers),
                    now,
                )
                for pk in agency_ids
            ),
        )
        offer_provider = self.offer_provider
        tender_ids = _reserve_ids(cursor, "tenders_tender", n)
        statuses = [s for s, _w in TENDER_STATUSES]
        weights = [w for _s, w in TENDER_STATUSES]
        awarded = []
        rows = []
        for pk in tender_ids:
            category = rng.choice(list(CATEGORIES))
            cpv, unit_codes, (low, high), nouns = CATEGORIES[category]
            unit = rng.choice(unit_codes)
            status = rng.choices(statuses, weights=weights)[0]
            level = rng.choices(["N0", "N1", "N2", "N3"], weights=[10, 50, 30, 10])[0]
            flags = rng.choices([[], ["PERSONAL_DATA"], ["HEALTH"]], weights=[70, 20, 10])[0]
            location = rng.choices(["", "EU", "FR"], weights=[40, 40, 20])[0]
            quantity = Decimal(rng.choice([10, 50, 100, 500, 1000]))
            months = rng.choice([12, 24, 36, 48])
            typical = Decimal(str((low + high) / 2)) * units.UNITS[unit].quantity_factor
            value = (
                typical * quantity * months * Decimal(rng.choice(["0.8", "1.5", "3"]))
            ).quantize(Decimal("0.01"))
            value = max(value, Decimal("1000.00"))
            published_at = None if status == "draft" else now - timedelta(days=rng.randint(1, 400))
            deadline = (
                now + timedelta(days=rng.randint(5, 60))
                if status in ("published", "draft")
                else (published_at or now) + timedelta(days=30)
            )
            closed_at = deadline if status in ("closed", "awarded", "unsuccessful") else None
            decided_at = (
                deadline + timedelta(days=20) if status in ("awarded", "unsuccessful") else None
            )
            if status == "awarded" and published[category]:
                awarded.append((pk, rng.choice(published[category]), value, decided_at))
            elif status == "awarded":
                status, decided_at = "unsuccessful", deadline + timedelta(days=20)
            rows.append(
                (
                    pk,
                    rng.choice(agency_ids),
                    f"{REFERENCE_PREFIX}{pk:08d}",
                    f"{nouns[rng.randrange(3)]} pour {rng.choice(CITIES)}",
                    "Besoin de la collectivité.",
                    category,
                    cpv,
                    level,
                    flags,
                    location,
                    quantity,
                    unit,
                    months,
                    value,
                    procedure_for(value),
                    deadline,
                    60,
                    40,
                    0,
                    status,
                    "" if status not in ("cancelled", "unsuccessful") else "Besoin abandonné.",
                    published_at,
                    closed_at,
                    decided_at,
                    "",
                    None,
                    None,
                    None,
                    "",
                    now,
                    now,
                )
            )
        _copy(
            cursor,
            "tenders_tender",
            [
                "id",
                "agency_id",
                "reference",
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
                "procedure",
                "response_deadline",
                "weight_price",
                "weight_technical",
                "weight_other",
                "status",
                "status_reason",
                "published_at",
                "closed_at",
                "decided_at",
                "matching_state",
                "matching_queued_at",
                "matching_started_at",
                "matching_finished_at",
                "matching_error",
                "created_at",
                "updated_at",
            ],
            rows,
        )
        response_ids = _reserve_ids(cursor, "tenders_tenderresponse", len(awarded))
        responses = []
        for response_id, (tender_id, offer_id, value, decided_at) in zip(
            response_ids, awarded, strict=True
        ):
            price = (value * Decimal("0.8")).quantize(Decimal("0.01"))
            receipt = hashlib.sha256(f"{tender_id}:{offer_id}:{price}".encode()).hexdigest()
            responses.append(
                (
                    response_id,
                    tender_id,
                    offer_provider[offer_id],
                    offer_id,
                    price,
                    "Réponse technique.",
                    "",
                    "",
                    "submitted",
                    decided_at - timedelta(days=25),
                    receipt,
                    None,
                    None,
                    Decimal("75"),
                    None,
                )
            )
        _copy(
            cursor,
            "tenders_tenderresponse",
            [
                "id",
                "tender_id",
                "provider_id",
                "offer_id",
                "total_price",
                "technical_answer",
                "attachment",
                "attachment_sha256",
                "status",
                "submitted_at",
                "receipt_sha256",
                "submitted_by_id",
                "withdrawn_at",
                "technical_score",
                "other_score",
            ],
            responses,
        )
        _copy(
            cursor,
            "tenders_award",
            ["tender_id", "response_id", "amount", "awarded_at", "awarded_by_id"],
            ((r[1], r[0], r[4], a[3], None) for r, a in zip(responses, awarded, strict=True)),
        )
        self._timed("tenders", t)
