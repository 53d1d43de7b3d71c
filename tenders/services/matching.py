"""Matching results: the broker computes a published tender's shortlist;
these store it and the run's state."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from tenders.models import Invitation, MatchingState, ShortlistEntry, Tender, TenderStatus


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
        started: int = cursor.rowcount
        return started == 1


# The shortlist writer inserts into the table aliased ``e``: a row whose
# values are unchanged is not written (it keeps its id and computed_at).
_SHORTLIST_UPSERT = """ON CONFLICT (tender_id, offer_id) DO UPDATE SET
    rank = EXCLUDED.rank, score = EXCLUDED.score, estimated_cost = EXCLUDED.estimated_cost,
    reasons = EXCLUDED.reasons, warnings = EXCLUDED.warnings, computed_at = EXCLUDED.computed_at
    WHERE (e.rank, e.score, e.estimated_cost, e.reasons, e.warnings)
          IS DISTINCT FROM (EXCLUDED.rank, EXCLUDED.score, EXCLUDED.estimated_cost, EXCLUDED.reasons, EXCLUDED.warnings)"""


def shortlist_replace(
    *, tender: Tender, select: tuple[str, list], finish: bool = False
) -> tuple[int, list[int]]:
    """Replace a published tender's shortlist with what ``select`` (SQL and
    parameters for Django's cursor) gives: ``offer_id``, (SQL and parameters for Django's cursor) gives ``offer_id``,
    ``provider_id``, ``rank``, ``score``, ``estimated_cost``, ``reasons``,
    ``warnings``. One statement deletes the stale rows, upserts the new and
    changed ones (an unchanged row keeps its id and computation time) and
    invites the providers not invited yet; nothing crosses into Python.
    Returns the number of rows and the newly invited provider ids.
    ``finish`` also records the matching run as done, in the same statement
    (one round trip less per run; it commits or rolls back with the rest).

    The caller holds ``tender``'s row lock (``select_for_update``) and has
    checked that it is published, inside the current transaction."""

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
