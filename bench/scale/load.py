"""A national-scale marketplace for benchmarks, loaded with PostgreSQL COPY.

    python -m bench.seed_scale --offers 1000000 --providers 10000 --tenders 100000
    python -m bench.seed_scale --reset --offers 20000 --database-url postgresql://...

(``make bench`` runs it on each size's own database; ``seed`` is the same
load for the tests.)

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

# SQL here is assembled from this package's own constants, never from input.
# ruff: noqa: S608

from __future__ import annotations

import random
import time

from django.db import connection, transaction

from bench.scale.data import DEFAULT_SEED, SLUG_PREFIX
from bench.scale.market import Loader
from bench.scale.sql import (
    BULK_TABLES,
    LOADED_TABLES,
    TRIGGER_TABLES,
    SeedError,
    foreign_keys_check,
    scale_reset,
    secondary_indexes_drop,
)


def seed(
    *,
    offers: int = 100_000,
    providers: int | None = None,
    tenders: int | None = None,
    reset: bool = False,
    random_seed: int = DEFAULT_SEED,
    database_url: str | None = None,
) -> str:
    """Load the scale marketplace in one transaction; return the summary
    line (counts and timings). ``providers`` defaults to one per 100 offers
    (at least 10), ``tenders`` to one per 10 offers. Raises SeedError when
    scale data is already loaded and ``reset`` is not given."""
    if database_url:
        # Reconnect the default alias to the given database for this run.
        import dj_database_url

        connection.close()
        connection.settings_dict.update(
            {
                k: v
                for k, v in dj_database_url.parse(database_url).items()
                if k in ("NAME", "USER", "PASSWORD", "HOST", "PORT")
            }
        )
    n_offers = offers
    n_providers = providers or max(10, n_offers // 100)
    n_tenders = tenders if tenders is not None else n_offers // 10
    if n_offers < 0 or n_providers < 1 or n_tenders < 0:
        raise SeedError("Counts must be positive.")
    rng = random.Random(random_seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys are checked per statement, not deferred to the
        # commit: ALTER TABLE refuses to run with checks still pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if reset:
            t = time.perf_counter()
            scale_reset(cursor)
            timings["reset"] = time.perf_counter() - t
        cursor.execute(
            f"SELECT count(*) FROM catalog_provider WHERE slug LIKE '{SLUG_PREFIX}%%'"  # noqa: S608
        )
        if cursor.fetchone()[0]:
            raise SeedError("Scale data is already loaded: pass --reset to replace it.")
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
        loader = Loader(cursor, rng, timings)
        loaded = loader.providers(n_providers)
        t = time.perf_counter()
        indexes = secondary_indexes_drop(cursor, BULK_TABLES)
        timings["drop_indexes"] = time.perf_counter() - t
        published = loader.offers(n_offers, loaded)
        t = time.perf_counter()
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for definition in indexes:
            cursor.execute(definition)
        timings["build_indexes"] = time.perf_counter() - t
        loader.tenders(n_tenders, published)
        if unchecked:
            t = time.perf_counter()
            cursor.execute("SET LOCAL session_replication_role = origin")
            foreign_keys_check(cursor, LOADED_TABLES)
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
    return (
        f"seed_scale: {n_providers} providers, {n_offers} offers, {n_tenders} tenders in "
        f"{timings['total']:.1f} s ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k != "total")
        + f"; {loader.engine_runs} policy engine runs, {loader.distinct_results} distinct assessments)"
    )
