"""Authorisation matrix (issue 7): every URL the resolver serves, for every
role, read (GET) and written (POST with an empty body), against the
expected classes kept as data in matrix.csv (see matrix.py for the
classes). Paths name objects of agency A or provider A, so the rows prove
that agency B and provider B are refused what A is served.

Each write runs in a savepoint rolled back after the request: one role's
successful POST (a cancellation, a withdrawal) does not change what the
next role sees.

``SECURITY_MATRIX_RECORD=1`` rewrites matrix.csv with what was observed
(new routes get guessed parameters; ``SECURITY_MATRIX_ONLY=<regex>`` limits
it to the rows whose "route method params" matches, and to the empty ones);
review every changed cell before committing it."""

import os
import re

import pytest
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from tests.security import matrix

RECORD = os.environ.get("SECURITY_MATRIX_RECORD") == "1"
# With RECORD, re-observe only the rows whose "route method params" matches.
RECORD_ONLY = re.compile(os.environ.get("SECURITY_MATRIX_ONLY", ""))


class Clients:
    """One signed-in client per role and kind (API or HTML), made again
    after a request to the sign-in or sign-out pages (they change the
    session)."""

    def __init__(self, users):
        self.users = users
        self.made = {}

    def get(self, route: str, role: str):
        api = route.startswith("api/")
        key = (role, api)
        if key not in self.made:
            user = self.users[role]
            if api:
                client = APIClient(raise_request_exception=False)
                if user is not None:
                    client.force_authenticate(user)
            else:
                client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
                if user is not None:
                    client.force_login(user)
            self.made[key] = client
        return self.made[key]

    def request(self, route: str, method: str, path: str, role: str) -> str:
        client = self.get(route, role)
        with transaction.atomic():
            if method == "GET":
                response = client.get(path)
            elif route.startswith("api/"):
                response = client.post(path, {}, format="json")
            else:
                response = client.post(path, {})
            transaction.set_rollback(True)
        if route.startswith(("compte/", "i18n/")):
            self.made.pop((role, False), None)
        return matrix.classify(response)


GUESSES = [  # (route fragment, params) for SECURITY_MATRIX_RECORD on new routes, first match wins
    ("modifier/<slug>", "pk=draft;slug='besoin'"),
    ("modifier", "pk=draft"),
    ("publier", "pk=draft"),
    ("responses/<response_id>", "pk=closed;response_id=closed_a.public_id"),
    ("reponses/<response_id>", "pk=closed;response_id=closed_a.public_id"),
    ("attribuer/<response_id>", "pk=closed;response_id=closed_a.public_id"),
    ("clarifications/<clarification_id>", "pk=published;clarification_id=question"),
    ("questions/<clarification_id>", "pk=published;clarification_id=question"),
    ("complaints/<complaint_id>", "pk=awarded;complaint_id=complaint"),
    ("reclamations/<complaint_id>", "pk=awarded;complaint_id=complaint"),
    ("deliveries/<delivery_id>", "pk=endpoint;delivery_id=delivery"),
    ("decision", "pk=awarded"),
    ("sign", "pk=awarded"),
    ("withdraw-award", "pk=awarded"),
    ("tenders/<pk>", "pk=published"),
    ("appels/<pk>", "pk=published"),
    ("appels-offres/<pk>", "pk=published"),
    ("offers/<pk>", "pk=offer"),
    ("offres/<pk>", "pk=offer"),
    ("certifi", "pk=certification"),
    ("declarations/<pk>", "pk=declaration"),
    ("attestations/<pk>", "pk=attestation"),
    ("providers/<pk>", "pk=provider"),
    ("fournisseurs/<pk>", "pk=provider"),
    ("agencies/<pk>", "pk=agency"),
    ("awards/<pk>", "pk=award"),
    ("orders/<pk>", "pk=order"),
    ("commandes/<pk>", "pk=order"),
    ("sourcing-files/<pk>", "pk=sourcing"),
    ("dossiers/<pk>", "pk=sourcing"),
    ("notifications/<pk>", "pk=notification"),
    ("webhooks/<pk>", "pk=endpoint"),
    ("api-keys/<pk>", "pk=api_key"),
    ("nouvelle/<offer_id>", "offer_id=offer"),
    ("fournisseurs/<slug>", "slug=provider.slug"),
    ("acheteurs/<slug>", "slug=agency.slug"),
    ("<ocid>", "ocid=ocid"),
    ("nouveau/<slug>", "slug='besoin'"),
    ("<uidb64>/<token>", "uidb64='MQ';token='set-password'"),
]


