from tests.e2e.conftest import login


def test_it_serves_the_home_page_with_the_state_design_system(page):
    page.goto("/")
    assert page.locator("header.fr-header").is_visible()
    assert page.title().endswith("Guichet Cloud")


def test_it_signs_in_a_demo_buyer_and_shows_the_organisation(page):
    login(page, "acheteur")
    assert "Ministère de l'Intérieur" in page.locator("#header-user").inner_text()
