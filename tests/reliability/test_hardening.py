"""Hardening (issue 7): security headers on every page (a nonce CSP with no
inline script, Permissions-Policy, nosniff, Referrer-Policy, framing
refused, HSTS in production), login throttling per username and address
(django-axes) on the sign-in page and the token endpoint, and the API's
throttles per address and per account."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework import throttling

from tests import factories
from tests.conftest import client_for

PASSWORD = "guichet-demo"


@pytest.fixture
def person(db):
    return factories.UserFactory(username="camille.martin")


# --------------------------------------------------------------------------
# Headers


def csp_directives(header: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.parametrize("path", ["/", "/compte/connexion/", "/api/v1/offers/", "/api/docs/"])
def test_every_answer_carries_the_security_headers(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    policy = csp_directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert (
        "'unsafe-inline'" not in policy["script-src"]
        and "'unsafe-eval'" not in policy["script-src"]
    )
    assert "'unsafe-inline'" not in policy["style-src"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert (
        "camera=()" in response["Permissions-Policy"]
        and "geolocation=()" in response["Permissions-Policy"]
    )


def test_pages_run_only_scripts_from_this_origin(db):
    """Every script of the frame (DSFR, htmx) is a file of this origin: the
    policy needs no inline script at all (a page that would need one uses
    the request's nonce, ``request.csp_nonce``)."""
    response = Client().get("/")
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert len(scripts) >= 3
    for tag in scripts:
        src = re.search(r'src="([^"]+)"', tag)
        assert src and src.group(1).startswith("/static/"), f"inline or foreign script: {tag}"
    assert "<style" not in html and " style=" not in html
    assert 'name="htmx-config"' in html and '"includeIndicatorStyles": false' in html


def test_the_api_docs_load_their_start_up_script_as_a_file(db):
    html = Client().get("/api/docs/").content.decode()
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html))


def test_https_answers_carry_hsts_in_production(db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = Client().get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


# --------------------------------------------------------------------------
# Login throttling


def sign_in(client: Client, username: str, password: str, address: str = "198.51.100.7"):
    return client.post(
        "/compte/connexion/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_five_failures_lock_the_username_from_that_address_with_a_clear_message(person, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    for _ in range(4):
        response = sign_in(client, person.username, "wrong")
        assert response.status_code == 200 and b"locked-out" not in response.content
    locked = sign_in(client, person.username, "wrong")
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert "Trop de tentatives de connexion échouées" in locked.content.decode()
    assert "après 5 tentatives échouées" in locked.content.decode()
    # Now even the right password is refused from there...
    assert sign_in(client, person.username, PASSWORD).status_code == 429
    # ... but the person still signs in from elsewhere, and that address may sign in others.
    assert sign_in(Client(), person.username, PASSWORD, address="203.0.113.9").status_code == 302
    other = factories.UserFactory(username="dominique.durand")
    assert sign_in(Client(), other.username, PASSWORD).status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(person):
    client = Client()
    for _ in range(4):
        sign_in(client, person.username, "wrong")
    assert sign_in(client, person.username, PASSWORD).status_code == 302
    for _ in range(4):
        assert sign_in(Client(), person.username, "wrong").status_code == 200


def test_the_token_endpoint_is_throttled_the_same_way(person, api, settings):
    def token(password):
        return api.post(
            "/api/v1/auth/token/",
            {"username": person.username, "password": password},
            format="json",
            REMOTE_ADDR="198.51.100.8",
        )

    for _ in range(4):
        assert token("wrong").status_code == 400
    locked = token("wrong")
    assert locked.status_code == 429
    # In the API's error format, with when to come back (15 minutes).
    assert locked["Content-Type"] == "application/json"
    assert locked.json()["error"]["code"] == "locked_out"
    assert locked["Retry-After"] == str(settings.AXES_COOLOFF_TIME * 3600).split(".")[0]
    assert token(PASSWORD).status_code == 429
    assert b'"token"' not in token(PASSWORD).content


# --------------------------------------------------------------------------
# API throttling (per API key: tests/broker/test_api_keys.py)


def test_anonymous_callers_are_throttled_per_address(db, private_cache, monkeypatch):
    monkeypatch.setattr(throttling.AnonRateThrottle, "rate", "3/minute", raising=False)
    client = Client()
    statuses = [
        client.get("/api/v1/offers/", REMOTE_ADDR="198.51.100.20").status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    throttled = client.get("/api/v1/offers/", REMOTE_ADDR="198.51.100.20")
    assert int(throttled["Retry-After"]) > 0 and throttled.json()["error"]["code"] == "throttled"
    assert client.get("/api/v1/offers/", REMOTE_ADDR="198.51.100.21").status_code == 200


def test_signed_in_callers_are_throttled_per_account(
    member_a, member_b, private_cache, monkeypatch
):
    from broker.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "rate", "2/minute", raising=False)
    first = client_for(member_a.user)
    assert [first.get("/api/v1/offers/").status_code for _ in range(3)] == [200, 200, 429]
    assert client_for(member_b.user).get("/api/v1/offers/").status_code == 200


def test_no_template_carries_an_inline_style_the_policy_would_block():
    """The CSP allows no inline style: a style attribute would be dropped by
    the browser, silently. Styles go to the static stylesheets."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for app in ("catalog", "tenders", "broker", "config")
        for path in (root / app / "templates").rglob("*.html")
        if ' style="' in path.read_text()
    ]
    assert offenders == []
