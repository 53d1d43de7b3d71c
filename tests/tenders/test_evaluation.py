"""Evaluation after CLOSED: the price score is computed (lowest ÷ price ×
price weight), the agency enters the other scores, a ranking follows; one
award exactly (even when two buyers click at once) or unsuccessful; every
responder and invitee hears the decision."""

import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from broker.models import AuditEvent, Notification
from tenders import selectors, services
from tenders.models import Award, Invitation, Tender
from tenders.services import evaluation
from tests import factories
from tests.conftest import client_for
from tests.tenders.conftest import close, submit


@pytest.fixture
def responses(published, member_a, member_b, member_c, market):
    """Alpha 1,000 €, Beta 1,250 €, Gamma 2,000 € (Alpha replaced a first
    answer at 1,500 €); weights 60 price / 40 technical."""
    submit(published, member_a, market.a, price="1500")
    return {
        "a": submit(published, member_a, market.a, price="1000"),
        "b": submit(published, member_b, market.b, price="1250"),
        "c": submit(published, member_c, market.c, price="2000"),
    }


@pytest.fixture
def closed(published, responses):
    return close(published)


def score(response, buyer, **scores):
    return services.response_score(response=response, actor=buyer, **scores)


def test_the_price_score_is_lowest_over_price_times_the_weight(closed, responses, buyer_a):
    ranked = selectors.ranking(list(selectors.responses_visible_to(buyer_a, closed)), closed)
    prices = {r.response.pk: r.price_score for r in ranked}
    assert prices == {
        responses["a"].pk: Decimal("60.00"),
        responses["b"].pk: Decimal("48.00"),
        responses["c"].pk: Decimal("30.00"),
    }
    assert [r.response.pk for r in ranked] == [
        responses["a"].pk,
        responses["b"].pk,
        responses["c"].pk,
    ]


def test_the_entered_scores_change_the_ranking(closed, responses, buyer_a):
    score(responses["a"], buyer_a, technical_score=50)
    score(responses["b"], buyer_a, technical_score="100")
    score(responses["c"], buyer_a, technical_score=Decimal("90"))
    rows = client_for(buyer_a).get(f"/api/v1/tenders/{closed.pk}/ranking/").json()
    assert [
        (r["rank"], r["provider"], r["price_score"], r["technical_score"], r["total"]) for r in rows
    ] == [
        (1, "Beta Hosting", "48.00", "40.00", "88.00"),
        (2, "Alpha Cloud", "60.00", "20.00", "80.00"),
        (3, "Gamma Datacentre", "30.00", "36.00", "66.00"),
    ]


def test_other_scores_count_with_their_weight(agency_a, buyer_a, member_a, member_b, market):
    tender = factories.tender(
        agency_a, actor=buyer_a, publish=True, weight_price=50, weight_technical=30, weight_other=20
    )
    a, b = (
        submit(tender, member_a, market.a, price="800"),
        submit(tender, member_b, market.b, price="1000"),
    )
    tender = close(tender)
    score(a, buyer_a, technical_score=60, other_score=0)
    score(b, buyer_a, technical_score=60, other_score=100)
    ranked = selectors.ranking(list(selectors.responses_visible_to(buyer_a, tender)), tender)
    assert [
        (r.response.pk, r.price_score, r.technical_score, r.other_score, r.total) for r in ranked
    ] == [
        (b.pk, Decimal("40.00"), Decimal("18.00"), Decimal("20.00"), Decimal("78.00")),
        (a.pk, Decimal("50.00"), Decimal("18.00"), Decimal("0.00"), Decimal("68.00")),
    ]


def test_a_tie_goes_to_the_lower_price(agency_a, buyer_a, member_a, member_b, market):
    tender = factories.tender(
        agency_a, actor=buyer_a, publish=True, weight_price=50, weight_technical=50
    )
    a, b = (
        submit(tender, member_a, market.a, price="1000"),
        submit(tender, member_b, market.b, price="500"),
    )
    tender = close(tender)
    score(a, buyer_a, technical_score=100)  # 25 + 50
    score(b, buyer_a, technical_score=50)  # 50 + 25
    ranked = selectors.ranking(list(selectors.responses_visible_to(buyer_a, tender)), tender)
    assert [r.response.pk for r in ranked] == [b.pk, a.pk]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("technical_score", 101),
        ("technical_score", -1),
        ("other_score", "100.01"),
        ("other_score", "beaucoup"),
    ],
)
def test_scores_are_out_of_100(closed, responses, buyer_a, field, value):
    with pytest.raises(services.TenderError) as exc_info:
        score(responses["a"], buyer_a, **{field: value})
    assert exc_info.value.http_status == 400 and field in exc_info.value.fields
    api = client_for(buyer_a).post(
        f"/api/v1/tenders/{closed.pk}/responses/{responses['a'].public_id}/score/",
        {field: value},
        format="json",
    )
    assert api.status_code == 400 and field in api.json()["error"]["fields"]


