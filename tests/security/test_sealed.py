"""Sealed responses (issue 7): before the deadline, no channel reveals a
response's content or count to anyone but its provider. One test per
channel. The sealed response carries a canary in its technical answer and
a price found nowhere else; every test also shows the canary to provider A
(the control: a test whose search could never match would prove nothing).

Observers: anonymous, agency A's member and admin (the buyer), agency B,
provider B (a competitor) and the operator (staff)."""

import json
import re
import time
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from broker.models import Notification, WebhookDelivery, WebhookEndpoint
from broker.webhooks import EVENT_TYPES
from tenders import ocds
from tenders.models import Tender, TenderResponse
from tests import factories
from tests.tenders.conftest import submit

CANARY = "SEALED-CANARY-7c1e"
# 98765.43 however a page formats it: 98765.43, 98 765,43, 98,765.43, 98 765,43 €.
PRICE = re.compile(r"98\D{0,8}765\D{0,8}43")
OBSERVERS = (
    "anonymous",
    "agency_a_member",
    "agency_a_admin",
    "agency_b_member",
    "provider_b_member",
    "operator",
)
# A count of responses, in the words an output would use for it.
COUNT_WORDS = re.compile(
    r"(\d+\s*(responses?|réponses?|tenderers?|soumissionnaires?|offres? reçues?)\b"
    r"|numberOfTenderers|response_count|responses_count|tenderers)",
    re.I,
)


def leaks(text: str) -> list[str]:
    found = []
    if CANARY in text:
        found.append("canary")
    if PRICE.search(text):
        found.append("price")
    match = COUNT_WORDS.search(text)
    if match:
        found.append(f"count ({match.group(0)!r})")
    return found


