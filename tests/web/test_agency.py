"""The buyer's pages: dashboard, tender wizard, a tender's life (live
matching, clarifications, sealed responses, scoring, award), direct
purchases; and who may reach them."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tenders import services
from tenders.models import Award, Clarification, Order, Tender, TenderResponse
from tests import factories
from tests.tenders.conftest import submit
from tests.web.conftest import html_client, pass_deadline

CREATE = "/espace-acheteur/appels/nouveau/"


def step_url(slug):
    return reverse("agency-tender-create-step", args=[slug])


def deadline_input(days=20):
    return (timezone.localtime() + datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


NEED = {
    "title": "Archives souveraines",
    "description": "200 To d'archives.",
    "category": "iaas_storage",
    "cpv_code": "72317000-0",
}
SENSITIVITY = {"level": "N2", "location_constraint": "EU"}
VOLUME = {
    "quantity": "10",
    "unit": "TB_MONTH",
    "duration_months": "12",
    "estimated_value": "100000",
}


def schedule(**overrides):
    return {
        "response_deadline": deadline_input(),
        "weight_price": "60",
        "weight_technical": "40",
        "weight_other": "0",
        **overrides,
    }


def walk_wizard(client, *, volume=None, deadline=None):
    for slug, data in (
        ("besoin", NEED),
        ("sensibilite", SENSITIVITY),
        ("volume", volume or VOLUME),
        ("calendrier", deadline or schedule()),
    ):
        answer = client.post(step_url(slug), {**data, "action": "next"})
        assert answer.status_code == 302, (slug, answer.content.decode()[:2000])
    return client


@pytest.fixture
def responded(published, market, member_a, member_b):
    """A published tender with two sealed responses (A 1,000 €, B 1,500 €)."""
    a = submit(published, member_a, market.a, price="1000.00", answer="Réponse Alpha")
    b = submit(published, member_b, market.b, price="1500.00", answer="Réponse Beta")
    return published, a, b


# --------------------------------------------------------------------------
# Who reaches the buyer's space


@pytest.mark.parametrize(
    "url", ["/espace-acheteur/", CREATE, "/espace-acheteur/commandes/", "/espace-acheteur/appels/"]
)
def test_it_sends_anonymous_visitors_to_the_login_page(db, url):
    answer = html_client().get(url)
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))


def test_it_sends_anonymous_visitors_of_a_tender_to_the_login_page(draft):
    answer = html_client().get(reverse("agency-tender-detail", args=[draft.pk]))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["member_a", "operator"])
def test_it_refuses_people_who_do_not_act_for_an_agency(request, draft, market, who):
    client = html_client(
        request.getfixturevalue(who).user if who == "member_a" else request.getfixturevalue(who)
    )
    assert client.get("/espace-acheteur/").status_code == 403
    assert client.get(reverse("agency-tender-detail", args=[draft.pk])).status_code == 403
    assert client.get(reverse("agency-order-create", args=[market.a.pk])).status_code == 403


def test_it_hides_another_agencys_tenders_and_orders(
    draft, published, buyer_b, market, buyer_a, agency_a
):
    order = services.order_place(
        agency=agency_a, actor=buyer_a, offer=market.a, quantity="1", duration_months=1, level="N2"
    )
    client = html_client(buyer_b)
    for name in (
        "agency-tender-detail",
        "agency-tender-matching",
        "agency-tender-edit",
        "agency-tender-cancel",
        "agency-tender-publish",
    ):
        assert client.get(reverse(name, args=[draft.pk])).status_code == 404, name
    assert (
        client.post(
            reverse("agency-tender-cancel", args=[published.pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    assert client.get(reverse("agency-order-cancel", args=[order.pk])).status_code == 404
    dashboard = client.get("/espace-acheteur/").content.decode()
    assert draft.reference not in dashboard and order.reference not in dashboard
    assert Tender.objects.get(pk=published.pk).status == "published"


# --------------------------------------------------------------------------
# Dashboard


def test_it_groups_the_agencys_tenders_by_state_and_lists_its_orders(
    draft, published, buyer_a, agency_a, market
):
    services.order_place(
        agency=agency_a, actor=buyer_a, offer=market.b, quantity="2", duration_months=3, level="N2"
    )
    html = html_client(buyer_a).get("/espace-acheteur/").content.decode()
    assert 'id="tenders-draft"' in html and 'id="tenders-published"' in html
    assert 'id="tenders-awarded"' not in html
    assert draft.reference in html and published.reference in html
    assert "Coffre Beta" in html and "150.00" in html  # 25 € × 2 TB × 3 months
    assert reverse("notification-inbox") in html and "unread notification" in html


# --------------------------------------------------------------------------
# The wizard


def test_it_walks_the_wizard_and_saves_a_draft(buyer_a):
    client = walk_wizard(html_client(buyer_a))
    review = client.get(step_url("verification"))
    html = review.content.decode()
    assert review.status_code == 200 and "Archives souveraines" in html and "100000" in html
    assert "120000.00" in html  # incl. VAT
    answer = client.post(step_url("verification"), {"action": "save"})
    tender = Tender.objects.get(title="Archives souveraines")
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "agency-tender-detail", args=[tender.pk]
    )
    assert tender.status == "draft" and tender.level == "N2" and tender.quantity == Decimal("10")
    assert (
        tender.weight_price == 60
        and tender.location_constraint == "EU"
        and tender.created_by == buyer_a
    )
    # The wizard starts afresh for the next need.
    assert "Archives souveraines" not in client.get(step_url("besoin")).content.decode()


def test_it_shows_a_plain_words_help_for_each_level_and_flag(buyer_a):
    html = html_client(buyer_a).get(step_url("sensibilite")).content.decode()
    assert "SecNumCloud 3.2 qualified offers only" in html
    assert "HDS v2 certificate" in html and "adequacy decision" in html
    assert "at least level N2" in html  # a State body's health floor


def test_it_keeps_what_was_typed_when_a_step_is_wrong(buyer_a):
    client = html_client(buyer_a)
    answer = client.post(step_url("besoin"), {**NEED, "title": "", "action": "next"})
    html = answer.content.decode()
    assert answer.status_code == 400 and "This field is required" in html
    assert "200 To d&#x27;archives." in html
    # Going back and forth keeps it too.
    client.post(step_url("besoin"), {**NEED, "action": "next"})
    assert "Archives souveraines" in client.get(step_url("besoin")).content.decode()


def test_it_refuses_weights_that_do_not_add_up_to_100(buyer_a):
    client = walk_wizard(html_client(buyer_a), deadline=schedule())
    answer = client.post(step_url("calendrier"), {**schedule(weight_other="10"), "action": "next"})
    html = answer.content.decode()
    assert answer.status_code == 400 and "add up to 110" in html
    assert 'value="10"' in html and 'value="60"' in html


def test_it_refuses_a_deadline_that_leaves_too_little_time(buyer_a, settings):
    answer = html_client(buyer_a).post(
        step_url("calendrier"),
        {**schedule(response_deadline=deadline_input(days=1)), "action": "next"},
    )
    assert answer.status_code == 400
    assert f"at least {settings.TENDER_MIN_RESPONSE_HOURS} hours" in answer.content.decode()


def test_it_refuses_classified_data(buyer_a):
    answer = html_client(buyer_a).post(step_url("sensibilite"), {"level": "N4", "action": "next"})
    assert (
        answer.status_code == 400 and "Classified data is out of scope" in answer.content.decode()
    )


def test_it_shows_a_service_refusal_on_the_step_that_holds_the_field(buyer_a):
    client = walk_wizard(html_client(buyer_a), volume={**VOLUME, "unit": "VCPU_MONTH"})
    answer = client.post(step_url("verification"), {"action": "publish"})
    html = answer.content.decode()
    assert answer.status_code == 400 and "does not fit the category" in html
    assert 'id="id_quantity"' in html and 'value="10"' in html
    assert not Tender.objects.exists()


def test_it_sends_an_unfinished_wizard_back_to_the_missing_step(buyer_a):
    answer = html_client(buyer_a).get(step_url("verification"))
    assert answer.status_code == 302 and answer["Location"] == step_url("besoin")


def test_it_publishes_from_the_wizard_and_the_partial_shows_the_shortlist(
    buyer_a, market, django_capture_on_commit_callbacks
):
    client = walk_wizard(html_client(buyer_a))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(step_url("verification"), {"action": "publish"})
    tender = Tender.objects.get(title="Archives souveraines")
    assert tender.status == "published" and tender.matching_state == "queued"
    partial_url = reverse("agency-tender-matching", args=[tender.pk])
    queued = client.get(partial_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in queued and "Coffre Alpha" not in queued
    page = client.get(reverse("agency-tender-detail", args=[tender.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and "<h1>Archives souveraines</h1>" in page
    for callback in callbacks:  # the broker enqueues matching after commit; Celery is eager
        callback()
    done = client.get(partial_url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and "<html" not in done
    assert done.index("Coffre Alpha") < done.index("Coffre Beta") < done.index("Coffre Gamma")
    assert "Required level N2, the offer is qualified N2." in done  # why this offer
    # Without htmx the partial's URL leads to the page.
    assert client.get(partial_url)["Location"].endswith(
        f"/espace-acheteur/appels/{tender.pk}/#matching"
    )


def test_it_warns_when_a_certificate_expires_before_the_contract_ends(
    published, buyer_a, provider_a, django_capture_on_commit_callbacks
):
    from catalog import services as catalog_services

    with django_capture_on_commit_callbacks(execute=False):
        offer = factories.offer(provider_a, name="Coffre Court", unit_price="20")
        factories.certification(
            provider_a, [offer], expires_on=timezone.localdate() + datetime.timedelta(days=60)
        )
    catalog_services.offers_assess(offer_ids=[offer.pk])
    from broker import services as broker_services

    broker_services.tender_match(tender_id=published.pk)
    html = (
        html_client(buyer_a)
        .get(reverse("agency-tender-detail", args=[published.pk]))
        .content.decode()
    )
    assert "Coffre Court" in html and "Warning:" in html and "before the contract ends" in html


def test_it_edits_a_draft_through_the_wizard(draft, buyer_a):
    client = html_client(buyer_a)
    answer = client.get(reverse("agency-tender-edit", args=[draft.pk]))
    assert answer["Location"] == reverse("agency-tender-edit-step", args=[draft.pk, "besoin"])
    form = client.get(answer["Location"]).content.decode()
    assert draft.title in form
    client.post(answer["Location"], {**NEED, "title": "Titre corrigé", "action": "next"})
    client.post(
        reverse("agency-tender-edit-step", args=[draft.pk, "verification"]), {"action": "save"}
    )
    draft.refresh_from_db()
    assert draft.title == "Titre corrigé" and draft.status == "draft"
    assert Tender.objects.count() == 1


def test_it_publishes_a_draft_after_confirmation(draft, buyer_a):
    client = html_client(buyer_a)
    url = reverse("agency-tender-publish", args=[draft.pk])
    assert "Publish the tender" in client.get(url).content.decode()
    assert Tender.objects.get(pk=draft.pk).status == "draft"
    client.post(url)
    assert Tender.objects.get(pk=draft.pk).status == "published"
    again = client.post(url, follow=True)
    assert (
        again.status_code == 200
        and "Only a draft tender can be published" in again.content.decode()
    )


# --------------------------------------------------------------------------
# Clarifications, sealed responses, evaluation, decisions


def test_it_answers_a_clarification_and_keeps_an_empty_answer_out(published, buyer_a, member_a):
    question = services.clarification_ask(
        tender=published,
        provider=member_a.provider,
        actor=member_a.user,
        question="Le chiffrement côté client est-il accepté ?",
    )
    client = html_client(buyer_a)
    detail = client.get(reverse("agency-tender-detail", args=[published.pk])).content.decode()
    assert "chiffrement côté client" in detail
    url = reverse("agency-clarification-answer", args=[published.pk, question.pk])
    assert client.post(url, {f"q{question.pk}-answer": "  "}).status_code == 400
    client.post(url, {f"q{question.pk}-answer": "Oui, avec des clés gérées par l'acheteur."})
    assert (
        Clarification.objects.get(pk=question.pk).answer
        == "Oui, avec des clés gérées par l'acheteur."
    )


def test_it_keeps_responses_sealed_before_the_deadline(responded, buyer_a):
    tender, a, b = responded
    html = (
        html_client(buyer_a).get(reverse("agency-tender-detail", args=[tender.pk])).content.decode()
    )
    assert 'id="responses-sealed"' in html
    assert (
        "1000.00" not in html and "Réponse Alpha" not in html and a.receipt_sha256[:16] not in html
    )
    assert 'id="responses-table"' not in html
    assert (
        html_client(buyer_a)
        .get(reverse("agency-tender-award", args=[tender.pk, a.public_id]))
        .status_code
        == 302
    )
    assert (
        html_client(buyer_a)
        .post(reverse("agency-tender-award", args=[tender.pk, a.public_id]))
        .status_code
        == 302
    )
    assert not Award.objects.exists()
    assert (
        html_client(buyer_a)
        .post(
            reverse("agency-response-score", args=[tender.pk, a.public_id]),
            {f"r{a.public_id}-technical_score": "50"},
        )
        .status_code
        == 404
    )


def test_it_scores_ranks_and_awards_after_the_deadline(responded, buyer_a):
    tender, a, b = responded
    pass_deadline(tender)
    client = html_client(buyer_a)
    html = client.get(reverse("agency-tender-detail", args=[tender.pk])).content.decode()
    assert Tender.objects.get(pk=tender.pk).status == "closed"
    assert "1000.00" in html and "1500.00" in html and "1800.00" in html and "Réponse Beta" in html
    # Beta's technical value outweighs Alpha's price.
    client.post(
        reverse("agency-response-score", args=[tender.pk, b.public_id]),
        {f"r{b.public_id}-technical_score": "100"},
    )
    client.post(
        reverse("agency-response-score", args=[tender.pk, a.public_id]),
        {f"r{a.public_id}-technical_score": "10"},
    )
    assert TenderResponse.objects.get(pk=b.pk).technical_score == 100
    html = client.get(reverse("agency-tender-detail", args=[tender.pk])).content.decode()
    ranking = html[html.index('id="ranking-table"') :]
    assert ranking.index("Beta Hosting") < ranking.index("Alpha Cloud")
    assert "80.00" in ranking  # 40 (price) + 40 (technical)
    confirm = client.get(reverse("agency-tender-award", args=[tender.pk, b.public_id]))
    assert (
        confirm.status_code == 200
        and "Confirm the award to Beta Hosting" in confirm.content.decode()
    )
    assert not Award.objects.exists()  # the confirmation page decides nothing
    done = client.post(reverse("agency-tender-award", args=[tender.pk, b.public_id]), follow=True)
    assert Award.objects.get().response_id == b.pk
    assert "awarded to Beta Hosting" in done.content.decode()
    assert Tender.objects.get(pk=tender.pk).status == "awarded"


def test_it_refuses_a_second_award_gracefully(responded, buyer_a):
    tender, a, b = responded
    pass_deadline(tender)
    client = html_client(buyer_a)
    client.post(reverse("agency-tender-award", args=[tender.pk, a.public_id]))
    again = client.post(reverse("agency-tender-award", args=[tender.pk, b.public_id]), follow=True)
    assert again.status_code == 200 and "cannot be awarded" in again.content.decode()
    assert Award.objects.get().response_id == a.pk


def test_it_refuses_a_score_above_100_and_keeps_the_input(responded, buyer_a):
    tender, a, b = responded
    pass_deadline(tender)
    answer = html_client(buyer_a).post(
        reverse("agency-response-score", args=[tender.pk, a.public_id]),
        {f"r{a.public_id}-technical_score": "120"},
    )
    assert answer.status_code == 400 and 'value="120"' in answer.content.decode()
    assert TenderResponse.objects.get(pk=a.pk).technical_score is None


def test_it_declares_a_closed_tender_unsuccessful_with_a_reason(responded, buyer_a):
    tender, a, b = responded
    pass_deadline(tender)
    client = html_client(buyer_a)
    url = reverse("agency-tender-unsuccessful", args=[tender.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    client.post(url, {"reason": "Offres trop chères."})
    tender.refresh_from_db()
    assert tender.status == "unsuccessful" and tender.status_reason == "Offres trop chères."


def test_it_cancels_a_published_tender_after_confirmation(published, buyer_a):
    client = html_client(buyer_a)
    url = reverse("agency-tender-cancel", args=[published.pk])
    assert client.get(url).status_code == 200
    assert Tender.objects.get(pk=published.pk).status == "published"
    client.post(url, {"reason": "Besoin requalifié."})
    assert Tender.objects.get(pk=published.pk).status == "cancelled"
    html = client.get(reverse("agency-tender-detail", args=[published.pk])).content.decode()
    assert "never opened" in html


# --------------------------------------------------------------------------
# Direct purchases


def test_the_order_form_shows_a_unit_price_incl_vat_to_its_four_decimals(buyer_a, provider_a):
    # Issue 17: 0.0300 € excl. VAT is 0.0360 € incl. VAT, not 0.04 (the cent first).
    offer = factories.offer(provider_a, name="Coffre Fin", unit="GB_MONTH", unit_price="0.0300")
    form = html_client(buyer_a).get(reverse("agency-order-create", args=[offer.pk]))
    assert "0.0300 € excl. VAT per GB-month (0.0360 € incl. VAT)" in form.content.decode()


def test_it_places_a_direct_order_below_the_threshold(buyer_a, market):
    client = html_client(buyer_a)
    url = reverse("agency-order-create", args=[market.a.pk])
    form = client.get(url).content.decode()
    assert (
        "Coffre Alpha" in form and "Alpha Cloud" in form and "24.0000 € incl. VAT" in form
    )  # 20 € + VAT, to the four decimals of a unit price
    assert "up to level N2" in form
    answer = client.post(url, {"quantity": "10", "duration_months": "12", "level": "N2"})
    order = Order.objects.get()
    assert answer.status_code == 302 and order.total == Decimal("2400.00") and order.level == "N2"
    listing = client.get(reverse("agency-orders")).content.decode()
    assert order.reference in listing and "2880.00" in listing and "placed" in listing


def test_it_refuses_an_order_above_the_threshold_with_a_clear_message(buyer_a, market, settings):
    answer = html_client(buyer_a).post(
        reverse("agency-order-create", args=[market.a.pk]),
        {"quantity": "1000", "duration_months": "12", "level": "N2"},
    )
    html = answer.content.decode()
    assert answer.status_code == 400 and "publish a tender instead" in html
    assert 'value="1000"' in html
    assert not Order.objects.exists()


def test_it_refuses_an_order_the_offer_does_not_qualify_for(buyer_a, market):
    answer = html_client(buyer_a).post(
        reverse("agency-order-create", args=[market.a.pk]),
        {"quantity": "1", "duration_months": "12", "level": "N3"},
    )
    html = answer.content.decode()
    assert answer.status_code == 400 and "not eligible" in html
    assert "Required level N3" in html  # the rule, in words
    assert not Order.objects.exists()


def test_it_cancels_a_placed_order_after_confirmation(buyer_a, agency_a, market):
    order = services.order_place(
        agency=agency_a, actor=buyer_a, offer=market.a, quantity="1", duration_months=1, level="N2"
    )
    client = html_client(buyer_a)
    url = reverse("agency-order-cancel", args=[order.pk])
    assert client.get(url).status_code == 200 and Order.objects.get().status == "placed"
    client.post(url, {"reason": ""})
    assert Order.objects.get().status == "cancelled"
    again = client.get(url, follow=True)
    assert "can no longer be cancelled" in again.content.decode()


def test_it_discards_an_unfinished_need_on_request(buyer_a):
    client = html_client(buyer_a)
    client.post(step_url("besoin"), {**NEED, "action": "next"})
    answer = client.post(step_url("volume"), {"action": "discard"})
    assert answer["Location"] == reverse("agency-dashboard")
    assert "Archives souveraines" not in client.get(step_url("besoin")).content.decode()
    assert not Tender.objects.exists()


def test_it_reads_a_tender_page_in_as_many_queries_whatever_the_number_of_responses(
    agency_a, buyer_a, market, member_a, member_b, member_c
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = factories.tender(agency_a, actor=buyer_a, publish=True)
    large = factories.tender(agency_a, actor=buyer_a, publish=True)
    submit(small, member_a, market.a)
    for member, offer in ((member_a, market.a), (member_b, market.b), (member_c, market.c)):
        submit(large, member, offer)
    client = html_client(buyer_a)
    counts = []
    for tender in (pass_deadline(small), pass_deadline(large)):
        client.get(reverse("agency-tender-detail", args=[tender.pk]))  # closes it
        with CaptureQueriesContext(connection) as queries:
            html = client.get(reverse("agency-tender-detail", args=[tender.pk])).content.decode()
        assert html.count('id="response-') == (1 if tender == small else 3)
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[0] <= 25


def test_it_lists_what_awaits_the_buyer_on_the_dashboard(responded, draft, buyer_a, member_c):
    tender, a, b = responded
    other = factories.tender(tender.agency, actor=buyer_a, publish=True, title="Sauvegarde")
    services.clarification_ask(
        tender=other, provider=member_c.provider, actor=member_c.user, question="Délai ?"
    )
    client = html_client(buyer_a)
    html = client.get("/espace-acheteur/").content.decode()
    to_do = html[html.index('id="to-do"') : html.index('id="tenders"')]
    assert other.reference in to_do and "1 question to answer" in to_do
    assert tender.reference not in to_do and draft.reference not in to_do  # nothing to do yet
    pass_deadline(tender)
    client.get(reverse("agency-tender-detail", args=[tender.pk]))  # the deadline closes it
    html = client.get("/espace-acheteur/").content.decode()
    assert tender.reference in html[html.index('id="to-do"') : html.index('id="tenders"')]
