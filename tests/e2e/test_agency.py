"""Browser journeys of a public buyer (issue 4): (1) describe an N2 need
through the wizard, publish it and watch the shortlist appear while the real
worker matches it (htmx polling, no reload); (3) after the deadline, score
the responses, award one after confirming, and find the winner on the
public award page. The pages may be in French: assertions are on data and
element ids, not on words."""

from tests.e2e.conftest import login, screenshot
from tests.e2e.test_operator import serious_violations


def _click_label(page, input_id: str) -> None:
    # DSFR draws its own radios and checkboxes over the native input.
    page.locator(f"label[for={input_id}]").click()


def test_it_publishes_an_n2_tender_through_the_wizard_and_watches_the_shortlist_appear(
    page, market
):
    login(page, "acheteur")
    page.goto("/espace-acheteur/")
    assert page.locator("h1").count() == 1
    assert serious_violations(page) == []
    screenshot(page, "agency-dashboard")

    with page.expect_navigation():
        page.locator("a[href='/espace-acheteur/appels/nouveau/']").first.click()
    # Step 1: the need.
    page.fill("#id_title", "Stockage objet N2 — essai navigateur")
    page.fill("#id_description", "200 To d'archives sensibles, chiffrement au repos.")
    page.select_option("#id_category", "iaas_storage")
    page.select_option("#id_cpv_code", "72317000-0")
    with page.expect_navigation():
        page.locator("#wizard-form button[value=next]").click()
    # Step 2: sensitivity, with a hint under each level.
    assert page.locator(".fr-stepper__steps").get_attribute("data-fr-current-step") == "2"
    assert "SecNumCloud" in page.locator("#id_level_2_helptext").inner_text()
    _click_label(page, "id_level_2")
    page.select_option("#id_location_constraint", "FR")
    assert serious_violations(page) == []
    screenshot(page, "tender-wizard")
    with page.expect_navigation():
        page.locator("#wizard-form button[value=next]").click()
    # Step 3: quantity, a mistake first (no budget), kept input on error.
    page.fill("#id_quantity", "200")
    page.select_option("#id_unit", "TB_MONTH")
    page.fill("#id_duration_months", "24")
    with page.expect_navigation():
        page.locator("#wizard-form button[value=next]").click()
    assert page.locator("#wizard-errors").is_visible()
    assert page.input_value("#id_quantity") == "200"
    page.fill("#id_estimated_value", "150000")
    with page.expect_navigation():
        page.locator("#wizard-form button[value=next]").click()
    # Step 4: the deadline comes prefilled far enough ahead; weights 60/40/0.
    assert page.input_value("#id_response_deadline")
    with page.expect_navigation():
        page.locator("#wizard-form button[value=next]").click()
    # Review, then publish.
    assert "150000" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.locator("#review-form button[value=publish]").click()

    pk = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert market.sql("SELECT status, level FROM tenders_tender WHERE id = %s", (pk,)) == [
        ("published", "N2")
    ]
    page.evaluate("window.__notReloaded = true")
    # The shortlist appears in place: htmx polls the partial until matching is done.
    page.wait_for_selector("#shortlist", timeout=45_000)
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    # The rows may show while a second run (a re-match) is still running:
    # polling goes on until the state says done, without a reload.
    page.wait_for_selector('#matching-status[data-matching-state="done"]', timeout=45_000)
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    assert page.locator("#matching-status").get_attribute("hx-trigger") is None  # polling stopped
    expected = market.sql(
        """
        SELECT o.name FROM tenders_shortlistentry s JOIN catalog_offer o ON o.id = s.offer_id
         WHERE s.tender_id = %s ORDER BY s.rank""",
        (pk,),
    )
    assert expected, "the demo catalogue has N2 storage offers in France"
    shortlist = page.locator("#shortlist").inner_text()
    assert all(name in shortlist for (name,) in expected[:5])
    assert "N2" in shortlist  # "why this offer" names the qualified level
    assert serious_violations(page) == []
    page.locator("#matching").scroll_into_view_if_needed()
    screenshot(page, "tender-shortlist")


