"""Response ids (issue 15, items 1 and 2).

No count oracle: before the deadline, every door that takes a response id
answers anyone but the submitting provider exactly as it answers a made-up
id — same status, same error code, same body (ids and tokens aside). The
doors are found, not listed: every route of the URLconf with a response id
in its pattern (DRF router and @action routes included), and every request
body of the OpenAPI schema with a ``ResponseId`` field (the award's
``response``). Before this, ``…/score/`` answered 409 for a real id and 404
for another, ``…/award/`` 409 and 400: a buyer counted the sealed responses.

Non-sequential ids: responses are named by a random UUID in every URL and
API answer (their receipt included); no buyer or provider is shown the
integer key, and the old integer URLs are 404s."""

from __future__ import annotations

import json
import re
import uuid
from typing import NamedTuple

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from drf_spectacular.generators import SchemaGenerator

from tenders import services
from tenders.models import TenderResponse
from tests import factories
from tests.security import matrix
from tests.security.test_sealed import _stable, api, html
from tests.tenders.conftest import close, submit

# Everyone but the submitting provider (provider A).
PROBERS = (
    "anonymous",
    "agency_a_member",
    "agency_a_admin",
    "agency_b_member",
    "provider_b_member",
    "operator",
)
SERVED = re.compile(r"^[23]")


def response_id_routes() -> list[matrix.Route]:
    """Every route whose pattern names a response (``<uuid:response_id>``,
    ``(?P<response_id>…)``), from the resolver."""
    return [
        route
        for route in matrix.routes().values()
        if any("response" in param for param in route.params)
    ]


def response_id_bodies() -> list[tuple[str, str, str]]:
    """(path, method, field) of every request body with a ResponseId field."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def names_a_response(prop: dict) -> bool:
        refs = [prop.get("$ref")] + [p.get("$ref") for p in prop.get("allOf", [])]
        return "#/components/schemas/ResponseId" in refs

    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            component = components[body["schema"]["$ref"].rsplit("/", 1)[-1]]
            for field, prop in component.get("properties", {}).items():
                if names_a_response(prop):
                    found.append((path, method, field))
    return found


class Answer(NamedTuple):
    """What an observer compares, with the probed id replaced by a
    placeholder and the tokens of a page left out."""

    status: int  # the first answer's (a redirect's, for a page)
    redirects: list
    code: str | None  # the API's error code
    final_status: int
    body: str


class Door:
    """One request through a door, as the role's API or browser client."""

    def __init__(self, users):
        self.users = users

    def knock(self, role: str, method: str, path: str, probed, *, body=None) -> Answer:
        is_api = path.startswith("/api/")
        client = (api if is_api else html)(self.users[role])
        # Rolled back: one door's success (an award) must not change the next.
        with transaction.atomic():
            if is_api:
                answer = getattr(client, method.lower())(path, body or {}, format="json")
            else:
                answer = getattr(client, method.lower())(path, body or {}, follow=True)
            transaction.set_rollback(True)
        text = answer.content.decode().replace(str(probed), "<id>")
        chain = [
            (url.replace(str(probed), "<id>"), code)
            for url, code in getattr(answer, "redirect_chain", [])
        ]
        code = None
        if is_api and answer.get("Content-Type", "").startswith("application/json"):
            parsed = json.loads(text) if text else None
            code = parsed.get("error", {}).get("code") if isinstance(parsed, dict) else None
        status = chain[0][1] if chain else answer.status_code
        return Answer(status, chain, code, answer.status_code, _stable(text))


@pytest.fixture
def probe(market, agency_a, buyer_a, agency_a_admin, buyer_b, member_a, member_b, operator):
    """A published tender of agency A with a response of provider A (the
    real id) and one of provider B, who probes A's."""
    tender = factories.tender(agency_a, actor=buyer_a, publish=True)
    real = submit(tender, member_a, market.a, price="1000.00")
    submit(tender, member_b, market.b, price="1100.00")
    users = {
        "anonymous": None,
        "agency_a_member": buyer_a,
        "agency_a_admin": agency_a_admin,
        "agency_b_member": buyer_b,
        "provider_a_member": member_a.user,
        "provider_b_member": member_b.user,
        "operator": operator,
    }
    return tender, real, Door(users)


