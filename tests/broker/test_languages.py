"""Each person reads the service in their language (issue 4): notifications
and e-mails are written in the language they chose with the FR/EN switch
(French when they never chose), and a service's refusal reaches the page or
the API caller in the request's language."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from broker import selectors, services
from broker.models import Notification, Preference
from catalog import services as catalog_services
from tests import factories
from tests.conftest import client_for

PASSWORD = "pw-Guichet-2026"


def member(provider, email):
    user = factories.MemberFactory(provider=provider, user__email=email).user
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def expiring(provider_a, committed):
    with committed():
        offer = factories.offer(provider_a)
        return factories.certification(
            provider_a, [offer], expires_on=timezone.localdate() + datetime.timedelta(days=120)
        )


def test_each_recipient_reads_the_same_warning_in_their_own_language(
    expiring, provider_a, committed, mailoutbox
):
    francophone = member(provider_a, "ventes@alpha.example")
    anglophone = member(provider_a, "sales@alpha.example")
    services.preference_language_set(user=anglophone, language="en")

    with committed():
        assert (
            services.certifications_warn_expiry(
                today=expiring.expires_on - datetime.timedelta(days=30)
            )
            == 2
        )

    french = Notification.objects.get(recipient=francophone)
    english = Notification.objects.get(recipient=anglophone)
    assert french.subject == f"SecNumCloud {expiring.reference} expire dans 30 jours"
    assert english.subject == f"SecNumCloud {expiring.reference} expires in 30 days"
    assert "Les offres qui en dépendent" in french.body
    assert "The offers that rely on it lose their qualification" in english.body
    # Dates in each language's own short form.
    assert expiring.expires_on.strftime("%d/%m/%Y") in french.body
    assert expiring.expires_on.strftime("%m/%d/%Y") in english.body
    mails = {mail.to[0]: mail for mail in mailoutbox}
    assert mails["sales@alpha.example"].subject == english.subject
    assert mails["ventes@alpha.example"].subject == french.subject
    assert "expire le" not in mails["sales@alpha.example"].body


def test_the_language_switch_records_a_signed_in_persons_choice(provider_a):
    user = member(provider_a, "x@alpha.example")
    client = Client()
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    assert selectors.preferred_language(user) == "en"
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert Preference.objects.get(user=user).language == "fr"


def test_an_anonymous_switch_records_nothing_and_a_bad_language_is_ignored(provider_a):
    user = member(provider_a, "x@alpha.example")
    Client().post(reverse("set_language"), {"language": "en", "next": "/"})
    client = Client()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert not Preference.objects.exists()


def test_signing_in_brings_back_the_chosen_language(provider_a):
    user = member(provider_a, "x@alpha.example")
    services.preference_language_set(user=user, language="en")
    response = Client().post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"


def test_a_refusal_of_a_service_speaks_the_callers_language(provider_a, operator):
    admin = factories.MemberFactory(provider=provider_a, role="admin").user
    offer = factories.offer(provider_a, status="draft")
    catalog_services.provider_suspend(provider=provider_a, actor=operator, reason="Contrôle")
    client = client_for(admin)
    url = f"/api/v1/offers/{offer.pk}/publish/"
    french = client.post(url, HTTP_ACCEPT_LANGUAGE="fr")
    english = client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert french.status_code == english.status_code == 403
    assert (
        french.json()["error"]["message"] == "Un fournisseur suspendu ne peut pas publier d'offres."
    )
    assert english.json()["error"]["message"] == "A suspended provider cannot publish offers."
    assert (
        french.json()["error"]["code"] == english.json()["error"]["code"]
    )  # the contract integrators test


def test_the_password_reset_email_goes_out_in_the_recipients_language(provider_a, mailoutbox):
    user = member(provider_a, "x@alpha.example")
    services.preference_language_set(user=user, language="en")
    Client(HTTP_ACCEPT_LANGUAGE="fr").post(reverse("password_reset"), {"email": "x@alpha.example"})
    (mail,) = mailoutbox
    assert mail.subject == "Guichet Cloud: choose a new password"
    assert "Someone asked to reset the password" in mail.body
