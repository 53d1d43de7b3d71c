"""A web submission is never lost (issue 15 item 3): with the real Redis
stopped, the provider's response form is stored and visible, and the same
form posted again is stored once. The key that makes a second post a
duplicate lives in PostgreSQL (core.models.SubmissionKey), recorded in the
transaction of the write, never in the cache."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from broker import services as broker_services
from catalog.models import Offer
from core.models import SubmissionKey
from core.submissions import AlreadySubmitted, submitted_once
from tenders.models import Clarification, Order, Tender, TenderResponse
from tests.web.conftest import html_client
from tests.web.test_provider_tenders import form_key, opportunity_url, respond

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings, private_redis):
    """The cache on a real Redis of this test's own, then that Redis killed."""
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": f"unix://{private_redis.socket}?db=0",
            "KEY_PREFIX": "submissions-test",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    assert cache.add("probe", "up") is True  # it was the real Redis
    private_redis.stop()
    assert cache.add("probe-2", "down") is False  # the cache now says "taken" to everything
    return private_redis


def test_with_redis_down_a_response_form_is_stored_once_and_visible(
    redis_down, published, member_a, market
):
    broker_services.tender_match(tender_id=published.pk)
    client = html_client(member_a.user)
    key = form_key(client.get(opportunity_url(published)).content.decode())

    first = respond(client, published, market.a, key=key, price="1000.00")
    assert first.status_code == 302
    stored = TenderResponse.objects.get(tender=published, status="submitted")
    assert stored.total_price == 1000
    page = client.get(opportunity_url(published)).content.decode()
    assert stored.receipt_sha256 in page
    assert "your response is unchanged" not in page

    again = respond(client, published, market.a, key=key, price="999.00")
    assert again.status_code == 302
    assert TenderResponse.objects.filter(tender=published).count() == 1
    assert TenderResponse.objects.get(tender=published).total_price == 1000
    page = client.get(opportunity_url(published)).content.decode()
    assert "your response is unchanged" in page
    assert SubmissionKey.objects.filter(key=key, scope="response").count() == 1


def test_a_refused_write_gives_its_key_back(member_a):
    key = "6f1c5e0e-8b7a-4c39-9d55-3a2d1f0e9b11"
    with pytest.raises(ValueError), submitted_once(key, user=member_a.user, scope="test"):
        raise ValueError("refused")
    assert not SubmissionKey.objects.filter(key=key).exists()
    with submitted_once(key, user=member_a.user, scope="test"):
        pass
    with pytest.raises(AlreadySubmitted), submitted_once(key, user=member_a.user, scope="test"):
        pytest.fail("a recorded key runs nothing")
    assert transaction.get_connection().in_atomic_block  # the test's own transaction only


def _key(html: str, prefix: str = "") -> str:
    name = f"{prefix}-submission_key" if prefix else "submission_key"
    found = re.search(rf'name="{name}" value="([0-9a-f-]+)"', html)
    assert found, f"no {name} in the form"
    return found.group(1)


def test_with_redis_down_a_question_posted_twice_is_asked_once(
    redis_down, published, member_a, market
):
    client = html_client(member_a.user)
    url = opportunity_url(published)
    key = _key(client.get(url).content.decode(), "ask")
    body = {"action": "ask", "ask-question": "Quelle réversibilité ?", "ask-submission_key": key}
    assert client.post(url, body).status_code == 302
    assert client.post(url, body).status_code == 302
    assert Clarification.objects.filter(tender=published).count() == 1
    assert "it was recorded once" in client.get(url).content.decode()


def test_with_redis_down_an_order_posted_twice_is_placed_once(redis_down, buyer_a, market):
    client = html_client(buyer_a)
    url = reverse("agency-order-create", args=[market.a.pk])
    key = _key(client.get(url).content.decode())
    body = {"quantity": "10", "duration_months": "12", "level": "N2", "submission_key": key}
    assert client.post(url, body).status_code == 302
    assert client.post(url, body).status_code == 302
    assert Order.objects.count() == 1


def test_the_wizards_review_posted_twice_creates_one_tender(buyer_a):
    from tests.web.test_agency import step_url, walk_wizard

    client = walk_wizard(html_client(buyer_a))
    # What a second request read before the first one cleared the wizard
    # (a double click on "save"): the same stored input, the same key.
    before = client.session["tender-wizard-new"]
    assert before["submission_key"]
    assert client.post(step_url("verification"), {"action": "save"}).status_code == 302
    session = client.session
    session["tender-wizard-new"] = before
    session.save()
    again = client.post(step_url("verification"), {"action": "save"})
    assert again.status_code == 302 and again["Location"] == reverse("agency-dashboard")
    assert Tender.objects.filter(title="Archives souveraines").count() == 1


def test_with_redis_down_an_offer_form_posted_twice_creates_one_offer(
    redis_down, member_a, provider_a
):
    from tests.web.test_provider_catalog import OFFER_POST

    client = html_client(member_a.user)
    url = reverse("provider-offer-create")
    key = _key(client.get(url).content.decode())
    body = {**OFFER_POST, "submission_key": key}
    assert client.post(url, body).status_code == 302
    again = client.post(url, body)
    assert again.status_code == 302 and again["Location"] == reverse("provider-offers")
    assert Offer.objects.filter(provider=provider_a, name="Coffre-fort souverain").count() == 1
