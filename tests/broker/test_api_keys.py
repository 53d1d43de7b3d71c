"""Organisation API keys (issue 5): shown once and hashed at rest, a
visible prefix, read or read-write scope, revocation, last use, the
creator's standing, and a throttle per key."""

import datetime
import hashlib

import pytest
from django.db import connection
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from broker import selectors, services
from broker.models import ApiKey, AuditEvent
from catalog.models import ProviderMembership
from tests import factories
from tests.conftest import client_for


@pytest.fixture
def admin_a(provider_a):
    return factories.MemberFactory(provider=provider_a, role="admin").user


def make_key(user, scopes="read", name="ERP") -> tuple[ApiKey, str]:
    return services.api_key_create(
        organisation=selectors.organisation_of(user), actor=user, name=name, scopes=scopes
    )


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def everything_stored() -> str:
    """Every row of every table, as text."""
    texts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 - table names from the catalogue
            texts += [row[0] for row in cursor.fetchall()]
    return "\n".join(texts)


# --------------------------------------------------------------------------
# Creation: shown once, hashed at rest


def test_the_key_is_shown_once_and_only_its_hash_is_kept(admin_a):
    client = client_for(admin_a)
    response = client.post(
        "/api/v1/api-keys/", {"name": "ERP achats", "scopes": "read,write"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    key, prefix = body["key"], body["prefix"]
    assert prefix.startswith("gc_live_") and len(prefix) == 16 and key.startswith(prefix + "_")
    assert len(key) > 50
    assert (
        body["scopes"] == "read,write" and body["revoked"] is False and body["last_used_at"] is None
    )
    assert body["organisation"]["kind"] == "provider" and body["created_by"] == admin_a.username

    stored = ApiKey.objects.get(pk=body["id"])
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in everything_stored()  # not in the key table, not in the audit chain, nowhere
    secret_part = key.removeprefix(prefix + "_")
    assert secret_part not in everything_stored()

    listed = client.get("/api/v1/api-keys/").json()["results"]
    assert [row["prefix"] for row in listed] == [prefix]  # the prefix tells keys apart
    for response in (client.get("/api/v1/api-keys/"), client.get(f"/api/v1/api-keys/{stored.pk}/")):
        assert key not in response.content.decode() and "key_hash" not in response.content.decode()
        assert stored.key_hash not in response.content.decode()
    assert AuditEvent.objects.get(action="api_key.create").data == {
        "prefix": prefix,
        "name": "ERP achats",
        "scopes": "read,write",
    }


def test_keys_are_unique(admin_a):
    (first, key1), (second, key2) = make_key(admin_a), make_key(admin_a)
    assert key1 != key2 and first.prefix != second.prefix


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "scopes": "read"}, "name"),
        ({"name": "x", "scopes": "write"}, "scopes"),
        ({"name": "x", "scopes": "admin"}, "scopes"),
    ],
)
def test_invalid_keys_are_refused(admin_a, data, field):
    response = client_for(admin_a).post("/api/v1/api-keys/", data, format="json")
    assert response.status_code == 400 and field in response.json()["error"]["fields"]


# --------------------------------------------------------------------------
# Who manages keys


def test_only_administrators_create_and_revoke_but_members_list(admin_a, provider_a):
    member = factories.MemberFactory(provider=provider_a, role="member").user
    api_key, _ = make_key(admin_a)
    client = client_for(member)
    assert client.post("/api/v1/api-keys/", {"name": "x"}, format="json").status_code == 403
    assert client.post(f"/api/v1/api-keys/{api_key.pk}/revoke/").status_code == 403
    assert [row["id"] for row in client.get("/api/v1/api-keys/").json()["results"]] == [api_key.pk]
    assert client.get(f"/api/v1/api-keys/{api_key.pk}/").status_code == 200