def _path(route: matrix.Route, tender, response_id) -> str:
    path = "/" + route.route.replace("<pk>", str(tender.pk))
    return re.sub(r"<\w*response\w*>", str(response_id), path)


def test_it_finds_every_door_that_takes_a_response_id():
    """The walk itself: it finds the API and the HTML doors, and the award
    body (a walk that found nothing would prove nothing)."""
    routes = response_id_routes()
    assert len(routes) >= 5
    assert any(r.route.startswith("api/") for r in routes)
    assert any(not r.route.startswith("api/") for r in routes)
    assert ("/api/v1/tenders/{id}/award/", "post", "response") in response_id_bodies()


@pytest.mark.parametrize("state", ["before the deadline", "cancelled before the deadline"])
def test_a_real_response_id_answers_like_a_made_up_one_until_the_deadline(probe, buyer_a, state):
    tender, real, door = probe
    if state == "cancelled before the deadline":
        # Sealed for good: never opened, so never an oracle either.
        tender = services.tender_cancel(tender=tender, actor=buyer_a, reason="Besoin requalifié")
    fake = uuid.uuid4()
    differences, served_to_submitter = [], set()
    for route in response_id_routes():
        for method in ("GET", "POST"):
            for role in PROBERS:
                seen = door.knock(
                    role, method, _path(route, tender, real.public_id), real.public_id
                )
                made_up = door.knock(role, method, _path(route, tender, fake), fake)
                if seen != made_up:
                    differences.append(
                        f"{method} {route.route} as {role}: {seen[:3]} != {made_up[:3]}"
                    )
            own = door.knock(
                "provider_a_member", method, _path(route, tender, real.public_id), real.public_id
            )
            if SERVED.match(str(own.status)) and state == "before the deadline":
                served_to_submitter.add(route.route)
    for path, method, field in response_id_bodies():
        path = path.replace("{id}", str(tender.pk))
        for role in PROBERS:
            seen = door.knock(role, method, path, real.public_id, body={field: str(real.public_id)})
            made_up = door.knock(role, method, path, fake, body={field: str(fake)})
            if seen != made_up:
                differences.append(
                    f"{method} {path} {field} as {role}: {seen[:3]} != {made_up[:3]}"
                )
    assert differences == []
    if state == "before the deadline":
        # The control: the id is real, its provider reads and withdraws it.
        assert {"api/v1/tenders/<pk>/responses/<response_id>/"} <= served_to_submitter
        assert any(r.endswith("withdraw/") for r in served_to_submitter)


def test_after_the_deadline_the_buyer_is_served_the_real_id_only(probe):
    """Every door serves the real id to the buyer once the deadline has
    closed the tender, and refuses the made-up one — but the withdrawal,
    which only ever serves the submitting provider (before the deadline,
    the test above)."""
    tender, real, door = probe
    tender = close(tender)
    fake = uuid.uuid4()
    unserved = []
    for route in response_id_routes():
        answers = {
            method: (
                door.knock(
                    "agency_a_member", method, _path(route, tender, real.public_id), real.public_id
                ),
                door.knock("agency_a_member", method, _path(route, tender, fake), fake),
            )
            for method in ("GET", "POST")
        }
        served = [m for m, (seen, made_up) in answers.items() if SERVED.match(str(seen.status))]
        if not served:
            unserved.append(route.route)
        for method in served:
            assert answers[method][1].status == 404, (method, route.route, answers[method][1][:3])
    assert [r for r in unserved if not r.endswith("/withdraw/")] == []
    for path, method, field in response_id_bodies():
        path = path.replace("{id}", str(tender.pk))
        seen = door.knock(
            "agency_a_member", method, path, real.public_id, body={field: str(real.public_id)}
        )
        made_up = door.knock("agency_a_member", method, path, fake, body={field: str(fake)})
        assert seen.status == 201 and made_up.status == 400, (path, seen[:3], made_up[:3])
        assert made_up.code == "invalid"


