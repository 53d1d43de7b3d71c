"""The client's address cannot be chosen by the client (issue 15 item 9).

One setting, ``DJANGO_BEHIND_PROXY``, says whether a trusted proxy is in
front; it drives the API's anonymous throttle (DRF's ``NUM_PROXIES``), the
sign-in lockout (django-axes through django-ipware) and ``is_secure()``
(``SECURE_PROXY_SSL_HEADER``) together. Without the proxy, a spoofed
``X-Forwarded-For`` changes nothing: the address is the connection's. With
it, the address is the right-most entry, the one the proxy appended, and
whatever the client wrote to its left is ignored.

Each test runs with the values the settings module itself computes for
each mode (read in a subprocess with the environment variable set)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import Client
from rest_framework import throttling

from tests import factories
from tests.worker import ROOT

PASSWORD = "guichet-demo"
PROXY = "10.0.0.2"  # REMOTE_ADDR: the proxy itself, when there is one
CLIENT = "198.51.100.7"
OTHER_CLIENT = "203.0.113.9"
# What a client may put in the header itself: a public address first
# (django-ipware's default picks the first public hop), then nonsense.
SPOOFS = ["8.8.8.8", "192.0.2.1, 8.8.4.4", "1.1.1.1", "not-an-address", "9.9.9.9, 192.0.2.2"]

READ = """
import json, config.settings as s
print(json.dumps({
    "NUM_PROXIES": s.REST_FRAMEWORK["NUM_PROXIES"],
    "AXES_IPWARE_META_PRECEDENCE_ORDER": s.AXES_IPWARE_META_PRECEDENCE_ORDER,
    "AXES_IPWARE_PROXY_ORDER": s.AXES_IPWARE_PROXY_ORDER,
    "AXES_IPWARE_PROXY_COUNT": s.AXES_IPWARE_PROXY_COUNT,
    "IPWARE_STRICT": s.IPWARE_STRICT,
    "SECURE_PROXY_SSL_HEADER": s.SECURE_PROXY_SSL_HEADER,
}))
"""


def computed_settings(behind_proxy: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_BEHIND_PROXY"}
    if behind_proxy is not None:
        env["DJANGO_BEHIND_PROXY"] = behind_proxy
    result = subprocess.run(
        [sys.executable, "-c", READ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def modes() -> dict[str, dict]:
    return {"direct": computed_settings(None), "proxy": computed_settings("1")}


def test_one_setting_drives_the_three_readers_of_forwarded_headers(modes):
    assert computed_settings("0") == modes["direct"]
    assert modes["direct"] == {
        "NUM_PROXIES": 0,
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["REMOTE_ADDR"],
        "AXES_IPWARE_PROXY_ORDER": "left-most",
        "AXES_IPWARE_PROXY_COUNT": None,
        "IPWARE_STRICT": False,
        "SECURE_PROXY_SSL_HEADER": None,
    }
    assert modes["proxy"] == {
        "NUM_PROXIES": 1,
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"],
        "AXES_IPWARE_PROXY_ORDER": "left-most",
        "AXES_IPWARE_PROXY_COUNT": 0,
        "IPWARE_STRICT": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


@pytest.fixture(params=["direct", "proxy"])
def mode(request, modes, settings):
    """This test's settings as DJANGO_BEHIND_PROXY makes them."""
    values = modes[request.param]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": values["NUM_PROXIES"]}
    for name in (
        "AXES_IPWARE_META_PRECEDENCE_ORDER",
        "AXES_IPWARE_PROXY_ORDER",
        "AXES_IPWARE_PROXY_COUNT",
        "IPWARE_STRICT",
    ):
        setattr(settings, name, values[name])
    header = values["SECURE_PROXY_SSL_HEADER"]
    settings.SECURE_PROXY_SSL_HEADER = tuple(header) if header else None
    return request.param


def from_client(mode: str, client: str, spoof: str | None = None) -> dict:
    """The request metadata of ``client`` having written ``spoof`` in its
    own X-Forwarded-For: straight to the server, or through the proxy,
    which appends the address it saw."""
    if mode == "direct":
        meta = {"REMOTE_ADDR": client}
        if spoof is not None:
            meta["HTTP_X_FORWARDED_FOR"] = spoof
        return meta
    forwarded = f"{spoof}, {client}" if spoof is not None else client
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def test_a_spoofed_header_does_not_reset_the_anonymous_bucket(db, mode, private_cache, monkeypatch):
    monkeypatch.setattr(throttling.AnonRateThrottle, "rate", "3/minute", raising=False)
    client = Client()
    statuses = [
        client.get("/api/v1/offers/", **from_client(mode, CLIENT, spoof)).status_code
        for spoof in [None, *SPOOFS]
    ]
    assert statuses == [200, 200, 200, 429, 429, 429]
    # Another client (through the same proxy, when there is one) has its own bucket.
    assert client.get("/api/v1/offers/", **from_client(mode, OTHER_CLIENT)).status_code == 200


def sign_in(mode: str, username: str, password: str, client: str, spoof: str | None = None):
    return Client().post(
        "/compte/connexion/",
        {"username": username, "password": password},
        **from_client(mode, client, spoof),
    )


def token(mode: str, username: str, password: str, client: str, spoof: str | None = None):
    return Client().post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
        **from_client(mode, client, spoof),
    )


@pytest.mark.parametrize("attempt", [sign_in, token], ids=["sign_in_page", "token_endpoint"])
def test_a_spoofed_header_does_not_escape_the_login_lockout(db, mode, attempt):
    person = factories.UserFactory(username="camille.martin")
    failures = [attempt(mode, person.username, "wrong", CLIENT, spoof) for spoof in SPOOFS]
    assert [response.status_code for response in failures][-1] == 429
    assert all(response.status_code != 302 for response in failures)
    # Locked from that client whatever it writes in the header, right password or not...
    for spoof in [None, "8.8.8.8", OTHER_CLIENT]:
        assert attempt(mode, person.username, PASSWORD, CLIENT, spoof).status_code == 429
    # ... while another client (through the same proxy) still signs in.
    assert attempt(mode, person.username, PASSWORD, OTHER_CLIENT).status_code in (200, 302)


def test_only_the_proxy_says_the_request_came_over_https(db, mode, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    response = Client().get("/", HTTP_X_FORWARDED_PROTO="https", **from_client(mode, CLIENT))
    # HSTS goes out on secure requests only: is_secure() believed the header.
    assert ("Strict-Transport-Security" in response) == (mode == "proxy")
