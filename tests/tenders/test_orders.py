"""Direct purchase, the window for small needs: an agency orders an offer
that is eligible now, below the threshold, for a total computed from the
normalised price; the provider accepts or declines; the order has its own
transition table; only the two parties see it."""

import itertools
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from broker.models import AuditEvent, Notification
from catalog import services as catalog_services
from catalog.models import Certification
from tenders import services
from tenders.models import Order, OrderStatus
from tenders.services import orders
from tests import factories
from tests.conftest import client_for


def place(agency, buyer, offer, **overrides):
    values = {"quantity": "10", "duration_months": 12, **overrides}
    return services.order_place(agency=agency, actor=buyer, offer=offer, **values)


@pytest.fixture
def order(agency_a, buyer_a, market):
    return place(agency_a, buyer_a, market.a)


def test_the_total_comes_from_the_normalised_price(agency_a, buyer_a, market):
    # 10 TB for 12 months at 20 €/TB-month = 0.02 €/GB-month × 10,000 GB × 12
    made = place(agency_a, buyer_a, market.a, level="N2")
    assert made.total == Decimal("2400.00")
    assert made.normalised_price == Decimal("0.020000") and made.unit_price == Decimal("20")
    assert (made.status, made.level, made.flags) == ("placed", "N2", [])
    assert made.provider == market.a.provider and made.placed_by == buyer_a
    assert made.reference == f"CMD-{timezone.localdate().year}-00001"
    assert (
        AuditEvent.objects.filter(action="order.place", object_id=made.pk).get().data["total"]
        == "2400.00"
    )
    assert place(agency_a, buyer_a, market.a, quantity="1", duration_months=1).total == Decimal(
        "20.00"
    )


def test_the_provider_hears_of_a_new_order(
    agency_a, buyer_a, member_a, market, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        made = place(agency_a, buyer_a, market.a)
    note = Notification.objects.get(recipient=member_a.user)
    assert note.kind == "order_place" and made.reference in note.subject


def test_an_order_at_the_threshold_is_refused(agency_a, buyer_a, market, settings):
    settings.DIRECT_PURCHASE_THRESHOLD = Decimal("2400")
    with pytest.raises(services.TenderError) as exc_info:
        place(agency_a, buyer_a, market.a)
    assert "quantity" in exc_info.value.fields and "2400" in exc_info.value.message
    settings.DIRECT_PURCHASE_THRESHOLD = Decimal("2400.01")
    assert place(agency_a, buyer_a, market.a).total == Decimal("2400.00")


def test_an_order_above_the_default_threshold_is_refused(agency_a, buyer_a, market):
    with pytest.raises(services.TenderError) as exc_info:
        place(agency_a, buyer_a, market.a, quantity="200")  # 48,000 €
    assert "publish a tender" in exc_info.value.message
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "dix"}, "quantity"),
        ({"duration_months": 0}, "duration_months"),
        ({"duration_months": 121}, "duration_months"),
        ({"duration_months": "12"}, "duration_months"),
        ({"level": "N4"}, "level"),
        ({"flags": ["SECRET"]}, "flags"),
    ],
)
def test_bad_orders_are_field_errors(agency_a, buyer_a, market, overrides, field):
    with pytest.raises(services.TenderError) as exc_info:
        place(agency_a, buyer_a, market.a, **overrides)
    assert exc_info.value.http_status == 400 and field in exc_info.value.fields


def test_eligibility_is_checked_at_order_time(
    agency_a, buyer_a, market, django_capture_on_commit_callbacks
):
    assert place(agency_a, buyer_a, market.a, level="N2").status == "placed"
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.certification_revoke(
            certification=Certification.objects.get(provider=market.a.provider),
            actor=None,
            reason="Retrait",
        )
    with pytest.raises(services.TenderError) as exc_info:
        place(agency_a, buyer_a, market.a, level="N2")
    assert exc_info.value.code == "not_eligible" and "level" in exc_info.value.fields["offer"]
    assert place(agency_a, buyer_a, market.a, level="N0").status == "placed"  # open data still fits


def test_health_data_of_a_state_body_needs_an_offer_with_the_health_flag(agency_a, buyer_a, market):
    with pytest.raises(services.TenderError) as exc_info:
        place(agency_a, buyer_a, market.a, level="N1", flags=["HEALTH"])
    assert "flags" in exc_info.value.fields["offer"]


def test_an_order_shorter_than_the_offers_minimum_term_is_refused(agency_a, buyer_a, market):
    catalog_services.offer_update(offer=market.a, actor=None, minimum_months=12)
    with pytest.raises(services.TenderError) as exc_info:
        place(agency_a, buyer_a, market.a, duration_months=6)
    assert exc_info.value.fields["offer"] == ["minimum_months"]
    assert place(agency_a, buyer_a, market.a, duration_months=12).status == "placed"