def test_other_organisations_see_nothing(admin_a, member_b, ministry):
    api_key, _ = make_key(admin_a)
    agency_admin = factories.agency_member(ministry, role="admin", username="chef-achats")
    for other in (client_for(member_b.user), client_for(agency_admin)):
        assert other.get("/api/v1/api-keys/").json()["results"] == []
        assert other.get(f"/api/v1/api-keys/{api_key.pk}/").status_code == 404
        assert other.post(f"/api/v1/api-keys/{api_key.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is None
    created = client_for(agency_admin).post(
        "/api/v1/api-keys/", {"name": "SI achats"}, format="json"
    )
    assert created.status_code == 201 and created.json()["organisation"]["kind"] == "agency"
    assert created.json()["scopes"] == "read"  # the default

    assert client_for(None).get("/api/v1/api-keys/").status_code == 401
    assert (
        client_for(factories.UserFactory(username="seul")).get("/api/v1/api-keys/").status_code
        == 403
    )


def test_a_key_cannot_make_or_revoke_keys(admin_a):
    api_key, key = make_key(admin_a, scopes="read,write")
    client = with_key(key)
    response = client.post("/api/v1/api-keys/", {"name": "another"}, format="json")
    assert response.status_code == 403
    assert client.post(f"/api/v1/api-keys/{api_key.pk}/revoke/").status_code == 403
    assert ApiKey.objects.count() == 1


# --------------------------------------------------------------------------
# Authentication and scopes


def test_a_key_acts_for_its_organisation(admin_a, member_b, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    mine = services.webhook_endpoint_create(
        organisation=selectors.organisation_of(admin_a),
        actor=admin_a,
        url="http://127.0.0.1:9/a",
        event_types=["tender.closed"],
    )
    services.webhook_endpoint_create(
        organisation=selectors.organisation_of(member_b.user),
        actor=member_b.user,
        url="http://127.0.0.1:9/b",
        event_types=["tender.closed"],
    )
    _, key = make_key(admin_a)
    response = with_key(key).get("/api/v1/webhooks/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_a_read_key_reads_and_a_write_key_writes(admin_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    _, read_key = make_key(admin_a, scopes="read")
    _, write_key = make_key(admin_a, scopes="read,write")
    hook = {"url": "http://127.0.0.1:9/in", "event_types": ["tender.closed"]}

    assert with_key(read_key).get("/api/v1/webhooks/").status_code == 200
    assert with_key(read_key).options("/api/v1/webhooks/").status_code == 200
    refused = with_key(read_key).post("/api/v1/webhooks/", hook, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "This API key is read-only."
    for method in ("put", "patch", "delete"):
        assert getattr(with_key(read_key), method)("/api/v1/webhooks/1/").status_code == 403

    created = with_key(write_key).post("/api/v1/webhooks/", hook, format="json")
    assert created.status_code == 201
    assert (
        AuditEvent.objects.get(action="webhook.create").actor_id == admin_a.pk
    )  # acting as its creator


@pytest.mark.parametrize(
    "header", ["Api-Key gc_live_00000000_nope", "Api-Key", "Api-Key a b", "Api-Key not-even-a-key"]
)
def test_unknown_or_malformed_keys_are_refused(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/notifications/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Api-Key")


def test_a_key_with_the_right_prefix_but_a_wrong_secret_is_refused(admin_a):
    api_key, key = make_key(admin_a)
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    response = with_key(forged).get("/api/v1/api-keys/")
    assert response.status_code == 401 and response.json()["error"]["message"] == "Invalid API key."
    assert with_key(key).get("/api/v1/api-keys/").status_code == 200


def test_a_revoked_key_stops_working(admin_a):
    api_key, key = make_key(admin_a)
    assert with_key(key).get("/api/v1/notifications/").status_code == 200
    revoked = client_for(admin_a).post(f"/api/v1/api-keys/{api_key.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True

    response = with_key(key).get("/api/v1/notifications/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This API key has been revoked."
    again = client_for(admin_a).post(f"/api/v1/api-keys/{api_key.pk}/revoke/")
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]  # idempotent
    assert AuditEvent.objects.filter(action="api_key.revoke").count() == 1


def test_a_key_dies_with_its_creators_standing(admin_a, provider_a):
    _, key = make_key(admin_a)
    admin_a.is_active = False
    admin_a.save()
    response = with_key(key).get("/api/v1/notifications/")
    assert response.status_code == 401 and "no longer active" in response.json()["error"]["message"]

    admin_a.is_active = True
    admin_a.save()
    assert with_key(key).get("/api/v1/notifications/").status_code == 200
    ProviderMembership.objects.filter(user=admin_a).delete()  # left the company
    response = with_key(key).get("/api/v1/notifications/")
    assert (
        response.status_code == 401 and "no longer belongs" in response.json()["error"]["message"]
    )


def test_last_use_is_recorded_at_most_once_a_minute(admin_a, django_assert_num_queries):
    api_key, key = make_key(admin_a)
    client = with_key(key)
    client.get("/api/v1/notifications/")
    api_key.refresh_from_db()
    first = api_key.last_used_at
    assert first is not None and timezone.now() - first < datetime.timedelta(seconds=5)

    # Within the minute: one query to authenticate, none to write.
    with django_assert_num_queries(
        2
    ):  # the key (with its creator's standing), the notifications page
        client.get("/api/v1/notifications/")
    api_key.refresh_from_db()
    assert api_key.last_used_at == first

    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    client.get("/api/v1/notifications/")
    api_key.refresh_from_db()
    assert api_key.last_used_at > first
    assert (
        client_for(admin_a).get("/api/v1/api-keys/").json()["results"][0]["last_used_at"]
        is not None
    )


def test_the_operator_revokes_a_key_in_the_admin(admin_a, client, operator):
    api_key, key = make_key(admin_a)
    client.force_login(operator)
    page = client.get("/admin/broker/apikey/")
    assert page.status_code == 200 and api_key.prefix in page.content.decode()
    client.post("/admin/broker/apikey/", {"action": "revoke", "_selected_action": [api_key.pk]})
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is not None
    assert with_key(key).get("/api/v1/notifications/").status_code == 401


# --------------------------------------------------------------------------
# Throttling per key


def test_each_key_has_its_own_budget(admin_a, settings):
    settings.API_THROTTLE_KEY = "2/minute"
    # Each key's prefix is fresh, so its counter in the cache starts empty;
    # cache.clear() would flush a Redis database other test runs share.
    _, first_key = make_key(admin_a)
    _, second_key = make_key(admin_a)
    first = with_key(first_key)
    assert [first.get("/api/v1/notifications/").status_code for _ in range(3)] == [200, 200, 429]
    throttled = first.get("/api/v1/notifications/")
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert with_key(second_key).get("/api/v1/notifications/").status_code == 200  # its own budget
    # The member's own token is not spent by the keys.
    assert client_for(admin_a).get("/api/v1/notifications/").status_code == 200


# --------------------------------------------------------------------------
# Schema


def test_the_schema_documents_the_scheme():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    scheme = schema["components"]["securitySchemes"]["ApiKeyAuth"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}
    operation = schema["paths"]["/api/v1/api-keys/"]["post"]
    assert {"ApiKeyAuth": []} in operation["security"]
    created = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert "key" in schema["components"]["schemas"][created.rsplit("/", 1)[1]]["properties"]
