"""Faults on real processes (issue 7): a worker killed during matching, Redis
down at publication, PostgreSQL restarted under a running web server and
worker. Each test is bounded in time; none touches the shared servers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psutil
import psycopg
import pytest

from config import embedded
from tenders.models import MatchingState, ShortlistEntry, Tender
from tests.reliability.conftest import (
    Stack,
    assert_shortlisted_exactly_once,
    build_market,
    free_port,
    matching_state,
    sql,
)
from tests.worker import _database_url, wait_until

# serialized_rollback: the policy and reference rows of the data migrations
# come back after each test empties the database.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def waiting_queries(database_url: str) -> list[str]:
    return [
        row[0]
        for row in sql(
            database_url,
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'",
        )
    ]


# --------------------------------------------------------------------------
# A worker killed during matching


@pytest.mark.parametrize("killed", ["worker", "pool_child"])
def test_matching_killed_mid_write_is_redelivered_and_stored_once(stack, killed):
    """The worker is stopped dead (SIGKILL) in the middle of the matching
    transaction: the shortlist rows and invitations are written, the
    invitation notifications not yet. ``worker``: the whole worker dies,
    another one takes the unacknowledged message after the visibility
    timeout. ``pool_child``: the pool process dies, its parent requeues the
    message (reject on worker lost)."""
    market = build_market(offers=6)
    tender_id = market.draft.pk
    stack.extra_env["CELERY_VISIBILITY_TIMEOUT"] = "3"
    stack.web()
    first = stack.worker("w1", pool="solo" if killed == "worker" else "prefork")

    # Hold a row the run needs only at its end: a provider member whom the
    # run notifies. Django's foreign keys are checked at COMMIT (deferred),
    # so the run writes every shortlist row, invitation and notification,
    # then waits for our lock in its COMMIT.
    hold = psycopg.connect(stack.database_url)
    hold.execute("SELECT id FROM auth_user WHERE id = %s FOR UPDATE", (market.members[-1].pk,))
    try:
        status, body = stack.http(
            "POST", f"/api/v1/tenders/{tender_id}/publish/", token=market.buyer_token
        )
        assert status == 200, body
        waiting = wait_until(lambda: waiting_queries(stack.database_url), timeout=30)
        assert waiting == ["COMMIT"]  # the publication answered: this is the matching run
        assert matching_state(tender_id) == MatchingState.RUNNING
        assert not ShortlistEntry.objects.filter(
            tender_id=tender_id
        ).exists()  # written, not committed

        if killed == "worker":
            stack.kill(first)
        else:
            (child,) = psutil.Process(first.pid).children()
            os.kill(child.pid, signal.SIGKILL)
    finally:
        hold.rollback()
        hold.close()

    if killed == "worker":
        second = stack.worker("w2")
        wait_until(lambda: matching_state(tender_id) == MatchingState.DONE, timeout=40)
        assert "broker.tasks.tender_match" in second.log_path.read_text()
    else:
        wait_until(lambda: matching_state(tender_id) == MatchingState.DONE, timeout=40)
        assert first.poll() is None  # the worker itself lived on
    assert_shortlisted_exactly_once(market, tender_id)


# --------------------------------------------------------------------------
# Redis down at publication


def test_a_tender_published_while_redis_is_down_is_matched_once_it_is_back(stack):
    """The publication answers normally (the cache degrades, the enqueue
    failure is logged); the tender row, committed as "queued", is the
    outbox: the beat's sweeper matches it once Redis is back."""
    market = build_market(offers=3)
    tender_id = market.draft.pk
    stack.extra_env.update(MATCHING_STALE_AFTER_SECONDS="2", MATCHING_SWEEP_SECONDS="1")
    stack.web()
    stack.worker("w1")
    stack.beat()

    stack.redis.stop()
    started = time.monotonic()
    status, body = stack.http(
        "POST", f"/api/v1/tenders/{tender_id}/publish/", token=market.buyer_token
    )
    assert status == 200, body
    assert body["status"] == "published" and body["matching"]["state"] == "queued"
    assert time.monotonic() - started < 10
    time.sleep(3)
    assert matching_state(tender_id) == MatchingState.QUEUED  # nothing ran, nothing lost either

    stack.redis.start()
    wait_until(lambda: matching_state(tender_id) == MatchingState.DONE, timeout=90)
    assert_shortlisted_exactly_once(market, tender_id)
    # The sweeper keeps running: a done tender is not matched again.
    finished = Tender.objects.get(pk=tender_id).matching_finished_at
    time.sleep(2.5)
    assert Tender.objects.get(pk=tender_id).matching_finished_at == finished


# --------------------------------------------------------------------------
# PostgreSQL restarted


