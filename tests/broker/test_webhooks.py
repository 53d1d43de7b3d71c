"""Webhooks (issue 5): endpoints per organisation, events scoped to who may
know them and never carrying sealed content, signed deliveries retried
with back-off to a real HTTP receiver, the delivery log, manual
redelivery, and the SSRF guard at registration and at each send."""

import datetime
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone

from broker import selectors, services, tasks, webhooks
from broker.models import AuditEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from catalog import services as catalog_services
from catalog.models import Certification
from tenders import services as tender_services
from tests import factories
from tests.conftest import client_for

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


@pytest.fixture(autouse=True)
def _receiver_on_localhost(settings):
    """The receivers of these tests listen on 127.0.0.1; tests of the SSRF
    guard turn this off again."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 5


# --------------------------------------------------------------------------
# A real HTTP receiver


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST, answers
    ``fail_status`` to the next ``fail_next`` ones and 200 to the others,
    and can be stopped and started again on the same port."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail_next = 0
        self.fail_status = 500
        self.delay = 0.0
        self.headers_for_failure: dict[str, str] = {}
        self.port = None
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                if receiver.delay:
                    time.sleep(receiver.delay)
                failing = receiver.fail_next > 0
                if failing:
                    receiver.fail_next -= 1
                self.send_response(receiver.fail_status if failing else 200)
                for name, value in receiver.headers_for_failure.items() if failing else ():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no" if failing else b"ok")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port or 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def keys(self) -> list[str]:
        return [r["headers"]["Idempotency-Key"] for r in self.requests]

    def events(self) -> list[str]:
        return [r["headers"]["Guichet-Event"] for r in self.requests]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def documented_verify():
    """The verification snippet of docs/webhooks.md, run as published."""
    (code,) = re.findall(r"```python\n(.*?def verify_signature.*?)```", DOCS.read_text(), re.S)
    namespace: dict = {}
    exec(compile(code, str(DOCS), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify_signature"]


# --------------------------------------------------------------------------
# Organisations and their endpoints


@pytest.fixture
def alpha_member(provider_a):
    return factories.MemberFactory(provider=provider_a).user


def endpoint_for(user, url, events=None, **kwargs) -> WebhookEndpoint:
    return services.webhook_endpoint_create(
        organisation=selectors.organisation_of(user),
        actor=user,
        url=url,
        event_types=list(events or webhooks.EVENT_TYPES),
        **kwargs,
    )


def ping(endpoint, committed) -> WebhookDelivery:
    with committed():
        delivery = services.webhook_ping(endpoint=endpoint)
    return WebhookDelivery.objects.get(pk=delivery.pk)


def log(delivery) -> list[tuple]:
    return list(
        WebhookAttempt.objects.filter(delivery=delivery)
        .order_by("number")
        .values_list("number", "status_code")
    )


# --------------------------------------------------------------------------
# Signature and headers


def test_it_signs_a_delivery_that_the_documented_snippet_verifies(
    alpha_member, receiver, committed
):
    endpoint = endpoint_for(alpha_member, receiver.url)
    delivery = ping(endpoint, committed)

    (request,) = receiver.requests
    verify = documented_verify()
    header, body = request["headers"]["Guichet-Signature"], request["body"]
    assert verify(endpoint.secret, header, body)
    assert not verify(endpoint.secret, header, body.replace(b"reach", b"REACH"))  # tampered body
    assert not verify("whsec_" + "0" * 64, header, body)  # another secret
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert verify(endpoint.secret, header, body, now=timestamp + 299)
    assert not verify(endpoint.secret, header, body, now=timestamp + 301)  # replayed too late
    assert not verify(endpoint.secret, "v1=abc", body)

    assert json.loads(body) == delivery.payload
    assert (
        delivery.payload["type"] == "ping"
        and delivery.payload["data"]["endpoint"]["id"] == endpoint.pk
    )


def test_a_delivery_carries_its_event_and_idempotency_key(alpha_member, receiver, committed):
    delivery = ping(endpoint_for(alpha_member, receiver.url), committed)

    headers = receiver.requests[0]["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["Guichet-Event"] == "ping"
    assert (
        headers["Guichet-Delivery"] == headers["Idempotency-Key"] == str(delivery.idempotency_key)
    )
    assert headers["Guichet-Attempt"] == "1"
    assert receiver.requests[0]["path"] == "/hooks"
    assert (
        delivery.status == "succeeded"
        and delivery.attempts == 1
        and delivery.delivered_at is not None
    )
    assert delivery.last_status_code == 200 and delivery.last_duration_ms is not None
    assert delivery.next_attempt_at is None


# --------------------------------------------------------------------------
# Retries


def test_the_back_off_doubles_from_30_seconds_and_is_capped():
    assert [webhooks.backoff(n) for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert webhooks.MAX_ATTEMPTS == 8


def test_a_failing_receiver_gets_retries_with_back_off_then_succeeds(
    alpha_member, receiver, committed, monkeypatch
):
    countdowns = []
    schedule = tasks.webhook_deliver.apply_async

    def spy(*args, countdown=None, **kwargs):
        countdowns.append(countdown)
        return schedule(*args, countdown=countdown, **kwargs)  # eager: runs now, countdown ignored

    monkeypatch.setattr(tasks.webhook_deliver, "apply_async", spy)
    receiver.fail_next = 2

    delivery = ping(endpoint_for(alpha_member, receiver.url), committed)

    assert [c for c in countdowns if c is not None] == [30, 60]  # the first send has none
    assert len(receiver.requests) == 3
    assert set(receiver.keys()) == {str(delivery.idempotency_key)}  # one key for every attempt
    assert [r["headers"]["Guichet-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert delivery.status == "succeeded" and delivery.attempts == 3
    assert log(delivery) == [(1, 500), (2, 500), (3, 200)]
    first = WebhookAttempt.objects.get(delivery=delivery, number=1)
    assert first.error == "HTTP 500: no" and first.duration_ms is not None


def test_a_receiver_down_gets_the_delivery_once_it_is_up(
    alpha_member, receiver, committed, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(alpha_member, receiver.url)
    receiver.stop()
    with django_capture_on_commit_callbacks(execute=False):  # the tasks are driven by hand below
        delivery = services.webhook_ping(endpoint=endpoint)

    before = timezone.now()
    first = services.webhook_attempt(delivery_id=delivery.pk, attempt=1)
    second = services.webhook_attempt(delivery_id=delivery.pk, attempt=2)
    assert (first.status, first.retry_in, second.retry_in) == ("pending", 30, 60)
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.status == "pending"
    assert before + datetime.timedelta(seconds=59) < delivery.next_attempt_at
    assert delivery.next_attempt_at < timezone.now() + datetime.timedelta(seconds=61)
    assert "ConnectionRefusedError" in delivery.last_error and delivery.last_status_code is None

    receiver.start()  # back up, on the same port
    assert tasks.webhooks_retry_due() == {"sent": []}  # not due yet: its task is on its way
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=5)
    )  # ... and was lost
    assert tasks.webhooks_retry_due() == {"sent": [delivery.pk]}

    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 3
    assert log(delivery) == [(1, None), (2, None), (3, 200)]
    assert receiver.keys() == [str(delivery.idempotency_key)]
    # The lost task arriving late, or run twice, sends nothing more.
    assert tasks.webhook_deliver(delivery_id=delivery.pk, attempt=3)["status"] == "skipped"
    assert tasks.webhook_deliver(delivery_id=delivery.pk, attempt=2)["status"] == "skipped"
    assert len(receiver.requests) == 1


def test_a_lost_answer_means_a_duplicate_with_the_same_key(alpha_member, receiver, committed):
    """The receiver processed the first request but its 2xx never came back
    (here: it answered 503): at-least-once delivery sends again, with the
    same idempotency key, and that is the only kind of duplicate."""
    receiver.fail_next, receiver.fail_status = 1, 503
    delivery = ping(endpoint_for(alpha_member, receiver.url), committed)

    assert len(receiver.requests) == 2
    assert receiver.keys() == [str(delivery.idempotency_key)] * 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]


def test_a_delivery_fails_after_the_last_attempt(alpha_member, receiver, committed):
    receiver.fail_next = 100
    delivery = ping(endpoint_for(alpha_member, receiver.url), committed)

    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS
    assert (
        delivery.status == "failed" and delivery.attempts == 8 and delivery.next_attempt_at is None
    )
    assert log(delivery) == [(n, 500) for n in range(1, 9)]
    assert tasks.webhooks_retry_due() == {"sent": []}


def test_a_redirect_is_not_followed(alpha_member, receiver, committed):
    other = Receiver().start()
    try:
        receiver.fail_next, receiver.fail_status = 1, 302
        receiver.headers_for_failure = {"Location": other.url}
        delivery = ping(endpoint_for(alpha_member, receiver.url), committed)
    finally:
        other.stop()
    assert other.requests == []
    assert log(delivery) == [(1, 302), (2, 200)]
    assert (
        "redirects are not followed"
        in WebhookAttempt.objects.get(delivery=delivery, number=1).error
    )


def test_a_slow_receiver_times_out(
    alpha_member, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.delay = 1.5
    with django_capture_on_commit_callbacks(execute=False):
        delivery = services.webhook_ping(endpoint=endpoint_for(alpha_member, receiver.url))
    outcome = services.webhook_attempt(delivery_id=delivery.pk, attempt=1)
    assert outcome.status == "pending" and outcome.retry_in == 30
    assert "timed out" in WebhookAttempt.objects.get(delivery=delivery).error


# --------------------------------------------------------------------------
# Manual redelivery and ping through the API


def test_a_member_redelivers_with_the_same_key(alpha_member, receiver, committed):
    endpoint = endpoint_for(alpha_member, receiver.url)
    receiver.fail_next = 100
    delivery = ping(endpoint, committed)
    assert delivery.status == "failed"
    receiver.fail_next = 0

    with committed():
        response = client_for(alpha_member).post(
            f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/"
        )
    assert response.status_code == 202
    assert response.json()["idempotency_key"] == str(delivery.idempotency_key)

    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 9
    assert log(delivery)[-1] == (9, 200)
    assert set(receiver.keys()) == {str(delivery.idempotency_key)} and len(receiver.requests) == 9

    with committed():  # a succeeded delivery can be sent again too
        client_for(alpha_member).post(
            f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/"
        )
    assert len(receiver.requests) == 10 and receiver.keys()[-1] == str(delivery.idempotency_key)


def test_nobody_else_redelivers_or_pings(alpha_member, member_b, receiver, committed):
    endpoint = endpoint_for(alpha_member, receiver.url)
    delivery = ping(endpoint, committed)
    other = client_for(member_b.user)
    assert (
        other.post(
            f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/"
        ).status_code
        == 404
    )
    assert other.post(f"/api/v1/webhooks/{endpoint.pk}/ping/").status_code == 404
    theirs = endpoint_for(member_b.user, receiver.url)
    # Someone else's delivery under one's own endpoint is no better.
    assert (
        client_for(alpha_member)
        .post(f"/api/v1/webhooks/{endpoint.pk}/deliveries/{ping(theirs, committed).pk}/redeliver/")
        .status_code
        == 404
    )
    assert client_for(None).post(f"/api/v1/webhooks/{endpoint.pk}/ping/").status_code == 401


def test_the_ping_endpoint_sends_a_ping(alpha_member, receiver, committed):
    endpoint = endpoint_for(alpha_member, receiver.url, events=["tender.closed"])
    with committed():
        response = client_for(alpha_member).post(f"/api/v1/webhooks/{endpoint.pk}/ping/")
    assert response.status_code == 202 and response.json()["event_type"] == "ping"
    assert receiver.events() == ["ping"]


def test_an_inactive_endpoint_is_not_pinged_and_gets_no_events(
    alpha_member, receiver, ministry, buyer, committed, make_offer, publish
):
    endpoint = endpoint_for(alpha_member, receiver.url, active=False)
    response = client_for(alpha_member).post(f"/api/v1/webhooks/{endpoint.pk}/ping/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "inactive"
    make_offer(alpha_member.provider_membership.provider)
    publish(factories.tender(ministry, actor=buyer), buyer)
    assert not WebhookDelivery.objects.exists() and receiver.requests == []


def test_pending_deliveries_of_an_endpoint_deactivated_since_fail(
    alpha_member, receiver, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(alpha_member, receiver.url)
    with django_capture_on_commit_callbacks(execute=False):
        delivery = services.webhook_ping(endpoint=endpoint)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    assert services.webhook_attempt(delivery_id=delivery.pk, attempt=1).status == "failed"
    assert receiver.requests == []


# --------------------------------------------------------------------------
# SSRF


UNSAFE = [
    ("http://127.0.0.1/hook", "127.0.0.1"),
    ("http://10.0.0.1/hook", "10.0.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ("http://[::1]/hook", "::1"),
    ("http://localhost:8000/hook", "resolves to"),  # a name resolving to loopback
    ("http://0.0.0.0/", "0.0.0.0"),
    ("http://100.64.0.1/", "100.64.0.1"),  # shared address space (carrier NAT)
    ("http://224.0.0.1/", "224.0.0.1"),
    ("http://[::ffff:127.0.0.1]/", "127.0.0.1"),
    ("http://[fd00::1]/", "fd00::1"),
    ("ftp://example.org/hook", "Only http:// and https://"),
    ("file:///etc/passwd", "Only http:// and https://"),
    ("https://user:pw@example.org/", "Credentials"),
    ("not a url", "Only http:// and https://"),
]


@pytest.mark.parametrize(("url", "reason"), UNSAFE)
def test_unsafe_urls_are_refused_at_registration(alpha_member, settings, url, reason):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    response = client_for(alpha_member).post(
        "/api/v1/webhooks/", {"url": url, "event_types": ["tender.closed"]}, format="json"
    )
    assert response.status_code == 400
    (message,) = response.json()["error"]["fields"]["url"]
    assert reason in message
    assert not WebhookEndpoint.objects.exists()


def test_public_addresses_are_accepted():
    target = webhooks.resolve("https://93.184.215.14:8443/in?x=1", allow_private=False)
    assert (target.scheme, target.port, target.path, target.addresses) == (
        "https",
        8443,
        "/in?x=1",
        ("93.184.215.14",),
    )
    assert webhooks.resolve("http://[2001:4860:4860::8888]/", allow_private=False).port == 80


def test_an_address_gone_private_is_refused_at_send(alpha_member, receiver, settings, committed):
    endpoint = endpoint_for(alpha_member, receiver.url)  # registered while allowed
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    delivery = ping(endpoint, committed)

    assert receiver.requests == []
    assert delivery.status == "failed" and delivery.attempts == 1
    (attempt,) = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempt.status_code is None and attempt.error.startswith("Refused: ")
    assert "127.0.0.1" in attempt.error


# --------------------------------------------------------------------------
# Who hears of what


@pytest.fixture
def market(db, ministry, buyer, receiver, make_offer, publish, committed):
    """Two agencies and three providers, each with an endpoint for every
    event; the ministry's tender shortlists Alpha and Beta, not Gamma."""
    other_agency = factories.agency(
        name="Ville de Lyon", siret=factories.valid_siret(7), buyer_category="local_authority"
    )
    alpha, beta, gamma = (
        factories.ProviderFactory(name=name) for name in ("Alpha", "Beta", "Gamma")
    )
    people = {
        "ministry": buyer,
        "lyon": factories.agency_member(other_agency, username="lyon"),
        "alpha": factories.MemberFactory(provider=alpha).user,
        "beta": factories.MemberFactory(provider=beta).user,
        "gamma": factories.MemberFactory(provider=gamma).user,
    }
    endpoints = {
        name: endpoint_for(user, f"{receiver.url}/{name}") for name, user in people.items()
    }
    offers = {
        "alpha": make_offer(alpha, unit_price="20"),
        "beta": make_offer(beta, unit_price="25"),
        "gamma": make_offer(gamma, "N1", unit_price="5"),
    }
    tender = publish(factories.tender(ministry, actor=buyer), buyer)
    return {
        "people": people,
        "endpoints": endpoints,
        "offers": offers,
        "tender": tender,
        "providers": {"alpha": alpha, "beta": beta, "gamma": gamma},
    }


