"""Notifications (issue 3 §8): in-app and e-mail, once per event and user;
invitations on matching, certificate expiry warnings, and the caller's
notifications through the API."""

import datetime

import pytest
from django.utils import timezone

from broker import services
from broker.models import Notification
from catalog import services as catalog_services
from tenders import services as tender_services
from tests import factories
from tests.conftest import client_for


def member(provider, email=""):
    return factories.MemberFactory(provider=provider, user__email=email).user


# --------------------------------------------------------------------------
# Invitations


def test_matching_invites_the_shortlisted_providers_in_app_and_by_email(
    ministry, buyer, make_offer, publish, mailoutbox
):
    alpha, beta, gamma = (
        factories.ProviderFactory(name=name) for name in ("Alpha", "Beta", "Gamma")
    )
    sales, cto = member(alpha, "ventes@alpha.example"), member(alpha, "cto@alpha.example")
    silent = member(beta)  # no e-mail address: in-app only
    outsider = member(gamma, "ventes@gamma.example")
    make_offer(alpha, unit_price="20")
    make_offer(beta, unit_price="25")
    make_offer(gamma, "N1", unit_price="5")  # not qualified

    tender = publish(factories.tender(ministry, actor=buyer), buyer)

    invitations = Notification.objects.filter(kind="invitation")
    assert sorted(n.recipient_id for n in invitations) == sorted([sales.pk, cto.pk, silent.pk])
    assert not Notification.objects.filter(recipient=outsider).exists()
    notification = invitations.get(recipient=sales)
    assert tender.reference in notification.subject and tender.title in notification.subject
    assert ministry.name in notification.body
    assert notification.url == f"/api/v1/tenders/{tender.pk}/"
    assert notification.read_at is None and notification.emailed_at is not None

    assert sorted(mail.to[0] for mail in mailoutbox) == [
        "cto@alpha.example",
        "ventes@alpha.example",
    ]
    assert {mail.subject for mail in mailoutbox} == {notification.subject}
    assert notification.url in mailoutbox[0].body
    assert invitations.get(recipient=silent).emailed_at is None


def test_each_tender_invites_once(ministry, buyer, make_offer, publish, mailoutbox, committed):
    sales = member(factories.ProviderFactory(name="Alpha"), "ventes@alpha.example")
    offer = make_offer(sales.provider_membership.provider)
    first = publish(factories.tender(ministry, actor=buyer), buyer)
    second = publish(factories.tender(ministry, actor=buyer), buyer)
    with committed():
        services.tender_match(tender_id=first.pk)
        catalog_services.offer_update(offer=offer, actor=None, unit_price="18")  # re-matches both

    assert Notification.objects.filter(recipient=sales, kind="invitation").count() == 2
    assert len(mailoutbox) == 2
    assert {mail.subject.split()[2] for mail in mailoutbox} == {first.reference, second.reference}


def test_notify_is_once_per_user_and_key(db, mailoutbox, committed):
    user = factories.UserFactory(email="someone@example.org")
    with committed():
        first = services.notify(
            users=[user], kind="test", key="test:1", message=lambda: ("Hello", "Body")
        )
        again = services.notify(
            users=[user], kind="test", key="test:1", message=lambda: ("Hello", "Body")
        )
    assert len(first) == 1 and again == []
    assert Notification.objects.filter(recipient=user).count() == 1
    assert len(mailoutbox) == 1


def kinds(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True)
    )


def test_closing_and_awarding_notify_responders_invitees_and_the_agency(
    ministry, buyer, provider_a, provider_b, make_offer, publish, committed
):
    winner, invitee = member(provider_a), member(provider_b)
    offer = make_offer(provider_a, unit_price="20")
    make_offer(provider_b, unit_price="25")
    tender = publish(factories.tender(ministry, actor=buyer), buyer)
    with committed():
        response = tender_services.response_submit(
            tender=tender,
            provider=provider_a,
            actor=winner,
            offer=offer,
            total_price="2400",
            technical_answer="Réponse",
        )
    assert kinds(buyer) == []  # a submission is sealed: the agency hears nothing of it

    with committed():
        tender = tender_services.tender_close_if_due(
            tender=tender, now=tender.response_deadline + datetime.timedelta(seconds=1)
        )
        tender_services.tender_award(tender=tender, actor=buyer, response=response)
    assert kinds(winner) == ["invitation", "tender_closed", "tender_awarded"]
    assert kinds(invitee) == ["invitation", "tender_closed", "tender_awarded"]
    assert kinds(buyer) == ["tender_closed"]
    assert (
        provider_a.name in Notification.objects.get(recipient=invitee, kind="tender_awarded").body
    )


def test_orders_notify_the_other_party(ministry, buyer, provider_a, make_offer, committed):
    seller = member(provider_a, "ventes@alpha.example")
    offer = make_offer(provider_a)
    with committed():
        accepted = tender_services.order_place(
            agency=ministry, actor=buyer, offer=offer, quantity=1, duration_months=12
        )
    assert (kinds(seller), kinds(buyer)) == (["order_place"], [])

    with committed():
        tender_services.order_accept(order=accepted, actor=seller)
        cancelled = tender_services.order_place(
            agency=ministry, actor=buyer, offer=offer, quantity=2, duration_months=12
        )
        tender_services.order_cancel(order=cancelled, actor=buyer, reason="Erreur de saisie")
    assert kinds(buyer) == ["order_accepted"]
    assert kinds(seller) == ["order_place", "order_place", "order_cancelled"]
    assert (
        "Erreur de saisie"
        in Notification.objects.get(recipient=seller, kind="order_cancelled").body
    )


