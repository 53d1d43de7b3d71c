"""One benchmark size, in its own process (its own database): prints JSON.

python -m bench.run --offers 10000 [--runs 50]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable

import django


def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(p99, 3),
        "runs": len(ordered),
    }


def timed(fn: Callable[[], object], runs: int, warmup: int = 3) -> dict:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return _stats(samples)


def celery_round_trip(runs: int) -> dict:
    """A real task through a real worker (solo pool, its own queue) and back
    through the result backend, next to a raw Redis LPUSH/BRPOP round trip.
    The task is ``broker.tasks.tender_match`` on a draft tender: one read,
    nothing matched."""
    import os
    import signal
    import socket
    import subprocess
    import uuid

    import redis
    from django.conf import settings

    from broker import tasks
    from config.celery_app import app
    from tenders.models import Tender

    queue = f"bench-{os.getpid()}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "-l",
            "warning",
        ],
        env={**os.environ, "CELERY_TASK_DEFAULT_QUEUE": queue},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[f"{queue}@{socket.gethostname()}"], timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                return {"measured": False, "why": "the worker did not start"}
        draft = Tender.objects.filter(status="draft", reference__startswith="SCALE-").first()
        task = timed(
            lambda: tasks.tender_match.apply_async(args=[draft.pk], queue=queue).get(timeout=30),
            runs,
        )
        client = redis.Redis.from_url(settings.REDIS_PY_URL)
        key = f"bench:{uuid.uuid4().hex}"

        def lpush_brpop():
            client.lpush(key, b"x")
            client.brpop([key], timeout=5)

        floor = timed(lpush_brpop, runs)
        return {"measured": True, "orm": task, "floor_redis": floor}
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def offers_import_vs_copy(raw, rows: int, runs: int) -> dict:
    """Bulk import through the project's path (``services.offers_import``:
    CSV-like text rows validated as the API validates them, the search
    documents computed in one query, one COPY) next to a raw COPY of the
    very rows it wrote (search document included) into the same indexed
    ``catalog_offer`` (its change-feed triggers fire for both). Both are
    rolled back; the import's after-commit assessment is not counted."""
    import psycopg
    from django.db import connection, transaction

    from catalog import services
    from catalog.models import Offer, Provider

    provider = Provider.objects.filter(slug__startswith="scale-").order_by("pk").first()
    fields = [
        "name",
        "description",
        "category",
        "cpv_code",
        "unit",
        "unit_price",
        "minimum_commitment",
        "minimum_months",
        "capacity",
        "sla_pct",
        *services.LOCATION_FIELDS,
        "support_documented",
        "dr_support",
    ]
    source = list(Offer.objects.order_by("pk").values(*fields)[:rows])
    text_rows = []
    for i, offer in enumerate(source):
        row = {}
        for field in fields:
            value = offer[field]
            row[field] = (
                ",".join(value)
                if isinstance(value, list)
                else ""
                if value is None
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
        row["name"] = f"{row['name']} import {i}"
        text_rows.append(row)

    class Rollback(Exception):
        pass

    written: list[bytes] = []

    def through_import(capture: bool = False):
        try:
            with transaction.atomic():
                ids = services.offers_import(provider=provider, actor=None, rows=text_rows)
                assert len(ids) == len(text_rows)
                if capture:
                    with (
                        psycopg.Cursor(connection.connection) as cursor,
                        cursor.copy(
                            "COPY (SELECT * FROM catalog_offer WHERE id = ANY(%s) ORDER BY id) TO STDOUT",
                            [ids],
                        ) as copy,
                    ):
                        written.extend(bytes(block) for block in copy)
                raise Rollback
        except Rollback:
            pass

    through_import(capture=True)

    def raw_copy():
        with (
            raw.transaction(force_rollback=True),
            raw.cursor() as cur,
            cur.copy("COPY catalog_offer FROM STDIN") as copy,
        ):
            for block in written:
                copy.write(block)

    imported = timed(through_import, runs, warmup=1)
    floor = timed(raw_copy, runs, warmup=1)
    return {
        "rows": len(text_rows),
        "orm": imported,
        "floor_copy": floor,
        "import_rows_per_s": round(len(text_rows) / imported["p50_ms"] * 1000),
        "copy_rows_per_s": round(len(text_rows) / floor["p50_ms"] * 1000),
        "import_share_of_copy": round(floor["p50_ms"] / imported["p50_ms"], 3),
    }


# Offers re-assessed by the re-assessment workload, at most.
REASSESS_MAX = 100_000
# Above this size, the whole-category match runs HEAVY_RUNS times and the
# throughput is measured over HEAVY_TENDERS tenders.
HEAVY_ABOVE = 100_000
HEAVY_RUNS = 3
HEAVY_TENDERS = 10


def main(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, required=True)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    django.setup()

    import psycopg
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient, APIRequestFactory

    from broker.services import tender_match
    from catalog import selectors, services
    from catalog.api import OfferOutput, offer_list_render, offer_list_values
    from catalog.models import Offer, PolicyVersion
    from tenders.models import Tender
    from tests.broker.oracle import candidates

    runs = args.runs
    db = connection.settings_dict
    raw = psycopg.connect(host=db["HOST"], dbname=db["NAME"], user=db["USER"], autocommit=True)

    def raw_run(sqls: list[str]) -> Callable[[], None]:
        def run():
            with raw.cursor() as cur:
                for sql in sqls:
                    cur.execute(sql)
                    cur.fetchall()

        return run

    def captured(fn: Callable[[], object]) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return [
            q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
        ]

    results: dict[str, dict] = {}
    client = APIClient()

    def endpoint(name: str, url: str) -> None:
        def get():
            response = client.get(url)
            assert response.status_code == 200, response.content[:300]

        sqls = captured(get)
        page_sql = [s for s in sqls if 'FROM "catalog_offer"' in s][:1]
        results[name] = {
            "url": url,
            "orm": timed(get, runs),
            "floor_page_sql": timed(raw_run(page_sql), runs),
            "floor_all_sql": timed(raw_run(sqls), runs),
            "queries": len(sqls),
            "count_star": any("COUNT(*)" in s.upper() for s in sqls),
        }

    endpoint("catalogue_list", "/api/v1/offers/?category=iaas_storage&level=N1&location=EU")
    endpoint("search_page", "/api/v1/offers/?q=stockage%20souverain")

    # Serialization: the list's row renderer alone over 200 rows already
    # loaded (with its used-by read), the detail serializer (OfferOutput,
    # the explained checks) over the same offers for comparison, and the
    # marginal cost per row end to end (page of 200 minus page of 20).
    request = APIRequestFactory().get("/api/v1/offers/")
    request.user = AnonymousUser()
    from rest_framework.request import Request

    drf_request = Request(request)
    visible = selectors.offers_visible_to(AnonymousUser()).order_by("normalised_price", "id")
    list_rows = list(offer_list_values(visible)[:200])
    rows = list(visible[:200])
    ser = timed(lambda: offer_list_render(list_rows, drf_request), max(10, runs // 5))
    detail = timed(
        lambda: OfferOutput(rows, many=True, context={"request": drf_request}).data,
        max(10, runs // 5),
    )
    small = timed(lambda: client.get("/api/v1/offers/?page_size=20"), max(10, runs // 5))
    large = timed(lambda: client.get("/api/v1/offers/?page_size=200"), max(10, runs // 5))
    results["list_serialization"] = {
        "serializer_us_per_row": round(ser["p50_ms"] * 1000 / len(list_rows), 2),
        "detail_serializer_us_per_row": round(detail["p50_ms"] * 1000 / len(rows), 2),
        "end_to_end_us_per_row": round((large["p50_ms"] - small["p50_ms"]) * 1000 / 180, 2),
    }
    results["offers_import"] = offers_import_vs_copy(raw, 5000, max(5, runs // 10))

    # Matching: a typical tender (1-2k qualified offers at 1M, scaled to
    # this size) and a whole-category one, end to end through the task's
    # service, next to the raw candidate query.
    published = list(
        Tender.objects.filter(status="published", reference__startswith="SCALE-")
        .select_related("agency__buyer_category")
        .order_by("pk")[:60]
    )
    # Qualified offers as the matching engine's Python reference counts them.
    sizes = [(len(candidates(t)), t) for t in published]
    target = 1500 * args.offers / 1_000_000
    typical = min(sizes, key=lambda pair: abs(pair[0] - target))
    broad = max(sizes, key=lambda pair: pair[0])

    def match(name: str, pair, n: int) -> None:
        count, tender = pair
        t = time.perf_counter()
        tender_match(tender_id=tender.pk)
        first = (time.perf_counter() - t) * 1000
        sqls = captured(lambda: candidates(tender))
        candidate_sql = [s for s in sqls if 'FROM "catalog_offer"' in s][:1]
        results[name] = {
            "qualified": count,
            "first_run_ms": round(first, 3),
            "orm": timed(lambda: tender_match(tender_id=tender.pk), n, warmup=1),
            "floor_candidate_sql": timed(raw_run(candidate_sql), n, warmup=1),
        }

    # Above 100k offers a whole-category match takes tens of seconds: fewer
    # runs there (HEAVY_RUNS), and fewer tenders for the throughput.
    heavy = args.offers > HEAVY_ABOVE
    match("match_typical", typical, runs)
    match("match_whole_category", broad, HEAVY_RUNS if heavy else max(5, runs // 10))

    # Throughput: first (storing) and repeated runs over other published tenders.
    others = [t for _c, t in sizes if t.pk not in (typical[1].pk, broad[1].pk)][
        : HEAVY_TENDERS if heavy else 20
    ]
    t = time.perf_counter()
    for tender in others:
        tender_match(tender_id=tender.pk)
    first_rate = len(others) / (time.perf_counter() - t)
    t = time.perf_counter()
    for tender in others:
        tender_match(tender_id=tender.pk)
    again_rate = len(others) / (time.perf_counter() - t)
    results["matching_throughput"] = {
        "tenders": len(others),
        "first_run_per_s": round(first_rate, 2),
        "rerun_per_s": round(again_rate, 2),
    }

    # Re-assessment, as policy_version_bump asks it: every offer, by
    # provider (offers_assess(offer_ids=None)); above 100k offers, the
    # offers of random providers up to 100k, taken in the same order.
    # Unchanged (digests equal, nothing written), then after a policy change
    # (every row rewritten; rolled back).
    if args.offers <= REASSESS_MAX:
        sample = None
        sample_size = Offer.objects.count()
    else:
        by_provider: dict[int, list[int]] = {}
        for pk, provider_id in Offer.objects.values_list("pk", "provider_id"):
            by_provider.setdefault(provider_id, []).append(pk)
        providers = sorted(by_provider)
        random.Random(1).shuffle(providers)
        sample = []
        for provider_id in providers:
            if len(sample) >= REASSESS_MAX:
                break
            sample.extend(by_provider[provider_id])
        sample_size = len(sample)
    t = time.perf_counter()
    services.offers_assess(offer_ids=sample)
    unchanged = sample_size / (time.perf_counter() - t)

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            PolicyVersion.objects.create(
                number=selectors.policy_version_current() + 1, note="bench"
            )
            t = time.perf_counter()
            run = services.offers_assess(offer_ids=sample)
            changed = sample_size / (time.perf_counter() - t)
            assert len(run.changed) == sample_size
            raise Rollback
    except Rollback:
        pass
    results["reassess"] = {
        "sample": sample_size,
        "unchanged_offers_per_s": round(unchanged, 1),
        "policy_change_offers_per_s": round(changed, 1),
        "policy_change_1M_extrapolated_s": round(1_000_000 / changed, 1),
    }
    results["celery_round_trip"] = celery_round_trip(runs)
    with raw.cursor() as cur:
        cur.execute("SELECT count(*) FROM catalog_offer")
        results["offers_in_db"] = cur.fetchone()[0]
    return results


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