def html(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def sealed(
    market,
    agency_a,
    buyer_a,
    agency_a_admin,
    buyer_b,
    member_a,
    member_b,
    member_c,
    operator,  # noqa: F811
    django_capture_on_commit_callbacks,
    settings,
):
    """A published tender of agency A, matched (every provider shortlisted
    and notified), with provider A's sealed response; every user has an
    e-mail address and every organisation a webhook endpoint subscribed to
    every event. After-commit work (matching, notifications, e-mails,
    webhooks) runs as a real commit would."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    users = {
        "agency_a_member": buyer_a,
        "agency_a_admin": agency_a_admin,
        "agency_b_member": buyer_b,
        "provider_a_member": member_a.user,
        "provider_b_member": member_b.user,
        "operator": operator,
    }
    for role, user in users.items():
        user.email = f"{role}@example.org"
        user.save(update_fields=["email"])
    for owner in (
        {"provider": member_a.provider},
        {"provider": member_b.provider},
        {"provider": member_c.provider},
        {"agency": agency_a},
    ):
        # Rows written directly: the service resolves the host, and the
        # deliveries only need to be recorded (sending fails fast on port 9).
        WebhookEndpoint.objects.create(
            url="http://127.0.0.1:9/hook",
            secret="whsec_test",
            event_types=sorted(EVENT_TYPES),
            **owner,
        )
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        tender = factories.tender(
            agency_a,
            actor=buyer_a,
            publish=True,
            title="Appel scellé",
            description="Stockage pour les archives.",
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(
            tender,
            member_a,
            market.a,
            price="98765.43",
            answer=f"{CANARY}: notre réponse technique confidentielle.",
        )
    tender.refresh_from_db()
    assert tender.status == "published" and tender.shortlist.count() == 3
    return tender, response, {"anonymous": None, **users}


def _assert_quiet(outputs: dict[str, str]) -> None:
    found = {where: leaks(text) for where, text in outputs.items()}
    assert not {k: v for k, v in found.items() if v}, found


# --------------------------------------------------------------------------
# API


def test_it_keeps_responses_out_of_the_api(sealed):
    tender, response, users = sealed
    base = f"/api/v1/tenders/{tender.pk}"
    urls = [
        "/api/v1/tenders/",
        f"{base}/",
        f"{base}/responses/",
        f"{base}/responses/{response.public_id}/",
        f"{base}/ranking/",
        f"{base}/shortlist/",
        f"{base}/clarifications/",
        f"{base}/decision/",
        f"{base}/complaints/",
        "/api/v1/awards/",
        "/api/v1/agencies/",
        "/api/v1/offers/",
    ]
    outputs = {}
    for role in OBSERVERS:
        client = api(users[role])
        for url in urls:
            answer = client.get(url)
            assert answer.status_code < 500, (role, url)
            outputs[f"{role} {url}"] = answer.content.decode()
        # The response itself: refused, never an empty 200 that a count could follow.
        assert client.get(f"{base}/responses/{response.public_id}/").status_code in (401, 403, 404)
        listed = client.get(f"{base}/responses/")
        assert listed.status_code in (401, 403, 404) or listed.json() == [], (role, listed.content)
    _assert_quiet(outputs)

    own = api(users["provider_a_member"]).get(f"{base}/responses/{response.public_id}/")
    assert (
        own.status_code == 200
        and CANARY in own.content.decode()
        and own.json()["total_price"] == "98765.43"
    )


def test_it_keeps_responses_out_of_the_html_pages(sealed):
    tender, response, users = sealed
    public = [
        f"/appels-offres/{tender.pk}/",
        "/appels-offres/",
        f"/appels-offres/?q={tender.reference}",
        f"/acheteurs/{tender.agency.slug}/",
        "/",
        "/catalogue/",
        f"/offres/{response.offer_id}/",
        f"/fournisseurs/{response.provider.slug}/",
        "/donnees-ouvertes/",
        "/tableau-de-bord/",
    ]
    by_role = {
        "agency_a_member": [
            f"/espace-acheteur/appels/{tender.pk}/",
            "/espace-acheteur/",
            "/espace-acheteur/appels/",
            f"/espace-acheteur/appels/{tender.pk}/selection/",
            "/notifications/",
        ],
        "provider_b_member": [
            f"/espace-fournisseur/appels/{tender.pk}/",
            "/espace-fournisseur/",
            "/espace-fournisseur/reponses/",
            "/notifications/",
        ],
        "operator": [
            "/operateur/",
            "/operateur/fournisseurs/",
            f"/operateur/fournisseurs/{response.provider_id}/",
        ],
    }
    by_role["agency_a_admin"] = by_role["agency_a_member"]
    outputs = {}
    for role in OBSERVERS:
        client = html(users[role])
        for url in public + by_role.get(role, []):
            answer = client.get(url, follow=True)
            assert answer.status_code < 500, (role, url)
            outputs[f"{role} {url}"] = answer.content.decode()
    _assert_quiet(outputs)

    own = (
        html(users["provider_a_member"])
        .get(f"/espace-fournisseur/appels/{tender.pk}/")
        .content.decode()
    )
    assert PRICE.search(own), "the provider sees its own response on the opportunity page"


def test_it_keeps_responses_out_of_the_admin(sealed, django_user_model):
    tender, response, users = sealed
    pages = [
        "/admin/tenders/tenderresponse/",
        f"/admin/tenders/tenderresponse/{response.pk}/change/",
        f"/admin/tenders/tender/{tender.pk}/change/",
        "/admin/tenders/tender/",
        "/admin/",
    ]
    # Members of organisations are not staff: the admin sends them to its sign-in page.
    for role in (
        "anonymous",
        "agency_a_member",
        "agency_a_admin",
        "agency_b_member",
        "provider_a_member",
        "provider_b_member",
    ):
        for url in pages:
            answer = html(users[role]).get(url)
            assert answer.status_code == 302 and "/admin/login/" in answer["Location"], (role, url)
    # A staff account without permissions is refused the responses.
    clerk = django_user_model.objects.create_user("staff-sans-droits", is_staff=True)
    assert html(clerk).get(pages[0]).status_code == 403
    assert html(clerk).get(pages[1]).status_code == 403
    # Staff with the view permission, and the operator (superuser): a sealed
    # response is not listed, and its page is not found.
    viewer = django_user_model.objects.create_user("staff-lecture", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_tenderresponse"),
        Permission.objects.get(codename="view_tender"),
    )
    for user in (viewer, users["operator"]):
        client = html(user)
        listing = client.get(pages[0])
        assert listing.status_code == 200
        assert (
            tender.reference not in listing.content.decode()
            and "0 tender responses" in listing.content.decode()
        )
        assert client.get(pages[1], follow=True).redirect_chain[-1][0] == "/admin/"
        _assert_quiet(
            {f"{user.username} {url}": client.get(url).content.decode() for url in pages[2:]}
        )
    # Once closed, the operator reads it (the control).
    Tender.objects.filter(pk=tender.pk).update(status="closed", closed_at=tender.response_deadline)
    assert CANARY in html(users["operator"]).get(pages[1]).content.decode()


def test_it_keeps_responses_out_of_notifications(sealed):
    tender, response, users = sealed
    observers = [users[role] for role in OBSERVERS if users[role] is not None]
    rows = Notification.objects.filter(recipient__in=observers)
    assert rows.exists(), "matching notified the shortlisted providers and the buyer"
    _assert_quiet(
        {f"notification {n.pk} to {n.recipient}": f"{n.subject}\n{n.body}\n{n.url}" for n in rows}
    )
    assert not rows.filter(key__icontains="response").exists()
    inboxes = {
        role: html(users[role]).get("/notifications/").content.decode() for role in OBSERVERS[1:]
    }
    inboxes.update(
        {
            f"api {role}": api(users[role]).get("/api/v1/notifications/").content.decode()
            for role in OBSERVERS[1:]
        }
    )
    _assert_quiet(inboxes)


def test_it_keeps_responses_out_of_emails(sealed):
    tender, response, users = sealed
    own = {users["provider_a_member"].email}
    sent = [m for m in mail.outbox if not set(m.to) <= own]
    assert sent, "publication and matching sent e-mails to the others"
    _assert_quiet(
        {
            f"mail to {m.to}: {m.subject}": f"{m.subject}\n{m.body}\n"
            + "".join(str(a[0]) for a in getattr(m, "alternatives", []))
            for m in sent
        }
    )


def test_it_keeps_responses_out_of_ocds_and_decp(sealed):
    tender, response, users = sealed
    ocid = ocds.ocid_for(tender.reference)
    outputs = {}
    for role in OBSERVERS:
        client = api(users[role])
        for url in (
            "/api/v1/ocds/releases/",
            f"/api/v1/ocds/records/{ocid}/",
            "/api/v1/decp/marches/",
            "/donnees-ouvertes/decp.json",
            f"/acheteurs/{tender.agency.slug}/decp.json",
        ):
            answer = client.get(url)
            assert answer.status_code in (200, 204), (role, url)  # 204: no release yet
            outputs[f"{role} {url}"] = (
                b"".join(answer.streaming_content).decode()
                if answer.streaming
                else (answer.content.decode())
            )
    assert ocid in outputs[f"anonymous /api/v1/ocds/records/{ocid}/"]
    _assert_quiet(outputs)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_keeps_responses_out_of_the_change_feed(sealed):
    """Transactional: the feed serves committed changes only."""
    tender, response, users = sealed
    # The feed serves only transactions older than the oldest one running on
    # the server (other test databases share it): a tender published after
    # the response is the sentinel; once it is served, so is all before it.
    sentinel = factories.tender(
        tender.agency, actor=users["agency_a_member"], publish=True, title="Sentinelle"
    )
    deadline = time.monotonic() + 90
    while (
        sentinel.reference not in api().get("/api/v1/tenders/?since=0&limit=100").content.decode()
    ):
        assert time.monotonic() < deadline, "the change feed never served the published tender"
        time.sleep(0.5)
    outputs = {}
    for role in OBSERVERS:
        client = api(users[role])
        for url in (
            "/api/v1/tenders/?since=0",
            "/api/v1/awards/?since=0",
            "/api/v1/offers/?since=0",
        ):
            answer = client.get(url)
            assert answer.status_code == 200, (role, url, answer.content)
            outputs[f"{role} {url}"] = answer.content.decode()
    _assert_quiet(outputs)
    for text in outputs.values():
        assert "response" not in json.dumps(
            [e.get("entity") for e in json.loads(text).get("results", []) if isinstance(e, dict)]
        )


def test_it_keeps_responses_out_of_webhooks(sealed):
    tender, response, users = sealed
    others = WebhookDelivery.objects.exclude(endpoint__provider=response.provider)
    assert others.filter(endpoint__agency=tender.agency, event_type="tender.published").exists()
    assert others.filter(endpoint__provider__isnull=False, event_type="invitation.created").exists()
    _assert_quiet(
        {
            f"{d.endpoint_id} {d.event_type}": json.dumps(d.payload, ensure_ascii=False)
            for d in others
        }
    )
    assert not others.filter(event_type__startswith="response").exists()
    # Nothing was sent to anyone about the response itself, not even to its provider.
    assert not WebhookDelivery.objects.filter(payload__icontains=CANARY).exists()


def test_it_keeps_responses_out_of_search(sealed):
    tender, response, users = sealed
    probes = {"q": CANARY, "search": CANARY}
    outputs = {}
    for role in OBSERVERS:
        client = html(users[role])
        for url in ("/appels-offres/", "/catalogue/", "/fournisseurs/"):
            found = client.get(url, probes)
            assert found.status_code == 200
            outputs[f"{role} {url}"] = found.content.decode().replace(
                CANARY, ""
            )  # echoed in the search box
            assert tender.reference not in found.content.decode(), (role, url)
        # The API's list filters take no free text: the probe must change nothing.
        for url in ("/api/v1/tenders/", "/api/v1/offers/", "/api/v1/awards/"):
            found = api(users[role]).get(url, probes)
            assert found.status_code in (200, 400)
            outputs[f"{role} {url}"] = found.content.decode().replace(CANARY, "")
    _assert_quiet(outputs)
    # Control: the same search finds the tender by its own words.
    assert tender.reference in html().get("/appels-offres/", {"q": "scellé"}).content.decode()


def test_it_answers_probes_without_revealing_other_responses(sealed, member_b, market):
    tender, response, users = sealed
    empty = factories.tender(
        tender.agency, actor=users["agency_a_member"], publish=True, title="Sans réponse"
    )
    Tender.objects.filter(pk=empty.pk).update(
        response_deadline=tender.response_deadline, reference=tender.reference + "-0"
    )
    base, other = f"/api/v1/tenders/{tender.pk}", f"/api/v1/tenders/{empty.pk}"
    for role in OBSERVERS:
        client = api(users[role])
        # The responses of a tender with one response and of one with none: the same refusal.
        first, second = client.get(f"{base}/responses/"), client.get(f"{other}/responses/")
        assert (first.status_code, first.content) == (second.status_code, second.content), role
        # A sealed response's id answers like an id that never existed.
        probe, missing = (
            client.get(f"{base}/responses/{response.public_id}/"),
            client.get(f"{base}/responses/{uuid.uuid4()}/"),
        )
        assert (probe.status_code, probe.content) == (missing.status_code, missing.content), role
        withdraw = client.post(f"{base}/responses/{response.public_id}/withdraw/")
        never = client.post(f"{base}/responses/{uuid.uuid4()}/withdraw/")
        assert (withdraw.status_code, withdraw.content) == (never.status_code, never.content), role
    # A competitor responds, replaces and withdraws: no answer mentions another response.
    competitor = api(users["provider_b_member"])
    answers = [
        competitor.post(
            f"{base}/responses/",
            {"offer": market.b.pk, "total_price": "1000.00", "technical_answer": "Réponse de B"},
            format="json",
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    mine = TenderResponse.objects.get(tender=tender, provider=member_b.provider, status="submitted")
    answers.append(competitor.post(f"{base}/responses/{mine.public_id}/withdraw/"))
    answers.append(
        competitor.post(
            f"{base}/responses/",
            {"offer": market.a.pk, "total_price": "1", "technical_answer": "x"},
            format="json",
        )
    )
    answers.append(competitor.post(f"{base}/responses/", {}, format="json"))
    page = html(users["provider_b_member"]).post(
        f"/espace-fournisseur/appels/{tender.pk}/retrait/", follow=True
    )
    outputs = {f"answer {i}": a.content.decode() for i, a in enumerate(answers)}
    outputs["html withdraw"] = page.content.decode()
    outputs["html form error"] = (
        html(users["provider_b_member"])
        .post(
            f"/espace-fournisseur/appels/{tender.pk}/",
            {"offer": market.b.pk, "total_price": "abc"},
            follow=True,
        )
        .content.decode()
    )
    _assert_quiet(outputs)


VOLATILE = [
    re.compile(p)
    for p in (
        r'name="csrfmiddlewaretoken" value="[^"]*"',
        r'"X-CSRFToken": ?"[^"]*"',
        r'csrf[-_]token" content="[^"]*"',
        r'nonce="[^"]*"',
        r'-[a-z]{16}(?=")',  # django-dsfr's random element ids
        r'submission_key" value="[^"]*"',
    )
]  # a fresh idempotency key per form


def _stable(text: str) -> str:
    for pattern in VOLATILE:
        text = pattern.sub("", text)
    return text


def test_it_shows_the_others_the_same_outputs_before_and_after_a_response(
    market,
    agency_a,
    buyer_a,
    agency_a_admin,
    buyer_b,
    member_a,
    member_b,
    member_c,
    operator,
    django_capture_on_commit_callbacks,
):
    """The count, by difference: every output an observer reads is the same
    byte for byte (tokens aside) before and after a sealed response arrives."""
    users = {
        "anonymous": None,
        "agency_a_member": buyer_a,
        "agency_a_admin": agency_a_admin,
        "agency_b_member": buyer_b,
        "provider_b_member": member_b.user,
        "operator": operator,
    }
    with django_capture_on_commit_callbacks(execute=True):
        tender = factories.tender(agency_a, actor=buyer_a, publish=True, title="Appel compté")
    pk = tender.pk
    urls = {
        "api": [
            f"/api/v1/tenders/{pk}/",
            "/api/v1/tenders/",
            f"/api/v1/tenders/{pk}/shortlist/",
            f"/api/v1/tenders/{pk}/responses/",
            f"/api/v1/tenders/{pk}/ranking/",
            "/api/v1/notifications/",
        ],
        "html": [
            f"/appels-offres/{pk}/",
            "/appels-offres/",
            f"/espace-acheteur/appels/{pk}/",
            f"/espace-acheteur/appels/{pk}/selection/",
            "/espace-acheteur/",
            "/espace-acheteur/appels/",
            f"/espace-fournisseur/appels/{pk}/",
            "/espace-fournisseur/",
            "/espace-fournisseur/reponses/",
            "/notifications/",
            "/operateur/journal/",
        ],
    }

    def outputs():
        seen = {}
        for role, user in users.items():
            for kind, paths in urls.items():
                client = api(user) if kind == "api" else html(user)
                for url in paths:
                    answer = client.get(url)
                    seen[f"{role} {url}"] = (answer.status_code, _stable(answer.content.decode()))
        return seen

    before = outputs()
    with django_capture_on_commit_callbacks(execute=True):
        submit(tender, member_a, market.a, price="98765.43", answer=f"{CANARY}: réponse.")
    after = outputs()
    changed = sorted(k for k in before if before[k] != after[k])
    # One exception, deliberate: the operator's audit journal records that a
    # response was submitted (provider, receipt hash), never its content.
    assert changed == ["operator /operateur/journal/"], changed
    assert not leaks(after["operator /operateur/journal/"][1].replace("tenderresponse", ""))
    assert PRICE.search(
        html(member_a.user).get(f"/espace-fournisseur/appels/{pk}/").content.decode()
    )
