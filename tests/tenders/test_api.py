"""The tenders API: field-level 400s and never a 500 on garbage, 409 with the
reason for a move the lifecycle forbids, clarifications that hide who
asked, and every endpoint's answer for every role (anonymous, the owning
agency, another agency, two providers, the operator)."""

import datetime
import hashlib
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from broker.models import Notification
from tenders import services
from tenders.models import Clarification, Invitation, Tender
from tests import factories
from tests.conftest import client_for
from tests.tenders.conftest import close, submit

ROLES = ["anonymous", "buyer_a", "buyer_b", "member_a", "member_b", "operator"]


@pytest.fixture
def as_role(request, db):
    """``as_role("member_a")`` → an API client acting as that role."""

    def make(role):
        if role == "anonymous":
            return client_for(None)
        user = request.getfixturevalue(role)
        return client_for(getattr(user, "user", user))

    return make


def payload(**overrides):
    values = factories.tender_values(**overrides)
    values["response_deadline"] = values["response_deadline"].isoformat()
    return values


def error(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


# --------------------------------------------------------------------------
# Input


def test_an_agency_creates_edits_and_publishes_a_tender(
    buyer_a, market, django_capture_on_commit_callbacks
):
    client = client_for(buyer_a)
    created = client.post("/api/v1/tenders/", payload(estimated_value="150000"), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["procedure"], body["required_level"]) == ("draft", "open", "N2")
    assert body["agency"]["name"] == "Ministère des Essais" and body["matching"]["state"] is None
    edited = client.patch(
        f"/api/v1/tenders/{body['id']}/", {"title": "Archives chiffrées"}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["title"] == "Archives chiffrées"
    put = client.put(f"/api/v1/tenders/{body['id']}/", {"description": "10 To"}, format="json")
    assert put.status_code == 200 and put.json()["description"] == "10 To"
    with django_capture_on_commit_callbacks(execute=True):
        published = client.post(f"/api/v1/tenders/{body['id']}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert published.json()["matching"]["state"] == "queued"  # answered before matching ran
    shortlist = client_for(None).get(f"/api/v1/tenders/{body['id']}/shortlist/").json()
    assert shortlist["matching"]["state"] == "done"
    assert [row["offer"]["name"] for row in shortlist["results"]] == [
        "Coffre Alpha",
        "Coffre Beta",
        "Coffre Gamma",
    ]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"weight_price": 50}, "weight_price", "add up to 100"),
        ({"response_deadline": "2020-01-01T10:00:00+01:00"}, "response_deadline", "future"),
        ({"response_deadline": "demain"}, "response_deadline", ""),
        ({"level": "N4"}, "level", "Classified data is out of scope"),
        ({"cpv_code": "30200000-1"}, "cpv_code", "cloud list"),
        ({"unit": "USER_MONTH"}, "unit", "does not fit"),
        ({"unit": "parsec"}, "unit", ""),
        ({"category": "mainframe"}, "category", ""),
        ({"flags": "HEALTH"}, "flags", ""),
        ({"flags": ["SECRET"]}, "flags", "Unknown flags"),
        ({"location_constraint": "XX"}, "location_constraint", ""),
        ({"quantity": "-1"}, "quantity", ""),
        ({"quantity": "1e30"}, "quantity", ""),
        ({"estimated_value": "NaN"}, "estimated_value", ""),
        ({"estimated_value": "123456789012345678"}, "estimated_value", ""),
        ({"duration_months": "douze"}, "duration_months", ""),
        ({"duration_months": True}, "duration_months", ""),
        ({"weight_other": 1.5}, "weight_other", ""),
        ({"title": ""}, "title", ""),
        ({"title": {"fr": "x"}}, "title", ""),
        ({"title": None}, "title", ""),
    ],
)
def test_bad_tender_input_is_a_field_level_400(buyer_a, changes, field, words):
    response = client_for(buyer_a).post("/api/v1/tenders/", {**payload(), **changes}, format="json")
    fields = error(response, 400)["fields"]
    assert field in fields, fields
    assert words in " ".join(fields[field])
    assert not Tender.objects.exists()


def test_a_missing_field_is_named(buyer_a):
    values = payload()
    del values["cpv_code"]
    assert (
        "cpv_code"
        in error(client_for(buyer_a).post("/api/v1/tenders/", values, format="json"), 400)["fields"]
    )


