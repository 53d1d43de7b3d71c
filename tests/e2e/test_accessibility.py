"""Every main page, in French and in English, for each kind of visitor:
axe-core finds no serious or critical violation, and the English pages
show no French word of the interface (the French catalogue's vocabulary,
minus words English shares and words of the stored data)."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import login, screenshot

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"

WORD = re.compile(r"[^\W\d_]{4,}")
SERIOUS = {"serious", "critical"}


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


@pytest.fixture(scope="module")
def ids(market):
    def one(query: str):
        rows = market.sql(query)
        assert rows, query
        return rows[0][0]

    return {
        "offer": one("SELECT id FROM catalog_offer WHERE status = 'published' ORDER BY id LIMIT 1"),
        "provider": one("SELECT slug FROM catalog_provider WHERE slug = 'ovhcloud'"),
        "public_tender": one(
            "SELECT id FROM tenders_tender WHERE status = 'awarded' ORDER BY id LIMIT 1"
        ),
        "agency_tender": one(
            "SELECT t.id FROM tenders_tender t JOIN tenders_agency a ON a.id = t.agency_id "
            "WHERE a.slug = 'ministere-interieur' ORDER BY t.id LIMIT 1"
        ),
        "opportunity": one(
            "SELECT t.id FROM tenders_tender t WHERE t.status = 'published' ORDER BY t.id LIMIT 1"
        ),
        "certificate": one("SELECT id FROM catalog_certification ORDER BY id LIMIT 1"),
        "agency": one("SELECT slug FROM tenders_agency ORDER BY id LIMIT 1"),
        # An award decision OVHcloud took part in (standstill page), if the demo has one.
        "decision": (
            market.sql(
                "SELECT t.id FROM tenders_tender t JOIN tenders_tenderresponse r ON r.tender_id = t.id "
                "JOIN catalog_provider p ON p.id = r.provider_id WHERE p.slug = 'ovhcloud' "
                "AND t.status IN ('awarded', 'contract_signed') ORDER BY t.id LIMIT 1"
            )
            or [[None]]
        )[0][0],
    }


def _pages(ids) -> dict[str | None, list[str]]:
    return {
        None: [
            "/",
            "/catalogue/",
            "/catalogue/?level=N2",
            "/catalogue/comparer/?quantity=10&unit=TB_MONTH&duration_months=12",
            f"/offres/{ids['offer']}/",
            "/fournisseurs/",
            f"/fournisseurs/{ids['provider']}/",
            "/appels-offres/",
            f"/appels-offres/{ids['public_tender']}/",
            "/donnees-ouvertes/",
            f"/acheteurs/{ids['agency']}/",
            "/compte/connexion/",
            "/compte/mot-de-passe/",
            "/plan-du-site/",
            "/accessibilite/",
            "/mentions-legales/",
            "/donnees-personnelles/",
        ],
        "acheteur": [
            "/espace-acheteur/",
            "/espace-acheteur/appels/",
            "/espace-acheteur/appels/nouveau/",
            f"/espace-acheteur/appels/{ids['agency_tender']}/",
            "/espace-acheteur/commandes/",
            f"/espace-acheteur/commandes/nouvelle/{ids['offer']}/",
            "/espace-acheteur/dossiers/",
            "/notifications/",
        ],
        "fournisseur-ovhcloud": [
            "/espace-fournisseur/",
            "/espace-fournisseur/offres/",
            "/espace-fournisseur/offres/nouvelle/",
            "/espace-fournisseur/certificats/",
            "/espace-fournisseur/certificats/nouveau/",
            "/espace-fournisseur/profil/",
            "/espace-fournisseur/reponses/",
            "/espace-fournisseur/commandes/",
            f"/espace-fournisseur/appels/{ids['opportunity']}/",
            "/espace-fournisseur/declarations/",
            "/notifications/",
        ]
        + ([f"/appels-offres/{ids['decision']}/decision/"] if ids["decision"] else []),
        "operateur": [
            "/operateur/",
            f"/operateur/certificats/{ids['certificate']}/",
            "/operateur/fournisseurs/",
            "/operateur/journal/",
            "/operateur/echeances/",
        ],
    }


@pytest.fixture(scope="module")
def french_only_words(market) -> set[str]:
    """Words of the French interface that English never uses and that no
    stored data contains."""
    catalogue = polib.pofile(str(CATALOGUE))
    french, english = set(), set()
    for entry in catalogue:
        english |= _words(entry.msgid) | _words(entry.msgid_plural or "")
        french |= _words(entry.msgstr) | set().union(
            *[_words(v) for v in entry.msgstr_plural.values()] or [set()]
        )
    columns = market.sql(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb')"
    )
    data: set[str] = set()
    for table, column in columns:
        for (value,) in market.sql(
            f'SELECT "{column}"::text FROM "{table}" WHERE "{column}" IS NOT NULL'
        ):
            data |= _words(value)
    return french - english - data


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("who", [None, "acheteur", "fournisseur-ovhcloud", "operateur"])
def test_it_has_no_serious_accessibility_violation_and_speaks_one_language(
    browser, market, ids, french_only_words, who, language
):
    context = browser.new_context(
        base_url=market.url, locale="fr-FR" if language == "fr" else "en-GB"
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": market.url}])
    context.set_default_timeout(20_000)
    page = context.new_page()
    axe = Axe()
    problems = []
    try:
        if who:
            login(page, who)
        for url in _pages(ids)[who]:
            response = page.goto(url)
            assert response.status == 200, f"{url}: {response.status}"
            assert page.locator("html").get_attribute("lang") == language, url
            violations = [v for v in axe.run(page).response["violations"] if v["impact"] in SERIOUS]
            problems += [
                f"{language} {url}: {v['id']} ({v['impact']}) on {[n['target'] for n in v['nodes'][:3]]}"
                for v in violations
            ]
            if language == "en":
                leftovers = _words(page.inner_text("body")) & french_only_words
                if leftovers:
                    problems.append(f"en {url}: French words {sorted(leftovers)[:12]}")
            name = (who or "public") + url.replace("/", "_").split("?")[0]
            if language == "fr":
                screenshot(page, name.strip("_"))
    finally:
        context.close()
    assert problems == []
