"""Hostile input is a clear 4xx in the API's error format, never a 500
(issue 15 item 7)."""

import json

import pytest
from django.test import Client

from broker import services as broker_services
from tests import factories

NESTED = "[" * 1000 + "]" * 1000


@pytest.fixture
def raw():
    # No raise_request_exception: a server error must show as a 500, not a traceback here.
    return Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")


def _agency_member():
    return factories.agency_member(factories.agency())


def _provider_member():
    return factories.MemberFactory(provider=factories.ProviderFactory()).user


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/api/v1/auth/token/", factories.UserFactory),
        ("/api/v1/tenders/", _agency_member),
        ("/api/v1/offers/", _provider_member),
        ("/api/v1/certifications/", _provider_member),
    ],
)
def test_it_refuses_deeply_nested_json_with_a_400(raw, path, who):
    # Signed in with a token as someone who may write there, so that the
    # body is read (a refused caller is answered before parsing).
    _token, key = broker_services.api_token_issue(user=who())
    response = raw.post(
        path, NESTED, content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parse_error"
    assert "nested" in error["message"]


@pytest.mark.django_db
def test_it_accepts_json_nested_as_deep_as_real_bodies(raw):
    body = {"a": [[{"b": [1, 2, {"c": [3]}]}]]}
    response = raw.post("/api/v1/auth/token/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"  # a field error, not a parse error


@pytest.mark.django_db
def test_it_answers_an_oversized_body_with_a_413_in_the_error_format(raw, settings):
    settings.API_MAX_BODY_BYTES = 10_000
    body = json.dumps({"username": "x" * 20_000, "password": "y"})
    response = raw.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


@pytest.mark.django_db
@pytest.mark.parametrize("length", [151, 256, 5000])
def test_it_refuses_an_overlong_username_on_the_token_endpoint(raw, length):
    response = raw.post(
        "/api/v1/auth/token/",
        json.dumps({"username": "u" * length, "password": "whatever"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize("length", [151, 256, 5000])
def test_it_refuses_an_overlong_username_on_the_sign_in_page(raw, length):
    response = raw.post("/compte/connexion/", {"username": "u" * length, "password": "whatever"})
    assert response.status_code == 200  # the form again, with its error
    assert b"150" in response.content or b"caract" in response.content


@pytest.mark.django_db
def test_a_normal_sign_in_still_works(raw):
    factories.UserFactory(username="agent", password="guichet-demo")
    response = raw.post(
        "/api/v1/auth/token/",
        json.dumps({"username": "agent", "password": "guichet-demo"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["token"]
