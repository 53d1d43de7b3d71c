"""The operator's journey in a real browser against the live demo market:
open the verification queue, verify a pending certificate, see the worker
re-assess the offer; read the audit log; use the notifications inbox."""

import time

from tests.e2e.conftest import login, screenshot

PENDING_REFERENCE = "ISO27001-JAMESPOT-22-0088"  # demo data: submitted, not yet verified


def serious_violations(page) -> list[str]:
    """axe-core on the page's main content (the frame is checked elsewhere)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context="main")
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("the condition did not come true in time")


def jamespot_level(market) -> str | None:
    rows = market.sql(
        "SELECT a.level FROM catalog_offerassessment a JOIN catalog_offer o ON o.id = a.offer_id "
        "JOIN catalog_provider p ON p.id = o.provider_id WHERE p.slug = 'jamespot'"
    )
    return rows[0][0] if rows else None


def test_it_verifies_a_pending_certificate_and_the_worker_reassesses(page, market):
    ((cert_id, verification),) = market.sql(
        "SELECT id, verification FROM catalog_certification WHERE reference = %s",
        (PENDING_REFERENCE,),
    )
    assert verification == "pending"
    before = jamespot_level(market)

    login(page, "operateur")
    page.goto("/operateur/")
    assert page.locator("h1").inner_text() in {"File de vérification", "Verification queue"}
    row = page.locator("#certificates tbody tr", has_text=PENDING_REFERENCE)
    assert row.count() == 1 and "Jamespot" in row.inner_text()
    screenshot(page, "operator-queue")
    assert serious_violations(page) == []

    with page.expect_navigation():
        row.locator(f"a[href='/operateur/certificats/{cert_id}/']").click()
    assert PENDING_REFERENCE in page.locator("h1").inner_text()
    screenshot(page, "operator-certificate")
    assert serious_violations(page) == []
    page.locator("#decision-form input[value='verify']").check(force=True)
    with page.expect_navigation():
        page.locator("#decision-form button[type=submit]").click()

    assert market.sql(
        "SELECT verification, verified_by_id IS NOT NULL FROM catalog_certification WHERE id = %s",
        (cert_id,),
    ) == [("verified", True)]
    assert page.locator("#messages .fr-alert--success").count() == 1
    assert "verify" not in [
        v
        for v in page.locator("#decision-form input[type=radio]").evaluate_all(
            "els => els.map(e => e.value)"
        )
    ]
    # The real Celery worker re-assesses the offer in scope after the commit.
    wait_for(lambda: jamespot_level(market) not in {None, before})
    assert (before, jamespot_level(market)) == ("N0", "N1")
    # And the certificate left the queue.
    page.goto("/operateur/")
    assert page.locator("#certificates tbody tr", has_text=PENDING_REFERENCE).count() == 0


def test_it_shows_the_audit_log_with_an_intact_chain(page, market):
    login(page, "operateur")
    page.goto("/operateur/journal/")
    assert page.locator("#chain-check.fr-alert--success").count() == 1
    assert page.locator("#audit-events tbody tr").count() > 0
    screenshot(page, "audit-log")
    assert serious_violations(page) == []
    page.goto("/operateur/fournisseurs/")
    assert page.locator("#providers tbody tr").count() > 5
    assert serious_violations(page) == []


def test_a_provider_gets_no_operator_page(page, market):
    login(page, "fournisseur-jamespot")
    response = page.goto("/operateur/")
    assert response.status == 404


def unread_of(market, username: str) -> int:
    return market.sql(
        "SELECT count(*) FROM broker_notification n JOIN auth_user u ON u.id = n.recipient_id "
        "WHERE u.username = %s AND n.read_at IS NULL",
        (username,),
    )[0][0]


def test_a_user_reads_the_inbox_and_the_unread_count_drops(page, market):
    # The demo buyer's notifications (matching, answers); two more, written
    # as broker.services.notify writes them, make sure there is something to read.
    for n in range(2):
        market.sql(
            "INSERT INTO broker_notification (recipient_id, kind, key, subject, body, url, created_at) "
            "SELECT id, 'e2e', %s, %s, 'Notification de démonstration.', '/appels-offres/', now() "
            "FROM auth_user WHERE username = 'acheteur' ON CONFLICT DO NOTHING",
            (f"e2e:{n}", f"Notification de démonstration {n}"),
        )
    unread = unread_of(market, "acheteur")
    assert unread >= 2
    login(page, "acheteur")
    page.goto("/notifications/")
    assert int(page.locator("#unread-count").inner_text().split()[0]) == unread
    assert page.locator("#notifications a[href='/appels-offres/']").count() >= 2
    screenshot(page, "notifications")
    assert serious_violations(page) == []

    with page.expect_navigation():
        page.locator("#notifications form button[type=submit]").first.click()
    assert int(page.locator("#unread-count").inner_text().split()[0]) == unread - 1
    assert unread_of(market, "acheteur") == unread - 1

    with page.expect_navigation():
        page.locator("#read-all button").click()
    assert page.locator("#unread-count").count() == 0
    assert unread_of(market, "acheteur") == 0
