"""Supplier declarations (DUME exclusion grounds, CCP L2141-1 to L2141-11)
and attestations: signed by a provider admin with a digest, valid for a
period; without them a provider neither responds nor accepts an order;
the operator sees what expires; providers are warned once per threshold."""

import datetime

import pytest
from django.utils import timezone

from broker import services as broker_services
from broker.models import Notification
from catalog import services as catalog_services
from catalog.models import Attestation, ExclusionGround, SupplierDeclaration
from core.dates import add_months
from tenders import services
from tests import factories
from tests.conftest import client_for
from tests.procurement.conftest import pdf
from tests.tenders.conftest import submit
from tests.web.conftest import html_client

NONE_APPLY = {code: False for code in ExclusionGround.values}


def sign(bare, **overrides):
    values = {"grounds": dict(NONE_APPLY), "signer_name": "Claire Dupont, présidente"} | overrides
    return catalog_services.declaration_sign(provider=bare.provider, actor=bare.user, **values)


def attest(bare, kind, days_ago=10, **overrides):
    issued = timezone.localdate() - datetime.timedelta(days=days_ago)
    return catalog_services.attestation_create(
        provider=bare.provider,
        actor=bare.user,
        kind=kind,
        reference=f"{kind}-123",
        issued_on=issued,
        **overrides,
    )


def make_compliant(bare):
    sign(bare)
    for kind in Attestation.Kind.values:
        attest(bare, kind)


def test_it_signs_a_declaration_with_a_digest_and_a_validity(bare_provider, settings):
    declaration = sign(bare_provider)
    assert (
        declaration.signed_by == bare_provider.user
        and declaration.signer_name == "Claire Dupont, présidente"
    )
    assert declaration.content_sha256 == catalog_services.declaration_digest(
        provider_id=bare_provider.provider.pk,
        grounds=declaration.grounds,
        comment="",
        signer_name=declaration.signer_name,
        signed_at=declaration.signed_at,
        valid_until=declaration.valid_until,
    )
    months = settings.SUPPLIER_DECLARATION_VALIDITY_MONTHS
    assert 28 * months <= (declaration.valid_until - timezone.localdate()).days <= 31 * months


def test_only_a_provider_admin_signs(bare_provider):
    member = factories.MemberFactory(provider=bare_provider.provider, role="member")
    with pytest.raises(catalog_services.CatalogError) as error:
        catalog_services.declaration_sign(
            provider=bare_provider.provider,
            actor=member.user,
            grounds=dict(NONE_APPLY),
            signer_name="X",
        )
    assert error.value.http_status == 403


def test_every_ground_must_be_answered(bare_provider):
    partial = dict(NONE_APPLY)
    partial.pop("insolvency")
    with pytest.raises(catalog_services.CatalogError) as error:
        sign(bare_provider, grounds=partial)
    assert "insolvency" in error.value.fields["grounds"][0]
    with pytest.raises(catalog_services.CatalogError):
        sign(bare_provider, grounds=NONE_APPLY | {"astrology": False})
    with pytest.raises(catalog_services.CatalogError) as error:
        sign(bare_provider, signer_name=" ")
    assert "signer_name" in error.value.fields


def test_an_attestation_is_capped_at_its_kinds_validity(bare_provider):
    social = attest(bare_provider, "social")
    assert social.expires_on == add_months(social.issued_on, 6)
    with pytest.raises(catalog_services.CatalogError) as error:
        attest(
            bare_provider,
            "registration",
            expires_on=timezone.localdate() + datetime.timedelta(days=200),
        )
    assert "expires_on" in error.value.fields
    with pytest.raises(catalog_services.CatalogError) as error:
        attest(bare_provider, "social", days_ago=200)  # six months and more: already expired
    assert "expires_on" in error.value.fields


