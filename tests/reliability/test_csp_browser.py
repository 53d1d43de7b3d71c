"""The Content-Security-Policy holds in a real browser (issue 7): Chromium
reports no violation on the public pages served by gunicorn with the
production policy. (Measured over the signed-in spaces too: docs/security.md §5.)"""

from __future__ import annotations

import shutil

import pytest

from tests.reliability.conftest import build_market

PAGES = [
    "/",
    "/catalogue/",
    "/catalogue/?q=stockage",
    "/fournisseurs/",
    "/appels-offres/",
    "/compte/connexion/",
    "/mentions-legales/",
    "/donnees-personnelles/",
    "/accessibilite/",
    "/plan-du-site/",
]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_page_breaks_the_content_security_policy(stack):
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is required (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    build_market(offers=2)
    url = stack.web()
    violations: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"),
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_context(base_url=url).new_page()
        seen: list[str] = []
        page.on(
            "console",
            lambda message: (
                seen.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        for path in PAGES:
            del seen[:]
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            assert (
                page.evaluate("document.querySelectorAll('script[src]').length") >= 3
            )  # DSFR and htmx loaded
            page.wait_for_timeout(300)
            if seen:
                violations[path] = list(seen)
        browser.close()
    assert violations == {}
