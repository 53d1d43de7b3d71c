"""An offer's status changes through one guarded transition: the table
allows the move or answers 409, and each change is an event of the audit
chain with who made it, written in the transaction of the change."""

import pytest
from django.db import transaction
from django.urls import reverse

from broker import services as broker_services
from broker.models import AuditEvent
from catalog import services
from catalog.models import Offer, OfferStatus
from tests import factories
from tests.conftest import client_for


def offer_events(offer: Offer) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(object_type="offer", object_id=offer.pk)
        .order_by("id")
        .values_list("action", "actor_label", "organisation", "data")
    )


def test_publishing_and_withdrawing_are_audited_with_the_actor(provider_a, member_a):
    seller = member_a.user
    offer = factories.offer(provider_a, status="draft")
    services.offer_publish(offer=offer, actor=seller)
    services.offer_withdraw(offer=offer, actor=seller)
    assert offer_events(offer) == [
        (
            "offer.published",
            seller.username,
            provider_a.name,
            {"from": "draft", "to": "published", "reason": ""},
        ),
        (
            "offer.withdrawn",
            seller.username,
            provider_a.name,
            {"from": "published", "to": "withdrawn", "reason": ""},
        ),
    ]
    assert AuditEvent.objects.filter(object_id=offer.pk, actor=seller).count() == 2
    assert broker_services.audit_verify().broken_at is None


def test_an_offer_created_published_is_audited_as_published_by_the_system(provider_a):
    offer = factories.offer(provider_a)
    assert [(action, actor) for action, actor, *_ in offer_events(offer)] == [
        ("offer.published", "system")
    ]


def test_the_api_publishes_through_the_same_transition(member_a):
    offer = factories.offer(member_a.provider, status="draft")
    client = client_for(member_a.user)
    assert client.post(f"/api/v1/offers/{offer.pk}/publish/").status_code == 200
    assert client.post(f"/api/v1/offers/{offer.pk}/withdraw/").status_code == 200
    assert [(action, actor) for action, actor, *_ in offer_events(offer)] == [
        ("offer.published", member_a.user.username),
        ("offer.withdrawn", member_a.user.username),
    ]


def test_the_operator_withdraws_an_offer_from_the_console(client, operator, provider_a):
    offer = factories.offer(provider_a)
    client.force_login(operator)
    client.post(
        reverse("admin:catalog_offer_changelist"),
        {"action": "withdraw", "_selected_action": [offer.pk]},
        follow=True,
    )
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.WITHDRAWN
    assert offer_events(offer)[-1][:2] == ("offer.withdrawn", operator.username)


def test_moving_to_the_status_it_has_changes_nothing(provider_a, member_a):
    offer = factories.offer(provider_a)
    before = offer_events(offer)
    services.offer_publish(offer=offer, actor=member_a.user)
    assert offer_events(offer) == before


def test_a_move_the_table_forbids_is_a_409_and_leaves_no_event(provider_a, member_a):
    offer = factories.offer(provider_a)
    before = offer_events(offer)
    with pytest.raises(services.CatalogError) as refused:
        services.offers._offer_transition(offer, OfferStatus.DRAFT, actor=member_a.user)
    assert refused.value.http_status == 409
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.PUBLISHED
    assert offer_events(offer) == before


def test_a_rolled_back_publication_leaves_no_event(provider_a, member_a):
    offer = factories.offer(provider_a, status="draft")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.offer_publish(offer=offer, actor=member_a.user)
        raise RuntimeError("the request fails after the change")
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.DRAFT
    assert offer_events(offer) == []


def test_a_suspended_provider_cannot_publish(provider_a, operator):
    offer = factories.offer(provider_a, status="draft")
    services.provider_suspend(provider=provider_a, actor=operator, reason="Enquête")
    with pytest.raises(services.CatalogError) as refused:
        services.offer_publish(offer=Offer.objects.get(pk=offer.pk), actor=None)
    assert refused.value.http_status == 403
    assert offer_events(offer) == []