def test_a_withdrawn_offer_cannot_be_ordered(agency_a, buyer_a, market):
    catalog_services.offer_withdraw(offer=market.a, actor=None)
    with pytest.raises(services.TenderError) as exc_info:
        place(agency_a, buyer_a, market.a)
    assert "offer_not_published" in exc_info.value.fields["offer"]


def test_the_provider_accepts(order, member_a, buyer_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        accepted = services.order_accept(order=order, actor=member_a.user)
    assert (
        accepted.status == "accepted"
        and accepted.decided_by == member_a.user
        and accepted.decided_at
    )
    assert Notification.objects.get(recipient=buyer_a).kind == "order_accepted"
    assert AuditEvent.objects.filter(action="order.accepted", object_id=order.pk).count() == 1


def test_the_provider_declines_with_a_reason(
    order, member_a, buyer_a, django_capture_on_commit_callbacks
):
    for reason in ("", "   ", None):
        with pytest.raises(services.TenderError) as exc_info:
            services.order_decline(order=order, actor=member_a.user, reason=reason)
        assert "reason" in exc_info.value.fields
    with django_capture_on_commit_callbacks(execute=True):
        declined = services.order_decline(
            order=order, actor=member_a.user, reason=" Capacité épuisée "
        )
    assert declined.status == "declined" and declined.status_reason == "Capacité épuisée"
    note = Notification.objects.get(recipient=buyer_a)
    assert note.kind == "order_declined" and "Capacité épuisée" in note.body


ORDER_ALLOWED = {(s, t) for s, targets in services.ORDER_TRANSITIONS.items() for t in targets}


def test_the_order_table():
    assert ORDER_ALLOWED == {
        ("placed", "accepted"),
        ("placed", "declined"),
        ("placed", "cancelled"),
    }


def test_every_forbidden_order_move_is_a_409(order, buyer_a):
    forbidden = sorted(set(itertools.product(OrderStatus.values, repeat=2)) - ORDER_ALLOWED)
    assert len(forbidden) == 13
    for source, target in forbidden:
        Order.objects.filter(pk=order.pk).update(status=source)
        with pytest.raises(services.TenderError) as exc_info:
            orders._order_transition(order, target, actor=buyer_a, organisation="x")
        assert exc_info.value.http_status == 409, (source, target)
        assert exc_info.value.code == "transition_not_allowed"
        assert Order.objects.get(pk=order.pk).status == source
    assert (
        not AuditEvent.objects.filter(action__startswith="order.", object_id=order.pk)
        .exclude(action="order.place")
        .exists()
    )


@pytest.mark.parametrize(("source", "target"), sorted(ORDER_ALLOWED))
def test_every_allowed_order_move_works(order, buyer_a, source, target):
    moved = orders._order_transition(order, target, actor=buyer_a, organisation="x", reason="r")
    assert moved.status == target and Order.objects.get(pk=order.pk).status == target
    assert AuditEvent.objects.get(action=f"order.{target}", object_id=order.pk).data == {
        "from": source,
        "to": target,
        "reason": "r",
    }


@pytest.mark.parametrize("source", ["accepted", "declined", "cancelled"])
def test_a_decided_order_is_final(order, member_a, buyer_a, source):
    Order.objects.filter(pk=order.pk).update(status=source)
    for move in (
        lambda: services.order_accept(order=order, actor=member_a.user),
        lambda: services.order_decline(order=order, actor=member_a.user, reason="non"),
        lambda: services.order_cancel(order=order, actor=buyer_a, reason="non"),
    ):
        with pytest.raises(services.TenderError) as exc_info:
            move()
        assert exc_info.value.http_status == 409
    assert Order.objects.get(pk=order.pk).status == source


def test_the_database_refuses_an_unknown_order_status(order):
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(status="shipped")


# --------------------------------------------------------------------------
# API


def test_an_agency_orders_through_the_api(buyer_a, market):
    response = client_for(buyer_a).post(
        "/api/v1/orders/",
        {"offer": market.a.pk, "quantity": "10", "duration_months": 12, "level": "N2"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["total"], body["total_incl_vat"], body["status"]) == (
        "2400.00",
        "2880.00",
        "placed",
    )
    assert body["provider"] == "Alpha Cloud" and body["offer"]["unit"] == "TB_MONTH"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"offer": 999999, "quantity": "1", "duration_months": 1}, "offer"),
        ({"offer": "x", "quantity": "1", "duration_months": 1}, "offer"),
        ({"quantity": "1", "duration_months": 1}, "offer"),
        ({"offer": None, "quantity": "-1", "duration_months": 1}, "quantity"),
        ({"offer": None, "quantity": "1", "duration_months": 0}, "duration_months"),
        ({"offer": None, "quantity": "200", "duration_months": 12}, "quantity"),
        ({"offer": None, "quantity": "1", "duration_months": 1, "level": "N4"}, "level"),
    ],
)
def test_bad_api_orders_are_400_with_the_field(buyer_a, market, payload, field):
    if "offer" in payload and payload["offer"] is None:
        payload = {**payload, "offer": market.a.pk}
    response = client_for(buyer_a).post("/api/v1/orders/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_an_offer_the_buyer_cannot_see_cannot_be_ordered(buyer_a, provider_a):
    hidden = factories.offer(provider_a, name="Brouillon", status="draft")
    response = client_for(buyer_a).post(
        "/api/v1/orders/",
        {"offer": hidden.pk, "quantity": "1", "duration_months": 1},
        format="json",
    )
    assert response.status_code == 400 and "offer" in response.json()["error"]["fields"]


def test_who_may_place_an_order(member_a, market, api):
    body = {"offer": market.a.pk, "quantity": "1", "duration_months": 1}
    assert api.post("/api/v1/orders/", body, format="json").status_code == 401
    assert client_for(member_a.user).post("/api/v1/orders/", body, format="json").status_code == 403
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("buyer_a", True),
        ("member_a", True),
        ("operator", True),
        ("buyer_b", False),
        ("member_b", False),
    ],
)
def test_only_the_parties_see_an_order(request, order, who, sees):
    user = request.getfixturevalue(who)
    client = client_for(getattr(user, "user", user))
    listed = [row["id"] for row in client.get("/api/v1/orders/").json()["results"]]
    assert listed == ([order.pk] if sees else [])
    assert client.get(f"/api/v1/orders/{order.pk}/").status_code == (200 if sees else 404)