def test_the_agency_scores_through_the_api(closed, responses, buyer_a):
    response = client_for(buyer_a).post(
        f"/api/v1/tenders/{closed.pk}/responses/{responses['a'].public_id}/score/",
        {"technical_score": "75.5", "other_score": 0},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["technical_score"], response.json()["other_score"]) == ("75.50", "0.00")


def test_nothing_is_scored_before_close(published, responses, buyer_a):
    with pytest.raises(services.TenderError) as exc_info:
        score(responses["a"], buyer_a, technical_score=50)
    assert exc_info.value.http_status == 409
    api = client_for(buyer_a).post(
        f"/api/v1/tenders/{published.pk}/responses/{responses['a'].public_id}/score/",
        {"technical_score": 50},
        format="json",
    )
    assert api.status_code == 409
    assert Tender.objects.get(pk=published.pk).status == "published"


def test_only_live_responses_are_scored(closed, responses, buyer_a):
    replaced = closed.responses.get(status="replaced")
    with pytest.raises(services.TenderError) as exc_info:
        score(replaced, buyer_a, technical_score=50)
    assert exc_info.value.http_status == 409


# --------------------------------------------------------------------------
# Deciding


def test_it_awards_exactly_one_response(closed, responses, buyer_a):
    award = services.tender_award(tender=closed, actor=buyer_a, response=responses["b"])
    assert award.amount == Decimal("1250.00") and award.awarded_by == buyer_a
    tender = Tender.objects.get(pk=closed.pk)
    assert tender.status == "awarded" and tender.decided_at is not None
    event = AuditEvent.objects.get(action="tender.awarded", tender_id=closed.pk)
    assert event.data["response_id"] == responses["b"].pk and event.data["amount"] == "1250.00"
    assert AuditEvent.objects.filter(action="award.create", object_id=award.pk).count() == 1
    for response in (responses["a"], responses["b"]):
        with pytest.raises(services.TenderError) as exc_info:
            services.tender_award(tender=closed, actor=buyer_a, response=response)
        assert exc_info.value.http_status == 409
    assert Award.objects.count() == 1


