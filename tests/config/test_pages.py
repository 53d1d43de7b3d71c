import pytest
from django.test import Client
from django.urls import reverse

from broker.services import notify

FRAME_PAGES = [
    "home",
    "login",
    "page-sitemap",
    "page-legal",
    "page-privacy",
    "page-accessibility",
    "password_reset",
    "open-data",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", FRAME_PAGES)
def test_it_links_the_pages_every_french_public_site_must_have(name):
    response = Client().get(reverse(name))
    assert response.status_code == 200
    for required in ("page-legal", "page-privacy", "page-accessibility", "page-sitemap"):
        assert f'href="{reverse(required)}"'.encode() in response.content


@pytest.mark.django_db
def test_it_shows_the_signed_in_users_organisation_and_unread_count(member_a, provider_a):
    user = member_a.user
    notify(users=[user], kind="test", key="k1", message=lambda: ("Hello", "Body"))
    notify(users=[user], kind="test", key="k2", message=lambda: ("Hello again", "Body"))
    client = Client()
    client.force_login(member_a.user)
    html = client.get(reverse("home")).content.decode()
    assert provider_a.name in html
    assert '<span class="fr-badge fr-badge--sm fr-badge--info" id="unread-count">2' in html


@pytest.mark.django_db
def test_it_sends_each_person_to_the_dashboard_of_their_role(member_a, operator):
    client = Client()
    client.force_login(member_a.user)
    assert client.get(reverse("dashboard"))["Location"] == reverse("provider-dashboard")
    client.force_login(operator)
    assert client.get(reverse("dashboard"))["Location"] == reverse("operator-queue")


@pytest.mark.django_db
def test_it_switches_the_language_to_english():
    client = Client()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert 'lang="en"' in client.get("/").content.decode()
