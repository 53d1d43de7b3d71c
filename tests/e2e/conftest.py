"""Browser tests against a live marketplace: real gunicorn, a real Celery
worker, Redis and PostgreSQL, the demo data, and Debian's Chromium driven by
Playwright (never a browser download).

The market lives in a database of its own, cloned from the migrated test
database and seeded with `seed_demo`, so that the server and worker processes
see committed data; tests read or adjust it through `market.sql()`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from tests.worker import ROOT, _database_url

# Playwright's sync API keeps an event loop running in the main thread for
# the whole session; the ORM calls of the other tests are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DEMO_PASSWORD = "guichet-demo"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(items):
    # The market is cloned from the migrated test database, which pytest-django
    # creates only when some collected test asks for the database.
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.django_db)


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
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                              capture_output=True, text=True, timeout=120).stdout


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


@pytest.fixture(scope="session")
def market(django_db_setup, django_db_blocker):
    """The demo marketplace served on loopback by gunicorn with a Celery
    worker on a queue of its own."""
    template = settings.DATABASES["default"]["TEST"]["NAME"]
    name = f"{template}_e2e"
    with django_db_blocker.unblock():
        connections.close_all()
        with psycopg.connect(_url_for("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    database_url = _url_for(name)
    queue = f"e2e-{os.getpid()}"
    env = {**os.environ, "GUICHET_TESTING": "1", "DJANGO_DEBUG": "0", "DATABASE_URL": database_url,
           "CELERY_TASK_DEFAULT_QUEUE": queue, "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "1",
           "GUICHET_DEMO_DATA": "1"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT, check=True, timeout=300,
                   env={**env, "CELERY_TASK_ALWAYS_EAGER": "1"})
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", queue,
         "-n", f"{queue}@%h", "-l", "warning"], cwd=ROOT, env=env, start_new_session=True)
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "4", "--no-control-socket", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True)
    try:
        _wait_healthy(url, web)
        yield Market(url=url, database_url=database_url, env=env)
    finally:
        _stop(web)
        _stop(worker)
        with psycopg.connect(_url_for("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Debian's chromium is required for the browser tests (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, market):
    """A fresh browser context (no cookies) on the live market."""
    context = browser.new_context(base_url=market.url, locale="fr-FR")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/compte/connexion/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    assert "/compte/connexion/" not in page.url, f"login failed for {username}: {page.inner_text('main')[:500]}"


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
