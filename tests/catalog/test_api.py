"""The catalogue API: public reads with filters and explanations, provider
writes on their own objects only, consistent errors, pinned query counts."""

import hashlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from catalog import services
from catalog.models import Offer
from config.renderers import FastJSONRenderer
from tests import factories
from tests.conftest import client_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def market(db, provider_a, provider_b, django_capture_on_commit_callbacks):
    """Alpha: one N2 offer (SecNumCloud, FR) and a draft; Beta: an N1 offer
    in Germany with ISO 27001 and HDS, 100 % US-owned."""
    with django_capture_on_commit_callbacks(execute=True):
        n2 = factories.offer(
            provider_a,
            name="Coffre souverain",
            description="Stockage chiffré à Paris",
            unit_price="25",
        )
        factories.certification(provider_a, [n2])
        draft = factories.offer(provider_a, name="Brouillon", status="draft")
        services.provider_stakes_set(
            provider=provider_b,
            actor=None,
            stakes=[
                {
                    "holder_name": "Beta Inc.",
                    "holder_country": "US",
                    "capital_pct": 100,
                    "voting_pct": 100,
                }
            ],
        )
        n1 = factories.offer(
            provider_b,
            name="Region storage",
            unit="GB_MONTH",
            unit_price="0.02",
            storage_countries=["DE"],
            processing_countries=["DE"],
            backup_countries=["DE"],
            technical_data_countries=["DE"],
            administration_countries=["US"],
        )
        factories.certification(provider_b, [n1], scheme="ISO27001", version="2022")
        factories.certification(
            provider_b, [n1], scheme="HDS", version="2.0", hds_activities=[1, 2, 3]
        )
    return {"n2": n2, "draft": draft, "n1": n1}


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_anonymous_lists_published_offers_with_their_assessment_summary(api, market):
    response = api.get("/api/v1/offers/", HTTP_ACCEPT_LANGUAGE="en")
    assert ids(response) == {market["n2"].pk, market["n1"].pk}
    row = next(r for r in response.json()["results"] if r["id"] == market["n2"].pk)
    summary = row["assessment"]
    assert summary["level"] == "N2" and summary["policy_version"] == 1 and "checks" not in summary
    assert row["normalised_price"] == {
        "amount": "0.025000",
        "unit": "GB_MONTH",
        "label": "GB-month",
        "currency": "EUR",
        "vat": "excluded",
    }
    # The detail behind the row's link explains every check the summary counts.
    detail = api.get(row["url"], HTTP_ACCEPT_LANGUAGE="en").json()
    checks = detail["assessment"]["checks"]
    assert summary["checks_passed"] == sum(c["passed"] for c in checks) > 0
    assert summary["checks_failed"] == sum(not c["passed"] for c in checks) > 0
    assert {"level", "flag", "rule", "passed", "reason"} <= set(checks[0])
    dr = next(c for c in checks if c["rule"] == "dr_support")
    assert dr["passed"] is False and "Diffusion Restreinte" in dr["reason"]
    # Every other field of the row reads as in the detail.
    brief = {key: detail[key] for key in row if key not in ("url", "assessment")}
    assert {key: row[key] for key in brief} == brief
    assert {
        key: detail["assessment"][key]
        for key in ("level", "flags", "policy_version", "assessed_at")
    } == {key: summary[key] for key in ("level", "flags", "policy_version", "assessed_at")}


def test_a_providers_own_drafts_list_with_their_summary(market, member_a):
    rows = client_for(member_a.user).get("/api/v1/offers/?status=draft").json()["results"]
    assert [r["id"] for r in rows] == [market["draft"].pk]
    detail = client_for(member_a.user).get(rows[0]["url"]).json()
    assert {key: detail[key] for key in rows[0] if key not in ("url", "assessment")} == {
        key: value for key, value in rows[0].items() if key not in ("url", "assessment")
    }


