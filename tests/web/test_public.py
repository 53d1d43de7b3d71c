"""The public journeys: home, catalogue search, price comparison, an offer's
explained eligibility, the provider directory and pages, published tenders
(sealed until the deadline, then the award)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import OfferAssessment
from tenders import services as tender_services
from tenders.models import Award
from tests import factories
from tests.tenders.conftest import close, submit
from tests.web.conftest import html_client


def page(path, user=None, **headers):
    response = html_client(user).get(path, **headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def offer_order(html: str, css_class: str = "offer-row") -> list[int]:
    return [int(pk) for pk in re.findall(rf'class="{css_class}" data-offer="(\d+)"', html)]


def assessed(offer):
    catalog_services.offers_assess(offer_ids=[offer.pk])
    return offer


# --------------------------------------------------------------------------
# Home


def test_it_shows_the_figures_of_the_catalogue_on_the_home_page(market, published):
    html = page("/")
    figures = re.findall(r'<p class="fr-h3 fr-mb-0">(\d+)</p>', html)
    # 3 published offers, 3 qualified N1+, 3 qualified N2+, 1 open tender.
    assert figures == ["3", "3", "3", "1"]
    assert 'action="/catalogue/"' in html


# --------------------------------------------------------------------------
# Catalogue search


def test_it_lists_published_offers_cheapest_first_with_their_level(market):
    html = page("/catalogue/")
    assert offer_order(html) == [market.a.pk, market.b.pk, market.c.pk]
    assert "Level N2 · Sensitive" in html
    assert "3 offers found" in html


def test_it_never_lists_a_draft_offer(market, provider_a):
    draft = factories.offer(provider_a, name="Coffre Secret", status="draft")
    html = page("/catalogue/")
    assert draft.pk not in offer_order(html)


def test_it_narrows_the_catalogue_by_full_text(market):
    assert offer_order(page("/catalogue/?q=Beta")) == [market.b.pk]


def test_it_narrows_the_catalogue_by_level_category_and_price(market, provider_a):
    compute = assessed(
        factories.offer(
            provider_a,
            name="Calcul Alpha",
            category="iaas_compute",
            unit="VCPU_MONTH",
            unit_price="9",
        )
    )
    assert offer_order(page("/catalogue/?category=iaas_compute")) == [compute.pk]
    # The compute offer has no certificate: it is not N2.
    assert compute.pk not in offer_order(page("/catalogue/?level=N2"))
    assert offer_order(page("/catalogue/?unit=GB_MONTH&max_price=0.026")) == [
        market.a.pk,
        market.b.pk,
    ]
    assert offer_order(page("/catalogue/?ordering=-price&unit=GB_MONTH")) == [
        market.c.pk,
        market.b.pk,
        market.a.pk,
    ]


def test_it_counts_the_results_per_category_and_level(market, provider_a):
    assessed(
        factories.offer(
            provider_a,
            name="Calcul Alpha",
            category="iaas_compute",
            unit="VCPU_MONTH",
            unit_price="9",
        )
    )
    html = page("/catalogue/?category=iaas_storage")
    facets = html[html.index('id="facets"') :]
    # The category facet ignores its own filter; the level facet does not.
    assert re.search(r"IaaS — compute&nbsp;\(1\)", facets)
    assert re.search(r"N2&nbsp;\(3\)", facets)


@pytest.mark.parametrize(
    "query",
    [
        "level=N9",
        "min_price=abc",
        "min_price=5&max_price=1",
        "category=nope",
        "flags=WHATEVER",
        "page=-4&location=ZZ",
    ],
)
def test_it_turns_bad_filters_into_form_errors(market, query):
    html = page(f"/catalogue/?{query}")
    assert 'id="filter-errors"' in html
    assert offer_order(html) == []


def test_it_survives_a_page_number_out_of_range(market):
    assert offer_order(page("/catalogue/?page=999")) == [market.a.pk, market.b.pk, market.c.pk]


def test_it_swaps_only_the_filters_and_results_for_htmx(market):
    response = html_client().get("/catalogue/?q=Alpha", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and 'id="catalog-filters"' in html
    assert offer_order(html) == [market.a.pk]
    assert "HX-Request" in response["Vary"]


def test_it_serves_the_whole_page_when_htmx_restores_history(market):
    html = page(
        "/catalogue/?q=Alpha", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in html and offer_order(html) == [market.a.pk]


# --------------------------------------------------------------------------
# Price comparison


def test_it_compares_the_total_price_of_offers_lowest_first(market, provider_b):
    html = page("/catalogue/comparer/?quantity=10&unit=TB_MONTH&months=12")
    assert offer_order(html, "compare-row") == [market.a.pk, market.b.pk, market.c.pk]
    totals = re.findall(r'class="compare-row" data-offer="\d+" data-total="([\d.]+)"', html)
    # 10 TB × 12 months × 20, 25, 30 € per TB-month.
    assert [Decimal(t) for t in totals] == [
        Decimal("2400.00"),
        Decimal("3000.00"),
        Decimal("3600.00"),
    ]
    assert "2,880.00" in html  # 2,400 € + 20 % VAT


def test_it_prices_a_minimum_commitment_and_explains_it(market, provider_b):
    bulk = assessed(
        factories.offer(provider_b, name="Coffre Gros", unit_price="10", minimum_commitment="100")
    )
    html = page("/catalogue/comparer/?quantity=10&unit=TB_MONTH&months=12")
    # 100 TB minimum × 12 × 10 € = 12,000 €, more than the others: last.
    assert offer_order(html, "compare-row")[-1] == bulk.pk
    assert "Minimum commitment of 100 TB-month: priced at the minimum." in html
    # With a bigger need the minimum no longer applies and it is the cheapest.
    html = page("/catalogue/comparer/?quantity=200&unit=TB_MONTH&months=12")
    assert offer_order(html, "compare-row")[0] == bulk.pk


def test_it_explains_offers_that_do_not_fit_the_need(market, provider_b):
    small = assessed(factories.offer(provider_b, name="Coffre Mini", unit_price="1", capacity="5"))
    assessed(
        factories.offer(
            provider_b, name="Calcul", category="iaas_compute", unit="VCPU_HOUR", unit_price="0.01"
        )
    )
    html = page("/catalogue/comparer/?quantity=10&unit=TB_MONTH&months=12")
    assert small.pk not in offer_order(html, "compare-row")
    assert "its capacity is 5 TB-month, below the quantity asked." in html
    assert "1 offer priced per vCPU-month" in html


def test_it_converts_units_before_comparing(market):
    html = page("/catalogue/comparer/?quantity=10000&unit=GB_MONTH&months=12")
    totals = re.findall(r'data-total="([\d.]+)"', html)
    assert Decimal(totals[0]) == Decimal("2400.00")


@pytest.mark.parametrize(
    "query",
    [
        "quantity=-1&unit=TB_MONTH&months=12",
        "quantity=10&unit=PARSEC&months=12",
        "quantity=10&unit=TB_MONTH&months=0",
        "quantity=abc",
        "level=N7&quantity=1",
    ],
)
def test_it_turns_a_bad_need_into_form_errors(market, query):
    html = page(f"/catalogue/comparer/?{query}")
    assert 'id="filter-errors"' in html
    assert offer_order(html, "compare-row") == []


def test_it_waits_for_the_whole_need_while_the_visitor_types_it(market):
    live = page("/catalogue/comparer/?quantity=10&unit=TB_MONTH&months=", HTTP_HX_REQUEST="true")
    assert 'id="filter-errors"' not in live and "Enter a quantity" in live
    assert 'id="filter-errors"' in page("/catalogue/comparer/?quantity=10&unit=TB_MONTH&months=")


def test_it_invites_to_describe_the_need_first(db):
    assert "Enter a quantity" in page("/catalogue/comparer/")


# --------------------------------------------------------------------------
# One offer


def test_it_explains_a_qualified_offer_rule_by_rule(market):
    html = page(f"/offres/{market.a.pk}/")
    assert "<h1>Coffre Alpha</h1>" in html
    assert "Level N2 · Sensitive" in html
    assert 'id="level-N2"' in html
    assert (
        "SECNUMCLOUD 3.2 certificate" in html and "is valid, verified and covers this offer" in html
    )
    assert "Registered office, central administration and main establishment in the EU." in html
    # The certificate with its validity dates.
    cert = market.a.certifications.get()
    assert cert.reference in html
    assert cert.expires_on.strftime("%Y") in html[html.index('id="certificate-table"') :]


def test_it_lists_the_failed_rules_of_an_unqualified_offer(provider_a):
    offer = assessed(factories.offer(provider_a, name="Coffre Nu", storage_countries=["US"]))
    assert OfferAssessment.objects.get(offer=offer).level == "N0"
    html = page(f"/offres/{offer.pk}/")
    n1 = html[html.index('id="level-N1"') : html.index('id="level-N2"')]
    assert "Not qualified" in n1
    assert "✗ Failed:" in n1
    assert "No valid, verified certificate covering this offer among" in n1
    assert "Location (storage): US outside the EEA" in n1
    assert "No verified certificate." in html


def test_it_shows_a_unit_price_incl_vat_to_its_four_decimals(provider_a):
    # Issue 17: 0,0300 € excl. VAT is 0,0360 € incl. VAT, not 0,0400 (the cent first).
    offer = factories.offer(provider_a, name="Coffre Fin", unit="GB_MONTH", unit_price="0.0300")
    html = html_client(language="fr").get(f"/offres/{offer.pk}/").content.decode()
    assert html.count("0,0300&nbsp;€") == 2  # the unit price and the normalised price
    assert html.count("(0,0360&nbsp;€") == 2
    assert "0,0400" not in html


def test_it_hides_unpublished_offers_from_the_public(provider_a):
    offer = factories.offer(provider_a, status="draft")
    assert html_client().get(f"/offres/{offer.pk}/").status_code == 404


def test_it_offers_a_direct_purchase_to_agency_members_only(market, buyer_a, member_a):
    path = f"/offres/{market.a.pk}/"
    assert 'id="buy-directly"' in page(path, buyer_a)
    assert 'id="buy-directly"' not in page(path)
    assert 'id="buy-directly"' not in page(path, member_a.user)


def test_it_offers_no_direct_purchase_above_the_threshold(provider_a, buyer_a):
    # 1,000 TB minimum × 20 € × 3 months = 60,000 € ≥ 40,000 €.
    big = assessed(
        factories.offer(
            provider_a, name="Coffre Géant", minimum_commitment="1000", minimum_months=3
        )
    )
    assert 'id="buy-directly"' not in page(f"/offres/{big.pk}/", buyer_a)


# --------------------------------------------------------------------------
# Providers


def test_it_lists_and_filters_the_providers(market):
    html = page("/fournisseurs/")
    assert all(name in html for name in ("Alpha Cloud", "Beta Hosting", "Gamma Datacentre"))
    html = page("/fournisseurs/?q=gamma")
    assert "Gamma Datacentre" in html and "Alpha Cloud" not in html
    assert "Alpha Cloud" not in page("/fournisseurs/?level=N3")
    assert "Alpha Cloud" in page("/fournisseurs/?level=N2&certification=SECNUMCLOUD&country=FR")


def test_it_turns_bad_provider_filters_into_form_errors(market):
    html = page("/fournisseurs/?country=XX&level=N8")
    assert 'id="filter-errors"' in html and "Alpha Cloud" not in html


def test_it_shows_a_provider_with_its_ownership_and_offers(market, provider_a):
    catalog_services.provider_stakes_set(
        provider=provider_a,
        actor=None,
        stakes=[
            {
                "holder_name": "Founders",
                "holder_country": "FR",
                "capital_pct": "70",
                "voting_pct": "70",
            },
            {
                "holder_name": "Big Fund",
                "holder_country": "US",
                "capital_pct": "30",
                "voting_pct": "30",
            },
        ],
    )
    html = page("/fournisseurs/alpha/")
    assert "<h1>Alpha Cloud</h1>" in html
    assert "Holders outside the EU own 30 % of the capital" in html and "Big Fund" in html
    offers = html[html.index('id="provider-offers"') :]
    assert "Coffre Alpha" in offers and "Coffre Beta" not in offers


def test_it_hides_a_suspended_provider(market, provider_c, operator):
    catalog_services.provider_suspend(provider=provider_c, actor=operator, reason="Fraude")
    assert html_client().get("/fournisseurs/gamma/").status_code == 404
    assert "Gamma Datacentre" not in page("/fournisseurs/")


# --------------------------------------------------------------------------
# Tenders


def test_it_lists_published_tenders_but_not_drafts(published, draft, buyer_a):
    for user in (None, buyer_a):
        html = page("/appels-offres/", user)
        assert f'href="/appels-offres/{published.pk}/"' in html
        assert f'href="/appels-offres/{draft.pk}/"' not in html
    assert html_client(buyer_a).get(f"/appels-offres/{draft.pk}/").status_code == 404


def test_it_filters_tenders_and_reports_bad_filters(published):
    assert f"/appels-offres/{published.pk}/" in page("/appels-offres/?status=open&level=N2")
    assert f"/appels-offres/{published.pk}/" not in page("/appels-offres/?status=awarded")
    html = page("/appels-offres/?status=bogus")
    assert 'id="filter-errors"' in html


def test_it_shows_the_need_and_the_deadline_with_its_time_zone(published):
    html = page(f"/appels-offres/{published.pk}/")
    assert published.title in html
    assert "Europe/Paris" in html
    assert re.search(r"Response deadline: .* (CET|CEST)", html)
    assert "100,000.00" in html and "120,000.00" in html  # estimated value HT and TTC


@pytest.mark.parametrize("reader", [None, "buyer_a"])
def test_it_keeps_responses_sealed_before_the_deadline(
    market, published, member_b, buyer_a, reader
):
    submit(published, member_b, market.b, price="12345.67", answer="Notre réponse SCELLÉE")
    with CaptureQueriesContext(connection) as queries:
        html = page(f"/appels-offres/{published.pk}/", buyer_a if reader else None)
    assert "tenders_tenderresponse" not in " ".join(q["sql"] for q in queries.captured_queries)
    for secret in ("12345", "SCELLÉE", "Beta Hosting", "Coffre Beta"):
        assert secret not in html
    assert "Responses are sealed" in html


def test_it_publishes_answered_questions_without_the_asker(market, published, member_b, buyer_a):
    asked = tender_services.clarification_ask(
        tender=published,
        provider=member_b.provider,
        actor=member_b.user,
        question="Le chiffrement est-il côté client ?",
    )
    tender_services.clarification_ask(
        tender=published,
        provider=member_b.provider,
        actor=member_b.user,
        question="Question sans réponse",
    )
    tender_services.clarification_answer(
        clarification=asked, actor=buyer_a, answer="Oui, côté client."
    )
    html = page(f"/appels-offres/{published.pk}/")
    assert "Le chiffrement est-il côté client ?" in html and "Oui, côté client." in html
    assert "Question sans réponse" not in html
    assert "Beta Hosting" not in html


def test_it_names_the_winner_and_the_amount_once_awarded(market, published, member_b, buyer_a):
    response = submit(published, member_b, market.b, price="2999.00")
    tender = close(published)
    html = page(f"/appels-offres/{tender.pk}/")
    assert "Closed, under evaluation" in html and "2,999" not in html and "Beta Hosting" not in html
    tender_services.tender_award(tender=tender, actor=buyer_a, response=response)
    html = page(f"/appels-offres/{tender.pk}/")
    award = html[html.index('id="award"') :]
    assert "to Beta Hosting for 2,999.00 € excl. VAT (3,598.80 € incl. VAT)" in award
    assert "Standstill period" in award


def test_it_keeps_naming_the_winner_once_the_contract_is_signed(
    market, published, member_b, buyer_a
):
    response = submit(published, member_b, market.b, price="2999.00")
    tender = close(published)
    tender_services.tender_award(tender=tender, actor=buyer_a, response=response)
    Award.objects.filter(tender=tender).update(
        standstill_ends_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    tender_services.tender_contract_sign(tender=tender, actor=buyer_a)
    award = page(f"/appels-offres/{tender.pk}/")
    award = award[award.index('id="award"') :]
    assert "to Beta Hosting for 2,999.00 € excl. VAT" in award and "Contract signed on" in award


def test_it_reads_no_response_for_the_public_list(published):
    with CaptureQueriesContext(connection) as queries:
        page("/appels-offres/")
    assert "tenders_tenderresponse" not in " ".join(q["sql"] for q in queries.captured_queries)


def test_it_prefills_the_comparison_from_a_link_without_errors(market):
    html = page("/catalogue/comparer/?unit=GB_MONTH&category=iaas_storage")
    assert 'id="filter-errors"' not in html and "fr-input-group--error" not in html
    assert '<option value="GB_MONTH" selected>' in html


def test_it_serves_the_open_data_and_buyer_pages_in_english(published, agency_a):
    assert "Essential public procurement data (DECP)" in page("/donnees-ouvertes/")
    html = page(f"/acheteurs/{agency_a.slug}/")
    assert "Contracts and direct purchases" in html and "not awarded yet" in html


def test_it_filters_on_where_the_data_is_kept(market, provider_a):
    abroad = assessed(
        factories.offer(provider_a, name="Coffre Outre-Atlantique", storage_countries=["US"])
    )
    assert abroad.pk not in offer_order(page("/catalogue/?location=EU"))
    assert offer_order(page("/catalogue/?location=fr")) == [market.a.pk, market.b.pk, market.c.pk]
    # A valid country where nobody keeps data is an empty result, not an error.
    html = page("/catalogue/?location=JP")
    assert 'id="filter-errors"' not in html and offer_order(html) == []


@pytest.mark.parametrize(
    "path",
    [
        "/catalogue/",
        "/catalogue/comparer/?quantity=10&unit=TB_MONTH&months=12",
        "/fournisseurs/",
        "/appels-offres/",
    ],
)
def test_it_reads_a_list_in_a_constant_number_of_queries(
    market, provider_a, agency_a, buyer_a, path
):
    factories.tender(agency_a, actor=buyer_a, publish=True)
    client = html_client()
    client.get(path)  # warm the cached list of countries

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries.captured_queries)

    before = count()
    for n in range(4):
        offer = factories.offer(factories.ProviderFactory(name=f"Extra {n}"), name=f"Coffre {n}")
        factories.certification(offer.provider, [offer])
        factories.tender(agency_a, actor=buyer_a, publish=True, title=f"Appel {n}")
    catalog_services.offers_assess(offer_ids=list(range(1, 100)))
    assert count() == before


def test_it_offers_each_data_country_once(market, provider_a):
    from catalog.forms_public import _data_countries

    assessed(factories.offer(provider_a, name="Coffre Berlin", storage_countries=["DE", "FR"]))
    assert _data_countries() == ["DE", "FR"]


def test_it_shows_the_public_bodies_using_an_offer_on_its_page_and_their_count_in_results(
    db, market, agency_a, buyer_a, member_a
):
    order = tender_services.order_place(
        agency=agency_a,
        actor=buyer_a,
        offer=market.a,
        quantity="1",
        duration_months=12,
        level="N1",
        flags=[],
    )
    tender_services.order_accept(order=order, actor=member_a.user)
    client = html_client()
    page = client.get(f"/offres/{market.a.pk}/").content.decode()
    assert 'id="offer-used-by"' in page and agency_a.name in page
    rows = client.get("/catalogue/").content.decode()
    row = rows.split(f'data-offer="{market.a.pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="guichet-numeric used-by-count">1</td>' in row


def test_it_offers_agency_members_to_save_the_search_as_a_sourcing_file(db, buyer_a):
    page = html_client(buyer_a).get("/catalogue/?level=N2").content.decode()
    assert 'id="save-search-form"' in page and 'value="level=N2"' in page
    assert 'id="save-search-form"' not in html_client().get("/catalogue/?level=N2").content.decode()