def test_garbage_is_a_400_never_a_500(buyer_a, draft):
    client = client_for(buyer_a)
    for body in ("{not json", "[1, 2]", "null", '"draft"', "42", '{"title": ["a", "b"]}'):
        for method, url in (
            ("POST", "/api/v1/tenders/"),
            ("PATCH", f"/api/v1/tenders/{draft.pk}/"),
            ("POST", f"/api/v1/tenders/{draft.pk}/cancel/"),
        ):
            response = client.generic(method, url, body, content_type="application/json")
            assert response.status_code == 400, (method, url, body, response.content)
    form = client.post(
        "/api/v1/tenders/", {"title": "x", "weight_price": "lots"}, format="multipart"
    )
    assert form.status_code == 400


def test_garbage_on_every_write_is_a_400(published, member_a, buyer_a, market):
    response = submit(published, member_a, market.a)
    provider, buyer = client_for(member_a.user), client_for(buyer_a)
    base = f"/api/v1/tenders/{published.pk}"
    writes = [
        (provider, f"{base}/responses/"),
        (provider, f"{base}/clarifications/"),
        (buyer, f"{base}/award/"),
        (buyer, f"{base}/unsuccessful/"),
        (buyer, f"{base}/responses/{response.public_id}/score/"),
        (buyer, "/api/v1/orders/"),
    ]
    bodies = [
        "{not json",
        "[1, 2]",
        "null",
        '{"offer": "x", "total_price": "1e99", "technical_answer": []}',
        '{"offer": 99999999999999999999999, "total_price": "NaN", "question": {}, "response": "1; DROP"}',
        '{"technical_score": "Infinity", "quantity": "1e99", "duration_months": 1e9}',
    ]
    for client, url in writes:
        for body in bodies:
            answer = client.generic("POST", url, body, content_type="application/json")
            assert answer.status_code in (400, 409), (url, body, answer.content)
    assert provider.get(f"{base}/why-not/?offer=99999999999999999999999").status_code == 404


