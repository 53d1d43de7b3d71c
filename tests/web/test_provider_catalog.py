"""The provider's catalogue space: company profile, offers, certificates
(issue 4, "Provider"). Pages speak English (html_client)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.models import Certification, Offer, OfferAssessment, OfferStatus
from tests import factories
from tests.web.conftest import html_client

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"

OFFER_POST = {
    "name": "Coffre-fort souverain",
    "description": "Stockage objet",
    "category": "iaas_storage",
    "cpv_code": "72317000-0",
    "unit": "TB_MONTH",
    "unit_price": "21.5",
    "minimum_commitment": "1",
    "minimum_months": "12",
    "capacity": "500",
    "sla_pct": "99.9",
    "storage_countries": "FR",
    "processing_countries": "FR",
    "backup_countries": "fr, de",
    "technical_data_countries": "FR",
    "administration_countries": "FR",
    "support_countries": "FR",
    "subcontractors-TOTAL_FORMS": "1",
    "subcontractors-INITIAL_FORMS": "0",
    "subcontractors-0-name": "",
    "subcontractors-0-country": "",
    "subcontractors-0-role": "",
}


def profile_post(provider, **overrides):
    data = {
        "name": provider.name,
        "siren": "",
        "vat_number": "",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "website": "",
        "description": "",
        "stakes-TOTAL_FORMS": "2",
        "stakes-INITIAL_FORMS": "0",
        "stakes-0-holder_name": "Fondateurs",
        "stakes-0-holder_country": "FR",
        "stakes-0-capital_pct": "70",
        "stakes-1-holder_name": "Fonds américain",
        "stakes-1-holder_country": "US",
        "stakes-1-capital_pct": "30",
        "stakes-1-has_veto": "on",
    }
    data.update(overrides)
    return data


def cert_post(offer, **overrides):
    today = timezone.localdate()
    data = {
        "scheme": "SECNUMCLOUD",
        "scheme_version": "3.2",
        "reference": "ANSSI-SNC-2026-42",
        "status": "valid",
        "issued_on": (today - datetime.timedelta(days=10)).isoformat(),
        "expires_on": (today + datetime.timedelta(days=1000)).isoformat(),
        "scope_offers": [str(offer.pk)],
        "scope_countries": "FR",
        "evidence": SimpleUploadedFile("qualification.pdf", PDF, content_type="application/pdf"),
    }
    data.update(overrides)
    return data


@pytest.fixture
def plain_member(provider_a):
    return factories.MemberFactory(provider=provider_a, role="member").user


@pytest.fixture
def offer_a(provider_a):
    return factories.offer(provider_a, name="Stockage Alpha", status="draft")


@pytest.fixture
def offer_b(provider_b):
    return factories.offer(provider_b, name="Stockage Beta")


# --------------------------------------------------------------------------
# Access


@pytest.mark.parametrize(
    "name",
    [
        "provider-profile",
        "provider-offers",
        "provider-offer-create",
        "provider-certificates",
        "provider-certificate-create",
    ],
)
def test_it_sends_anonymous_visitors_to_the_login_page(db, name):
    response = html_client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_the_space_to_a_user_who_acts_for_no_provider(operator):
    assert html_client(operator).get(reverse("provider-offers")).status_code == 403


def test_it_hides_another_providers_offer_and_certificate(member_a, offer_b, provider_b):
    cert = factories.certification(provider_b, [offer_b])
    client = html_client(member_a.user)
    assert client.get(reverse("provider-offer-edit", args=[offer_b.pk])).status_code == 404
    assert (
        client.post(
            reverse("provider-offer-edit", args=[offer_b.pk]), {"action": "withdraw"}
        ).status_code
        == 404
    )
    assert client.get(reverse("provider-certificate-edit", args=[cert.pk])).status_code == 404
    offer_b.refresh_from_db()
    assert offer_b.status == OfferStatus.PUBLISHED


def test_it_lists_only_the_providers_own_offers_and_certificates(
    member_a, offer_a, offer_b, provider_b
):
    factories.certification(provider_b, [offer_b], reference="BETA-ONLY")
    client = html_client(member_a.user)
    offers = client.get(reverse("provider-offers")).content.decode()
    assert "Stockage Alpha" in offers and "Stockage Beta" not in offers
    assert "BETA-ONLY" not in client.get(reverse("provider-certificates")).content.decode()


# --------------------------------------------------------------------------
# Company profile


def test_it_lets_an_admin_replace_the_ownership_stakes(member_a, provider_a):
    response = html_client(member_a.user).post(
        reverse("provider-profile"), profile_post(provider_a)
    )
    assert response.status_code == 302
    stakes = {s.holder_name: s for s in provider_a.stakes.all()}
    assert set(stakes) == {"Fondateurs", "Fonds américain"}
    assert stakes["Fonds américain"].holder_country == "US" and stakes["Fonds américain"].has_veto
    assert stakes["Fondateurs"].voting_pct == 70  # voting rights default to the share of capital


def test_it_shows_a_bad_siren_on_its_field_and_keeps_the_input(member_a, provider_a):
    response = html_client(member_a.user).post(
        reverse("provider-profile"),
        profile_post(provider_a, siren="123456789", description="Texte saisi"),
    )
    assert response.status_code == 200
    assert (
        "A SIREN is 9 digits with a valid Luhn check digit."
        in response.context["form"].errors["siren"]
    )
    page = response.content.decode()
    assert 'value="123456789"' in page and "Texte saisi" in page
    provider_a.refresh_from_db()
    assert provider_a.siren == "" and not provider_a.stakes.exists()


def test_it_shows_stakes_above_100_percent_on_the_formset(member_a, provider_a):
    response = html_client(member_a.user).post(
        reverse("provider-profile"), profile_post(provider_a, **{"stakes-1-capital_pct": "31"})
    )
    assert response.status_code == 200
    assert "Stakes add up to more than 100 %" in str(response.context["formset"].non_form_errors())
    assert not provider_a.stakes.exists()


def test_it_shows_a_bad_stake_country_on_its_row(member_a, provider_a):
    response = html_client(member_a.user).post(
        reverse("provider-profile"), profile_post(provider_a, **{"stakes-1-holder_country": ""})
    )
    assert response.status_code == 200
    assert response.context["formset"].forms[1].errors["holder_country"]


def test_it_shows_the_profile_read_only_to_a_plain_member(plain_member, provider_a):
    client = html_client(plain_member)
    page = client.get(reverse("provider-profile"))
    assert page.status_code == 200
    assert b"profile-read-only" in page.content and b"profile-form" not in page.content
    response = client.post(reverse("provider-profile"), profile_post(provider_a, name="Renamed"))
    assert response.status_code == 403
    provider_a.refresh_from_db()
    assert provider_a.name == "Alpha Cloud"


# --------------------------------------------------------------------------
# Offers


def test_it_creates_a_draft_offer_with_its_locations(member_a, provider_a):
    response = html_client(member_a.user).post(reverse("provider-offer-create"), OFFER_POST)
    offer = Offer.objects.get(provider=provider_a, name="Coffre-fort souverain")
    assert response.status_code == 302 and response["Location"] == reverse(
        "provider-offer-edit", args=[offer.pk]
    )
    assert offer.status == OfferStatus.DRAFT
    assert offer.backup_countries == ["DE", "FR"] and offer.minimum_months == 12
    assert str(offer.unit_price) == "21.5000"


def test_it_keeps_the_input_when_the_service_refuses_an_offer(member_a, provider_a):
    data = {**OFFER_POST, "storage_countries": "FR, XX", "capacity": "500"}
    response = html_client(member_a.user).post(reverse("provider-offer-create"), data)
    assert response.status_code == 200
    assert (
        "'XX' is not an ISO 3166-1 alpha-2 country code."
        in response.context["form"].errors["storage_countries"]
    )
    page = response.content.decode()
    assert 'value="Coffre-fort souverain"' in page and 'value="FR, XX"' in page
    assert not Offer.objects.filter(provider=provider_a).exists()


def test_it_refuses_a_capacity_below_the_minimum_on_edit(member_a, offer_a):
    data = {**OFFER_POST, "name": "Renommée", "minimum_commitment": "10", "capacity": "5"}
    response = html_client(member_a.user).post(
        reverse("provider-offer-edit", args=[offer_a.pk]), data
    )
    assert response.status_code == 200
    assert response.context["form"].errors["capacity"] == [
        "Capacity cannot be below the minimum commitment."
    ]
    offer_a.refresh_from_db()
    assert offer_a.name == "Stockage Alpha"


def test_it_records_subcontractors_and_shows_a_bad_row(member_a, offer_a):
    client = html_client(member_a.user)
    url = reverse("provider-offer-edit", args=[offer_a.pk])
    bad = {
        **OFFER_POST,
        "subcontractors-0-name": "Sous-traitant",
        "subcontractors-0-country": "",
        "subcontractors-0-role": "support",
    }
    response = client.post(url, bad)
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors["country"]
    good = {**bad, "subcontractors-0-country": "DE", "subcontractors-0-has_data_access": "on"}
    assert client.post(url, good).status_code == 302
    sub = offer_a.subcontractors.get()
    assert (sub.name, sub.country, sub.role, sub.has_data_access) == (
        "Sous-traitant",
        "DE",
        "support",
        True,
    )


def test_it_asks_for_confirmation_then_publishes_and_withdraws(member_a, offer_a):
    client = html_client(member_a.user)
    url = reverse("provider-offer-edit", args=[offer_a.pk])
    confirm = client.get(url + "?confirm=publish").content.decode()
    assert 'id="confirm-publish"' in confirm
    offer_a.refresh_from_db()
    assert offer_a.status == OfferStatus.DRAFT  # asking is not doing
    assert client.post(url, {"action": "publish"}).status_code == 302
    offer_a.refresh_from_db()
    assert offer_a.status == OfferStatus.PUBLISHED
    assert client.post(url, {"action": "withdraw"}).status_code == 302
    offer_a.refresh_from_db()
    assert offer_a.status == OfferStatus.WITHDRAWN


def test_it_turns_a_refused_publication_into_a_message(member_a, provider_a, offer_a, operator):
    services.provider_suspend(provider=provider_a, actor=operator, reason="Contrôle en cours")
    response = html_client(member_a.user).post(
        reverse("provider-offer-edit", args=[offer_a.pk]), {"action": "publish"}, follow=True
    )
    assert response.status_code == 200
    assert "A suspended provider cannot publish offers." in response.content.decode()
    french = html_client(member_a.user, language="fr").post(
        reverse("provider-offer-edit", args=[offer_a.pk]), {"action": "publish"}, follow=True
    )
    assert "Un fournisseur suspendu ne peut pas publier d&#x27;offres." in french.content.decode()
    offer_a.refresh_from_db()
    assert offer_a.status == OfferStatus.DRAFT


def test_it_explains_the_assessed_level_on_the_edit_page(
    member_a, provider_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer = factories.offer(provider_a, name="Sans certificat")
    assert OfferAssessment.objects.get(offer=offer).level == "N0"
    page = (
        html_client(member_a.user)
        .get(reverse("provider-offer-edit", args=[offer.pk]))
        .content.decode()
    )
    assert 'data-level="N0"' in page
    # The failing N1 certification rule, in the reader's language.
    assert "Failed" in page and 'data-group="N1" open' in page
    next_level = page[page.index('id="next-level"') :]
    assert (
        "What level N1 still needs" in next_level and "certificate" in next_level.split("</ul>")[0]
    )
    listing = html_client(member_a.user).get(reverse("provider-offers")).content.decode()
    assert 'data-level="N0"' in listing


# --------------------------------------------------------------------------
# Certificates


def test_it_uploads_evidence_as_a_pending_certificate_with_its_digest(
    member_a, provider_a, offer_a
):
    import hashlib

    response = html_client(member_a.user).post(
        reverse("provider-certificate-create"), cert_post(offer_a)
    )
    cert = Certification.objects.get(provider=provider_a, reference="ANSSI-SNC-2026-42")
    assert response.status_code == 302
    assert response["Location"] == reverse("provider-certificate-edit", args=[cert.pk])
    assert cert.verification == Certification.Verification.PENDING
    assert cert.evidence_sha256 == hashlib.sha256(PDF).hexdigest()
    assert list(cert.scope_offers.all()) == [offer_a]
    page = html_client(member_a.user).get(reverse("provider-certificates")).content.decode()
    assert "Pending verification" in page and "ANSSI-SNC-2026-42" in page


@override_settings(EVIDENCE_MAX_BYTES=1024)
def test_it_refuses_too_large_evidence_and_keeps_the_other_input(member_a, provider_a, offer_a):
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 2048, content_type="application/pdf")
    response = html_client(member_a.user).post(
        reverse("provider-certificate-create"), cert_post(offer_a, evidence=big)
    )
    assert response.status_code == 200
    assert "exceeds 1024 bytes" in response.context["form"].errors["evidence"][0]
    assert 'value="ANSSI-SNC-2026-42"' in response.content.decode()
    assert not Certification.objects.filter(provider=provider_a).exists()


def test_it_refuses_evidence_that_is_not_a_pdf_or_an_image(member_a, provider_a, offer_a):
    fake = SimpleUploadedFile(
        "qualification.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    response = html_client(member_a.user).post(
        reverse("provider-certificate-create"), cert_post(offer_a, evidence=fake)
    )
    assert response.status_code == 200
    assert "must be a PDF, PNG or JPEG file" in response.context["form"].errors["evidence"][0]
    assert not Certification.objects.filter(provider=provider_a).exists()


def test_it_states_the_accepted_evidence_types_and_size(member_a):
    page = html_client(member_a.user).get(reverse("provider-certificate-create")).content.decode()
    assert 'accept="application/pdf,image/png,image/jpeg' in page and "fr-upload-group" in page
    assert "PDF, PNG or JPEG, at most 10.0\xa0MB." in page


def test_it_refuses_a_certificate_without_evidence(member_a, provider_a, offer_a):
    data = cert_post(offer_a)
    del data["evidence"]
    response = html_client(member_a.user).post(reverse("provider-certificate-create"), data)
    assert response.status_code == 200 and "evidence" in response.context["form"].errors
    assert not Certification.objects.exists()


def test_it_sends_an_edited_verified_certificate_back_to_verification(
    member_a, provider_a, offer_a
):
    cert = factories.certification(
        provider_a,
        [offer_a],
        reference="ANSSI-EDIT-1",
        evidence_url="https://cyber.gouv.fr/produits-services-qualifies",
    )
    assert cert.verification == Certification.Verification.VERIFIED
    client = html_client(member_a.user)
    url = reverse("provider-certificate-edit", args=[cert.pk])
    data = cert_post(offer_a, reference="ANSSI-EDIT-1", evidence_url=cert.evidence_url)
    del data["evidence"]
    data["expires_on"] = (cert.expires_on + datetime.timedelta(days=30)).isoformat()
    assert client.post(url, data).status_code == 302
    cert.refresh_from_db()
    assert cert.verification == Certification.Verification.PENDING
    # A service refusal keeps the input on the page.
    data["expires_on"] = data["issued_on"]
    response = client.post(url, data)
    assert response.context["form"].errors["expires_on"] == [
        "The expiry date must be after the issue date."
    ]


def test_it_shows_a_rejected_certificate_with_its_reason(member_a, provider_a, offer_a, operator):
    cert = factories.certification(provider_a, [offer_a], verify=False, reference="ANSSI-REJ-1")
    services.certification_reject(certification=cert, actor=operator, reason="Illegible scan")
    page = html_client(member_a.user).get(reverse("provider-certificates")).content.decode()
    assert "Evidence rejected" in page and "Illegible scan" in page


def test_it_lists_offers_and_certificates_in_a_constant_number_of_queries(
    member_a, provider_a, django_assert_max_num_queries
):
    offers = [factories.offer(provider_a, name=f"Offre {n}") for n in range(6)]
    for n in range(4):
        factories.certification(provider_a, offers[n : n + 2], reference=f"REF-{n}")
    client = html_client(member_a.user)
    client.get(reverse("provider-offers"))  # warm the session and caches
    with django_assert_max_num_queries(16):
        assert client.get(reverse("provider-offers")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("provider-certificates")).status_code == 200


def test_it_paginates_the_offer_list(member_a, provider_a):
    for n in range(22):
        factories.offer(provider_a, name=f"Offre {n:02d}", status="draft")
    client = html_client(member_a.user)
    first = client.get(reverse("provider-offers")).content.decode()
    second = client.get(reverse("provider-offers") + "?page=2").content.decode()
    assert "Offre 00" in first and "Offre 21" not in first
    assert "Offre 21" in second and "Offre 00" not in second


def test_it_polls_the_assessment_only_while_it_is_missing(member_a, offer_a):
    client = html_client(member_a.user)
    url = reverse("provider-offer-edit", args=[offer_a.pk])
    assert 'hx-trigger="every 3s"' in client.get(url).content.decode()
    services.offers_assess(offer_ids=[offer_a.pk])
    assert 'hx-trigger="every 3s"' not in client.get(url).content.decode()
