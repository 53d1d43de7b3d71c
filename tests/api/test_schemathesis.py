"""Schemathesis over the whole OpenAPI schema, against the demo market, for
an anonymous caller, an agency buyer and a provider: no 5xx, and every
response conforms to the schema.

The app is called in-process through its WSGI handler, on this test's
database connection: the demo market is seeded once in a module-wide
transaction, and every generated request runs in a savepoint rolled back
after it, so that one case's writes never change the next one's data."""

from io import StringIO

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance
from werkzeug.test import Client as WsgiClient

from broker.services import tender_match
from config.wsgi import application
from tenders.models import Tender

CHECKS = [not_a_server_error, response_schema_conformance]
LOGINS = {"anonymous": None, "agency": "acheteur", "provider": "fournisseur-ovhcloud"}


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker):
    """The demo market, seeded once for the module and rolled back at its
    end, with an API token for each demo login."""
    # The WSGI handler closes "old" connections around each request, which
    # would drop the transaction holding the demo market (Django's test
    # client disconnects it the same way).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            call_command("seed_demo", stdout=StringIO())
            for tender in Tender.objects.filter(status="published"):
                tender_match(tender_id=tender.pk)
            users = get_user_model().objects
            yield {who: Token.objects.get_or_create(user=users.get(username=login))[0].key
                   for who, login in LOGINS.items() if login}
            transaction.set_rollback(True)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


pytestmark = pytest.mark.django_db

# A few examples per operation and mode keep the file within minutes on a
# small machine; derandomised, so that a failure replays identically.
EXAMPLES = settings(max_examples=3, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def _failures(operation, mode: GenerationMode, headers: dict | None) -> list[str]:
    found = []

    @EXAMPLES
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        # Each case in a savepoint rolled back after it: one case's writes
        # never change what the next one sees.
        with transaction.atomic():
            try:
                case.call_and_validate(headers=headers, checks=CHECKS)
            except (Failure, FailureGroup) as failure:
                found.append(f"{operation.label} [{mode}]: {str(failure)[:1500]}")
            finally:
                transaction.set_rollback(True)

    try:
        run()
    except Unsatisfiable:
        # Nothing to negate: the operation takes no input at all.
        assert mode == GenerationMode.NEGATIVE, operation.label
    return found


@pytest.mark.parametrize("who", list(LOGINS))
def test_every_operation_answers_without_5xx_and_as_documented(tokens, who):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    headers = {"Authorization": f"Token {tokens[who]}"} if who in tokens else None
    # The credentials work: else every case would be a documented 401.
    # (Through the bare WSGI app: Django's test client would reconnect the
    # signal the fixture disconnected.)
    own = WsgiClient(application).get("/api/v1/notifications/", headers=headers or {})
    assert own.status_code == (200 if headers else 401)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _failures(operation, mode, headers)
    assert not failures, "\n\n".join(failures)