def test_a_response_with_its_pdf_through_the_api(published, member_a, market):
    client = client_for(member_a.user)
    pdf = b"%PDF-1.4\n%%EOF\n"
    created = client.post(
        f"/api/v1/tenders/{published.pk}/responses/",
        {
            "offer": market.a.pk,
            "total_price": "10",
            "technical_answer": "Voir annexe",
            "attachment": SimpleUploadedFile("annexe.pdf", pdf, "application/pdf"),
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    assert created.json()["attachment_sha256"] == hashlib.sha256(pdf).hexdigest()
    published.responses.get().attachment.delete(save=False)
    refused = client.post(
        f"/api/v1/tenders/{published.pk}/responses/",
        {
            "offer": market.a.pk,
            "total_price": "10",
            "technical_answer": "x",
            "attachment": SimpleUploadedFile("annexe.pdf", b"<html>", "application/pdf"),
        },
        format="multipart",
    )
    assert refused.status_code == 400 and "attachment" in refused.json()["error"]["fields"]


def test_ids_that_are_not_numbers_are_404(buyer_a, draft):
    client = client_for(buyer_a)
    assert client.get("/api/v1/tenders/abc/").status_code == 404
    assert client.post("/api/v1/tenders/abc/publish/").status_code == 404
    assert client.get("/api/v1/tenders/99999999999999999999999/").status_code == 404
    assert client.get(f"/api/v1/tenders/{draft.pk}/why-not/?offer=abc").status_code in (403, 404)


def test_publish_refuses_a_short_deadline_with_a_field_error(buyer_a, settings):
    settings.TENDER_MIN_RESPONSE_HOURS = 24 * 20
    client = client_for(buyer_a)
    created = client.post("/api/v1/tenders/", payload(), format="json").json()
    fields = error(client.post(f"/api/v1/tenders/{created['id']}/publish/"), 400)["fields"]
    assert "480 hours" in fields["response_deadline"][0]


def test_a_forbidden_move_is_a_409_with_the_reason(buyer_a, published):
    client = client_for(buyer_a)
    again = error(client.post(f"/api/v1/tenders/{published.pk}/publish/"), 409)
    assert again["code"] == "transition_not_allowed"
    assert again["message"] == "A published tender cannot become published."
    edit = error(
        client.patch(f"/api/v1/tenders/{published.pk}/", {"title": "x"}, format="json"), 409
    )
    assert edit["code"] == "not_draft"
    # Before the deadline, whatever the response (tests/security/test_response_ids.py).
    award = error(
        client.post(
            f"/api/v1/tenders/{published.pk}/award/",
            {"response": str(uuid.uuid4())},
            format="json",
        ),
        409,
    )
    assert award["code"] == "not_closed"
    unsuccessful = error(
        client.post(
            f"/api/v1/tenders/{published.pk}/unsuccessful/", {"reason": "x"}, format="json"
        ),
        409,
    )
    assert "closed" in unsuccessful["message"]
    client.post(f"/api/v1/tenders/{published.pk}/cancel/", {"reason": "Annulé"}, format="json")
    cancelled = error(
        client.post(f"/api/v1/tenders/{published.pk}/cancel/", {"reason": "encore"}, format="json"),
        409,
    )
    assert cancelled["message"] == "A cancelled tender cannot become cancelled."


def test_cancel_needs_a_reason(buyer_a, draft):
    client = client_for(buyer_a)
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        assert (
            "reason"
            in error(client.post(f"/api/v1/tenders/{draft.pk}/cancel/", body, format="json"), 400)[
                "fields"
            ]
        )
    assert Tender.objects.get(pk=draft.pk).status == "draft"


def test_a_deadline_passed_is_a_409(published, member_a, market):
    Tender.objects.filter(pk=published.pk).update(
        response_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client_for(member_a.user).post(
        f"/api/v1/tenders/{published.pk}/responses/",
        {"offer": market.a.pk, "total_price": "10", "technical_answer": "x"},
        format="json",
    )
    assert error(response, 409)["code"] == "deadline_passed"


# --------------------------------------------------------------------------
# Every endpoint, every role


def test_drafts_are_seen_by_their_agency_and_the_operator_only(as_role, draft, published):
    for role in ROLES:
        client = as_role(role)
        listed = {row["id"] for row in client.get("/api/v1/tenders/").json()["results"]}
        owner = role in ("buyer_a", "operator")
        assert listed == ({draft.pk, published.pk} if owner else {published.pk}), role
        assert client.get(f"/api/v1/tenders/{draft.pk}/").status_code == (200 if owner else 404), (
            role
        )
        assert client.get(f"/api/v1/tenders/{draft.pk}/shortlist/").status_code == (
            200 if owner else 404
        ), role
        assert client.get(f"/api/v1/tenders/{draft.pk}/clarifications/").status_code == (
            200 if owner else 404
        )
        assert client.get(f"/api/v1/tenders/{published.pk}/").status_code == 200, role
        assert client.get(f"/api/v1/tenders/{published.pk}/shortlist/").status_code == 200, role


def test_a_cancelled_draft_stays_private(as_role, draft, buyer_a):
    services.tender_cancel(tender=draft, actor=buyer_a, reason="Abandon")
    assert as_role("anonymous").get(f"/api/v1/tenders/{draft.pk}/").status_code == 404
    assert as_role("buyer_a").get(f"/api/v1/tenders/{draft.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("member_a", 403), ("operator", 403), ("buyer_a", 201)],
)
def test_who_creates_a_tender(as_role, role, expected):
    assert as_role(role).post("/api/v1/tenders/", payload(), format="json").status_code == expected


# What another organisation (or nobody) gets for each move of the owning agency.
OUTSIDERS = [
    ("anonymous", 401),
    ("buyer_b", 404),
    ("member_a", 404),
    ("member_b", 404),
    ("operator", 404),
]


@pytest.mark.parametrize(("role", "expected"), OUTSIDERS)
def test_only_the_owning_agency_edits_publishes_and_cancels(as_role, draft, role, expected):
    client = as_role(role)
    assert (
        client.patch(f"/api/v1/tenders/{draft.pk}/", {"title": "x"}, format="json").status_code
        == expected
    )
    assert client.post(f"/api/v1/tenders/{draft.pk}/publish/").status_code == expected
    assert (
        client.post(
            f"/api/v1/tenders/{draft.pk}/cancel/", {"reason": "x"}, format="json"
        ).status_code
        == expected
    )
    assert Tender.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.parametrize(("role", "expected"), OUTSIDERS)
def test_only_the_owning_agency_decides_a_published_tender(as_role, published, role, expected):
    client = as_role(role)
    assert client.post(f"/api/v1/tenders/{published.pk}/publish/").status_code == expected
    assert (
        client.post(
            f"/api/v1/tenders/{published.pk}/cancel/", {"reason": "x"}, format="json"
        ).status_code
        == expected
    )
    assert Tender.objects.get(pk=published.pk).status == "published"


@pytest.fixture
def evaluated(published, member_a, member_b, market):
    a = submit(published, member_a, market.a, price="1000")
    submit(published, member_b, market.b, price="1100")
    return close(published), a


@pytest.mark.parametrize(("role", "expected"), OUTSIDERS)
def test_only_the_owning_agency_evaluates_and_awards(as_role, evaluated, role, expected):
    tender, response = evaluated
    client = as_role(role)
    base = f"/api/v1/tenders/{tender.pk}"
    assert client.get(f"{base}/ranking/").status_code == expected
    assert (
        client.post(
            f"{base}/responses/{response.public_id}/score/", {"technical_score": 10}, format="json"
        ).status_code
        == expected
    )
    assert (
        client.post(
            f"{base}/award/", {"response": str(response.public_id)}, format="json"
        ).status_code
        == expected
    )
    assert (
        client.post(f"{base}/unsuccessful/", {"reason": "x"}, format="json").status_code == expected
    )
    assert Tender.objects.get(pk=tender.pk).status == "closed"
    owner = as_role("buyer_a")
    assert owner.get(f"{base}/ranking/").status_code == 200
    assert (
        owner.post(
            f"{base}/award/", {"response": str(response.public_id)}, format="json"
        ).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 401),
        ("buyer_a", 404),
        ("buyer_b", 404),
        ("member_b", 404),
        ("operator", 404),
        ("member_a", 200),
    ],
)
def test_only_its_provider_withdraws_a_response(
    as_role, published, member_a, market, role, expected
):
    response = submit(published, member_a, market.a)
    answer = as_role(role).post(
        f"/api/v1/tenders/{published.pk}/responses/{response.public_id}/withdraw/"
    )
    assert answer.status_code == expected
    assert published.responses.get().status == ("withdrawn" if expected == 200 else "submitted")


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("buyer_a", 403), ("buyer_b", 403), ("operator", 403), ("member_a", 201)],
)
def test_only_providers_submit(as_role, published, market, role, expected):
    response = as_role(role).post(
        f"/api/v1/tenders/{published.pk}/responses/",
        {"offer": market.a.pk, "total_price": "10", "technical_answer": "x"},
        format="json",
    )
    assert response.status_code == expected