def received(market, event_type) -> list[str]:
    """Whose endpoints hold a delivery of this event type."""
    names = {endpoint.pk: name for name, endpoint in market["endpoints"].items()}
    return sorted(
        {
            names[pk]
            for pk in WebhookDelivery.objects.filter(event_type=event_type).values_list(
                "endpoint_id", flat=True
            )
        }
    )


def test_events_reach_only_the_organisations_concerned(market, ministry, receiver, committed):
    people, tender, providers = market["people"], market["tender"], market["providers"]
    assert received(market, "offer.assessed") == ["alpha", "beta", "gamma"]  # each its own offer
    assert {
        d.payload["data"]["offer"]["id"]
        for d in WebhookDelivery.objects.filter(
            event_type="offer.assessed", endpoint=market["endpoints"]["gamma"]
        )
    } == {market["offers"]["gamma"].pk}
    assert received(market, "tender.published") == ["ministry"]
    assert received(market, "invitation.created") == ["alpha", "beta"]
    invitation = WebhookDelivery.objects.get(
        event_type="invitation.created", endpoint=market["endpoints"]["alpha"]
    )
    assert invitation.payload["data"]["invitation"] == {
        "provider_id": providers["alpha"].pk,
        "offer_ids": [market["offers"]["alpha"].pk],
    }

    with committed():
        question = tender_services.clarification_ask(
            tender=tender,
            provider=providers["gamma"],
            actor=people["gamma"],
            question="Quelle réversibilité ?",
        )
        tender_services.clarification_answer(
            clarification=question, actor=people["ministry"], answer="Export S3 complet."
        )
        response = tender_services.response_submit(
            tender=tender,
            provider=providers["alpha"],
            actor=people["alpha"],
            offer=market["offers"]["alpha"],
            total_price="2400",
            technical_answer="Réponse",
        )
    assert received(market, "clarification.asked") == ["ministry"]
    # Invitees, the asker (Gamma, not invited) and the agency; never Lyon.
    assert received(market, "clarification.answered") == ["alpha", "beta", "gamma", "ministry"]
    answered = WebhookDelivery.objects.filter(event_type="clarification.answered").first()
    assert answered.payload["data"]["clarification"]["answer"] == "Export S3 complet."
    assert "provider" not in json.dumps(
        answered.payload["data"]["clarification"]
    )  # the asker is not named

    with committed():
        tender = tender_services.tender_close_if_due(
            tender=tender, now=tender.response_deadline + datetime.timedelta(seconds=1)
        )
        tender_services.tender_award(tender=tender, actor=people["ministry"], response=response)
    for decision in ("tender.closed", "tender.awarded"):
        assert received(market, decision) == ["alpha", "beta", "ministry"]
        assert WebhookDelivery.objects.filter(event_type=decision).count() == 3  # once each
    award = (
        WebhookDelivery.objects.filter(event_type="tender.awarded").first().payload["data"]["award"]
    )
    assert (
        award["supplier"] == {"id": providers["alpha"].pk, "name": "Alpha"}
        and award["amount"] == "2400.00"
    )

    with committed():
        order = tender_services.order_place(
            agency=ministry,
            actor=people["ministry"],
            offer=market["offers"]["gamma"],
            quantity=1,
            duration_months=12,
        )
        tender_services.order_decline(order=order, actor=people["gamma"], reason="Capacité épuisée")
    assert (
        received(market, "order.placed")
        == received(market, "order.declined")
        == ["gamma", "ministry"]
    )

    with committed():
        catalog_services.certification_revoke(
            certification=Certification.objects.filter(provider=providers["beta"]).first(),
            actor=None,
            reason="Retrait ANSSI",
        )
    assert received(market, "certification.revoked") == ["beta"]
    revoked = WebhookDelivery.objects.get(event_type="certification.revoked")
    assert revoked.payload["data"]["reason"] == "Retrait ANSSI"

    assert not WebhookDelivery.objects.filter(endpoint=market["endpoints"]["lyon"]).exists()
    # Everything created was sent, once, to the right path, and succeeded.
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
    assert len(receiver.requests) == WebhookDelivery.objects.count()
    by_key = {str(d.idempotency_key): d for d in WebhookDelivery.objects.select_related("endpoint")}
    for request in receiver.requests:
        delivery = by_key[request["headers"]["Idempotency-Key"]]
        assert request["path"] == delivery.endpoint.url.split(str(receiver.port))[1]
        assert json.loads(request["body"]) == delivery.payload


