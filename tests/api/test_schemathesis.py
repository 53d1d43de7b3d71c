"""Schemathesis over the whole OpenAPI schema against a live server with
the demo data (gunicorn and a Celery worker on loopback, tests/live.py), for
an anonymous caller, an agency buyer and a provider: no 5xx, and every
response conforms to the schema.

The market is this module's own: the generated writes (tenders published,
offers withdrawn, keys revoked...) stay in it and later cases see them, as a
real integrator's would."""

import json
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.live import live_market

CHECKS = [not_a_server_error, response_schema_conformance]
LOGINS = {"anonymous": None, "agency": "acheteur", "provider": "fournisseur-ovhcloud"}
DEMO_PASSWORD = "guichet-demo"

pytestmark = pytest.mark.django_db


def _post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker):
    with live_market(django_db_blocker, "api") as market:
        # Published demo tenders get their shortlist from the live worker.
        market.manage("shell", "-c", "from broker.services import tender_match\n"
                      "from tenders.models import Tender\n"
                      "[tender_match(tender_id=t.pk) for t in Tender.objects.filter(status='published')]")
        market.tokens = {who: _post_json(f"{market.url}/api/v1/auth/token/",
                                         {"username": login, "password": DEMO_PASSWORD})["token"]
                         for who, login in LOGINS.items() if login}
        yield market


# A few examples per operation and mode keep the file within minutes on a
# small machine; derandomised, so that a failure replays identically.
EXAMPLES = settings(max_examples=3, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def _failures(operation, mode: GenerationMode, headers: dict | None) -> list[str]:
    found = []

    @EXAMPLES
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        try:
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)
        except (Failure, FailureGroup) as failure:
            found.append(f"{operation.label} [{mode}]: {str(failure)[:1500]}")

    try:
        run()
    except Unsatisfiable:
        # Nothing to negate: the operation takes no input at all.
        assert mode == GenerationMode.NEGATIVE, operation.label
    return found


@pytest.mark.parametrize("who", list(LOGINS))
def test_every_operation_answers_without_5xx_and_as_documented(live, who):
    schema = schemathesis.openapi.from_url(f"{live.url}/api/schema/")
    headers = {"Authorization": f"Token {live.tokens[who]}"} if who in live.tokens else None
    # The credentials work: else every case would be a documented 401.
    request = urllib.request.Request(f"{live.url}/api/v1/notifications/", headers=headers or {})
    if headers:
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _failures(operation, mode, headers)
    assert not failures, "\n\n".join(failures)