# --------------------------------------------------------------------------
# Certificate expiry


@pytest.fixture
def expiring(provider_a, committed):
    """A verified SecNumCloud certificate of Alpha Cloud expiring in 200
    days, and a revoked one expiring the same day."""
    expires_on = timezone.localdate() + datetime.timedelta(days=200)
    with committed():
        offer = factories.offer(provider_a)
        cert = factories.certification(provider_a, [offer], expires_on=expires_on)
        revoked = factories.certification(provider_a, [offer], expires_on=expires_on)
        catalog_services.certification_revoke(certification=revoked, actor=None, reason="ANSSI")
    return cert


@pytest.mark.parametrize("days", [90, 30])
def test_providers_are_warned_90_and_30_days_before_expiry(
    expiring, provider_a, committed, mailoutbox, days
):
    sales, other = (
        member(provider_a, "ventes@alpha.example"),
        member(factories.ProviderFactory(name="Beta")),
    )
    day = expiring.expires_on - datetime.timedelta(days=days)

    with committed():
        assert services.certifications_warn_expiry(today=day - datetime.timedelta(days=1)) == 0
        assert services.certifications_warn_expiry(today=day) == 1
        assert services.certifications_warn_expiry(today=day) == 0  # the beat may run twice a day

    (warning,) = Notification.objects.filter(kind="certificate_expiring")
    assert warning.recipient == sales
    assert expiring.reference in warning.subject and f"{days} jours" in warning.subject
    assert expiring.expires_on.strftime("%d/%m/%Y") in warning.body
    assert not Notification.objects.filter(recipient=other).exists()
    assert [mail.to for mail in mailoutbox] == [["ventes@alpha.example"]]


def test_both_warnings_reach_the_provider(expiring, provider_a, committed):
    sales = member(provider_a, "ventes@alpha.example")
    with committed():
        for days in (90, 30, 30, 90):
            services.certifications_warn_expiry(
                today=expiring.expires_on - datetime.timedelta(days=days)
            )
    assert sorted(
        Notification.objects.filter(recipient=sales).values_list("subject", flat=True)
    ) == [
        f"SecNumCloud {expiring.reference} expire dans 30 jours",
        f"SecNumCloud {expiring.reference} expire dans 90 jours",
    ]


def test_deactivated_users_are_not_warned(expiring, provider_a, committed):
    gone = member(provider_a, "parti@alpha.example")
    gone.is_active = False
    gone.save()
    with committed():
        sent = services.certifications_warn_expiry(
            today=expiring.expires_on - datetime.timedelta(days=90)
        )
    assert sent == 0 and not Notification.objects.exists()


# --------------------------------------------------------------------------
# API


@pytest.fixture
def inboxes(db):
    """Two users with notifications; the first has two, one of them read."""
    mine, theirs = factories.UserFactory(username="moi"), factories.UserFactory(username="autre")
    read, unread = (
        services.notify(
            users=[mine], kind="test", key=f"test:{n}", message=lambda n=n: (f"Sujet {n}", "…")
        )[0]
        for n in (1, 2)
    )
    services.notification_mark_read(notification=read)
    (foreign,) = services.notify(
        users=[theirs], kind="test", key="test:3", message=lambda: ("Sujet 3", "…")
    )
    return mine, read, unread, foreign


def test_the_api_lists_only_the_callers_notifications(inboxes):
    mine, read, unread, foreign = inboxes
    client = client_for(mine)

    rows = client.get("/api/v1/notifications/").json()["results"]
    assert [row["id"] for row in rows] == [unread.pk, read.pk]
    assert [row["read"] for row in rows] == [False, True]
    assert set(rows[0]) == {"id", "kind", "subject", "body", "url", "created_at", "read", "read_at"}
    assert [
        row["id"] for row in client.get("/api/v1/notifications/", {"unread": "1"}).json()["results"]
    ] == [unread.pk]
    assert client.get(f"/api/v1/notifications/{foreign.pk}/").status_code == 404


def test_marking_a_notification_read(inboxes):
    mine, read, unread, foreign = inboxes
    client = client_for(mine)

    response = client.post(f"/api/v1/notifications/{unread.pk}/read/")
    assert response.status_code == 200
    assert response.json()["read"] is True and response.json()["read_at"]
    first_read_at = Notification.objects.get(pk=unread.pk).read_at
    assert client.post(f"/api/v1/notifications/{unread.pk}/read/").status_code == 200
    assert Notification.objects.get(pk=unread.pk).read_at == first_read_at  # idempotent
    assert client.get("/api/v1/notifications/", {"unread": "1"}).json()["results"] == []

    assert client.post(f"/api/v1/notifications/{foreign.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=foreign.pk).read_at is None


def test_anonymous_callers_are_refused(inboxes):
    _mine, _read, unread, _foreign = inboxes
    anonymous = client_for(None)
    assert anonymous.get("/api/v1/notifications/").status_code == 401
    assert anonymous.post(f"/api/v1/notifications/{unread.pk}/read/").status_code == 401
    assert Notification.objects.get(pk=unread.pk).read_at is None


def test_the_list_costs_one_query_however_many_notifications(inboxes, django_assert_num_queries):
    mine = inboxes[0]
    services.notify(users=[mine], kind="test", key="test:more", message=lambda: ("Encore", "…"))
    client = client_for(mine)
    with django_assert_num_queries(1):
        assert len(client.get("/api/v1/notifications/").json()["results"]) == 3