def test_subscriptions_filter_event_types(market, committed):
    ministry_endpoint = market["endpoints"]["ministry"]
    services.webhook_endpoint_update(
        endpoint=ministry_endpoint,
        actor=market["people"]["ministry"],
        organisation=selectors.organisation_of(market["people"]["ministry"]),
        event_types=["tender.awarded"],
    )
    with committed():
        tender_services.tender_cancel(
            tender=market["tender"], actor=market["people"]["ministry"], reason="Besoin retiré"
        )
    assert received(market, "tender.cancelled") == ["alpha", "beta"]


def test_no_sealed_content_in_any_payload_before_the_tender_is_closed(market, receiver, committed):
    people, tender, providers = market["people"], market["tender"], market["providers"]
    price, answer = "98765.43", "Architecture confidentielle XYZZY"
    with committed():
        tender_services.response_submit(
            tender=tender,
            provider=providers["alpha"],
            actor=people["alpha"],
            offer=market["offers"]["alpha"],
            total_price=price,
            technical_answer=answer,
        )
        tender_services.clarification_ask(
            tender=tender, provider=providers["beta"], actor=people["beta"], question="Délai ?"
        )
        tender_services.tender_close_if_due(
            tender=tender, now=tender.response_deadline + datetime.timedelta(seconds=1)
        )
    sent = [json.dumps(d.payload, ensure_ascii=False) for d in WebhookDelivery.objects.all()]
    sent += [r["body"].decode() for r in receiver.requests]
    assert any('"tender.closed"' in text for text in sent)  # the close was announced ...
    for text in sent:  # ... and nothing, to anyone, carries the sealed content
        assert (
            price not in text and "98765" not in text and answer not in text and "XYZZY" not in text
        )
    assert not WebhookDelivery.objects.filter(event_type__startswith="response").exists()
    ministry = WebhookDelivery.objects.filter(endpoint=market["endpoints"]["ministry"])
    assert sorted(ministry.values_list("event_type", flat=True)) == [
        "clarification.asked",
        "tender.closed",
        "tender.published",
    ]


