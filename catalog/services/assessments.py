"""The policy version and the stored assessments: the pure engine
(catalog.policy) runs over facts read in bulk (catalog.selectors.facts) and
only what changed is written, in one upsert per batch."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import psycopg
from django.db import connection, transaction
from django.utils import timezone

from catalog import policy, selectors, signals
from catalog.models import Offer, OfferAssessment, PolicyVersion
from catalog.services._common import assessment_request

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def policy_version_bump(*, actor: User, note: str = "") -> PolicyVersion:
    """Record an edit of the policy tables and re-assess every offer."""
    current = selectors.policy_version_current()
    version = PolicyVersion.objects.create(number=current + 1, created_by=actor, note=note[:300])
    assessment_request(offer_ids=None, reason="policy_changed")
    return version


@dataclass(frozen=True)
class AssessRun:
    assessed: int
    changed: list[int]


def checks_json(checks: Iterable[policy.Check]) -> list[str]:
    """Each check's JSON; ``"[" + ", ".join(...) + "]"`` is the list's."""
    return [json.dumps(c.as_dict(), sort_keys=True, default=str) for c in checks]


def assessment_json(
    result: policy.Assessment, version: int, check_texts: list[str] | None = None
) -> tuple[str, str, str, str]:
    """An assessment's stored JSON — checks, relied certificates, flags —
    and the text its ``inputs_digest`` hashes, each list encoded once. That
    text is ``json.dumps({"level", "flags", "checks", "relied", "policy"},
    sort_keys=True, default=str)``, assembled from the encoded parts in its
    sorted key order (the checks are ~5 kB: encoding them twice was a third
    of a re-assessment's Python time). ``check_texts``: the checks already
    encoded (``checks_json``)."""
    if check_texts is None:
        check_texts = checks_json(result.checks)
    checks = "[" + ", ".join(check_texts) + "]"
    relied = json.dumps(result.relied_certificates, sort_keys=True, default=str)
    flags = json.dumps(result.flags, sort_keys=True, default=str)
    payload = (
        f'{{"checks": {checks}, "flags": {flags}, "level": {json.dumps(result.level)}, '
        f'"policy": {json.dumps(version)}, "relied": {relied}}}'
    )
    return checks, relied, flags, payload


def digest_payload(result: policy.Assessment, version: int) -> str:
    """The text an assessment's ``inputs_digest`` hashes (seed_scale renders
    it once per distinct result and substitutes certificate ids)."""
    return assessment_json(result, version)[3]


def _digest(result: policy.Assessment, version: int) -> str:
    return hashlib.sha256(digest_payload(result, version).encode()).hexdigest()


def offers_assess(
    *, offer_ids: Iterable[int] | None = None, today: date | None = None, batch_size: int = 2000
) -> AssessRun:
    """Run the policy engine for these offers (None: all) and store what
    changed. Idempotent: an unchanged result is not written again. Offers
    that run on a re-assessed offer (subcontracting chain) follow."""
    today = today or timezone.localdate()
    current_policy = selectors.policy_current()
    # By provider: the offers sharing an engine input come together (in
    # one batch, one write of each distinct result).
    if offer_ids is None:
        pending = list(Offer.objects.order_by("provider_id", "pk").values_list("pk", flat=True))
    else:
        pending = selectors.offers_by_provider(offer_ids)
    changed: set[int] = set()
    assessed = 0
    reader = selectors.FactsReader()
    results: dict[tuple, tuple] = {}
    # An offer that runs on another one is assessed again once its
    # subcontractor changed, even if both were in the same batch (its first
    # pass may have read the subcontractor's old level). Chains cannot loop
    # (offer_subcontractors_set refuses cycles); the cap is a safety net.
    passes: dict[int, int] = {}
    start = 0
    while start < len(pending):
        batch, start = pending[start : start + batch_size], start + batch_size
        for pk in batch:
            passes[pk] = passes.get(pk, 0) + 1
        if len(results) > RESULTS_KEPT:
            results.clear()
        batch_changed = _assess_batch(batch, current_policy, today, reader, results)
        assessed += len(batch)
        changed.update(batch_changed)
        if batch_changed:
            dependents = [
                pk for pk in selectors.offers_depending_on(batch_changed) if passes.get(pk, 0) < 10
            ]
            if dependents:
                pending, start = sorted(set(pending[start:]) | set(dependents)), 0
    if changed:
        signals.assessments_changed.send(sender=Offer, offer_ids=sorted(changed))
    return AssessRun(assessed=assessed, changed=sorted(changed))


# Engine results kept by a re-assessment run (each ~6 kB of JSON); the
# offers of one provider come together, so a full catalogue hits them
# while they are kept.
RESULTS_KEPT = 20_000


@transaction.atomic
def _assess_batch(
    offer_ids: list[int],
    current_policy: policy.Policy,
    today: date,
    reader: selectors.FactsReader,
    results: dict[tuple, tuple],
) -> list[int]:
    inputs = reader.inputs(offer_ids)
    # Not locked: the upsert locks the rows it writes and skips a row whose
    # digest another run has meanwhile made equal (locking every row up
    # front rewrote each one's header even when nothing changed).
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT offer_id, inputs_digest FROM {OfferAssessment._meta.db_table} "  # noqa: S608
            "WHERE offer_id = ANY(%s)",
            [offer_ids],
        )
        existing = dict(cursor.fetchall())
    now = timezone.now()
    # One engine run per distinct input (the reader's compact key): the
    # engine is pure and never reads the offer's id, so the offers of one
    # provider with the same locations, DR support, category, certificates
    # and subcontractors share a result and its JSON, encoded once. The
    # level rules, most of the work, never read the category (the key's
    # last part): their outcome and its JSON are shared across categories.
    rows = []
    for offer_id, key in inputs:
        done = results.get(key)
        if done is None:
            facts = reader.facts(offer_id, key)
            levels = results.get(key[:-1])
            if levels is None:
                outcome = policy.assess_levels(facts, current_policy, today)
                levels = results[key[:-1]] = (outcome, checks_json(outcome.checks))
            flags = policy.assess_flags(facts, current_policy, today)
            result = policy.assessment_of(levels[0], flags)
            checks, relied, flag_list, payload = assessment_json(
                result, current_policy.version, [*levels[1], *checks_json(flags.checks)]
            )
            done = results[key] = (
                result.level,
                result.level_rank,
                flag_list,
                hashlib.sha256(payload.encode()).hexdigest(),
                checks,
                relied,
            )
        if existing.get(offer_id) == done[3]:
            continue
        rows.append((offer_id, done))
    return _assessments_write(rows, version=current_policy.version, now=now) if rows else []


def _assessments_write(rows: list[tuple], *, version: int, now: datetime) -> list[int]:
    """One upsert for a batch of results (was an update_or_create, a SELECT
    and an UPDATE, per offer); the change-feed row triggers fire as before.
    Each distinct result (its ~5 kB of checks) is sent and parsed once, the
    offers refer to it by index. ``rows``: (offer id, (level, rank, flags
    JSON, digest, checks JSON, relied certificates JSON)). A row whose
    stored digest already equals the new one (another run wrote it since it
    was read) is left alone; returns the offers actually written."""
    index: dict[str, int] = {}
    distinct: list[tuple] = []
    offer_index = []
    for _offer_id, done in rows:
        digest = done[3]
        if digest not in index:
            index[digest] = len(distinct)
            distinct.append(done)
        offer_index.append(index[digest])
    table = OfferAssessment._meta.db_table
    # Server-side binding, binary parameters (%b): Django's client-side
    # binding, and text-format arrays, escape every quote of the ~5 kB check
    # lists in Python (measured: ~2 s per batch of 500).
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        # The distinct results go through a temporary table: stored there,
        # their checks are compressed once and every offer's row takes the
        # compressed value as it is (from a CTE, each row compressed the
        # same ~5 kB again: 130-210 → 55-65 µs per row written, 100k offers).
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS catalog_assessment_result (i int, l text, rk int,"
            " f varchar(20)[], c jsonb, rc jsonb, d text) ON COMMIT DELETE ROWS"
        )
        cursor.execute("DELETE FROM catalog_assessment_result")
        cursor.execute(
            """INSERT INTO catalog_assessment_result
               SELECT i, l, rk, ARRAY(SELECT jsonb_array_elements_text(f::jsonb)), c::jsonb, rc::jsonb, d
               FROM unnest(%b::int[], %b::text[], %b::int[], %b::text[], %b::text[], %b::text[], %b::text[])
                    AS u(i, l, rk, f, c, rc, d)""",
            [list(range(len(distinct))), *([d[i] for d in distinct] for i in (0, 1, 2, 4, 5, 3))],
        )
        cursor.execute(
            f"""INSERT INTO {table} (offer_id, level, level_rank, flags, checks, relied_certificates,
                                     policy_version, inputs_digest, assessed_at)
                SELECT t.o, r.l, r.rk, r.f, r.c, r.rc, %b, r.d, %b
                FROM unnest(%b::bigint[], %b::int[]) AS t(o, i) JOIN catalog_assessment_result r ON r.i = t.i
                ON CONFLICT (offer_id) DO UPDATE SET
                    level = EXCLUDED.level, level_rank = EXCLUDED.level_rank, flags = EXCLUDED.flags,
                    checks = EXCLUDED.checks, relied_certificates = EXCLUDED.relied_certificates,
                    policy_version = EXCLUDED.policy_version, inputs_digest = EXCLUDED.inputs_digest,
                    assessed_at = EXCLUDED.assessed_at
                WHERE {table}.inputs_digest IS DISTINCT FROM EXCLUDED.inputs_digest
                RETURNING offer_id""",  # noqa: S608
            [version, now, [r[0] for r in rows], offer_index],
        )
        return [offer_id for (offer_id,) in cursor.fetchall()]
