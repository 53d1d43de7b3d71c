"""Schemathesis over the whole OpenAPI schema against a live server with
the demo data (gunicorn and a Celery worker on loopback, tests/live.py), for
every role: anonymous, an agency's administrator and plain member, a
provider's administrator and plain member, and the broker operator. No 5xx,
and every response conforms to the schema.

Two runs: every operation on its own (generated and negated inputs), then
stateful sequences that follow the schema's links (config/openapi.py
WORKFLOWS) with the real ids of earlier answers: create a tender, edit it,
publish it, read its shortlist; create an offer, publish it, read it...

The market is this module's own: the generated writes (tenders published,
offers withdrawn, keys revoked...) stay in it and later cases see them, as a
real integrator's would."""

import json
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.stateful import Bundle, initialize
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.generation.stateful.state_machine import StepInput
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.live import live_market

CHECKS = [not_a_server_error, response_schema_conformance]
DEMO_PASSWORD = "guichet-demo"
LOGINS = {
    "anonymous": None,
    "agency": "acheteur",
    "agency-member": "acheteur-membre",
    "provider": "fournisseur-ovhcloud",
    "provider-member": "fournisseur-ovhcloud-membre",
    "operator": "operateur",
}
# A plain member reads what its administrator reads (the organisation scopes
# reads, not the role), and its garbage meets the same parsing: the role only
# decides some writes, so a member's run is its valid writes.
WRITES_ONLY = {"agency-member", "provider-member"}
# The stateful run: for each role whose workflows the links describe, the
# part of the API its workflows live in (a narrower machine follows more
# links within the same bounded number of steps).
STATEFUL = {
    "agency": r"^/api/v1/(tenders|sourcing-files|webhooks)/",
    "provider": r"^/api/v1/(offers|tenders|orders|api-keys)/",
    "operator": r"^/api/v1/(certifications|notifications|providers)/",
}

pytestmark = pytest.mark.django_db


def _post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


# The demo has administrators only: a plain member of the buyer's agency and
# of OVHcloud, added the way the product adds them.
MEMBERS = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from catalog.models import MemberRole, Provider, ProviderMembership
from tenders.models import Agency
from tenders.services import agency_member_add
users = get_user_model().objects
password = make_password("{DEMO_PASSWORD}")
agency_member_add(agency=Agency.objects.get(slug="ministere-interieur"), role=MemberRole.MEMBER,
                  user=users.create(username="acheteur-membre", password=password))
ProviderMembership.objects.create(provider=Provider.objects.get(slug="ovhcloud"), role=MemberRole.MEMBER,
                                  user=users.create(username="fournisseur-ovhcloud-membre", password=password))