def _guess(route: str) -> str:
    if "<" not in route:
        return ""
    return next((params for fragment, params in GUESSES if fragment in route), "?")


@pytest.mark.django_db
def test_it_serves_each_url_to_exactly_the_roles_the_table_allows(cast):
    served = matrix.routes()
    table = matrix.load() if matrix.TABLE.exists() else []
    clients = Clients(cast.users)
    problems, recorded = [], []
    rows = list(table)
    for route in sorted(served):
        for method in ("GET", "POST"):
            if not any(r.route == route and r.method == method for r in table):
                if not RECORD:
                    problems.append(f"{method} {route}: served but missing from matrix.csv")
                    continue
                rows.append(matrix.Row(route, method, _guess(route), {}))
    for row in rows:
        if row.route not in served:
            problems.append(f"{row.route}: in matrix.csv but no longer served")
            continue
        if (
            RECORD
            and row.expected
            and all(row.expected.values())
            and not RECORD_ONLY.search(f"{row.route} {row.method} {row.params}")
        ):
            recorded.append(row)
            continue
        path = matrix.fill(row.route, row.params, cast)
        observed = {
            role: clients.request(row.route, row.method, path, role) for role in matrix.ROLES
        }
        if RECORD:
            recorded.append(matrix.Row(row.route, row.method, row.params, observed))
            continue
        for role in matrix.ROLES:
            if matrix.breaches(row.method, row.expected[role], observed[role]):
                problems.append(
                    f"{row.method} {path} ({row.params}) as {role}: expected {row.expected[role]}, "
                    f"got {observed[role]}"
                )
    if RECORD:
        matrix.save(recorded)
    assert not problems, "\n".join(problems)


def test_it_fails_a_read_or_write_that_crosses_the_table():
    """The comparison itself: a 2xx where the table refuses fails, as does
    a refusal where it serves, and any 5xx."""
    assert matrix.breaches("GET", "D", "2")
    assert matrix.breaches("GET", "2", "D")
    assert matrix.breaches("POST", "L", "3")
    assert matrix.breaches("POST", "D", "I")
    assert matrix.breaches("POST", "I", "5")
    assert not matrix.breaches("GET", "D", "L")
    assert not matrix.breaches("POST", "I", "2")


@pytest.mark.django_db
def test_it_lets_only_an_organisations_admins_manage_its_api_keys(cast):
    """Where an empty body cannot tell a member from an admin (the input is
    refused first): a valid body, for the one agency action kept to admins."""
    body = {"name": "Intégration", "scopes": "read"}

    def post(user, path, data=None):
        client = APIClient()
        client.force_authenticate(user)
        return client.post(path, data or {}, format="json")

    assert post(cast.users["agency_a_member"], "/api/v1/api-keys/", body).status_code == 403
    created = post(cast.users["agency_a_admin"], "/api/v1/api-keys/", body)
    assert created.status_code == 201
    key_id = created.json()["id"]
    assert (
        post(cast.users["agency_a_member"], f"/api/v1/api-keys/{key_id}/revoke/").status_code == 403
    )
    assert (
        post(cast.users["agency_b_member"], f"/api/v1/api-keys/{key_id}/revoke/").status_code == 404
    )
    assert (
        post(cast.users["provider_a_member"], f"/api/v1/api-keys/{key_id}/revoke/").status_code
        == 404
    )
    assert (
        post(cast.users["agency_a_admin"], f"/api/v1/api-keys/{key_id}/revoke/").status_code == 200
    )


@pytest.mark.django_db
def test_it_lets_only_a_providers_admins_edit_its_profile_and_sign_its_declaration(cast):
    """The matrix's provider A member is an administrator; a plain member
    reads the same pages but is refused the admin-only writes."""
    from catalog.models import MemberRole
    from tests import factories

    plain_member = factories.MemberFactory(provider=cast.provider, role=MemberRole.MEMBER).user
    for path in ("/espace-fournisseur/profil/", "/espace-fournisseur/declarations/"):
        member = Client(HTTP_ACCEPT_LANGUAGE="en")
        member.force_login(plain_member)
        assert member.get(path).status_code == 200
        assert member.post(path, {}).status_code == 403
        admin = Client(HTTP_ACCEPT_LANGUAGE="en")
        admin.force_login(cast.users["provider_a_member"])
        assert admin.post(path, {}).status_code in (200, 400)  # the form, with its errors
