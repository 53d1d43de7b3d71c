"""Browser journey (2) of the provider: a shortlisted provider finds the
opportunity on its dashboard, submits a sealed response and sees its
receipt — the digest the server stored, never another provider's."""

from tests.e2e.conftest import login, screenshot
from tests.e2e.test_operator import serious_violations


def _shortlisted_opportunity(market) -> tuple[int, str, str, str]:
    """A published, still open demo tender with the best-ranked shortlisted
    provider that has not responded yet: (tender id, reference, login, offer)."""
    rows = market.sql("""
        SELECT t.id, t.reference, p.slug, o.name
          FROM tenders_tender t
          JOIN tenders_shortlistentry s ON s.tender_id = t.id
          JOIN catalog_offer o ON o.id = s.offer_id
          JOIN catalog_provider p ON p.id = o.provider_id
         WHERE t.status = 'published' AND t.response_deadline > now()
           AND NOT EXISTS (SELECT 1 FROM tenders_tenderresponse r
                            WHERE r.tender_id = t.id AND r.provider_id = p.id AND r.status = 'submitted')
           AND EXISTS (SELECT 1 FROM catalog_providermembership m
                         JOIN auth_user u ON u.id = m.user_id
                        WHERE m.provider_id = p.id AND u.username = 'fournisseur-' || p.slug)
         ORDER BY t.id, s.rank LIMIT 1""")
    assert rows, "the demo data has a published tender with a shortlist"
    tender_id, reference, slug, offer = rows[0]
    return tender_id, reference, f"fournisseur-{slug}", offer


def test_it_lets_a_shortlisted_provider_respond_and_keep_its_receipt(page, market):
    tender_id, reference, username, offer = _shortlisted_opportunity(market)
    login(page, username)
    page.goto("/espace-fournisseur/")
    opportunities = page.locator("#opportunities")
    assert reference in opportunities.inner_text()
    assert serious_violations(page) == []
    screenshot(page, "provider-dashboard")

    with page.expect_navigation():
        opportunities.get_by_role("link", name=reference).click()
    assert page.url.endswith(f"/espace-fournisseur/appels/{tender_id}/")
    assert offer in page.locator("#shortlisted").inner_text()
    page.select_option("#id_respond-offer", label=offer)
    page.fill("#id_respond-total_price", "98765.40")
    page.fill(
        "#id_respond-technical_answer",
        "Stockage objet S3 qualifié, chiffrement au repos, réversibilité.",
    )
    with page.expect_navigation():
        page.locator("#submit-response").click()

    stored = market.sql(
        """
        SELECT r.receipt_sha256, r.total_price::text FROM tenders_tenderresponse r
          JOIN catalog_provider p ON p.id = r.provider_id
         WHERE r.tender_id = %s AND 'fournisseur-' || p.slug = %s AND r.status = 'submitted'""",
        (tender_id, username),
    )
    assert len(stored) == 1 and stored[0][1] == "98765.40"
    receipt = page.locator("#receipt")
    receipt.scroll_into_view_if_needed()
    assert page.locator("#receipt-sha256").inner_text().strip() == stored[0][0]
    assert "98765,40" in receipt.inner_text()  # French reader, French decimals
    assert serious_violations(page) == []
    screenshot(page, "response-receipt")


def test_it_explains_why_not_and_lets_a_provider_decline_an_order(page, market):
    """OVHcloud has a placed demo order; its pages pass axe-core, "why
    not" answers in place, and declining asks for a reason."""
    rows = market.sql("""
        SELECT o.id, o.reference FROM tenders_order o JOIN catalog_provider p ON p.id = o.provider_id
         WHERE p.slug = 'ovhcloud' AND o.status = 'placed' ORDER BY o.id LIMIT 1""")
    assert rows, "the demo data has an order awaiting OVHcloud's answer"
    order_id, reference = rows[0]
    tender_id = market.sql(
        "SELECT id FROM tenders_tender WHERE status = 'published' ORDER BY id LIMIT 1"
    )[0][0]
    login(page, "fournisseur-ovhcloud")

    page.goto(f"/espace-fournisseur/appels/{tender_id}/")
    assert serious_violations(page) == []
    if page.locator("#id_whynot-offer").count():
        page.locator("#why-not button[type=submit]").click()
        page.locator("#why-not-result").wait_for()
        assert page.locator("#why-not-result").inner_text().strip()
        assert serious_violations(page) == []

    page.goto("/espace-fournisseur/commandes/")
    assert reference in page.locator("main").inner_text()
    assert serious_violations(page) == []
    with page.expect_navigation():
        page.locator(f"#decline-{order_id}").click()
    # A reason is required (the browser says so before the server would).
    assert page.locator(f"#id_decline-{order_id}-reason").get_attribute("required") is not None
    assert serious_violations(page) == []
    page.fill(f"#id_decline-{order_id}-reason", "Capacité d'archivage épuisée ce trimestre.")
    with page.expect_navigation():
        page.locator("#decline-form button[type=submit]").click()
    assert market.sql(
        "SELECT status, status_reason FROM tenders_order WHERE id = %s", (order_id,)
    ) == [("declined", "Capacité d'archivage épuisée ce trimestre.")]