def test_an_attestation_document_is_checked_and_hashed(bare_provider):
    attestation = attest(bare_provider, "tax", document=pdf())
    assert len(attestation.document_sha256) == 64 and attestation.document.name.endswith(".pdf")
    with pytest.raises(catalog_services.CatalogError) as error:
        attest(bare_provider, "tax", document=pdf("x.pdf", b"<html>not a pdf</html>"))
    assert "document" in error.value.fields


def test_compliance_lists_what_is_missing_expired_or_declared(bare_provider):
    problems = catalog_services.provider_compliance_problems(bare_provider.provider)
    assert set(problems) == {"declaration", "attestations"} and len(problems["attestations"]) == 3
    make_compliant(bare_provider)
    assert catalog_services.provider_compliance_problems(bare_provider.provider) == {}
    sign(bare_provider, grounds=NONE_APPLY | {"insolvency": True})
    assert (
        "exclusion ground applies"
        in catalog_services.provider_compliance_problems(bare_provider.provider)["declaration"][0]
    )
    sign(bare_provider)
    SupplierDeclaration.objects.filter(provider=bare_provider.provider).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert (
        "expired"
        in catalog_services.provider_compliance_problems(bare_provider.provider)["declaration"][0]
    )


def test_a_provider_without_valid_documents_cannot_respond(
    market, published, bare_provider, member_a
):
    offer = factories.offer(bare_provider.provider, name="Coffre Delta", unit_price="22")
    # The catalogue's one supplier-documents check (a CatalogError, mapped like any DomainError).
    with pytest.raises(catalog_services.CatalogError) as error:
        submit(published, bare_provider.member, offer)
    assert error.value.code == "supplier_documents_required" and error.value.http_status == 409
    assert set(error.value.fields) == {"declaration", "attestations"}
    # The control: a compliant provider responds.
    assert submit(published, member_a, market.a).status == "submitted"