def test_reasons_follow_the_reader_language(api, market):
    fr = api.get(f"/api/v1/offers/{market['n1'].pk}/", HTTP_ACCEPT_LANGUAGE="fr").json()
    en = api.get(f"/api/v1/offers/{market['n1'].pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    fr_reason = next(
        c["reason"] for c in fr["assessment"]["checks"] if c["rule"] == "non_eu_holder_max"
    )
    en_reason = next(
        c["reason"] for c in en["assessment"]["checks"] if c["rule"] == "non_eu_holder_max"
    )
    assert "détient 100 %" in fr_reason and "holds 100 %" in en_reason


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=N2", {"n2"}),
        ("level=N1", {"n2", "n1"}),
        ("level=N3", set()),
        ("level=N1&flags=HEALTH", {"n1"}),
        ("level=N2&flags=HEALTH", set()),
        ("flags=PERSONAL_DATA,HEALTH", {"n1"}),
        ("location=FR", {"n2"}),
        ("location=EU", {"n2", "n1"}),
        ("location=DE", {"n1"}),
        ("certification=SECNUMCLOUD", {"n2"}),
        ("certification=HDS", {"n1"}),
        ("category=iaas_storage", {"n2", "n1"}),
        ("category=backup", set()),
        ("max_price=0.021", {"n1"}),
        ("min_price=0.021", {"n2"}),
        ("q=souverain", {"n2"}),
        ("q=stockage chiffre", {"n2"}),  # accents folded: "chiffré"
        ("q=alpha", {"n2"}),  # provider name
    ],
)
def test_filters(api, market, query, expected):
    assert ids(api.get(f"/api/v1/offers/?{query}")) == {market[k].pk for k in expected}


def test_ordering_by_normalised_price(api, market):
    rows = api.get("/api/v1/offers/?ordering=price").json()["results"]
    assert [r["id"] for r in rows] == [market["n1"].pk, market["n2"].pk]
    rows = api.get("/api/v1/offers/?ordering=-price").json()["results"]
    assert [r["id"] for r in rows] == [market["n2"].pk, market["n1"].pk]


