"""The provider's tender side in HTML: its dashboard, an opportunity with
"why this offer" and "why not", sealed responses with their receipts
(submit, replace, withdraw, refused after the deadline, a double post
counted once), clarifications, and direct orders accepted or declined —
each scoped to the provider's own objects."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from broker import services as broker_services
from catalog.models import Attestation, Certification, OfferAssessment
from tenders import services
from tenders.models import Clarification, OrderStatus, TenderResponse
from tests import factories
from tests.tenders.conftest import submit
from tests.web.conftest import html_client, pass_deadline

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def matched(published, market):
    """The published tender once matching has run: the three N2 offers on
    its shortlist, their providers invited."""
    broker_services.tender_match(tender_id=published.pk)
    return published


def opportunity_url(tender):
    return reverse("provider-opportunity", args=[tender.pk])


def form_key(html: str) -> str:
    return re.search(r'name="respond-submission_key" value="([0-9a-f-]+)"', html).group(1)


def respond(
    client,
    tender,
    offer,
    *,
    price="1000.00",
    answer="Stockage S3 chiffré, réversibilité.",
    key=None,
    **extra,
):
    if key is None:
        key = form_key(client.get(opportunity_url(tender)).content.decode())
    data = {
        "action": "respond",
        "respond-offer": offer.pk,
        "respond-total_price": price,
        "respond-technical_answer": answer,
        "respond-submission_key": key,
        **extra,
    }
    return client.post(opportunity_url(tender), data)


def live(tender):
    return TenderResponse.objects.filter(tender=tender, status="submitted")


# --------------------------------------------------------------------------
# Who may enter


def test_it_sends_anonymous_visitors_to_sign_in_and_refuses_buyers(buyer_a, matched):
    for name, args in (
        ("provider-dashboard", []),
        ("provider-opportunity", [matched.pk]),
        ("provider-orders", []),
    ):
        assert html_client().get(reverse(name, args=args)).status_code == 302
        assert html_client(buyer_a).get(reverse(name, args=args)).status_code == 403


def test_it_hides_a_draft_tender_from_providers(member_a, draft, market):
    assert html_client(member_a.user).get(opportunity_url(draft)).status_code == 404


# --------------------------------------------------------------------------
# Dashboard


def test_it_lists_the_opportunities_of_a_shortlisted_provider(member_a, matched):
    html = html_client(member_a.user).get(reverse("provider-dashboard")).content.decode()
    assert matched.reference in html and opportunity_url(matched) in html


def test_it_shows_no_opportunity_to_a_provider_whose_offers_are_not_shortlisted(
    member_a, matched, provider_a
):
    # Provider A's only offer loses its qualification and is re-matched away.
    OfferAssessment.objects.filter(offer__provider=provider_a).update(level="N0", level_rank=0)
    broker_services.tender_match(tender_id=matched.pk)
    matched.invitations.filter(provider=provider_a).delete()
    html = html_client(member_a.user).get(reverse("provider-dashboard")).content.decode()
    assert matched.reference not in html and 'id="no-opportunity"' in html
    # The tender is public all the same: the provider may read it and ask why not.
    assert html_client(member_a.user).get(opportunity_url(matched)).status_code == 200


def test_it_shows_only_the_providers_own_responses_and_orders_on_the_dashboard(
    member_a, member_b, matched, market, agency_a, buyer_a
):
    submit(matched, member_a, market.a, answer="Réponse Alpha")
    submit(matched, member_b, market.b, answer="Réponse Beta")
    order = services.order_place(
        agency=agency_a, actor=buyer_a, offer=market.b, quantity="1", duration_months=1, level="N2"
    )
    html_a = html_client(member_a.user).get(reverse("provider-dashboard")).content.decode()
    html_b = html_client(member_b.user).get(reverse("provider-dashboard")).content.decode()
    receipt_a = live(matched).get(provider=member_a.provider).receipt_sha256
    receipt_b = live(matched).get(provider=member_b.provider).receipt_sha256
    assert receipt_a in html_a and receipt_b not in html_a
    assert receipt_b in html_b and receipt_a not in html_b
    assert order.reference in html_b and order.reference not in html_a


def test_it_warns_of_certificates_expiring_within_90_days(member_a, provider_a, market):
    today = timezone.localdate()
    factories.certification(
        provider_a,
        [market.a],
        scheme="ISO27001",
        version="2022",
        reference="ISO-SOON",
        expires_on=today + datetime.timedelta(days=30),
    )
    factories.certification(
        provider_a,
        [market.a],
        scheme="ISO27001",
        version="2022",
        reference="ISO-LATER",
        expires_on=today + datetime.timedelta(days=200),
    )
    html = html_client(member_a.user).get(reverse("provider-dashboard")).content.decode()
    section = html.split('id="expiring-certificates"')[1]
    assert "ISO-SOON" in section and "ISO-LATER" not in section
    assert Certification.objects.filter(reference="ISO-SOON").exists()


# --------------------------------------------------------------------------
# The opportunity: why this offer, why not


def test_it_explains_why_the_providers_offer_is_shortlisted(member_a, matched, market):
    html = html_client(member_a.user).get(opportunity_url(matched)).content.decode()
    section = html.split('id="shortlisted"')[1].split("</section>")[0]
    assert "Coffre Alpha" in section and "Coffre Beta" not in section
    assert "Required level N2, the offer is qualified N2." in section
    assert "+01:00" in html or "+02:00" in html  # the deadline carries its time zone


def test_it_lists_the_rules_another_offer_fails(member_a, provider_a, matched):
    weak = factories.offer(provider_a, name="Stockage Froid", unit_price="5", category="backup")
    html = (
        html_client(member_a.user)
        .get(opportunity_url(matched), {"whynot-offer": weak.pk})
        .content.decode()
    )
    failures = html.split('id="why-not-failures"')[1].split("</ul>")[0]
    assert 'data-rule="category"' in failures
    assert "Category iaas_storage is required, the offer is backup." in failures


def test_it_refuses_why_not_for_another_providers_offer(member_a, matched, market):
    html = (
        html_client(member_a.user)
        .get(opportunity_url(matched), {"whynot-offer": market.b.pk})
        .content.decode()
    )
    assert "Coffre Beta" not in html and 'id="why-not-result"' not in html


# --------------------------------------------------------------------------
# Sealed responses


def test_it_submits_a_response_and_shows_its_receipt(member_a, matched, market):
    client = html_client(member_a.user)
    posted = respond(client, matched, market.a, price="1234.50")
    assert posted.status_code == 302
    response = live(matched).get()
    assert response.provider == member_a.provider and response.total_price == 1234.5
    html = client.get(posted.url).content.decode()
    receipt = html.split('id="receipt"')[1].split("</div>")[0]
    assert response.receipt_sha256 in receipt
    assert response.receipt_sha256 == services.receipt_digest(
        tender=matched,
        provider_id=member_a.provider.pk,
        offer_id=market.a.pk,
        total_price="1234.50",
        technical_answer="Stockage S3 chiffré, réversibilité.",
        attachment_sha256="",
        submitted_at=response.submitted_at,
    )
    assert "1481.40" in receipt  # 1 234.50 € excl. VAT is 1 481.40 € incl. 20 % VAT
    assert timezone.localtime(response.submitted_at).strftime("%H:%M:%S") in receipt


def test_it_counts_the_same_form_posted_twice_once(member_a, matched, market):
    client = html_client(member_a.user)
    key = form_key(client.get(opportunity_url(matched)).content.decode())
    assert respond(client, matched, market.a, key=key).status_code == 302
    assert respond(client, matched, market.a, key=key, price="999.00").status_code == 302
    assert TenderResponse.objects.filter(tender=matched).count() == 1
    assert live(matched).get().total_price == 1000


def test_it_replaces_a_response_with_a_new_form(member_a, matched, market):
    client = html_client(member_a.user)
    respond(client, matched, market.a, price="1000.00")
    first = live(matched).get()
    respond(client, matched, market.a, price="900.00")
    assert live(matched).get().total_price == 900
    first.refresh_from_db()
    assert first.status == "replaced"
    html = client.get(opportunity_url(matched)).content.decode()
    assert first.receipt_sha256 in html.split("Your earlier responses")[1]


def test_it_keeps_what_was_typed_when_the_service_refuses(member_a, matched, market):
    response = respond(
        html_client(member_a.user), matched, market.a, price="12.345", answer="Mon texte précieux"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "two decimals at most" in html and "Mon texte précieux" in html and "12.345" in html
    assert not live(matched).exists()


def test_it_refuses_a_pdf_that_is_not_one(member_a, matched, market):
    fake = SimpleUploadedFile("offre.pdf", b"not a pdf", content_type="application/pdf")
    response = respond(
        html_client(member_a.user), matched, market.a, **{"respond-attachment": fake}
    )
    assert response.status_code == 400 and "must be a PDF" in response.content.decode()
    pdf = SimpleUploadedFile("offre.pdf", PDF, content_type="application/pdf")
    assert (
        respond(
            html_client(member_a.user), matched, market.a, **{"respond-attachment": pdf}
        ).status_code
        == 302
    )
    assert live(matched).get().attachment_sha256


def test_it_refuses_a_response_with_an_ineligible_offer_in_plain_words(
    member_a, provider_a, matched
):
    weak = factories.offer(provider_a, name="Stockage Froid", unit_price="5", category="backup")
    response = respond(html_client(member_a.user), matched, weak)
    assert response.status_code == 400
    assert "not eligible for this tender now (service category" in response.content.decode()
    assert not live(matched).exists()


def test_it_says_why_a_response_is_refused_and_what_is_missing(member_a, matched, market):
    Attestation.objects.filter(provider=member_a.provider, kind="social").update(
        issued_on=timezone.localdate() - datetime.timedelta(days=200),
        expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    response = respond(html_client(member_a.user), matched, market.a)
    html = response.content.decode()
    # The refusal's own message on top, then what it lists (no field of the form holds it).
    assert response.status_code == 400
    assert "valid attestations are required to respond to a tender" in html
    assert "Expired attestation" in html
    assert not live(matched).exists()


def test_it_cannot_respond_with_another_providers_offer(member_a, matched, market):
    response = respond(html_client(member_a.user), matched, market.b)
    assert response.status_code == 400 and not live(matched).exists()


def test_it_refuses_a_response_after_the_deadline_with_a_clear_message(member_a, matched, market):
    client = html_client(member_a.user)
    key = form_key(client.get(opportunity_url(matched)).content.decode())
    pass_deadline(matched)
    posted = respond(client, matched, market.a, key=key)
    assert posted.status_code == 302 and not live(matched).exists()
    html = client.get(posted.url).content.decode()
    assert "has passed: no response can be submitted" in html
    assert 'id="response-form"' not in html and 'id="responses-closed"' in html


def test_it_withdraws_the_live_response(member_a, matched, market):
    client = html_client(member_a.user)
    respond(client, matched, market.a)
    posted = client.post(reverse("provider-response-withdraw", args=[matched.pk]))
    assert posted.status_code == 302
    assert not live(matched).exists()
    assert TenderResponse.objects.get(tender=matched).status == "withdrawn"
    assert 'id="no-live-response"' in client.get(opportunity_url(matched)).content.decode()


def test_it_refuses_a_withdrawal_after_the_deadline(member_a, matched, market):
    submit(matched, member_a, market.a)
    pass_deadline(matched)
    client = html_client(member_a.user)
    posted = client.post(reverse("provider-response-withdraw", args=[matched.pk]))
    assert posted.status_code == 302 and live(matched).exists()
    assert "can no longer be withdrawn" in client.get(posted.url).content.decode()


def test_it_never_shows_a_provider_another_providers_response(member_a, member_b, matched, market):
    submit(matched, member_a, market.a, answer="Secret Alpha", price="4321.00")
    html = html_client(member_b.user).get(opportunity_url(matched)).content.decode()
    assert "Secret Alpha" not in html and "4321" not in html
    assert live(matched).get().receipt_sha256 not in html
    # Provider B's withdraw touches only its own (absent) response.
    html_client(member_b.user).post(reverse("provider-response-withdraw", args=[matched.pk]))
    assert live(matched).exists()


# --------------------------------------------------------------------------
# Clarifications


def test_it_sends_a_question_and_shows_it_as_pending_to_its_author_only(
    member_a, member_b, matched, buyer_a
):
    client = html_client(member_a.user)
    posted = client.post(
        opportunity_url(matched), {"action": "ask", "ask-question": "Quelle réversibilité ?"}
    )
    assert posted.status_code == 302
    question = Clarification.objects.get(tender=matched)
    assert question.provider == member_a.provider
    assert "Quelle réversibilité ?" in client.get(opportunity_url(matched)).content.decode()
    assert (
        "Quelle réversibilité ?"
        not in html_client(member_b.user).get(opportunity_url(matched)).content.decode()
    )
    services.clarification_answer(
        clarification=question, actor=buyer_a, answer="Export S3 complet."
    )
    assert (
        "Export S3 complet."
        in html_client(member_b.user).get(opportunity_url(matched)).content.decode()
    )


def test_it_keeps_an_empty_question_as_a_form_error(member_a, matched):
    response = html_client(member_a.user).post(
        opportunity_url(matched), {"action": "ask", "ask-question": "  "}
    )
    assert response.status_code == 400 and not Clarification.objects.exists()


# --------------------------------------------------------------------------
# Orders


@pytest.fixture
def order(agency_a, buyer_a, market):
    return services.order_place(
        agency=agency_a, actor=buyer_a, offer=market.a, quantity="2", duration_months=3, level="N2"
    )


def test_it_lists_the_providers_orders_with_totals_incl_vat(member_a, order):
    html = html_client(member_a.user).get(reverse("provider-orders")).content.decode()
    assert order.reference in html
    assert str(order.total) in html and f"{order.total * 12 / 10:.2f}" in html


def test_it_accepts_an_order(member_a, order):
    posted = html_client(member_a.user).post(reverse("provider-order-accept", args=[order.pk]))
    assert posted.status_code == 302
    order.refresh_from_db()
    assert order.status == "accepted" and order.decided_by == member_a.user


def test_it_declines_an_order_with_a_reason_and_keeps_an_empty_one_as_an_error(member_a, order):
    client = html_client(member_a.user)
    url = reverse("provider-order-decline", args=[order.pk])
    field = f"decline-{order.pk}-reason"
    assert client.post(url, {field: ""}).status_code == 400
    order.refresh_from_db()
    assert order.status == "placed"
    assert client.post(url, {field: "Capacité épuisée ce trimestre."}).status_code == 302
    order.refresh_from_db()
    assert order.status == "declined" and order.status_reason == "Capacité épuisée ce trimestre."


def test_it_hides_another_providers_orders(member_b, order):
    client = html_client(member_b.user)
    assert order.reference not in client.get(reverse("provider-orders")).content.decode()
    assert client.post(reverse("provider-order-accept", args=[order.pk])).status_code == 404
    assert client.get(reverse("provider-order-decline", args=[order.pk])).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PLACED


def test_it_says_so_when_an_order_was_already_answered(member_a, order):
    services.order_accept(order=order, actor=member_a.user)
    client = html_client(member_a.user)
    posted = client.post(reverse("provider-order-accept", args=[order.pk]))
    assert posted.status_code == 302
    assert "cannot become accepted" in client.get(posted.url).content.decode()


def test_it_shows_every_reason_the_service_gives_even_for_fields_the_form_lacks(
    member_a, matched, market, monkeypatch
):
    def refuse(**kwargs):
        raise services.TenderError(
            "Supplier documents are required.",
            code="supplier_documents_required",
            http_status=409,
            fields={"attestations": ["Missing attestation: URSSAF."]},
        )

    monkeypatch.setattr(services, "response_submit", refuse)
    response = respond(html_client(member_a.user), matched, market.a, answer="Texte conservé")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Supplier documents are required." in html and "Missing attestation: URSSAF." in html
    assert "Texte conservé" in html


def test_it_reads_the_dashboard_in_a_constant_number_of_queries(
    member_a, matched, market, agency_a, buyer_a, django_assert_max_num_queries
):
    client = html_client(member_a.user)
    submit(matched, member_a, market.a)
    client.get(reverse("provider-dashboard"))  # warm the session and the policy caches
    with django_assert_max_num_queries(40) as first:
        client.get(reverse("provider-dashboard"))
    for _ in range(3):
        tender = factories.tender(agency_a, actor=buyer_a, publish=True)
        broker_services.tender_match(tender_id=tender.pk)
        submit(tender, member_a, market.a)
        services.order_place(
            agency=agency_a,
            actor=buyer_a,
            offer=market.a,
            quantity="1",
            duration_months=1,
            level="N2",
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        html = client.get(reverse("provider-dashboard")).content.decode()
    assert html.count("/espace-fournisseur/appels/") >= 4


def test_it_says_so_when_the_provider_has_no_offer_to_respond_with(matched):
    newcomer = factories.MemberFactory(
        provider=factories.ProviderFactory(name="Delta Cloud", slug="delta")
    )
    html = html_client(newcomer.user).get(opportunity_url(matched)).content.decode()
    assert 'id="no-offer"' in html and 'id="response-form"' not in html


def test_it_reads_an_opportunity_in_a_constant_number_of_queries(
    member_a, provider_a, matched, market, buyer_a, django_assert_max_num_queries
):
    client = html_client(member_a.user)
    url = opportunity_url(matched)
    factories.offer(provider_a, name="Offre de départ")
    submit(matched, member_a, market.a)
    client.get(url)
    with django_assert_max_num_queries(40) as first:
        client.get(url, {"whynot-offer": market.a.pk})
    for number in range(3):
        factories.offer(provider_a, name=f"Offre {number}")
        submit(matched, member_a, market.a, price=f"{900 + number}.00")
        question = services.clarification_ask(
            tender=matched,
            provider=member_a.provider,
            actor=member_a.user,
            question=f"Question {number}",
        )
        services.clarification_answer(
            clarification=question, actor=buyer_a, answer=f"Réponse {number}"
        )
    with django_assert_max_num_queries(len(first.captured_queries)):
        html = client.get(url, {"whynot-offer": market.a.pk}).content.decode()
    assert "Réponse 2" in html and "Offre 2" in html


def test_it_warns_a_provider_without_valid_supplier_documents_and_links_them(db):
    provider = factories.ProviderFactory(name="Sans Papiers Cloud", compliant=False)
    member = factories.MemberFactory(provider=provider)
    html = html_client(member.user).get("/espace-fournisseur/").content.decode()
    assert 'id="compliance-problems"' in html and 'href="/espace-fournisseur/declarations/"' in html
