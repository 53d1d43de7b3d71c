"""CSRF on every form (issue 7): every HTML route that some role may write
to (a POST the authorisation matrix lets through) refuses that same POST
from that same role when it carries no CSRF token. The API is exempt by
design: it authenticates with tokens and keys, never with the session
cookie alone (DRF enforces CSRF on session-authenticated writes itself)."""

import pytest
from django.db import transaction
from django.test import Client

from tests.security import matrix


@pytest.mark.django_db
def test_every_html_form_refuses_a_post_without_its_csrf_token(cast):
    checked, problems = 0, []
    for row in matrix.load():
        if row.method != "POST" or row.route.startswith(("api/", "admin/")):
            continue
        writers = [role for role in matrix.ROLES if row.expected[role] in matrix.ALLOWED_WRITE]
        if not writers:
            continue
        path = matrix.fill(row.route, row.params, cast)
        for role in writers:
            client = Client(enforce_csrf_checks=True, raise_request_exception=False)
            if cast.users[role] is not None:
                client.force_login(cast.users[role])
            with transaction.atomic():
                response = client.post(path, {})
                transaction.set_rollback(True)
            checked += 1
            if response.status_code != 403 or b"CSRF" not in response.content:
                problems.append(
                    f"POST {path} as {role}: {response.status_code} without a CSRF token"
                )
    assert checked > 20
    assert problems == []