def test_cursor_pagination_walks_every_offer_once(api, provider_a):
    made = {
        factories.offer(provider_a, name=f"Offer {i}", unit_price=str(10 + i % 3)).pk
        for i in range(7)
    }
    seen, url = [], "/api/v1/offers/?page_size=3&ordering=price"
    while url:
        body = api.get(url).json()
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(made)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("level=N9", "level"),
        ("flags=SECRET", "flags"),
        ("category=mainframe", "category"),
        ("location=XX", "location"),
        ("min_price=abc", "min_price"),
        ("min_price=5&max_price=1", "max_price"),
        ("ordering=provider", "ordering"),
    ],
)
def test_bad_filters_are_field_errors(api, market, query, field):
    response = api.get(f"/api/v1/offers/?{query}")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("level=N9", {"level": ["Unknown level; use one of N0, N1, N2, N3, N4."]}),
        (
            "flags=SECRET,HEALTH,FOO",
            {"flags": ["Unknown flags ['SECRET', 'FOO']; use HEALTH, PERSONAL_DATA."]},
        ),
        ("category=mainframe", {"category": ['"mainframe" is not a valid choice.']}),
        ("location=XX", {"location": ["Use an ISO 3166-1 alpha-2 country code or EU."]}),
        ("location=%20", {"location": ["This field may not be blank."]}),
        ("min_price=abc", {"min_price": ["A valid number is required."]}),
        ("min_price=inf", {"min_price": ["A valid number is required."]}),
        ("min_price=-1", {"min_price": ["Ensure this value is greater than or equal to 0."]}),
        (
            "min_price=1.1234567",
            {"min_price": ["Ensure that there are no more than 6 decimal places."]},
        ),
        (
            "min_price=12345678901.1234567",
            {"min_price": ["Ensure that there are no more than 16 digits in total."]},
        ),
        (
            "max_price=1234567890123",
            {
                "max_price": [
                    "Ensure that there are no more than 10 digits before the decimal point."
                ]
            },
        ),
        ("min_price=" + "1" * 1001, {"min_price": ["String value too large."]}),
        ("min_price=5&max_price=1", {"max_price": ["Must not be below min_price."]}),
        ("q=%20", {"q": ["This field may not be blank."]}),
        ("q=" + "x" * 201, {"q": ["Ensure this field has no more than 200 characters."]}),
        ("ordering=%20price", {"ordering": ['" price" is not a valid choice.']}),
        ("status=foo", {"status": ['"foo" is not a valid choice.']}),
        (
            "level=N9&flags=SECRET&category=x&min_price=3&max_price=1",
            {
                "flags": ["Unknown flags ['SECRET']; use HEALTH, PERSONAL_DATA."],
                "category": ['"x" is not a valid choice.'],
            },
        ),
    ],
)
def test_bad_filters_keep_their_messages(api, market, query, fields):
    response = api.get(f"/api/v1/offers/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error == {"code": "invalid", "message": "Invalid input.", "fields": fields}
    assert list(error["fields"]) == list(fields)  # in the order of the parameters


def test_filter_messages_follow_the_reader_language(market):
    from django.utils import translation
    from rest_framework.fields import DecimalField

    with translation.override("fr"):
        expected = str(DecimalField.default_error_messages["invalid"])
    assert expected != "A valid number is required."  # Django REST framework's French
    response = client_for(None, "fr").get("/api/v1/offers/?min_price=abc")
    assert response.json()["error"]["fields"] == {"min_price": [expected]}


def test_the_api_writes_drfs_json_byte_for_byte(api, market):
    # config.renderers.FastJSONRenderer (orjson) against DRF's own renderer,
    # on a list page and a detail (dates, decimals, nested lists, accents).
    for url in ("/api/v1/offers/?page_size=200", f"/api/v1/offers/{market['n2'].pk}/"):
        response = api.get(url)
        assert response.status_code == 200 and isinstance(
            response.accepted_renderer, FastJSONRenderer
        )
        assert response.content == JSONRenderer().render(response.data)
    data = {"when": timezone.now(), "text": "é\u2028", "amount": Decimal("1.50"), "big": 2**70}
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_an_anonymous_request_is_counted_by_the_anonymous_throttle_alone(
    api, market, settings, monkeypatch
):
    # The per-user throttle skips anonymous callers (two cache round trips
    # fewer per list page); the address still counts against "anon".
    from rest_framework.throttling import AnonRateThrottle

    from broker.throttling import UserRateThrottle

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "list-throttle",
        }
    }
    monkeypatch.setattr(UserRateThrottle, "rate", "1/minute", raising=False)
    monkeypatch.setattr(AnonRateThrottle, "rate", "3/minute", raising=False)
    assert [api.get("/api/v1/offers/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_list_query_count_is_pinned(api, market):
    for i in range(5):
        factories.certification(
            market["n2"].provider, [factories.offer(market["n2"].provider, name=f"x{i}")]
        )
    with CaptureQueriesContext(connection) as anonymous:
        assert api.get("/api/v1/offers/?level=N0").status_code == 200
    # offers (joined provider, assessment; list columns only; the level's
    # rank and the bodies using each offer in the same query); the level is
    # looked up on its own only for an empty page (is it unknown?)
    assert len(anonymous) == 1
    with CaptureQueriesContext(connection) as empty:
        assert api.get("/api/v1/offers/?level=N3&category=network").json()["results"] == []
    assert len(empty) == 2
    with CaptureQueriesContext(connection) as search:
        found = api.get("/api/v1/offers/?q=x1")
    assert found.status_code == 200 and [row["name"] for row in found.json()["results"]] == ["x1"]
    assert len(search) == 1  # the page, search included
    with CaptureQueriesContext(connection) as providers:
        assert api.get("/api/v1/providers/").status_code == 200
    assert len(providers) == 2  # providers + stakes
    with CaptureQueriesContext(connection) as certs:
        assert api.get("/api/v1/certifications/").status_code == 200
    assert len(certs) == 2  # certificates (joined scheme, provider) + scope offers


def test_token_login(api, member_a):
    response = api.post(
        "/api/v1/auth/token/", {"username": member_a.user.username, "password": "guichet-demo"}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    created = api.post(
        "/api/v1/offers/",
        {
            "name": "Via token",
            "category": "backup",
            "cpv_code": "72910000-2",
            "unit": "GB_MONTH",
            "unit_price": "0.05",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    bad = APIClient_with_token("nope").get("/api/v1/offers/")
    assert bad.status_code == 401


def APIClient_with_token(token):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_wrong_password_is_a_400_with_a_message(api, member_a):
    response = api.post(
        "/api/v1/auth/token/", {"username": member_a.user.username, "password": "x"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


OFFER = {
    "name": "Sauvegarde",
    "category": "backup",
    "cpv_code": "72910000-2",
    "unit": "TB_MONTH",
    "unit_price": "30",
    "storage_countries": ["FR"],
}


def test_anonymous_writes_answer_401(api, market):
    assert api.post("/api/v1/offers/", OFFER, format="json").status_code == 401
    assert (
        api.patch(f"/api/v1/offers/{market['n2'].pk}/", {"name": "x"}, format="json").status_code
        == 401
    )
    assert (
        api.patch(
            f"/api/v1/providers/{market['n2'].provider_id}/", {"name": "x"}, format="json"
        ).status_code
        == 401
    )
    assert api.post("/api/v1/certifications/", {}, format="json").status_code == 401
    assert api.post(f"/api/v1/offers/{market['n2'].pk}/withdraw/").status_code == 401


def test_a_provider_manages_its_own_offers(member_a, market, django_capture_on_commit_callbacks):
    client = client_for(member_a.user)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/v1/offers/", OFFER, format="json")
    assert created.status_code == 201, created.content
    offer_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    assert Offer.objects.get(pk=offer_id).provider == member_a.provider
    # Its own drafts are visible to it, not to others.
    assert offer_id in ids(client.get("/api/v1/offers/"))
    assert market["draft"].pk in ids(client.get("/api/v1/offers/"))
    assert client_for(None).get(f"/api/v1/offers/{offer_id}/").status_code == 404
    edited = client.patch(
        f"/api/v1/offers/{offer_id}/", {"unit_price": "31.5", "status": "published"}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["unit_price"] == "31.5000"
    assert edited.json()["status"] == "published"
    assert client.post(f"/api/v1/offers/{offer_id}/withdraw/").json()["status"] == "withdrawn"


def test_another_providers_objects_answer_404(member_b, market):
    client = client_for(member_b.user)
    assert (
        client.patch(
            f"/api/v1/offers/{market['n2'].pk}/", {"name": "hijack"}, format="json"
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/offers/{market['draft'].pk}/").status_code == 404
    assert client.post(f"/api/v1/offers/{market['n2'].pk}/withdraw/").status_code == 404
    assert (
        client.patch(
            f"/api/v1/providers/{market['n2'].provider_id}/", {"name": "x"}, format="json"
        ).status_code
        == 404
    )
    cert = market["n2"].certifications.first()
    assert (
        client.patch(
            f"/api/v1/certifications/{cert.pk}/", {"reference": "x"}, format="json"
        ).status_code
        == 404
    )
    assert Offer.objects.get(pk=market["n2"].pk).name == "Coffre souverain"


def test_a_user_without_provider_cannot_create_offers(db, market):
    user = factories.UserFactory()
    response = client_for(user).post("/api/v1/offers/", OFFER, format="json")
    assert response.status_code == 403


def test_the_operator_sees_drafts_and_verifies(
    operator, market, django_capture_on_commit_callbacks
):
    client = client_for(operator)
    assert market["draft"].pk in ids(client.get("/api/v1/offers/"))
    cert = factories.certification(
        market["n1"].provider, [market["n1"]], scheme="SECNUMCLOUD", version="3.2", verify=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/certifications/{cert.pk}/verify/")
    assert response.status_code == 200 and response.json()["verification"] == "verified"
    assert (
        client_for(None)
        .post(f"/api/v1/certifications/{cert.pk}/revoke/", {"reason": "x"})
        .status_code
        == 401
    )


def test_providers_cannot_verify(member_a, market):
    cert = market["n2"].certifications.first()
    assert (
        client_for(member_a.user).post(f"/api/v1/certifications/{cert.pk}/verify/").status_code
        == 403
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**OFFER, "cpv_code": "12345678-9"}, "cpv_code"),
        ({**OFFER, "unit": "parsec"}, "unit"),
        ({**OFFER, "unit_price": "-1"}, "unit_price"),
        ({**OFFER, "unit_price": "NaN"}, "unit_price"),
        ({**OFFER, "storage_countries": ["ZZ"]}, "storage_countries"),
        ({**OFFER, "storage_countries": "FR"}, "storage_countries"),
        ({**OFFER, "sla_pct": "101"}, "sla_pct"),
        ({**OFFER, "capacity": "1", "minimum_commitment": "10"}, "capacity"),
        ({**OFFER, "name": ""}, "name"),
        (
            {**OFFER, "subcontractors": [{"name": "X", "country": "FR", "catalog_offer": 999999}]},
            "subcontractors[0].catalog_offer",
        ),
        ({**OFFER, "subcontractors": "nope"}, "subcontractors"),
        ({k: v for k, v in OFFER.items() if k != "category"}, "category"),
    ],
)
def test_bad_offer_input_is_a_field_level_400(member_a, payload, field):
    response = client_for(member_a.user).post("/api/v1/offers/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"], response.json()


def test_a_chain_naming_another_providers_draft_is_refused_like_a_missing_id(member_a, market):
    """The chain's reason would quote the draft's assessed level."""
    hidden = factories.offer(market["n1"].provider, name="Beta draft", status="draft")
    client = client_for(member_a.user)

    def create(chain_id):
        row = {"name": "X", "country": "FR", "catalog_offer": chain_id}
        return client.post("/api/v1/offers/", {**OFFER, "subcontractors": [row]}, format="json")

    hidden_answer, missing_answer = create(hidden.pk), create(hidden.pk + 1000)
    assert hidden_answer.status_code == missing_answer.status_code == 400
    assert hidden_answer.json() == missing_answer.json()
    assert "subcontractors[0].catalog_offer" in hidden_answer.json()["error"]["fields"]
    assert not Offer.objects.filter(subcontractors__catalog_offer=hidden).exists()
    # Another provider's published offer and the provider's own draft are fine.
    for chain_id in (market["n1"].pk, market["draft"].pk):
        assert create(chain_id).status_code == 201


def test_garbage_bodies_are_400_not_500(member_a):
    client = client_for(member_a.user)
    response = client.generic(
        "POST", "/api/v1/offers/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert client.post("/api/v1/offers/", [1, 2], format="json").status_code == 400
    assert client.post("/api/v1/providers/", {"name": "x"}, format="json").status_code in (400, 409)


def test_provider_profile_and_ownership_are_validated(member_a):
    client = client_for(member_a.user)
    url = f"/api/v1/providers/{member_a.provider.pk}/"
    assert (
        "siren"
        in client.patch(url, {"siren": "123456789"}, format="json").json()["error"]["fields"]
    )
    assert (
        "vat_number"
        in client.patch(url, {"vat_number": "FR00123456782"}, format="json").json()["error"][
            "fields"
        ]
    )
    ok = client.patch(url, {"siren": "732829320", "vat_number": "FR44732829320"}, format="json")
    assert ok.status_code == 200, ok.content
    over = client.patch(
        url,
        {
            "stakes": [
                {"holder_name": "A", "holder_country": "US", "capital_pct": 60},
                {"holder_name": "B", "holder_country": "FR", "capital_pct": 50},
            ]
        },
        format="json",
    )
    assert over.status_code == 400 and "stakes" in over.json()["error"]["fields"]


def test_a_new_user_registers_a_provider_and_becomes_its_admin(db):
    user = factories.UserFactory()
    client = client_for(user)
    response = client.post(
        "/api/v1/providers/",
        {
            "name": "Nouvelle Infra",
            "registered_office_country": "FR",
            "central_administration_country": "FR",
            "main_establishment_country": "FR",
            "stakes": [{"holder_name": "Fondateurs", "holder_country": "FR", "capital_pct": "100"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert user.provider_membership.role == "admin"
    assert (
        client.post(
            "/api/v1/providers/",
            {
                "name": "Second",
                "registered_office_country": "FR",
                "central_administration_country": "FR",
                "main_establishment_country": "FR",
            },
            format="json",
        ).status_code
        == 409
    )


def test_evidence_upload_records_its_sha256(member_a, market):
    client = client_for(member_a.user)
    response = client.post(
        "/api/v1/certifications/",
        {
            "scheme": "ISO27001",
            "scheme_version": "2022",
            "reference": "ISO-ALPHA-1",
            "status": "valid",
            "issued_on": "2026-01-10",
            "expires_on": "2029-01-09",
            "scope_offers": [market["n2"].pk],
            "evidence": SimpleUploadedFile("cert.pdf", PDF, "application/pdf"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["evidence_sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["verification"] == "pending" and body["scope_offers"] == [market["n2"].pk]
    # The public sees the digest, not the file; the holder sees both.
    assert (
        client_for(None).get(f"/api/v1/certifications/{body['id']}/").status_code == 404
    )  # not verified yet
    assert body["evidence"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {
                "evidence": SimpleUploadedFile(
                    "cert.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"
                )
            },
            "evidence",
        ),
        ({"scheme": "NOPE"}, "scheme"),
        ({"expires_on": "2020-01-01"}, "expires_on"),
        ({"status": "revoked"}, "status"),
        ({"hds_activities": "9"}, "hds_activities"),
    ],
)
def test_bad_certificates_are_refused(member_a, market, overrides, field):
    data = {
        "scheme": "HDS",
        "scheme_version": "2.0",
        "reference": "HDS-X",
        "status": "valid",
        "issued_on": "2026-01-10",
        "expires_on": "2029-01-09",
        **overrides,
    }
    response = client_for(member_a.user).post("/api/v1/certifications/", data, format="multipart")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_a_provider_cannot_scope_a_certificate_on_another_providers_offer(member_a, market):
    response = client_for(member_a.user).post(
        "/api/v1/certifications/",
        {
            "scheme": "SECNUMCLOUD",
            "scheme_version": "3.2",
            "reference": "SNC-STEAL",
            "status": "valid",
            "issued_on": "2026-01-10",
            "expires_on": "2029-01-09",
            "scope_offers": [market["n1"].pk],
        },
        format="json",
    )
    assert response.status_code == 400 and "scope_offers" in response.json()["error"]["fields"]


def test_schema_and_docs_are_served(api, db):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/offers/" in schema.content
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    # Served from the sidecar package, not a CDN: works offline.
    assert b"cdn.jsdelivr" not in docs.content and b"swagger-ui" in docs.content


def test_the_schema_documents_each_explained_check(db):
    from drf_spectacular.generators import SchemaGenerator

    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    assert schemas["AssessmentOutput"]["properties"]["checks"]["items"] == {
        "$ref": "#/components/schemas/CheckOutput"
    }
    assert set(schemas["CheckOutput"]["properties"]) == {
        "level",
        "flag",
        "rule",
        "passed",
        "reason",
        "facts",
    }


def test_policy_endpoint(api, db):
    body = api.get("/api/v1/policy/").json()
    assert body["version"] == 1
    n2 = next(lv for lv in body["levels"] if lv["code"] == "N2")
    assert n2["certification_requirements"] == [
        {"scheme": "SECNUMCLOUD", "min_version": "3.2", "min_assurance": ""}
    ]


def test_details_carry_an_etag_and_answer_304_when_unchanged(api, market):
    url = f"/api/v1/offers/{market['n2'].pk}/"
    first = api.get(url)
    etag = first["ETag"]
    assert etag
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    services.offer_update(offer=market["n2"], actor=None, unit_price="26")
    changed = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_only_a_providers_administrator_edits_its_profile_through_the_api(provider_a, member_a):
    from catalog.models import MemberRole

    member_a.role = MemberRole.MEMBER
    member_a.save()
    response = client_for(member_a.user).patch(
        f"/api/v1/providers/{provider_a.pk}/", {"name": "Renamed"}, format="json"
    )
    assert response.status_code == 403
    member_a.role = MemberRole.ADMIN
    member_a.save()
    response = client_for(member_a.user).patch(
        f"/api/v1/providers/{provider_a.pk}/", {"name": "Renamed"}, format="json"
    )
    assert response.status_code == 200 and response.json()["name"] == "Renamed"