def test_anonymous_callers_see_no_order(api, order):
    assert api.get("/api/v1/orders/").status_code == 401
    assert api.get(f"/api/v1/orders/{order.pk}/").status_code == 401
    for verb in ("accept", "decline", "cancel"):
        assert (
            api.post(
                f"/api/v1/orders/{order.pk}/{verb}/", {"reason": "x"}, format="json"
            ).status_code
            == 401
        )


@pytest.mark.parametrize(
    ("verb", "who", "expected"),
    [
        ("accept", "buyer_b", 404),
        ("accept", "member_b", 404),
        ("accept", "buyer_a", 403),
        ("decline", "buyer_b", 404),
        ("decline", "member_b", 404),
        ("decline", "buyer_a", 403),
        ("cancel", "buyer_b", 404),
        ("cancel", "member_b", 404),
        ("cancel", "member_a", 403),
        ("accept", "operator", 403),
    ],
)
def test_only_the_right_party_moves_an_order(request, order, verb, who, expected):
    user = request.getfixturevalue(who)
    response = client_for(getattr(user, "user", user)).post(
        f"/api/v1/orders/{order.pk}/{verb}/", {"reason": "x"}, format="json"
    )
    assert response.status_code == expected, response.content
    assert Order.objects.get(pk=order.pk).status == "placed"


def test_the_provider_accepts_once_through_the_api(order, member_a):
    client = client_for(member_a.user)
    response = client.post(f"/api/v1/orders/{order.pk}/accept/")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    again = client.post(f"/api/v1/orders/{order.pk}/accept/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "transition_not_allowed"
    assert (
        client.post(f"/api/v1/orders/{order.pk}/decline/", {"reason": "trop tard"}).status_code
        == 409
    )


def test_declining_through_the_api_needs_a_reason(order, member_a):
    client = client_for(member_a.user)
    missing = client.post(f"/api/v1/orders/{order.pk}/decline/", {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    done = client.post(f"/api/v1/orders/{order.pk}/decline/", {"reason": "Rupture"}, format="json")
    assert done.status_code == 200 and done.json()["status_reason"] == "Rupture"


def test_the_agency_cancels_through_the_api(order, buyer_a):
    client = client_for(buyer_a)
    assert (
        client.post(f"/api/v1/orders/{order.pk}/cancel/", [1, 2], format="json").status_code == 400
    )
    response = client.post(f"/api/v1/orders/{order.pk}/cancel/", format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert (
        client.post(
            f"/api/v1/orders/{order.pk}/cancel/", {"reason": "x"}, format="json"
        ).status_code
        == 409
    )


def test_order_urls_take_numbers_only(buyer_a, order):
    client = client_for(buyer_a)
    assert client.get("/api/v1/orders/abc/").status_code == 404
    assert client.post("/api/v1/orders/abc/cancel/").status_code == 404
    assert client.get("/api/v1/orders/99999999999999999999999/").status_code == 404