# --------------------------------------------------------------------------
# Non-sequential public ids


def test_responses_are_named_by_a_random_public_id_everywhere(probe, member_a, buyer_a):
    tender, real, door = probe
    assert real.public_id.version == 4 and real.public_id != uuid.UUID(int=real.pk)
    base = f"/api/v1/tenders/{tender.pk}/responses"
    own = api(member_a.user).get(f"{base}/{real.public_id}/")
    assert own.status_code == 200
    assert own.json()["id"] == str(real.public_id)
    assert own.json()["receipt"]["response"] == str(real.public_id)
    page = html(member_a.user).get(f"/espace-fournisseur/appels/{tender.pk}/").content.decode()
    assert f'id="receipt-response" class="guichet-break-all">{real.public_id}<' in page
    # The integer URLs integrators held: no route matches them any more.
    assert api(member_a.user).get(f"{base}/{real.pk}/").status_code == 404
    assert api(member_a.user).post(f"{base}/{real.pk}/withdraw/").status_code == 404
    tender = close(tender)
    assert api(buyer_a).post(f"{base}/{real.pk}/score/", {}, format="json").status_code == 404
    assert (
        html(buyer_a).get(f"/espace-acheteur/appels/{tender.pk}/attribuer/{real.pk}/").status_code
        == 404
    )
    assert (
        api(buyer_a)
        .post(f"/api/v1/tenders/{tender.pk}/award/", {"response": real.pk}, format="json")
        .status_code
        == 400
    )
    # What the buyer reads after the deadline names the responses by public id.
    public_ids = {str(r.public_id) for r in TenderResponse.objects.filter(tender=tender)}
    assert {r["id"] for r in api(buyer_a).get(f"{base}/").json()} == public_ids
    ranking = api(buyer_a).get(f"/api/v1/tenders/{tender.pk}/ranking/").json()
    assert {r["response"] for r in ranking} == public_ids
    detail = html(buyer_a).get(f"/espace-acheteur/appels/{tender.pk}/").content.decode()
    assert (
        f"/attribuer/{real.public_id}/" in detail and f"/reponses/{real.public_id}/notes/" in detail
    )
    assert f'name="r{real.public_id}-technical_score"' in detail
    award = api(buyer_a).post(
        f"/api/v1/tenders/{tender.pk}/award/", {"response": str(real.public_id)}, format="json"
    )
    assert award.status_code == 201
    decision = api(buyer_a).get(f"/api/v1/tenders/{tender.pk}/decision/").json()
    assert {r["response"] for r in decision["ranking"]} == public_ids


def test_rows_written_outside_the_orm_get_a_public_id_too(probe):
    """bench/scale seeds responses with COPY: the database's own default."""
    tender, real, door = probe
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tenders_tenderresponse (tender_id, provider_id, offer_id, total_price,"
            " technical_answer, attachment, attachment_sha256, status, submitted_at,"
            " receipt_sha256) SELECT tender_id, provider_id, offer_id, total_price,"
            " technical_answer, attachment, attachment_sha256, 'replaced', submitted_at,"
            " receipt_sha256 FROM tenders_tenderresponse WHERE id = %s RETURNING public_id",
            [real.pk],
        )
        (copied,) = cursor.fetchone()
    assert copied is not None and copied != real.public_id


def test_the_migration_gives_every_existing_response_its_own_public_id(probe):
    tender, real, door = probe
    before = TenderResponse.objects.count()
    with connection.cursor() as cursor:
        # The rows above are checked now, not at commit: ALTER TABLE refuses
        # pending deferred checks.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate([("tenders", "0007_open_data_feed")])
    executor.loader.build_graph()
    executor.migrate([("tenders", "0008_response_public_id")])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT public_id), count(public_id) FROM tenders_tenderresponse"
        )
        assert cursor.fetchone() == (before, before, before)
    assert TenderResponse.objects.get(pk=real.pk).public_id != real.public_id  # a new one
