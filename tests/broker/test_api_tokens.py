"""Members' API tokens (issue 15 item 6): ``POST /api/v1/auth/token/``
issues one (stored as its SHA-256 only), ``DELETE`` with it revokes it,
it expires after ``API_TOKEN_TTL_HOURS``, and a new password — by the
reset form or by ``set_password()`` — ends every token of that person.
One scheme: DRF's authtoken app is gone."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from broker import services
from broker.models import ApiToken
from tests import factories

PASSWORD = "guichet-demo"
TOKEN_URL = "/api/v1/auth/token/"
PRIVATE = "/api/v1/notifications/"  # any endpoint for signed-in callers only


@pytest.fixture
def person(db):
    return factories.UserFactory(username="camille.martin", email="camille@example.org")


def sign_in(person, **extra) -> str:
    response = APIClient().post(
        TOKEN_URL, {"username": person.username, "password": PASSWORD}, format="json", **extra
    )
    assert response.status_code == 200, response.content
    assert list(response.json()) == ["token"]
    return response.json()["token"]


def with_token(key: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def expire(token: ApiToken) -> None:
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=now - timedelta(hours=3), expires_at=now - timedelta(seconds=1)
    )


def refusal(key: str) -> str:
    response = with_token(key).get(PRIVATE)
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "authentication_failed"
    return response.json()["error"]["message"]


def test_it_issues_a_token_that_works_and_is_stored_only_as_its_hash(person):
    key = sign_in(person)
    assert with_token(key).get(PRIVATE).status_code == 200
    (token,) = ApiToken.objects.filter(user=person)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM broker_apitoken")
        assert all(key not in str(value) for row in cursor.fetchall() for value in row)
    assert token.expires_at - token.created_at == timedelta(hours=720)
    assert settings.API_TOKEN_TTL_HOURS == 720


def test_each_sign_in_gets_a_token_of_its_own_and_the_earlier_ones_keep_working(person):
    first, second = sign_in(person), sign_in(person)
    assert first != second
    assert with_token(first).get(PRIVATE).status_code == 200
    assert with_token(second).get(PRIVATE).status_code == 200


def test_a_person_holds_a_bounded_number_of_live_tokens_the_oldest_goes_first(person):
    keys = [services.api_token_issue(user=person)[1] for _ in range(services.MAX_LIVE_API_TOKENS)]
    newest = services.api_token_issue(user=person)[1]
    assert ApiToken.objects.filter(user=person).count() == services.MAX_LIVE_API_TOKENS
    assert refusal(keys[0]) == "Invalid token."
    assert with_token(keys[1]).get(PRIVATE).status_code == 200
    assert with_token(newest).get(PRIVATE).status_code == 200


def test_delete_revokes_the_callers_token_and_only_it(person):
    key, other = sign_in(person), sign_in(person)
    response = with_token(key).delete(TOKEN_URL)
    assert response.status_code == 204 and response.content == b""
    assert refusal(key) == "This token has been revoked."
    assert ApiToken.objects.get(key_hash=services.api_token_hash(key)).revoked_at is not None
    assert with_token(other).get(PRIVATE).status_code == 200
    # Revoked already: the token is no credential any more.
    assert with_token(key).delete(TOKEN_URL).status_code == 401


def test_delete_needs_the_token_it_revokes(person):
    anonymous = APIClient().delete(TOKEN_URL)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    # A session (or an API key) is not a token: nothing to revoke, nothing revoked.
    key = sign_in(person)
    session = APIClient()
    session.force_login(person)
    assert session.delete(TOKEN_URL).status_code == 401
    assert with_token("made-up").delete(TOKEN_URL).status_code == 401
    assert with_token(key).get(PRIVATE).status_code == 200


def test_a_token_expires_after_the_configured_hours(person, settings):
    settings.API_TOKEN_TTL_HOURS = 2
    token, key = services.api_token_issue(user=person)
    assert token.expires_at - token.created_at == timedelta(hours=2)
    assert with_token(key).get(PRIVATE).status_code == 200
    expire(token)
    assert refusal(key).startswith("This token has expired")


def test_an_expired_token_left_in_the_headers_does_not_stop_getting_a_new_one(person):
    token, key = services.api_token_issue(user=person)
    expire(token)
    response = with_token(key).post(
        TOKEN_URL, {"username": person.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert with_token(response.json()["token"]).get(PRIVATE).status_code == 200
    # The dead token was cleared away on the way.
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_a_password_reset_through_the_form_ends_every_token_of_that_person(person):
    keys = [sign_in(person), sign_in(person)]
    bystander = factories.UserFactory(username="dominique.durand")
    theirs = sign_in(bystander)
    client = Client()
    link = (
        f"/compte/mot-de-passe/{urlsafe_base64_encode(force_bytes(person.pk))}/"
        f"{default_token_generator.make_token(person)}/"
    )
    form = client.get(link)
    assert form.status_code == 302  # Django moves the reset token into the session
    response = client.post(
        form["Location"],
        {"new_password1": "a-new-long-pass-phrase", "new_password2": "a-new-long-pass-phrase"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/termine/")
    for key in keys:
        assert refusal(key).startswith("The password of this account changed")
    assert with_token(theirs).get(PRIVATE).status_code == 200


def test_set_password_and_save_ends_every_token_of_that_person(person):
    key = sign_in(person)
    person.set_password("another-long-pass-phrase")
    person.save()
    assert refusal(key).startswith("The password of this account changed")
    # The new password gives tokens that work.
    response = APIClient().post(
        TOKEN_URL, {"username": person.username, "password": "another-long-pass-phrase"}
    )
    assert with_token(response.json()["token"]).get(PRIVATE).status_code == 200


def test_a_deactivated_account_is_refused(person):
    key = sign_in(person)
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert refusal(key) == "User inactive or deleted."


@pytest.mark.django_db
def test_made_up_and_malformed_tokens_are_refused():
    assert refusal("0" * 40) == "Invalid token."
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    for header, message in [
        ("Token", "Invalid token header. No credentials provided."),
        ("Token a b", "Invalid token header. Token string should not contain spaces."),
    ]:
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get(PRIVATE)
        assert response.status_code == 401 and response.json()["error"]["message"] == message


@pytest.mark.django_db
def test_it_answers_in_french_with_django_rest_frameworks_own_translations():
    client = APIClient(HTTP_ACCEPT_LANGUAGE="fr")
    client.credentials(HTTP_AUTHORIZATION="Token made-up")
    assert client.get(PRIVATE).json()["error"]["message"] == "Token non valide."


def test_it_records_when_a_token_was_last_used_at_most_once_a_minute(person):
    token, key = services.api_token_issue(user=person)
    assert token.last_used_at is None
    with_token(key).get(PRIVATE)
    used = ApiToken.objects.get(pk=token.pk).last_used_at
    assert used is not None
    with_token(key).get(PRIVATE)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == used


def test_one_token_scheme_drfs_authtoken_is_gone(db):
    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS
    assert "authtoken_token" not in connection.introspection.table_names()
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "broker.authentication.ApiKeyAuthentication",
        "broker.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ]


def test_the_schema_documents_the_token_scheme_and_the_revocation():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["in"] == "header" and "Authorization: Token" in scheme["description"]
    operations = schema["paths"]["/api/v1/auth/token/"]
    assert operations["delete"]["security"] == [{"tokenAuth": []}]
    assert "204" in operations["delete"]["responses"] and "401" in operations["delete"]["responses"]
    assert "security" not in operations["post"]  # signing in takes no credential
    ok = operations["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    output = schema["components"]["schemas"][ok["$ref"].rsplit("/", 1)[1]]
    assert list(output["properties"]) == ["token"] and output["required"] == ["token"]
