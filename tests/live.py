"""A live marketplace for tests that need real processes: the demo data in
a database of its own (migrated and seeded with `seed_demo`), served by
gunicorn on loopback with a Celery worker on a queue of its own. Browser
tests (tests/e2e) and the live schemathesis run (tests/api) each start one."""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import connections

from tests.worker import ROOT, _database_url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _url_for(database: str) -> str:
    base = _database_url()
    return base.rsplit("/", 1)[0] + "/" + database


@dataclass
class Market:
    url: str
    database_url: str
    env: dict

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the live market did not become healthy in time")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


_TEMPLATE: str | None = None


def _drop(name: str) -> None:
    with psycopg.connect(_url_for("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _demo_template(env: dict) -> str:
    """A database migrated from scratch and seeded with the demo, built once
    per test session: each live market is a copy of it (CREATE DATABASE …
    TEMPLATE, well under a second, where migrate + seed_demo take ~25 s).
    The test database itself cannot serve, since transactional tests flush
    it (policy tables included)."""
    global _TEMPLATE
    if _TEMPLATE is None:
        name = f"{settings.DATABASES['default']['TEST']['NAME']}_live_template"
        _drop(name)
        with psycopg.connect(_url_for("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        for command in (["migrate", "--noinput"], ["seed_demo"]):
            subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                check=True,
                timeout=300,
                env={**env, "DATABASE_URL": _url_for(name), "CELERY_TASK_ALWAYS_EAGER": "1"},
                stdout=subprocess.DEVNULL,
            )
        atexit.register(_drop, name)
        _TEMPLATE = name
    return _TEMPLATE


@contextmanager
def live_market(django_db_blocker, suffix: str):
    """The demo marketplace served on loopback by gunicorn with a Celery
    worker on a queue of its own, in database ``<test database>_<suffix>``,
    a fresh copy of the session's demo template (``_demo_template``)."""
    name = f"{settings.DATABASES['default']['TEST']['NAME']}_{suffix}"
    queue = f"{suffix}-{os.getpid()}"
    env = {
        **os.environ,
        "GUICHET_TESTING": "1",
        "DJANGO_DEBUG": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1",
        "GUICHET_DEMO_DATA": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with django_db_blocker.unblock():
        connections.close_all()
        template = _demo_template(env)
        _drop(name)
        with psycopg.connect(_url_for("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    database_url = _url_for(name)
    env["DATABASE_URL"] = database_url
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
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
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        _wait_healthy(url, web)
        yield Market(url=url, database_url=database_url, env=env)
    finally:
        _stop(web)
        _stop(worker)
        _drop(name)