def test_it_scores_and_awards_a_closed_tender_and_the_public_page_names_the_winner(page, market):
    rows = market.sql("""
        SELECT t.id FROM tenders_tender t JOIN tenders_agency a ON a.id = t.agency_id
         WHERE a.slug = 'chu-bordeaux' AND t.status IN ('published', 'closed')
           AND EXISTS (SELECT 1 FROM tenders_tenderresponse r WHERE r.tender_id = t.id AND r.status = 'submitted')
         ORDER BY t.id LIMIT 1""")
    assert rows, "the demo data has a CHU tender with responses"
    (pk,) = rows[0]
    # Time passes: the deadline is behind us (the page closes the tender itself).
    market.sql(
        "UPDATE tenders_tender SET response_deadline = now() - interval '1 second' WHERE id = %s",
        (pk,),
    )
    responses = market.sql(
        """
        SELECT r.public_id::text, p.name, r.total_price FROM tenders_tenderresponse r
          JOIN catalog_provider p ON p.id = r.provider_id
         WHERE r.tender_id = %s AND r.status = 'submitted' ORDER BY r.total_price""",
        (pk,),
    )
    assert len(responses) >= 2

    login(page, "acheteur-chu")
    page.goto(f"/espace-acheteur/appels/{pk}/")
    assert page.locator("#responses-table").is_visible()
    assert serious_violations(page) == []
    assert market.sql("SELECT status FROM tenders_tender WHERE id = %s", (pk,)) == [("closed",)]
    # Score every response: the dearest gets the best technical score.
    for index, (response_id, _name, _price) in enumerate(responses):
        page.fill(f"#id_r{response_id}-technical_score", str(50 + 20 * index))
        with page.expect_navigation():
            page.locator(f"#response-{response_id} button[type=submit]").click()
    scores = dict(
        market.sql(
            "SELECT public_id::text, technical_score::int FROM tenders_tenderresponse "
            "WHERE tender_id = %s "
            "AND status = 'submitted'",
            (pk,),
        )
    )
    assert scores == {rid: 50 + 20 * i for i, (rid, _n, _p) in enumerate(responses)}

    winner_id, winner, _price = responses[-1]
    ranking = page.locator("#ranking-table")
    with page.expect_navigation():
        ranking.locator(f"a[href='/espace-acheteur/appels/{pk}/attribuer/{winner_id}/']").click()
    assert winner in page.locator("main").inner_text()
    assert serious_violations(page) == []
    assert market.sql("SELECT count(*) FROM tenders_award WHERE tender_id = %s", (pk,)) == [(0,)]
    with page.expect_navigation():
        page.locator("#confirm-form button[type=submit]").click()
    assert market.sql(
        "SELECT r.public_id::text FROM tenders_award a "
        "JOIN tenders_tenderresponse r ON r.id = a.response_id WHERE a.tender_id = %s",
        (pk,),
    ) == [(winner_id,)]
    assert winner in page.locator("#award").inner_text()

    page.goto(f"/appels-offres/{pk}/")
    assert winner in page.locator("main").inner_text()


def test_it_orders_an_offer_directly_from_its_public_page_and_cancels_the_order(page, market):
    ((offer_id,),) = market.sql("""
        SELECT o.id FROM catalog_offer o JOIN catalog_provider p ON p.id = o.provider_id
         WHERE p.slug = 'nuage-armor' AND o.name = 'Hébergement mutualisé Armor'""")
    login(page, "acheteur-region")
    page.goto(f"/offres/{offer_id}/")
    with page.expect_navigation():
        page.locator(
            f"main a[href='/espace-acheteur/commandes/nouvelle/{offer_id}/']"
        ).first.click()
    assert page.locator("#offer-qualification").is_visible()
    # Too much first: refused, the input kept.
    page.fill("#id_quantity", "100000")
    page.fill("#id_duration_months", "12")
    _click_label(page, "id_level_1")
    _click_label(page, "id_flags_1")  # personal data
    with page.expect_navigation():
        page.locator("#order-form button[type=submit]").click()
    assert page.locator("#order-errors").is_visible()
    assert page.input_value("#id_quantity") == "100000"
    assert page.is_checked("#id_flags_1")
    assert serious_violations(page) == []
    page.fill("#id_quantity", "2")
    with page.expect_navigation():
        page.locator("#order-form button[type=submit]").click()
    assert page.url.endswith("/espace-acheteur/commandes/")
    ((order_id, reference, status, flags),) = market.sql(
        "SELECT id, reference, status, flags FROM tenders_order WHERE offer_id = %s AND quantity = 2 "
        "ORDER BY id DESC LIMIT 1",
        (offer_id,),
    )
    assert status == "placed" and flags == ["PERSONAL_DATA"]
    assert reference in page.locator(f"#order-{order_id}").inner_text()
    assert serious_violations(page) == []

    with page.expect_navigation():
        page.locator(
            f"#order-{order_id} a[href='/espace-acheteur/commandes/{order_id}/annuler/']"
        ).click()
    with page.expect_navigation():
        page.locator("#confirm-form button[type=submit]").click()
    assert market.sql("SELECT status FROM tenders_order WHERE id = %s", (order_id,)) == [
        ("cancelled",)
    ]