def test_the_database_holds_one_award_per_tender(closed, responses, buyer_a):
    Award.objects.create(
        tender=closed, response=responses["a"], amount=1, awarded_at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Award.objects.create(
            tender=closed, response=responses["b"], amount=1, awarded_at=timezone.now()
        )


def test_only_a_live_response_of_this_tender_is_awarded(
    closed, responses, buyer_a, agency_a, member_a, market
):
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_award(
            tender=closed, actor=buyer_a, response=closed.responses.get(status="replaced")
        )
    assert "response" in exc_info.value.fields
    other = factories.tender(agency_a, actor=buyer_a, publish=True)
    foreign = submit(other, member_a, market.a)
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_award(tender=closed, actor=buyer_a, response=foreign)
    assert "response" in exc_info.value.fields
    assert Tender.objects.get(pk=closed.pk).status == "closed"


def test_the_api_awards_once_then_answers_409(closed, responses, buyer_a, api):
    client = client_for(buyer_a)
    url = f"/api/v1/tenders/{closed.pk}/award/"
    first = client.post(url, {"response": str(responses["c"].public_id)}, format="json")
    assert first.status_code == 201, first.content
    assert (
        first.json()["supplier"]["name"] == "Gamma Datacentre"
        and first.json()["amount"] == "2000.00"
    )
    second = client.post(url, {"response": str(responses["a"].public_id)}, format="json")
    assert second.status_code == 409 and "awarded" in second.json()["error"]["message"]
    assert [a["tender"]["id"] for a in api.get("/api/v1/awards/").json()["results"]] == [closed.pk]


def test_the_api_refuses_an_unknown_response(closed, buyer_a):
    for body in ({"response": str(uuid.uuid4())}, {"response": 999999}, {"response": "x"}, {}):
        response = client_for(buyer_a).post(
            f"/api/v1/tenders/{closed.pk}/award/", body, format="json"
        )
        assert response.status_code == 400 and "response" in response.json()["error"]["fields"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_buyers_awarding_at_once_make_exactly_one_award(
    published, responses, buyer_a, monkeypatch
):
    tender = close(published)
    original = evaluation._tender_transition

    def slow_transition(*args, **kwargs):
        # Hold the tender's lock a while: the other award must arrive while
        # the first one is still deciding.
        locked = original(*args, **kwargs)
        time.sleep(0.3)
        return locked

    # tender_award reads it from its own module.
    monkeypatch.setattr(evaluation, "_tender_transition", slow_transition)
    barrier = threading.Barrier(2)
    outcomes = {}

    def award(name):
        try:
            barrier.wait()
            outcomes[name] = services.tender_award(
                tender=tender, actor=buyer_a, response=responses[name]
            )
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts
            outcomes[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=award, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert Award.objects.count() == 1
    won = [o for o in outcomes.values() if isinstance(o, Award)]
    lost = [o for o in outcomes.values() if not isinstance(o, Award)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], services.TenderError) and lost[0].http_status == 409
    assert Award.objects.get().response_id == won[0].response_id
    assert AuditEvent.objects.filter(action="tender.awarded", tender_id=tender.pk).count() == 1


def test_it_declares_unsuccessful_with_a_reason(closed, buyer_a):
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_declare_unsuccessful(tender=closed, actor=buyer_a, reason="  ")
    assert "reason" in exc_info.value.fields
    tender = services.tender_declare_unsuccessful(
        tender=closed, actor=buyer_a, reason="Offres trop chères"
    )
    assert tender.status == "unsuccessful" and tender.status_reason == "Offres trop chères"
    assert not Award.objects.exists()
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_declare_unsuccessful(tender=closed, actor=buyer_a, reason="encore")
    assert exc_info.value.http_status == 409


def test_the_api_declares_unsuccessful_and_needs_a_reason(closed, buyer_a):
    client = client_for(buyer_a)
    url = f"/api/v1/tenders/{closed.pk}/unsuccessful/"
    assert "reason" in client.post(url, {}, format="json").json()["error"]["fields"]
    response = client.post(url, {"reason": "Aucune offre conforme"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "unsuccessful"
    assert client.post(url, {"reason": "encore"}, format="json").status_code == 409


# --------------------------------------------------------------------------
# Who hears about the decision


@pytest.fixture
def audience(
    published,
    responses,
    member_a,
    member_b,
    member_c,
    buyer_a,
    market,
    django_capture_on_commit_callbacks,
):
    """Responders Alpha, Beta and Gamma (Gamma withdrew), an invitee who did
    not answer, and a bystander."""
    services.response_withdraw(response=responses["c"], actor=member_c.user)
    quiet = factories.ProviderFactory(name="Delta Silencieux")
    invitee = factories.MemberFactory(provider=quiet)
    Invitation.objects.create(tender=published, provider=quiet)
    bystander = factories.MemberFactory(provider=factories.ProviderFactory(name="Epsilon Ailleurs"))
    with django_capture_on_commit_callbacks(execute=True):
        close(published)
    return {
        "told": [member_a.user, member_b.user, member_c.user, invitee.user],
        "bystander": bystander.user,
        "buyer": buyer_a,
    }


def decide(kind, tender, buyer, responses):
    if kind == "tender_awarded":
        services.tender_award(tender=tender, actor=buyer, response=responses["a"])
    elif kind == "tender_unsuccessful":
        services.tender_declare_unsuccessful(tender=tender, actor=buyer, reason="Offres inadaptées")
    else:
        services.tender_cancel(tender=tender, actor=buyer, reason="Besoin abandonné")


@pytest.mark.parametrize("kind", ["tender_awarded", "tender_unsuccessful", "tender_cancelled"])
def test_every_responder_and_invitee_hears_the_decision_once(
    published, responses, audience, kind, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide(kind, published, audience["buyer"], responses)
    told = Notification.objects.filter(kind=kind)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(
        u.pk for u in audience["told"]
    )
    assert not Notification.objects.filter(recipient=audience["bystander"]).exists()
    if kind == "tender_awarded":
        assert "Alpha Cloud" in told.first().body
    else:
        assert ("inadaptées" if kind == "tender_unsuccessful" else "abandonné") in told.first().body
    from broker import services as broker_services

    assert (
        broker_services.tender_decision_notify(
            tender_id=published.pk, action=kind.replace("_", ".", 1)
        )
        == 0
    )
    assert Notification.objects.filter(kind=kind).count() == len(audience["told"])
