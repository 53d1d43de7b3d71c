"""Browser tests against a live marketplace: real gunicorn, a real Celery
worker, Redis and PostgreSQL, the demo data, and Debian's Chromium driven by
Playwright (never a browser download).

The market lives in a database of its own, migrated and seeded with
`seed_demo`, so that the server and worker processes
see committed data; tests read or adjust it through `market.sql()`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.live import Market, live_market  # noqa: F401  (Market: for type hints in tests)

# Playwright's sync API keeps an event loop running in the main thread for
# the whole session; the ORM calls of the other tests are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DEMO_PASSWORD = "guichet-demo"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(items):
    # The browser tests read nothing through the ORM, but the live market is
    # built under pytest-django's database blocker and setup.
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.django_db)


@pytest.fixture(scope="session")
def market(django_db_setup, django_db_blocker):
    """The demo marketplace, live (tests/live.py)."""
    with live_market(django_db_blocker, "e2e") as market:
        yield market


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError(
            "Debian's chromium is required for the browser tests (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
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
    assert "/compte/connexion/" not in page.url, (
        f"login failed for {username}: {page.inner_text('main')[:500]}"
    )


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
