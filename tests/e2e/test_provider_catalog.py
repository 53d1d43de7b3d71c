"""Journey 4, provider half: NumSpot (demo data) holds only a SecNumCloud
milestone J1, so its IaaS offer qualifies for nothing above N0. A member
uploads the qualification certificate through the provider space; the
operator verifies it; the real worker re-assesses the offer and its public
page then shows level N2."""

import time
from pathlib import Path

from tests.e2e.conftest import login, screenshot

PROVIDER = "fournisseur-numspot"
OFFER = "NumSpot — IaaS de confiance"
REFERENCE = "ANSSI-SNC-2026-E2E"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _public_level(page, offer_id: int) -> str:
    page.goto(f"/offres/{offer_id}/")
    return page.locator("main .guichet-level").first.inner_text()


def _operator_verifies(page, market, cert_id: int) -> None:
    """Through the operator's verification page; the Django shell is the
    fallback while that page is not wired."""
    page.context.clear_cookies()
    login(page, "operateur")
    response = page.goto(f"/operateur/certificats/{cert_id}/")
    if response.status == 200 and page.locator("#decision-form").count():
        radio = page.locator("#decision-form input[type=radio][value=verify]")
        page.locator(f"#decision-form label[for='{radio.get_attribute('id')}']").click()
        assert radio.is_checked()
        with page.expect_navigation():
            page.locator("#decision-form button[type=submit]").click()
        return
    market.manage(
        "shell",
        "-c",
        (
            "from django.contrib.auth import get_user_model;"
            "from catalog.models import Certification; from catalog import services;"
            f"services.certification_verify(certification=Certification.objects.get(pk={cert_id}),"
            "actor=get_user_model().objects.get(username='operateur'))"
        ),
    )


def test_it_lifts_an_offer_to_n2_once_the_uploaded_certificate_is_verified(
    page, market, tmp_path: Path
):
    [(offer_id,)] = market.sql("SELECT id FROM catalog_offer WHERE name = %s", (OFFER,))
    assert "N2" not in _public_level(page, offer_id)

    login(page, PROVIDER)
    page.goto("/espace-fournisseur/offres/")
    row = page.locator(f"#offers-table tr[data-offer='{offer_id}']")
    assert row.locator(".guichet-level").get_attribute("data-level") in ("", "N0", "N1")
    screenshot(page, "provider-offers")

    # The edit page says why: the certification rule of N2 fails.
    row.locator("th a").click()
    page.wait_for_url(f"**/espace-fournisseur/offres/{offer_id}/")
    assert page.locator("#assessment [data-group='N2']").count() == 1

    page.locator(f"a[href$='/espace-fournisseur/certificats/nouveau/?offer={offer_id}']").click()
    page.wait_for_url("**/espace-fournisseur/certificats/nouveau/**")
    assert page.locator(
        f"#certificate-form input[name=scope_offers][value='{offer_id}']"
    ).is_checked()
    evidence = tmp_path / "qualification-secnumcloud.pdf"
    evidence.write_bytes(PDF)
    today = time.strftime("%Y-%m-%d")
    page.select_option("#id_scheme", "SECNUMCLOUD")
    page.fill("#id_scheme_version", "3.2")
    page.fill("#id_reference", REFERENCE)
    page.select_option("#id_status", "valid")
    page.fill("#id_issued_on", today)
    page.fill("#id_expires_on", f"{int(today[:4]) + 3}{today[4:]}")
    page.set_input_files("#id_evidence", str(evidence))
    with page.expect_navigation():
        page.locator("#certificate-save").click()

    assert "/espace-fournisseur/certificats/" in page.url and "nouveau" not in page.url, (
        page.inner_text("main")
    )
    cert_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    [(verification, digest)] = market.sql(
        "SELECT verification, evidence_sha256 FROM catalog_certification WHERE id = %s", (cert_id,)
    )
    assert verification == "pending" and len(digest) == 64
    assert page.locator("#evidence-digest code").inner_text() == digest
    screenshot(page, "provider-certificate")
    # Still N0 or N1: an unverified certificate counts for nothing.
    assert "N2" not in _public_level(page, offer_id)

    _operator_verifies(page, market, cert_id)
    [(verification,)] = market.sql(
        "SELECT verification FROM catalog_certification WHERE id = %s", (cert_id,)
    )
    assert verification == "verified"

    # The worker re-assesses after commit; the public page follows.
    deadline = time.monotonic() + 60
    level = _public_level(page, offer_id)
    while "N2" not in level and time.monotonic() < deadline:
        time.sleep(1)
        level = _public_level(page, offer_id)
    assert "N2" in level, level


def _serious_violations(page) -> list[str]:
    """axe-core on the page's main content (the frame is checked elsewhere)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context="main")
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_it_serves_the_provider_space_without_serious_accessibility_violations(page, market):
    [(offer_id,)] = market.sql(
        "SELECT id FROM catalog_offer WHERE name = %s", ("Serveurs dédiés Armor",)
    )
    [(cert_id,)] = market.sql(
        "SELECT id FROM catalog_certification WHERE reference = %s", ("DEMO-HDS-ARMOR-V1",)
    )
    login(page, "fournisseur-nuage-armor")
    pages = {
        "provider-profile": "/espace-fournisseur/profil/",
        "provider-offers-armor": "/espace-fournisseur/offres/",
        "provider-offer-edit": f"/espace-fournisseur/offres/{offer_id}/",
        "provider-offer-confirm": f"/espace-fournisseur/offres/{offer_id}/?confirm=withdraw",
        "provider-offer-create": "/espace-fournisseur/offres/nouvelle/",
        "provider-certificates": "/espace-fournisseur/certificats/",
        "provider-certificate-edit": f"/espace-fournisseur/certificats/{cert_id}/",
    }
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, url
        assert page.locator("h1").count() == 1, url
        assert _serious_violations(page) == [], url
        if name in ("provider-profile", "provider-offer-edit", "provider-certificates"):
            screenshot(page, name)
    # An error keeps the input and is announced on its field.
    page.goto("/espace-fournisseur/profil/")
    page.fill("#id_siren", "123456789")
    with page.expect_navigation():
        page.locator("#profile-form button[type=submit]").click()
    assert page.locator("#id_siren").input_value() == "123456789"
    assert page.locator("#id_siren").get_attribute("aria-invalid") == "true"
    assert _serious_violations(page) == []
