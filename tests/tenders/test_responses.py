"""Sealed responses: a provider answers with one of its offers that is
eligible now and gets a receipt; one live response each; nothing moves after
the deadline; and before CLOSED nobody but the provider can read a response
or learn how many there are — through any channel."""

import datetime
import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from broker.models import AuditEvent, Notification
from catalog import services as catalog_services
from catalog.models import Certification
from tenders import services
from tenders.models import Tender, TenderResponse
from tests import factories
from tests.conftest import client_for
from tests.tenders.conftest import close, pass_deadline, submit

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def freeze(monkeypatch, moment):
    """The server clock reads ``moment`` (services and views alike)."""
    monkeypatch.setattr(timezone, "now", lambda: moment)


def live(tender):
    return TenderResponse.objects.filter(tender=tender, status="submitted")


# --------------------------------------------------------------------------
# Submitting


def test_a_provider_submits_and_gets_a_receipt_it_can_recompute(published, member_a, market):
    response = submit(
        published, member_a, market.a, price="1234.5", answer="  Stockage S3, chiffrement.  "
    )
    assert response.status == "submitted" and response.total_price == 1234.5
    assert response.technical_answer == "Stockage S3, chiffrement."
    assert response.submitted_at is not None and len(response.receipt_sha256) == 64
    assert response.receipt_sha256 == services.receipt_digest(
        tender=published,
        provider_id=member_a.provider.pk,
        offer_id=market.a.pk,
        total_price="1234.50",
        technical_answer="Stockage S3, chiffrement.",
        attachment_sha256="",
        submitted_at=response.submitted_at,
    )
    canonical = json.dumps(
        {
            "tender": published.reference,
            "provider": member_a.provider.pk,
            "offer": market.a.pk,
            "total_price": "1234.50",
            "technical_answer": "Stockage S3, chiffrement.",
            "attachment_sha256": "",
            "submitted_at": response.submitted_at.astimezone(datetime.UTC).isoformat(),
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    assert response.receipt_sha256 == hashlib.sha256(canonical.encode()).hexdigest()


def test_the_api_receipt_is_recomputable_from_what_the_provider_was_given(
    published, member_a, market
):
    client = client_for(member_a.user)
    created = client.post(
        f"/api/v1/tenders/{published.pk}/responses/",
        {"offer": market.a.pk, "total_price": "990.00", "technical_answer": "Notre réponse."},
        format="json",
    )
    assert created.status_code == 201, created.content
    receipt = created.json()["receipt"]
    assert receipt["sha256"] == services.receipt_digest(
        tender=published,
        provider_id=member_a.provider.pk,
        offer_id=market.a.pk,
        total_price="990.00",
        technical_answer="Notre réponse.",
        attachment_sha256="",
        submitted_at=parse_datetime(receipt["submitted_at"]),
    )
    again = client.get(f"/api/v1/tenders/{published.pk}/responses/{created.json()['id']}/")
    assert again.status_code == 200 and again.json()["receipt"] == receipt


def test_the_audit_records_the_receipt_never_the_content(published, member_a, market):
    response = submit(
        published, member_a, market.a, price="4321.00", answer="Secret industriel XYZ"
    )
    event = AuditEvent.objects.get(action="response.submit", object_id=response.pk)
    assert event.data["receipt_sha256"] == response.receipt_sha256
    dumped = json.dumps(event.data)
    assert "4321" not in dumped and "Secret industriel" not in dumped


def test_an_attachment_is_hashed_and_stored_under_a_name_nobody_can_guess(
    published, member_a, market
):
    response = services.response_submit(
        tender=published,
        provider=member_a.provider,
        actor=member_a.user,
        offer=market.a,
        total_price="10",
        technical_answer="Voir annexe",
        attachment=SimpleUploadedFile("offre-alpha.pdf", PDF, "application/pdf"),
    )
    assert response.attachment_sha256 == hashlib.sha256(PDF).hexdigest()
    assert "offre-alpha" not in response.attachment.name and response.attachment.name.endswith(
        ".pdf"
    )
    response.attachment.delete(save=False)


def test_an_attachment_must_be_a_pdf(published, member_a, market):
    with pytest.raises(services.TenderError) as exc_info:
        services.response_submit(
            tender=published,
            provider=member_a.provider,
            actor=member_a.user,
            offer=market.a,
            total_price="10",
            technical_answer="x",
            attachment=SimpleUploadedFile("x.pdf", b"MZ\x90 not a pdf"),
        )
    assert "attachment" in exc_info.value.fields


@pytest.mark.parametrize(
    ("price", "answer", "field"),
    [
        ("0", "ok", "total_price"),
        ("-3", "ok", "total_price"),
        ("abc", "ok", "total_price"),
        ("10.005", "ok", "total_price"),
        ("Infinity", "ok", "total_price"),
        ("10", "   ", "technical_answer"),
    ],
)
def test_a_response_needs_a_price_and_an_answer(published, member_a, market, price, answer, field):
    with pytest.raises(services.TenderError) as exc_info:
        submit(published, member_a, market.a, price=price, answer=answer)
    assert exc_info.value.http_status == 400 and field in exc_info.value.fields
    assert not TenderResponse.objects.exists()


@pytest.fixture
def ineligible(provider_a, market, django_capture_on_commit_callbacks):
    """Offers of Alpha that cannot answer the N2 storage tender, each for one reason."""
    with django_capture_on_commit_callbacks(execute=False):
        uncertified = factories.offer(provider_a, name="Sans certificat")
        backup = factories.offer(
            provider_a, name="Sauvegarde", category="backup", cpv_code="72910000-2"
        )
        unpublished = factories.offer(provider_a, name="Brouillon", status="draft")
        abroad = factories.offer(provider_a, name="Hors UE", storage_countries=["US"])
        factories.certification(provider_a, [backup, unpublished, abroad])
    catalog_services.offers_assess(offer_ids=[uncertified.pk, backup.pk, unpublished.pk, abroad.pk])
    return {
        "level": uncertified,
        "category": backup,
        "offer_not_published": unpublished,
        "location": abroad,
    }


@pytest.mark.parametrize("rule", ["level", "category", "offer_not_published", "location"])
def test_an_ineligible_offer_is_refused_with_the_failed_rules(
    published, member_a, ineligible, rule
):
    with pytest.raises(services.TenderError) as exc_info:
        submit(published, member_a, ineligible[rule])
    assert exc_info.value.code == "not_eligible" and exc_info.value.http_status == 400
    assert rule in exc_info.value.fields["offer"]
    assert not TenderResponse.objects.exists()


def test_an_offer_sold_for_longer_than_the_contract_is_refused(published, member_a, market):
    catalog_services.offer_update(
        offer=market.a, actor=None, minimum_months=36
    )  # the tender runs 12 months
    with pytest.raises(services.TenderError) as exc_info:
        submit(published, member_a, market.a)
    assert exc_info.value.fields["offer"] == ["minimum_months"]


def test_a_provider_cannot_answer_with_another_providers_offer(published, member_a, market):
    with pytest.raises(services.TenderError) as exc_info:
        submit(published, member_a, market.b)
    assert "offer" in exc_info.value.fields
    response = client_for(member_a.user).post(
        f"/api/v1/tenders/{published.pk}/responses/",
        {"offer": market.b.pk, "total_price": "10", "technical_answer": "x"},
        format="json",
    )
    assert response.status_code == 400 and "offer" in response.json()["error"]["fields"]
    assert not TenderResponse.objects.exists()


def test_eligibility_is_checked_now_not_as_last_assessed(published, member_a, market):
    """The certificate expired this morning; the beat has not re-assessed the
    offer yet (its stored assessment still says N2): still refused."""
    Certification.objects.filter(provider=member_a.provider).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(services.TenderError) as exc_info:
        submit(published, member_a, market.a)
    assert "level" in exc_info.value.fields["offer"]


def test_a_revoked_certificate_makes_the_offer_ineligible(
    published, member_a, market, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.certification_revoke(
            certification=Certification.objects.get(provider=member_a.provider),
            actor=None,
            reason="Retrait ANSSI",
        )
    with pytest.raises(services.TenderError):
        submit(published, member_a, market.a)


# --------------------------------------------------------------------------
# One live response; replace and withdraw until the deadline


def test_submitting_again_replaces_the_live_response(published, member_a, market):
    first = submit(published, member_a, market.a, price="1000")
    second = submit(published, member_a, market.a, price="900")
    first.refresh_from_db()
    assert first.status == "replaced" and second.status == "submitted"
    assert list(live(published)) == [second]
    event = AuditEvent.objects.get(action="response.submit", object_id=second.pk)
    assert event.data["replaces"] == [first.pk]


def test_the_database_refuses_two_live_responses_of_one_provider(published, member_a, market):
    submit(published, member_a, market.a)
    with pytest.raises(IntegrityError), transaction.atomic():
        TenderResponse.objects.create(
            tender=published,
            provider=member_a.provider,
            offer=market.a,
            total_price=5,
            technical_answer="x",
            submitted_at=timezone.now(),
            receipt_sha256="f" * 64,
        )
    # Replaced and withdrawn rows are not live: any number of them may exist.
    for status in ("replaced", "withdrawn", "replaced"):
        TenderResponse.objects.create(
            tender=published,
            provider=member_a.provider,
            offer=market.a,
            total_price=5,
            technical_answer="x",
            submitted_at=timezone.now(),
            receipt_sha256="f" * 64,
            status=status,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        TenderResponse.objects.filter(tender=published).update(status="opened")


def test_two_providers_each_have_their_live_response(published, member_a, member_b, market):
    submit(published, member_a, market.a)
    submit(published, member_b, market.b)
    assert live(published).count() == 2


def test_a_provider_withdraws_before_the_deadline_and_may_submit_again(published, member_a, market):
    response = submit(published, member_a, market.a)
    withdrawn = services.response_withdraw(response=response, actor=member_a.user)
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_at is not None
    assert not live(published).exists()
    with pytest.raises(services.TenderError) as exc_info:
        services.response_withdraw(response=response, actor=member_a.user)
    assert exc_info.value.http_status == 409
    assert submit(published, member_a, market.a).status == "submitted"
    assert AuditEvent.objects.filter(action="response.withdraw", object_id=response.pk).count() == 1


@pytest.mark.parametrize(
    "after", [datetime.timedelta(0), datetime.timedelta(seconds=1), datetime.timedelta(days=3)]
)
def test_nothing_is_submitted_replaced_or_withdrawn_at_or_after_the_deadline(
    published, member_a, member_b, market, monkeypatch, after
):
    mine = submit(published, member_a, market.a)
    freeze(monkeypatch, published.response_deadline + after)
    for attempt in (
        lambda: submit(published, member_b, market.b),  # a new response
        lambda: submit(published, member_a, market.a, price="1"),  # a replacement
        lambda: services.response_withdraw(response=mine, actor=member_a.user),
    ):
        with pytest.raises(services.TenderError) as exc_info:
            attempt()
        assert exc_info.value.http_status == 409 and exc_info.value.code == "deadline_passed"
    assert list(live(published)) == [mine]
    assert TenderResponse.objects.count() == 1


def test_a_response_one_second_before_the_deadline_is_accepted(
    published, member_a, market, monkeypatch
):
    freeze(monkeypatch, published.response_deadline - datetime.timedelta(seconds=1))
    assert submit(published, member_a, market.a).status == "submitted"


def test_the_api_refuses_a_response_one_second_after_the_deadline(
    published, member_a, market, monkeypatch
):
    freeze(monkeypatch, published.response_deadline + datetime.timedelta(seconds=1))
    client = client_for(member_a.user)
    url = f"/api/v1/tenders/{published.pk}/responses/"
    for _ in range(2):  # the first request also closes the tender; the answer stays the same
        response = client.post(
            url, {"offer": market.a.pk, "total_price": "10", "technical_answer": "x"}, format="json"
        )
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "deadline_passed"
    assert Tender.objects.get(pk=published.pk).status == "closed"
    assert not TenderResponse.objects.exists()


def test_the_api_refuses_a_withdrawal_after_the_deadline(published, member_a, market):
    mine = submit(published, member_a, market.a)
    pass_deadline(published)
    response = client_for(member_a.user).post(
        f"/api/v1/tenders/{published.pk}/responses/{mine.public_id}/withdraw/"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "deadline_passed"
    assert TenderResponse.objects.get(pk=mine.pk).status == "submitted"


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_a_tender_that_is_not_published_takes_no_response(published, member_a, market, status):
    Tender.objects.filter(pk=published.pk).update(status=status)
    with pytest.raises(services.TenderError) as exc_info:
        submit(published, member_a, market.a)
    assert exc_info.value.http_status == 409 and exc_info.value.code == "not_published"


# --------------------------------------------------------------------------
# Sealed until CLOSED, for every role and channel


@pytest.fixture
def three(published, member_a, member_b, member_c, market):
    """Three providers answered; Alpha replaced its first response."""
    submit(published, member_a, market.a, price="1500")
    return {
        "a": submit(published, member_a, market.a, price="1000"),
        "b": submit(published, member_b, market.b, price="1250"),
        "c": submit(published, member_c, market.c, price="2000"),
    }


def test_the_buyer_learns_nothing_before_the_deadline_not_even_a_count(
    agency_a, buyer_a, member_a, member_b, member_c, market
):
    empty = factories.tender(agency_a, actor=buyer_a, publish=True)
    full = factories.tender(agency_a, actor=buyer_a, publish=True)
    Tender.objects.filter(pk=full.pk).update(response_deadline=empty.response_deadline)
    client = client_for(buyer_a)

    def seen(tender):
        responses = client.get(f"/api/v1/tenders/{tender.pk}/responses/")
        assert responses.status_code == 403
        assert responses.json()["error"]["code"] == "sealed"
        detail = client.get(f"/api/v1/tenders/{tender.pk}/").json()
        ranking = client.get(f"/api/v1/tenders/{tender.pk}/ranking/")
        assert ranking.status_code == 403
        return (
            responses.content,
            ranking.content,
            {
                k: v
                for k, v in detail.items()
                if k not in ("id", "reference", "created_at", "updated_at")
            },
        )

    before = seen(full)
    for member, offer in ((member_a, market.a), (member_b, market.b), (member_c, market.c)):
        submit(full, member, offer)
    after = seen(full)
    assert after == before  # byte for byte, tender included
    assert after[:2] == seen(empty)[:2]  # and the same as a tender nobody answered
    keys = client.get(f"/api/v1/tenders/{full.pk}/").json()
    assert not [k for k in keys if k != "response_deadline" and ("respon" in k or "count" in k)]


def test_the_tender_row_does_not_change_when_responses_arrive(published, member_a, market):
    before = Tender.objects.filter(pk=published.pk).values().get()
    submit(published, member_a, market.a)
    assert Tender.objects.filter(pk=published.pk).values().get() == before


@pytest.mark.parametrize("who", ["buyer_a", "buyer_b", "operator", "member_b"])
def test_nobody_but_the_provider_reads_a_response_before_close(request, published, three, who):
    user = request.getfixturevalue(who)
    client = client_for(getattr(user, "user", user))
    for response in three.values():
        if who == "member_b" and response == three["b"]:
            continue
        assert (
            client.get(
                f"/api/v1/tenders/{published.pk}/responses/{response.public_id}/"
            ).status_code
            == 404
        )


def test_a_provider_lists_only_its_own_responses(published, three, member_a, member_b):
    rows = client_for(member_a.user).get(f"/api/v1/tenders/{published.pk}/responses/").json()
    assert {r["provider"]["name"] for r in rows} == {"Alpha Cloud"}
    assert sorted(r["status"] for r in rows) == ["replaced", "submitted"]
    rows = client_for(member_b.user).get(f"/api/v1/tenders/{published.pk}/responses/").json()
    assert [r["id"] for r in rows] == [str(three["b"].public_id)]


@pytest.mark.parametrize("who", ["buyer_b", "operator"])
def test_other_agencies_and_the_operator_get_the_same_sealed_answer(request, published, three, who):
    response = client_for(request.getfixturevalue(who)).get(
        f"/api/v1/tenders/{published.pk}/responses/"
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "sealed"


def test_anonymous_callers_are_asked_to_log_in(api, published, three):
    assert api.get(f"/api/v1/tenders/{published.pk}/responses/").status_code == 401
    assert (
        api.get(f"/api/v1/tenders/{published.pk}/responses/{three['a'].public_id}/").status_code
        == 401
    )
    assert (
        api.post(f"/api/v1/tenders/{published.pk}/responses/", {}, format="json").status_code == 401
    )


def test_no_notification_speaks_of_responses_before_close(
    published, three, buyer_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(published, three["a"].submitted_by.provider_membership, three["a"].offer)
    assert not Notification.objects.filter(recipient=buyer_a).exists()
    assert (
        not Notification.objects.filter(body__icontains="répons")
        .exclude(kind="tender_closed")
        .exists()
    )


def test_after_close_the_buyer_reads_the_live_responses_only(published, three, buyer_a):
    close(published)
    rows = client_for(buyer_a).get(f"/api/v1/tenders/{published.pk}/responses/").json()
    assert sorted(r["id"] for r in rows) == sorted(str(r.public_id) for r in three.values())
    assert {r["total_price"] for r in rows} == {"1000.00", "1250.00", "2000.00"}
    detail = client_for(buyer_a).get(
        f"/api/v1/tenders/{published.pk}/responses/{three['b'].public_id}/"
    )
    assert detail.status_code == 200 and detail.json()["technical_answer"]


def test_after_close_other_agencies_still_read_nothing(published, three, buyer_b):
    close(published)
    client = client_for(buyer_b)
    assert client.get(f"/api/v1/tenders/{published.pk}/responses/").status_code == 403
    assert (
        client.get(f"/api/v1/tenders/{published.pk}/responses/{three['a'].public_id}/").status_code
        == 404
    )


def test_after_close_a_withdrawn_response_stays_with_its_provider(
    published, three, member_b, buyer_a
):
    services.response_withdraw(response=three["b"], actor=member_b.user)
    close(published)
    ids = {
        r["id"]
        for r in client_for(buyer_a).get(f"/api/v1/tenders/{published.pk}/responses/").json()
    }
    assert ids == {str(three["a"].public_id), str(three["c"].public_id)}
    assert (
        client_for(buyer_a)
        .get(f"/api/v1/tenders/{published.pk}/responses/{three['b'].public_id}/")
        .status_code
        == 404
    )


def test_a_tender_cancelled_before_its_deadline_never_opens_its_responses(
    published, three, buyer_a
):
    services.tender_cancel(tender=published, actor=buyer_a, reason="Besoin requalifié")
    client = client_for(buyer_a)
    response = client.get(f"/api/v1/tenders/{published.pk}/responses/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "sealed"
    assert (
        client.get(f"/api/v1/tenders/{published.pk}/responses/{three['a'].public_id}/").status_code
        == 404
    )
    assert client.get(f"/api/v1/tenders/{published.pk}/ranking/").status_code == 403


def test_cancelling_after_the_deadline_closes_first(published, three, buyer_a):
    pass_deadline(published)
    cancelled = services.tender_cancel(tender=published, actor=buyer_a, reason="Budget gelé")
    assert cancelled.status == "cancelled" and cancelled.closed_at is not None
    actions = list(
        AuditEvent.objects.filter(
            tender_id=published.pk, action__in=["tender.closed", "tender.cancelled"]
        ).values_list("action", flat=True)
    )
    assert actions == ["tender.closed", "tender.cancelled"]
    assert client_for(buyer_a).get(f"/api/v1/tenders/{published.pk}/responses/").status_code == 200
