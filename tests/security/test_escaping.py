"""Escaping (issue 7): every free text a user can submit is injected with
markup through the services, then every page of the authorisation matrix
(matrix.csv, each role where its row serves a 2xx) plus the pages of the
extra objects below is rendered: the markup never appears raw in HTML,
each field is seen escaped on at least one page (the control), and the
API returns it unchanged as JSON data."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from catalog import services as catalog_services
from catalog.models import ExclusionGround
from tenders import services
from tests import factories
from tests.security import matrix
from tests.security.conftest import build_cast
from tests.tenders.conftest import close


def payload(field: str) -> str:
    return f'<script>alert("F:{field}")</script><img src=x onerror=alert(1)>'


RAW = ('<script>alert("F:', "<img src=x onerror")
FIELDS = (
    "provider_name",
    "provider_description",
    "offer_name",
    "offer_description",
    "certificate_reference",
    "tender_title",
    "tender_description",
    "clarification_question",
    "clarification_answer",
    "response_answer",
    "complaint_text",
    "complaint_answer",
    "sourcing_name",
    "order_decline_reason",
    "order_cancel_reason",
    "tender_cancel_reason",
    "unsuccessful_reason",
    "declaration_signer",
    "declaration_comment",
    "attestation_reference",
    "api_key_name",
)

# Kept but shown on no page: an API key's name (API only), the declaration's
# comment (stored in the signed digest, read through the API).
NOT_ON_PAGES = {"api_key_name", "declaration_comment"}


@pytest.fixture
def hostile(
    market,
    agency_a,
    buyer_a,
    buyer_b,
    agency_a_admin,
    member_a,
    member_b,
    member_c,
    operator,
    django_capture_on_commit_callbacks,
):
    """The matrix cast with markup in every free text, and the objects that
    carry the remaining texts (reasons, answers, declarations)."""

    def text(field, plain):
        return payload(field)

    with django_capture_on_commit_callbacks(execute=True):
        provider = catalog_services.provider_update(
            provider=member_a.provider,
            actor=member_a.user,
            name=payload("provider_name"),
            description=payload("provider_description"),
        )
        catalog_services.offer_update(
            offer=market.a,
            actor=member_a.user,
            name=payload("offer_name"),
            description=payload("offer_description"),
        )
        factories.certification(provider, [market.a], reference=payload("certificate_reference"))
        cast = build_cast(
            market=market,
            agency_a=agency_a,
            buyer_a=buyer_a,
            buyer_b=buyer_b,
            agency_a_admin=agency_a_admin,
            member_a=member_a,
            member_b=member_b,
            operator=operator,
            text=text,
        )
        services.clarification_answer(
            clarification=cast.question, actor=buyer_a, answer=payload("clarification_answer")
        )
        services.complaint_answer(
            complaint=cast.complaint,
            actor=buyer_a,
            decision="dismissed",
            answer=payload("complaint_answer"),
        )
        declined = services.order_place(
            agency=agency_a, actor=buyer_a, offer=market.a, quantity="2", duration_months=1
        )
        services.order_decline(
            order=declined, actor=member_a.user, reason=payload("order_decline_reason")
        )
        cancelled = services.order_place(
            agency=agency_a, actor=buyer_a, offer=market.a, quantity="3", duration_months=1
        )
        services.order_cancel(order=cancelled, actor=buyer_a, reason=payload("order_cancel_reason"))
        dropped = factories.tender(agency_a, actor=buyer_a, publish=True, title="Annulé A")
        services.tender_cancel(
            tender=dropped, actor=buyer_a, reason=payload("tender_cancel_reason")
        )
        failed = factories.tender(agency_a, actor=buyer_a, publish=True, title="Infructueux A")
        failed = close(failed)
        services.tender_declare_unsuccessful(
            tender=failed, actor=buyer_a, reason=payload("unsuccessful_reason")
        )
        catalog_services.declaration_sign(
            provider=provider,
            actor=member_a.user,
            grounds={code: False for code in ExclusionGround.values},
            signer_name=payload("declaration_signer"),
            comment=payload("declaration_comment"),
        )
        today = timezone.localdate()
        catalog_services.attestation_create(
            provider=provider,
            actor=member_a.user,
            kind="tax",
            reference=payload("attestation_reference"),
            issued_on=today - timedelta(days=1),
            expires_on=today + timedelta(days=200),
        )  # the current one
    cast.provider.refresh_from_db()
    cast.extra = [
        f"/appels-offres/{dropped.pk}/",
        f"/appels-offres/{failed.pk}/",
        f"/espace-acheteur/appels/{dropped.pk}/",
        f"/espace-acheteur/appels/{failed.pk}/",
        f"/appels-offres/{cast.awarded.pk}/decision/",
        f"/espace-fournisseur/appels/{cast.published.pk}/",
        f"/espace-acheteur/appels/{cast.closed.pk}/",
        f"/espace-acheteur/appels/{cast.awarded.pk}/",
        f"/api/v1/tenders/{dropped.pk}/",
        f"/api/v1/tenders/{failed.pk}/",
        "/api/v1/orders/",
    ]
    return cast


def _client(path: str, user):
    if path.startswith("/api/"):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def _strings(data):
    if isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)
    elif isinstance(data, str):
        yield data


def test_it_renders_every_free_text_escaped(hostile):
    pages = {
        (matrix.fill(row.route, row.params, hostile), role)
        for row in matrix.load()
        if row.method == "GET"
        for role in matrix.ROLES
        if row.expected[role] == "2"
    }
    pages |= {
        (path, role)
        for path in hostile.extra
        for role in ("agency_a_member", "provider_a_member", "anonymous")
    }
    raw, seen_html, seen_json, not_json = [], set(), set(), []
    for path, role in sorted(pages, key=str):
        answer = _client(path, hostile.users[role]).get(path)
        if answer.status_code != 200 or answer.streaming:
            continue
        body = answer.content.decode(errors="replace")
        kind = answer["Content-Type"]
        found = {field for field in FIELDS if f"F:{field}" in body}
        if not found:
            continue
        if kind.startswith("text/html"):
            raw += [f"{role} {path}: {marker!r}" for marker in RAW if marker in body]
            seen_html |= found
        elif kind.startswith("application/json"):
            values = set(_strings(json.loads(body)))
            seen_json |= {field for field in found if payload(field) in values}
            not_json += [
                f"{role} {path}: {field}"
                for field in found
                if payload(field) not in values and f"F:{field}" not in json.dumps(sorted(values))
            ]
    assert not raw, "markup rendered raw:\n" + "\n".join(sorted(raw))
    assert not not_json, "\n".join(not_json)
    # The control: every field was shown on some page (escaped), so the
    # absence of raw markup is not the absence of the field.
    assert set(FIELDS) - seen_html - NOT_ON_PAGES == set()
    # The API gives the texts back as data, unchanged (escaping is the reader's job).
    assert {"tender_title", "offer_name", "provider_name", "clarification_question"} <= seen_json