class ThrowawayPostgres:
    """A PostgreSQL cluster of our own (pgserver's binaries) in a temporary
    folder, restartable without touching the shared embedded server."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="gc-pg-", dir="/tmp"))  # noqa: S108
        os.chmod(self.dir, 0o755)  # noqa: S103 - pgserver runs the server as its own user under root
        self.pgdata = self.dir / "pgdata"
        self.socket_dir = ""

    def start(self) -> ThrowawayPostgres:
        import pgserver

        server = pgserver.get_server(self.pgdata, cleanup_mode=None)
        self.socket_dir = str(server.get_postmaster_info().socket_dir)
        return self

    def url(self, database: str) -> str:
        return embedded.postgres_url(self.socket_dir, database)

    def pg_ctl(self, *args: str) -> None:
        command = [str(embedded._pg_bin("pg_ctl")), "-D", str(self.pgdata), "-w", "-t", "60", *args]
        if os.geteuid() == 0:
            command = ["su", "pgserver", "-s", "/bin/sh", "-c", " ".join(command)]
        subprocess.run(command, check=True, capture_output=True, timeout=90)

    def restart(self) -> None:
        # A log file: otherwise the new postmaster keeps our pipe open.
        self.pg_ctl("-m", "fast", "-l", str(self.pgdata / "restart.log"), "restart")

    def close(self) -> None:
        try:
            self.pg_ctl("-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def copy_database(source_url: str, target_url: str) -> None:
    """pg_dump piped into psql (the binaries pgserver ships)."""
    dump = subprocess.run(
        [str(embedded._pg_bin("pg_dump")), "--no-owner", "--no-privileges", "-d", source_url],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    subprocess.run(
        [str(embedded._pg_bin("psql")), "-v", "ON_ERROR_STOP=1", "-q", "-d", target_url],
        input=dump,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_web_and_worker_recover_from_a_postgresql_restart_on_their_own(
    transactional_db, private_redis
):
    market = build_market(offers=3)
    cluster = ThrowawayPostgres().start()
    stack = Stack(database_url=cluster.url("guichet_restart"), redis=private_redis)
    try:
        sql(cluster.url("postgres"), 'CREATE DATABASE "guichet_restart"')
        copy_database(_database_url(), stack.database_url)
        stack.web()
        stack.worker("w1")
        assert stack.http("GET", "/healthz")[0] == 200
        # Both processes hold a database connection before the restart.
        assert (
            stack.http(
                "POST", f"/api/v1/tenders/{market.draft.pk}/publish/", token=market.buyer_token
            )[0]
            == 200
        )
        state = "SELECT matching_state FROM tenders_tender WHERE id = %s"
        wait_until(
            lambda: sql(stack.database_url, state, (market.draft.pk,)) == [("done",)], timeout=30
        )

        cluster.restart()

        status, health = stack.http("GET", "/healthz")
        assert status == 200, health  # the first request after the restart
        status, created = stack.http(
            "POST",
            "/api/v1/tenders/",
            token=market.buyer_token,
            body={
                "title": "Sauvegardes",
                "category": "iaas_storage",
                "cpv_code": "72317000-0",
                "level": "N2",
                "flags": [],
                "location_constraint": "EU",
                "quantity": "5",
                "unit": "TB_MONTH",
                "duration_months": 12,
                "estimated_value": "50000",
                "response_deadline": (market.draft.response_deadline).isoformat(),
            },
        )
        assert status == 201, created
        assert (
            stack.http(
                "POST", f"/api/v1/tenders/{created['id']}/publish/", token=market.buyer_token
            )[0]
            == 200
        )
        wait_until(
            lambda: sql(stack.database_url, state, (created["id"],)) == [("done",)], timeout=30
        )
        rows = sql(
            stack.database_url,
            "SELECT count(*) FROM tenders_shortlistentry WHERE tender_id = %s",
            (created["id"],),
        )
        assert rows == [(3,)]
    finally:
        stack.stop()
        cluster.close()


# --------------------------------------------------------------------------
# A webhook receiver down, then up


def test_a_receiver_down_then_up_gets_the_delivery_from_the_worker_once(stack, settings):
    """The worker's first attempt finds nobody listening; the receiver comes
    up on the same port; the retry the worker scheduled (its back-off, 3 s
    here rather than 30) delivers it, with the delivery's idempotency key,
    once."""
    from broker import selectors, services, webhooks
    from broker.models import WebhookDelivery
    from tests.broker.test_webhooks import Receiver

    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    market = build_market(offers=1)
    member = market.members[0]
    receiver = Receiver()
    receiver.port = free_port()
    endpoint = services.webhook_endpoint_create(
        organisation=selectors.organisation_of(member),
        actor=member,
        url=receiver.url,
        event_types=list(webhooks.EVENT_TYPES),
    )
    token = market.provider_tokens[market.offers[0].provider_id]
    stack.extra_env["WEBHOOK_BACKOFF_BASE_SECONDS"] = "3"
    stack.web()
    stack.worker("w1")
    try:
        status, body = stack.http("POST", f"/api/v1/webhooks/{endpoint.pk}/ping/", token=token)
        assert status == 202, body
        delivery_id = body["id"]
        first = wait_until(
            lambda: (
                WebhookDelivery.objects.filter(pk=delivery_id, attempts=1)
                .exclude(last_error="")
                .first()
            ),
            timeout=20,
        )
        assert first.status == "pending" and "ConnectionRefusedError" in first.last_error

        receiver.start()
        wait_until(
            lambda: WebhookDelivery.objects.get(pk=delivery_id).status == "succeeded",
            timeout=60,
            interval=0.5,
        )
        time.sleep(1)
        delivered = WebhookDelivery.objects.get(pk=delivery_id)
        assert delivered.attempts == 2
        assert receiver.keys() == [str(delivered.idempotency_key)]
    finally:
        receiver.stop()
