"""A visitor, signed out, on the demo marketplace: searches the catalogue,
opens an offer and its explained eligibility, then compares prices."""

from decimal import Decimal

from tests.e2e.conftest import screenshot


def test_it_lets_a_visitor_search_open_an_offer_and_compare_prices(page):
    page.goto("/catalogue/")
    all_rows = page.locator("#offer-results tr.offer-row").count()
    assert all_rows > 0

    # Choosing a level swaps the results in place (htmx) and records the
    # filter in the address, so that the page can be shared.
    page.select_option("#id_level", "N2")
    page.wait_for_url("**/catalogue/?*level=N2*")
    page.wait_for_function("document.querySelectorAll('#offer-results tr.offer-row').length > 0")
    badges = page.locator("#offer-results tr.offer-row .guichet-level").all_inner_texts()
    assert badges and all(("N2" in text) or ("N3" in text) for text in badges), badges
    page.fill("#id_q", "stockage")
    page.locator("#catalog-filters button[type=submit]").click()
    page.wait_for_url("**q=stockage*")
    page.wait_for_function("document.querySelectorAll('#offer-results tr.offer-row').length > 0")
    prices = [
        Decimal(p.split("\xa0")[0].replace(",", ".").replace("\u202f", "").replace(" ", ""))
        for p in page.locator("#offer-results tr.offer-row td.guichet-numeric").all_inner_texts()
    ]
    assert prices, "a qualified storage offer should exist in the demo data"
    screenshot(page, "catalogue")

    first = page.locator("#offer-results tr.offer-row a").first
    name = first.inner_text()
    first.click()
    page.wait_for_url("**/offres/*/")
    assert page.locator("h1").inner_text() == name
    assert page.locator("#level-N2 li.check-passed").count() > 0
    assert page.locator("#level-N4 li.check-failed").count() == 1  # classified data: never
    assert page.locator("#certificate-table tbody tr").count() > 0
    screenshot(page, "offer")

    page.locator("a[href^='/catalogue/comparer/?unit=']").click()
    page.wait_for_url("**/catalogue/comparer/?unit=*")
    page.fill("#id_quantity", "10")
    page.fill("#id_months", "12")
    page.locator("#compare-form button[type=submit]").click()
    page.wait_for_url("**quantity=10*")
    page.wait_for_function("document.querySelectorAll('tr.compare-row').length > 1")
    totals = [
        Decimal(row.get_attribute("data-total")) for row in page.locator("tr.compare-row").all()
    ]
    assert totals == sorted(totals)
    assert name in page.locator("#compare-table").inner_text()
    screenshot(page, "compare")


def test_it_works_without_javascript(browser, market):
    context = browser.new_context(base_url=market.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/catalogue/comparer/?quantity=5&unit=TB_MONTH&months=6&level=N2")
        totals = [
            Decimal(row.get_attribute("data-total")) for row in page.locator("tr.compare-row").all()
        ]
        assert totals and totals == sorted(totals)
        page.goto("/catalogue/?level=N9")
        assert page.locator("#filter-errors").is_visible()
    finally:
        context.close()


def test_it_lets_a_visitor_read_providers_and_tenders_accessibly(page, market):
    from tests.e2e.test_operator import serious_violations

    ((awarded_id,),) = market.sql(
        "SELECT id FROM tenders_tender WHERE status = 'awarded' ORDER BY id LIMIT 1"
    )
    ((open_id,),) = market.sql(
        "SELECT id FROM tenders_tender WHERE status = 'published' ORDER BY id LIMIT 1"
    )
    pages = {
        "home": "/",
        "catalogue-all": "/catalogue/?level=N3",
        "compare-all": "/catalogue/comparer/?quantity=5&unit=TB_MONTH&months=6",
        "providers": "/fournisseurs/",
        "provider": "/fournisseurs/s3ns/",
        "tenders": "/appels-offres/",
        "tender-open": f"/appels-offres/{open_id}/",
        "tender-awarded": f"/appels-offres/{awarded_id}/",
    }
    for name, path in pages.items():
        response = page.goto(path)
        assert response.status == 200, path
        assert serious_violations(page) == [], path
        screenshot(page, name)
    assert page.locator("#award").is_visible()
    page.goto(f"/appels-offres/{open_id}/")
    assert page.locator("#award").count() == 0
    assert (
        "CET" in page.locator("#deadline").inner_text()
        or "CEST" in page.locator("#deadline").inner_text()
    )