def test_the_same_event_is_delivered_once_per_endpoint(alpha_member, receiver, committed):
    endpoint = endpoint_for(alpha_member, receiver.url)
    provider = alpha_member.provider_membership.provider
    with committed():
        for _ in range(2):
            services.webhook_event_emit(
                event_type="offer.assessed",
                event_id="offer.assessed:1:x",
                data={"offer": {"id": 1}},
                provider_ids=[provider.pk],
            )
    assert (
        WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
        and len(receiver.requests) == 1
    )


# --------------------------------------------------------------------------
# The endpoints API


def test_endpoints_belong_to_their_organisation(alpha_member, member_b, buyer, receiver):
    mine = client_for(alpha_member)
    created = mine.post(
        "/api/v1/webhooks/",
        {"url": receiver.url, "event_types": ["tender.closed", "order.placed"]},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert (
        body["secret"] == endpoint.secret
        and body["secret"].startswith("whsec_")
        and len(body["secret"]) == 70
    )
    assert body["organisation"] == {
        "kind": "provider",
        "id": endpoint.provider_id,
        "name": "Alpha Cloud",
    }
    assert body["event_types"] == ["order.placed", "tender.closed"]

    # The secret is never served again.
    for response in (mine.get("/api/v1/webhooks/"), mine.get(f"/api/v1/webhooks/{endpoint.pk}/")):
        assert response.status_code == 200 and endpoint.secret not in response.content.decode()
    assert [row["id"] for row in mine.get("/api/v1/webhooks/").json()["results"]] == [endpoint.pk]

    for other in (client_for(member_b.user), client_for(buyer)):
        assert other.get("/api/v1/webhooks/").json()["results"] == []
        assert other.get(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404
        assert other.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").status_code == 404
        assert (
            other.patch(
                f"/api/v1/webhooks/{endpoint.pk}/", {"active": False}, format="json"
            ).status_code
            == 404
        )
        assert other.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404
    agency_endpoint = client_for(buyer).post(
        "/api/v1/webhooks/", {"url": receiver.url, "event_types": ["tender.closed"]}, format="json"
    )
    assert agency_endpoint.json()["organisation"]["kind"] == "agency"

    anonymous, stranger = (
        client_for(None),
        client_for(factories.UserFactory(username="sans-organisation")),
    )
    assert anonymous.get("/api/v1/webhooks/").status_code == 401
    assert anonymous.post("/api/v1/webhooks/", {}, format="json").status_code == 401
    assert stranger.get("/api/v1/webhooks/").status_code == 403
    assert (
        stranger.post(
            "/api/v1/webhooks/",
            {"url": receiver.url, "event_types": ["tender.closed"]},
            format="json",
        ).status_code
        == 403
    )

    updated = mine.patch(
        f"/api/v1/webhooks/{endpoint.pk}/",
        {"active": False, "event_types": ["tender.awarded"]},
        format="json",
    )
    assert updated.status_code == 200 and updated.json()["active"] is False
    assert "secret" not in updated.json()
    assert mine.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


@pytest.mark.parametrize("event_types", [[], ["tender.exploded"], ["ping"]])
def test_event_types_come_from_the_documented_list(alpha_member, receiver, event_types):
    response = client_for(alpha_member).post(
        "/api/v1/webhooks/", {"url": receiver.url, "event_types": event_types}, format="json"
    )
    assert response.status_code == 400 and "event_types" in response.json()["error"]["fields"]


def test_every_event_type_is_documented():
    documented = DOCS.read_text()
    for event_type in [*webhooks.EVENT_TYPES, webhooks.PING]:
        assert f"`{event_type}`" in documented


def test_the_delivery_log_is_newest_first_and_paginated(alpha_member, receiver, committed):
    endpoint = endpoint_for(alpha_member, receiver.url)
    receiver.fail_next = 1
    first, second, third = (ping(endpoint, committed) for _ in range(3))
    client = client_for(alpha_member)

    page = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/", {"page_size": 2}).json()
    assert [row["id"] for row in page["results"]] == [third.pk, second.pk]
    assert client.get(page["next"]).json()["results"][0]["id"] == first.pk
    oldest = client.get(page["next"]).json()["results"][0]
    assert [(a["number"], a["status_code"]) for a in oldest["attempt_log"]] == [(1, 500), (2, 200)]
    assert oldest["status"] == "succeeded" and oldest["payload"]["type"] == "ping"
    assert oldest["idempotency_key"] == str(first.idempotency_key)


def test_the_log_costs_a_fixed_number_of_queries(
    alpha_member, receiver, committed, django_assert_num_queries
):
    endpoint = endpoint_for(alpha_member, receiver.url)
    for _ in range(3):
        ping(endpoint, committed)
    client = client_for(alpha_member)
    # organisation, endpoint, page of deliveries, their attempts
    with django_assert_num_queries(4):
        client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/")


def test_an_organisation_has_at_most_twenty_endpoints(alpha_member, receiver):
    for n in range(services.MAX_ENDPOINTS_PER_ORGANISATION):
        endpoint_for(alpha_member, f"{receiver.url}/{n}")
    response = client_for(alpha_member).post(
        "/api/v1/webhooks/", {"url": receiver.url, "event_types": ["tender.closed"]}, format="json"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "limit_reached"


def test_registration_is_audited_without_the_secret(alpha_member, receiver):
    endpoint = endpoint_for(alpha_member, receiver.url)
    event = AuditEvent.objects.get(action="webhook.create")
    assert event.object_id == endpoint.pk and event.data["url"] == receiver.url
    assert endpoint.secret not in json.dumps(event.data)


def test_the_operator_sees_deliveries_read_only_and_never_the_secret(
    alpha_member, receiver, committed, client, operator
):
    endpoint = endpoint_for(alpha_member, receiver.url)
    delivery = ping(endpoint, committed)
    client.force_login(operator)
    page = client.get(f"/admin/broker/webhookendpoint/{endpoint.pk}/change/")
    assert page.status_code == 200 and endpoint.secret not in page.content.decode()
    assert client.get(f"/admin/broker/webhookdelivery/{delivery.pk}/change/").status_code == 200
    assert client.get("/admin/broker/webhookdelivery/add/").status_code == 403
    assert (
        client.post(
            f"/admin/broker/webhookdelivery/{delivery.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )


def test_idempotency_keys_are_unique_per_delivery(alpha_member, receiver, committed):
    endpoint = endpoint_for(alpha_member, receiver.url)
    keys = {ping(endpoint, committed).idempotency_key for _ in range(3)}
    assert len(keys) == 3 and all(isinstance(key, uuid.UUID) for key in keys)


def test_the_operator_deactivates_an_endpoint(alpha_member, receiver, client, operator):
    endpoint = endpoint_for(alpha_member, receiver.url)
    client.force_login(operator)
    client.post(
        "/admin/broker/webhookendpoint/",
        {"action": "deactivate", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert AuditEvent.objects.get(action="webhook.update").organisation == "operator"