def test_an_expired_attestation_blocks_a_response(market, published, member_a):
    Attestation.objects.filter(provider=member_a.provider, kind="social").update(
        issued_on=timezone.localdate() - datetime.timedelta(days=200),
        expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    with pytest.raises(catalog_services.CatalogError) as error:
        submit(published, member_a, market.a)
    assert "attestations" in error.value.fields


def test_a_provider_without_valid_documents_cannot_accept_an_order(
    market, agency_a, buyer_a, member_a
):
    order = services.order_place(
        agency=agency_a, actor=buyer_a, offer=market.a, quantity="10", duration_months=12
    )
    SupplierDeclaration.objects.filter(provider=member_a.provider).delete()
    with pytest.raises(catalog_services.CatalogError) as error:
        services.order_accept(order=order, actor=member_a.user)
    assert "declaration" in error.value.fields
    order.refresh_from_db()
    assert order.status == "placed"


def test_providers_are_warned_once_per_threshold(bare_provider):
    make_compliant(bare_provider)
    today = timezone.localdate()
    soon = Attestation.objects.get(provider=bare_provider.provider, kind="registration")
    # The K-bis (three months) expires in 80 days: nothing yet; 20 days before: warned once.
    assert broker_services.supplier_documents_warn_expiry(today=today) == 0
    day = soon.expires_on - datetime.timedelta(days=20)
    assert broker_services.supplier_documents_warn_expiry(today=day) == 1
    assert broker_services.supplier_documents_warn_expiry(today=day) == 0
    assert (
        broker_services.supplier_documents_warn_expiry(
            today=soon.expires_on - datetime.timedelta(days=5)
        )
        == 1
    )
    note = Notification.objects.filter(kind="supplier_document_expiring").first()
    assert note.recipient == bare_provider.user and "K-bis" in note.subject
    # A newer attestation supersedes it: the old one's expiry warns nobody.
    attest(bare_provider, "registration", days_ago=0)
    broker_services.supplier_documents_warn_expiry(
        today=soon.expires_on + datetime.timedelta(days=1)
    )
    assert not Notification.objects.filter(
        key__startswith=f"attestation-expiry:{soon.pk}:expired"
    ).exists()


# --------------------------------------------------------------------------
# API


def test_the_api_signs_and_lists_a_providers_own_declarations(bare_provider, member_a, api):
    client = client_for(bare_provider.user)
    response = client.post(
        "/api/v1/declarations/",
        {"grounds": NONE_APPLY, "signer_name": "Claire Dupont"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["valid"] is True and len(response.json()["content_sha256"]) == 64
    assert [d["id"] for d in client.get("/api/v1/declarations/").json()["results"]] == [
        response.json()["id"]
    ]
    # Another provider sees only its own; anonymous callers nothing.
    others = client_for(member_a.user).get("/api/v1/declarations/").json()["results"]
    assert response.json()["id"] not in [d["id"] for d in others]
    assert api.get("/api/v1/declarations/").status_code == 401
    bad = client.post(
        "/api/v1/declarations/",
        {"grounds": {"insolvency": False}, "signer_name": "X"},
        format="json",
    )
    assert bad.status_code == 400 and "grounds" in bad.json()["error"]["fields"]


def test_an_agency_cannot_sign_a_declaration(buyer_a):
    response = client_for(buyer_a).post(
        "/api/v1/declarations/", {"grounds": NONE_APPLY, "signer_name": "X"}, format="json"
    )
    assert response.status_code == 403


def test_the_api_uploads_an_attestation(bare_provider):
    client = client_for(bare_provider.user)
    issued = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    response = client.post(
        "/api/v1/attestations/",
        {"kind": "social", "reference": "URSSAF-ABC", "issued_on": issued, "document": pdf()},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["has_document"] is True and response.json()["expired"] is False
    compliance = client.get("/api/v1/declarations/compliance/").json()
    assert compliance["compliant"] is False and set(compliance["problems"]) == {
        "declaration",
        "attestations",
    }


def test_the_operator_lists_what_expires_within_30_days(bare_provider, member_a, operator):
    make_compliant(bare_provider)
    close_to = Attestation.objects.get(provider=member_a.provider, kind="tax")
    Attestation.objects.filter(pk=close_to.pk).update(
        expires_on=timezone.localdate() + datetime.timedelta(days=12)
    )
    client = client_for(operator)
    rows = client.get("/api/v1/attestations/", {"expiring_within": 30}).json()["results"]
    assert [r["id"] for r in rows] == [close_to.pk]
    assert client.get("/api/v1/declarations/", {"expiring_within": 30}).json()["results"] == []
    assert client.get("/api/v1/attestations/", {"expiring_within": "soon"}).status_code == 400
    everything = client.get("/api/v1/attestations/", {"page_size": 50}).json()["results"]
    assert {r["provider"]["id"] for r in everything} >= {
        bare_provider.provider.pk,
        member_a.provider.pk,
    }
    compliance = client.get(
        "/api/v1/declarations/compliance/", {"provider": bare_provider.provider.pk}
    ).json()
    assert compliance["compliant"] is True


def test_the_api_explains_a_refused_response(market, published, bare_provider):
    offer = factories.offer(bare_provider.provider, name="Coffre Delta", unit_price="22")
    response = client_for(bare_provider.user).post(
        f"/api/v1/tenders/{published.pk}/responses/",
        {"offer": offer.pk, "total_price": "1000.00", "technical_answer": "Réponse."},
        format="json",
    )
    assert response.status_code == 409
    body = response.json()["error"]
    assert body["code"] == "supplier_documents_required" and "declaration" in body["fields"]


def test_the_operator_lists_cost_the_same_whatever_the_providers(operator, provider_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(operator)
    counts = []
    for name in ("Eta", "Theta"):
        factories.ProviderFactory(name=f"{name} Cloud")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/attestations/", {"page_size": 100}).status_code == 200
            assert client.get("/api/v1/declarations/", {"expiring_within": 400}).status_code == 200
            assert html_client(operator).get("/operateur/echeances/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