def test_why_not_explains_a_providers_own_offer_only(
    as_role, published, market, provider_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        abroad = factories.offer(provider_a, name="Hors UE", storage_countries=["US"])
    url = f"/api/v1/tenders/{published.pk}/why-not/"
    own = as_role("member_a").get(f"{url}?offer={abroad.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert own["eligible"] is False
    assert {f["rule"] for f in own["failures"]} == {"level", "location"}
    eligible = as_role("member_a").get(f"{url}?offer={market.a.pk}").json()
    assert (
        eligible["offer"] == market.a.pk
        and eligible["eligible"] is True
        and eligible["failures"] == []
    )
    assert as_role("member_a").get(f"{url}?offer={market.b.pk}").status_code == 404
    assert as_role("member_a").get(url).status_code == 400
    assert as_role("buyer_a").get(f"{url}?offer={abroad.pk}").status_code == 403
    assert as_role("anonymous").get(f"{url}?offer={abroad.pk}").status_code == 401


def test_tender_endpoints_refuse_deletion(as_role, draft):
    assert as_role("buyer_a").delete(f"/api/v1/tenders/{draft.pk}/").status_code == 405
    assert Tender.objects.filter(pk=draft.pk).exists()


def test_list_and_detail_query_counts_are_pinned(agency_a, buyer_a, market):
    for i in range(6):
        factories.tender(
            agency_a,
            actor=buyer_a,
            publish=True,
            title=f"Besoin {i}",
            flags=["HEALTH"] if i % 2 else [],
        )
    client = client_for(None)
    with CaptureQueriesContext(connection) as listed:
        rows = client.get("/api/v1/tenders/").json()["results"]
    assert len(rows) == 6 and {r["required_level"] for r in rows} == {"N2"}
    # due tenders to close + page of tenders (joined agency, category, health floor) + levels
    assert len(listed) == 3, [q["sql"] for q in listed.captured_queries]
    with CaptureQueriesContext(connection) as anonymous_detail:
        assert client.get(f"/api/v1/tenders/{rows[0]['id']}/").status_code == 200
    buyer = client_for(buyer_a)
    with CaptureQueriesContext(connection) as buyer_detail:
        assert buyer.get(f"/api/v1/tenders/{rows[0]['id']}/").status_code == 200
    # visible tender + close-if-due (a plain re-read: nothing to close, no
    # lock, no savepoint) + render (tender, levels)
    assert len(anonymous_detail) == 4, "\n".join(
        q["sql"][:90] for q in anonymous_detail.captured_queries
    )
    assert len(buyer_detail) == 5  # + the buyer's agency


# --------------------------------------------------------------------------
# Clarifications


@pytest.fixture
def asked(published, member_a):
    client = client_for(member_a.user)
    response = client.post(
        f"/api/v1/tenders/{published.pk}/clarifications/",
        {"question": "Le chiffrement côté client est-il accepté ?"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["asked_by_you"] is True
    return Clarification.objects.get(pk=response.json()["id"])


def test_a_provider_asks_and_the_agency_answers_for_all(
    asked, published, buyer_a, as_role, django_capture_on_commit_callbacks
):
    url = f"/api/v1/tenders/{published.pk}/clarifications/"
    assert as_role("anonymous").get(url).json() == []  # unanswered: not public yet
    assert as_role("member_b").get(url).json() == []
    assert [q["id"] for q in as_role("member_a").get(url).json()] == [asked.pk]  # its own, pending
    assert [q["id"] for q in as_role("buyer_a").get(url).json()] == [asked.pk]
    with django_capture_on_commit_callbacks(execute=True):
        answered = as_role("buyer_a").post(
            f"{url}{asked.pk}/answer/", {"answer": "Oui."}, format="json"
        )
    assert answered.status_code == 200 and answered.json()["answer"] == "Oui."
    for role in ROLES:
        rows = as_role(role).get(url).json()
        assert [(q["question"], q["answer"]) for q in rows] == [(asked.question, "Oui.")], role
        assert rows[0]["asked_by_you"] is (role == "member_a"), role
        assert "Alpha" not in str(rows) and "provider" not in rows[0] and "asked_by" not in rows[0]


def test_the_asker_stays_anonymous_in_notifications(
    asked, published, buyer_a, member_a, member_b, django_capture_on_commit_callbacks
):
    Invitation.objects.create(tender=published, provider=member_b.provider)
    with django_capture_on_commit_callbacks(execute=True):
        services.clarification_answer(clarification=asked, actor=buyer_a, answer="Oui.")
    notes = Notification.objects.filter(kind="clarification_answered")
    assert sorted(notes.values_list("recipient_id", flat=True)) == sorted(
        [member_a.user.pk, member_b.user.pk]
    )
    assert all("Alpha" not in n.body and "Alpha" not in n.subject for n in notes)


def test_questions_are_asked_while_published_only(published, draft, member_a, buyer_a):
    provider = member_a.provider
    with pytest.raises(services.TenderError) as exc_info:
        services.clarification_ask(
            tender=draft, provider=provider, actor=member_a.user, question="?"
        )
    assert exc_info.value.http_status == 409
    client = client_for(member_a.user)
    assert (
        client.post(
            f"/api/v1/tenders/{draft.pk}/clarifications/", {"question": "?"}, format="json"
        ).status_code
        == 404
    )  # a draft is not even visible
    close(published)
    late = client.post(
        f"/api/v1/tenders/{published.pk}/clarifications/", {"question": "Encore ?"}, format="json"
    )
    assert error(late, 409)["code"] == "not_published"
    assert not Clarification.objects.exists()


def test_a_question_past_the_deadline_is_refused_even_before_the_beat(published, member_a):
    Tender.objects.filter(pk=published.pk).update(
        response_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )
    with pytest.raises(services.TenderError) as exc_info:
        services.clarification_ask(
            tender=published, provider=member_a.provider, actor=member_a.user, question="?"
        )
    assert exc_info.value.http_status == 409


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("buyer_a", 403), ("buyer_b", 403), ("operator", 403)],
)
def test_only_providers_ask(as_role, published, role, expected):
    response = as_role(role).post(
        f"/api/v1/tenders/{published.pk}/clarifications/", {"question": "?"}, format="json"
    )
    assert response.status_code == expected


@pytest.mark.parametrize(("role", "expected"), OUTSIDERS)
def test_only_the_owning_agency_answers(as_role, asked, published, role, expected):
    response = as_role(role).post(
        f"/api/v1/tenders/{published.pk}/clarifications/{asked.pk}/answer/",
        {"answer": "Non."},
        format="json",
    )
    assert response.status_code == expected
    assert Clarification.objects.get(pk=asked.pk).answer == ""


def test_empty_questions_and_answers_are_refused(asked, published, member_a, buyer_a):
    url = f"/api/v1/tenders/{published.pk}/clarifications/"
    assert (
        "question"
        in error(client_for(member_a.user).post(url, {"question": " "}, format="json"), 400)[
            "fields"
        ]
    )
    assert (
        "answer"
        in error(client_for(buyer_a).post(f"{url}{asked.pk}/answer/", {}, format="json"), 400)[
            "fields"
        ]
    )
    assert (
        client_for(buyer_a).post(f"{url}999999/answer/", {"answer": "x"}, format="json").status_code
        == 404
    )