"""


@pytest.fixture(scope="module")
def live(django_db_setup, django_db_blocker):
    with live_market(django_db_blocker, "api") as market:
        # Published demo tenders get their shortlist from the live worker.
        market.manage(
            "shell",
            "-c",
            "from broker.services import tender_match\n"
            "from tenders.models import Tender\n"
            "[tender_match(tender_id=t.pk) for t in Tender.objects.filter(status='published')]\n"
            + MEMBERS,
        )
        market.tokens = {
            who: _post_json(
                f"{market.url}/api/v1/auth/token/", {"username": login, "password": DEMO_PASSWORD}
            )["token"]
            for who, login in LOGINS.items()
            if login
        }
        market.schema = schemathesis.openapi.from_url(f"{market.url}/api/schema/")
        # Only the documented links: inferred ones would spread the bounded
        # budget over guesses.
        market.schema.config.phases.stateful.inference.algorithms = []
        yield market


def _headers(live, who: str) -> dict | None:
    """A token of the test's own: the fuzzing of ``DELETE /api/v1/auth/token/``
    revokes the token it is sent with, which must not leave the next test
    signed out."""
    if who not in live.tokens:
        return None
    token = _post_json(
        f"{live.url}/api/v1/auth/token/", {"username": LOGINS[who], "password": DEMO_PASSWORD}
    )["token"]
    return {"Authorization": f"Token {token}"}


# A few examples per operation and mode keep the file within minutes on a
# small machine; derandomised, so that a failure replays identically.
EXAMPLES = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


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


def _modes(who: str, operation) -> list[GenerationMode]:
    if who in WRITES_ONLY:
        return [GenerationMode.POSITIVE]
    if who == "anonymous" and {} not in operation.definition.raw.get("security", [{}]):
        # Refused (401) before its input is read: negated input reaches no
        # more code than valid input does.
        return [GenerationMode.POSITIVE]
    return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


@pytest.mark.parametrize("who", list(LOGINS))
def test_every_operation_answers_without_5xx_and_as_documented(live, who):
    headers = _headers(live, who)
    # The credentials work: else every case would be a documented 401.
    request = urllib.request.Request(f"{live.url}/api/v1/notifications/", headers=headers or {})
    if headers:
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    failures = []
    operations = [result.ok() for result in live.schema.get_all_operations()]
    assert len(operations) > 50
    if who in WRITES_ONLY:
        operations = [
            operation for operation in operations if operation.method not in ("get", "head")
        ]
    # Revoking the token (DELETE /api/v1/auth/token/) comes last: the other
    # operations are fuzzed signed in.
    operations.sort(key=lambda operation: operation.label == "DELETE /api/v1/auth/token/")
    for operation in operations:
        for mode in _modes(who, operation):
            failures += _failures(operation, mode, headers)
    assert not failures, "\n\n".join(failures)


# Bounded: a fixed number of scenarios of a fixed number of steps (long
# enough for create -> publish -> shortlist).
SCENARIOS = settings(
    max_examples=6,
    stateful_step_count=12,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _seeds(schema) -> dict[str, tuple[str, str, dict]]:
    """Each scenario starts from a valid creation, so that the links have a
    real object to follow: generated bodies seldom pass every business rule
    (a deadline far enough ahead, weights summing to 100...)."""
    tender = schema.raw_schema["paths"]["/api/v1/tenders/"]["post"]["requestBody"]["content"]
    # The documented example (tests/api/test_schema.py), with a deadline ahead.
    tender = {
        **tender["application/json"]["example"],
        "response_deadline": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
    }
    return {
        "agency": ("POST", "/api/v1/tenders/", tender),
        "provider": (
            "POST",
            "/api/v1/offers/",
            {
                "name": "Stockage objet (stateful)",
                "description": "S3-compatible, hosted in France.",
                "category": "iaas_storage",
                "cpv_code": "72317000-0",
                "unit": "TB_MONTH",
                "unit_price": "19.0000",
                "storage_countries": ["FR"],
                "processing_countries": ["FR"],
                "backup_countries": ["FR"],
                "technical_data_countries": ["FR"],
                "administration_countries": ["FR"],
                "support_countries": ["FR"],
            },
        ),
    }


@pytest.mark.parametrize("who", STATEFUL)
def test_linked_sequences_answer_without_5xx_and_as_documented(live, who):
    headers = _headers(live, who)
    seed = _seeds(live.schema).get(who)
    failures, followed, seeded = [], [], []

    class Workflow(live.schema.include(path_regex=STATEFUL[who]).as_state_machine()):
        # The answer goes to the bundle its status code names (APIStateMachine).
        @initialize(target=Bundle("catch_all"))
        def seed(self):
            if seed is None:
                return None
            method, path, body = seed
            case = live.schema[path][method].Case(body=body, media_type="application/json")
            self.recorder.record_case(case=case)
            output = self._step(StepInput.initial(case))
            seeded.append(output.response.status_code)
            return output

        def get_call_kwargs(self, case):
            return {"headers": headers, "timeout": 30}

        def step(self, input):
            output = super().step(input)
            if input.transition is not None and input.is_applied:
                followed.append(f"{input.transition.id} {output.response.status_code}")
            return output

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            try:
                case.validate_response(
                    response,
                    checks=CHECKS,
                    headers=headers,
                    transport_kwargs=kwargs,
                    recorder=self.recorder,
                )
            except (Failure, FailureGroup) as failure:
                failures.append(f"{case.operation.label} (stateful): {str(failure)[:1500]}")

    Workflow.run(settings=SCENARIOS)
    assert not failures, "\n\n".join(failures)
    # The links lead somewhere, and from the seed on with its real id: else
    # the run would be a handful of random calls, not sequences.
    assert [step for step in followed if step.endswith((" 200", " 201"))], followed
    if seed:
        assert seeded and set(seeded) == {201}, seeded
        created = f"{seed[0]} {seed[1]} -> [201]"
        assert [step for step in followed if step.startswith(created) and step.endswith(" 200")], (
            followed
        )
