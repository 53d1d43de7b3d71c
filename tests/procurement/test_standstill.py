"""Standstill and complaints: the award decision notifies every tenderer
with its rank and scores; the contract is signed only after the standstill
and with no complaint open; an upheld complaint withdraws the award (its
history kept) and resumes the evaluation."""

import datetime

import pytest
from django.utils import timezone

from broker.models import Notification
from tenders import services
from tenders.models import Award, Complaint, TenderStatus, WithdrawnAward
from tests.procurement.conftest import end_standstill, pdf


def test_it_starts_the_standstill_at_the_award(awarded, settings):
    award = awarded.award
    assert award.standstill_ends_at == award.awarded_at + datetime.timedelta(
        days=settings.STANDSTILL_DAYS
    )
    assert settings.STANDSTILL_DAYS == 11


def test_it_takes_the_standstill_length_from_the_settings(awarded, buyer_a, settings):
    settings.STANDSTILL_DAYS = 3
    services.award_withdraw(tender=awarded.tender, actor=buyer_a, reason="Erreur de notation.")
    award = services.tender_award(tender=awarded.tender, actor=buyer_a, response=awarded.b)
    assert award.standstill_ends_at - award.awarded_at == datetime.timedelta(days=3)


def test_it_refuses_to_sign_during_the_standstill(awarded, buyer_a):
    with pytest.raises(services.TenderError) as error:
        services.tender_contract_sign(tender=awarded.tender, actor=buyer_a)
    assert error.value.code == "standstill_running" and error.value.http_status == 409
    assert "standstill_ends_at" in error.value.fields


def test_it_signs_after_the_standstill(awarded, buyer_a):
    end_standstill(awarded.award)
    award = services.tender_contract_sign(tender=awarded.tender, actor=buyer_a)
    awarded.tender.refresh_from_db()
    assert awarded.tender.status == TenderStatus.CONTRACT_SIGNED
    assert award.contract_signed_at is not None and award.contract_signed_by == buyer_a
    with pytest.raises(services.TenderError) as error:
        services.tender_contract_sign(tender=awarded.tender, actor=buyer_a)
    assert error.value.http_status == 409


def test_it_lets_a_losing_tenderer_complain_during_the_standstill(awarded, member_b):
    complaint = services.complaint_file(
        tender=awarded.tender,
        provider=member_b.provider,
        actor=member_b.user,
        text="Le prix de l'attributaire est anormalement bas.",
        attachment=pdf(),
    )
    assert complaint.status == "open" and complaint.award_ref == awarded.award.pk
    assert len(complaint.attachment_sha256) == 64 and not complaint.attachment.name.endswith(
        "piece.pdf"
    )


def test_it_refuses_a_complaint_from_the_winner_or_a_stranger(awarded, member_a, bare_provider):
    with pytest.raises(services.TenderError) as error:
        services.complaint_file(
            tender=awarded.tender, provider=member_a.provider, actor=member_a.user, text="x"
        )
    assert error.value.http_status == 403
    with pytest.raises(services.TenderError) as error:
        services.complaint_file(
            tender=awarded.tender,
            provider=bare_provider.provider,
            actor=bare_provider.user,
            text="x",
        )
    assert error.value.http_status == 403


def test_it_refuses_a_complaint_after_the_standstill(awarded, member_b):
    end_standstill(awarded.award)
    with pytest.raises(services.TenderError) as error:
        services.complaint_file(
            tender=awarded.tender, provider=member_b.provider, actor=member_b.user, text="x"
        )
    assert error.value.code == "standstill_over"


def test_it_refuses_an_attachment_that_is_not_a_pdf_or_an_image(awarded, member_b):
    with pytest.raises(services.TenderError) as error:
        services.complaint_file(
            tender=awarded.tender,
            provider=member_b.provider,
            actor=member_b.user,
            text="x",
            attachment=pdf("virus.pdf", b"MZ\x90\x00 not a pdf"),
        )
    assert "attachment" in error.value.fields
    assert not Complaint.objects.exists()


def test_it_refuses_a_second_open_complaint_of_the_same_tenderer(awarded, member_b):
    services.complaint_file(
        tender=awarded.tender, provider=member_b.provider, actor=member_b.user, text="un"
    )
    with pytest.raises(services.TenderError) as error:
        services.complaint_file(
            tender=awarded.tender, provider=member_b.provider, actor=member_b.user, text="deux"
        )
    assert error.value.code == "complaint_open"


def test_an_open_complaint_blocks_the_signature_until_dismissed(awarded, member_b, buyer_a):
    complaint = services.complaint_file(
        tender=awarded.tender,
        provider=member_b.provider,
        actor=member_b.user,
        text="Notation technique contestée.",
    )
    end_standstill(awarded.award)
    with pytest.raises(services.TenderError) as error:
        services.tender_contract_sign(tender=awarded.tender, actor=buyer_a)
    assert error.value.code == "complaint_open"
    services.complaint_answer(
        complaint=complaint,
        actor=buyer_a,
        decision="dismissed",
        answer="La notation suit les critères annoncés.",
    )
    services.tender_contract_sign(tender=awarded.tender, actor=buyer_a)
    awarded.tender.refresh_from_db()
    assert awarded.tender.status == TenderStatus.CONTRACT_SIGNED


def test_a_dismissed_complaint_lets_the_standstill_run_on(awarded, member_b, buyer_a):
    complaint = services.complaint_file(
        tender=awarded.tender, provider=member_b.provider, actor=member_b.user, text="Contestation."
    )
    services.complaint_answer(
        complaint=complaint, actor=buyer_a, decision="dismissed", answer="Non fondée."
    )
    with pytest.raises(services.TenderError) as error:
        services.tender_contract_sign(tender=awarded.tender, actor=buyer_a)
    assert error.value.code == "standstill_running"


def test_an_upheld_complaint_withdraws_the_award_and_resumes_the_evaluation(
    awarded, member_b, member_c, buyer_a
):
    award_id = awarded.award.pk
    upheld = services.complaint_file(
        tender=awarded.tender,
        provider=member_b.provider,
        actor=member_b.user,
        text="Offre de l'attributaire non conforme.",
    )
    other = services.complaint_file(
        tender=awarded.tender, provider=member_c.provider, actor=member_c.user, text="Idem."
    )
    services.complaint_answer(
        complaint=upheld, actor=buyer_a, decision="upheld", answer="Fondée : offre irrégulière."
    )
    awarded.tender.refresh_from_db()
    assert awarded.tender.status == TenderStatus.CLOSED
    assert not Award.objects.filter(pk=award_id).exists()
    history = WithdrawnAward.objects.get(award_id=award_id)
    assert history.response == awarded.a and history.amount == awarded.a.total_price
    assert "upheld" in history.reason
    other.refresh_from_db()
    assert other.status == "lapsed" and other.answer
    # The evaluation resumes: scores change, a new award is made, a new standstill runs.
    services.response_score(response=awarded.a, actor=buyer_a, technical_score=0)
    award = services.tender_award(tender=awarded.tender, actor=buyer_a, response=awarded.b)
    assert award.pk != award_id and award.standstill_ends_at > timezone.now()


def test_it_answers_a_complaint_once(awarded, member_b, buyer_a):
    complaint = services.complaint_file(
        tender=awarded.tender, provider=member_b.provider, actor=member_b.user, text="Contestation."
    )
    services.complaint_answer(
        complaint=complaint, actor=buyer_a, decision="dismissed", answer="Non."
    )
    with pytest.raises(services.TenderError) as error:
        services.complaint_answer(
            complaint=complaint, actor=buyer_a, decision="upheld", answer="Si."
        )
    assert error.value.http_status == 409
    with pytest.raises(services.TenderError) as error:
        services.complaint_answer(complaint=complaint, actor=buyer_a, decision="maybe", answer="?")
    assert "decision" in error.value.fields


def test_a_signed_contract_cannot_lose_its_award(awarded, buyer_a):
    end_standstill(awarded.award)
    services.tender_contract_sign(tender=awarded.tender, actor=buyer_a)
    with pytest.raises(services.TenderError) as error:
        services.award_withdraw(tender=awarded.tender, actor=buyer_a, reason="Trop tard.")
    assert error.value.http_status == 409


def test_the_transition_table_has_the_contract_states():
    assert services.TRANSITIONS[TenderStatus.AWARDED] == {
        TenderStatus.CONTRACT_SIGNED,
        TenderStatus.CLOSED,
    }
    assert services.TRANSITIONS[TenderStatus.CONTRACT_SIGNED] == set()


def test_every_tenderer_hears_its_rank_scores_and_the_winner(
    awarded, member_a, member_b, member_c, django_capture_on_commit_callbacks
):
    from broker import services as broker_services

    broker_services.tender_decision_notify(tender_id=awarded.tender.pk, action="tender.awarded")
    notes = {n.recipient_id: n for n in Notification.objects.filter(kind="tender_awarded")}
    beta, gamma, alpha = notes[member_b.user.pk], notes[member_c.user.pk], notes[member_a.user.pk]
    assert "rang 2 sur 3" in beta.body and "Attributaire : Alpha Cloud" in beta.body
    assert "rang 3 sur 3" in gamma.body and "n'est pas retenue" in gamma.body
    assert "rang 1 sur 3" in alpha.body and "retenue" in alpha.body
    assert "Délai de suspension" in beta.body
    # Idempotent: a second run notifies nobody again.
    assert (
        broker_services.tender_decision_notify(tender_id=awarded.tender.pk, action="tender.awarded")
        == 0
    )


# --------------------------------------------------------------------------
# API


def test_the_api_decision_notice_depends_on_the_reader(awarded, member_b, buyer_a, api):
    from tests.conftest import client_for

    url = f"/api/v1/tenders/{awarded.tender.pk}/decision/"
    mine = client_for(member_b.user).get(url).json()
    assert (
        mine["own"]["rank"] == 2
        and mine["winner"]["provider"] == "Alpha Cloud"
        and mine["ranking"] == []
    )
    assert mine["standstill_running"] is True and mine["award"]["standstill_ends_at"]
    buyer = client_for(buyer_a).get(url).json()
    assert [r["rank"] for r in buyer["ranking"]] == [1, 2, 3]
    public = api.get(url).json()
    assert public["own"] is None and public["winner"] is None and public["ranking"] == []
    assert public["award"]["supplier"] == "Alpha Cloud"


def test_the_api_files_answers_and_signs(awarded, member_b, member_c, buyer_a, api):
    from tests.conftest import client_for

    base = f"/api/v1/tenders/{awarded.tender.pk}"
    filed = client_for(member_b.user).post(
        f"{base}/complaints/", {"text": "Contestation.", "attachment": pdf()}, format="multipart"
    )
    assert (
        filed.status_code == 201
        and filed.json()["status"] == "open"
        and filed.json()["has_attachment"]
    )
    # A provider sees its own complaints only; anonymous callers none.
    assert client_for(member_c.user).get(f"{base}/complaints/").json() == []
    assert api.get(f"{base}/complaints/").status_code == 401
    assert len(client_for(buyer_a).get(f"{base}/complaints/").json()) == 1
    end_standstill(awarded.award)
    blocked = client_for(buyer_a).post(f"{base}/sign/")
    assert blocked.status_code == 409 and blocked.json()["error"]["code"] == "complaint_open"
    cid = filed.json()["id"]
    assert (
        client_for(member_b.user)
        .post(f"{base}/complaints/{cid}/answer/", {"decision": "dismissed", "answer": "x"})
        .status_code
        == 404
    )
    answered = client_for(buyer_a).post(
        f"{base}/complaints/{cid}/answer/",
        {"decision": "dismissed", "answer": "Non fondée."},
        format="json",
    )
    assert answered.status_code == 200 and answered.json()["status"] == "dismissed"
    signed = client_for(buyer_a).post(f"{base}/sign/")
    assert signed.status_code == 200 and signed.json()["status"] == "contract_signed"


def test_the_api_withdraws_an_award(awarded, buyer_a, member_b):
    from tests.conftest import client_for

    base = f"/api/v1/tenders/{awarded.tender.pk}"
    assert (
        client_for(member_b.user).post(f"{base}/withdraw-award/", {"reason": "x"}).status_code
        == 404
    )
    assert client_for(buyer_a).post(f"{base}/withdraw-award/", {}).status_code == 400
    response = client_for(buyer_a).post(
        f"{base}/withdraw-award/", {"reason": "Erreur de calcul."}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "closed"
    notice = client_for(buyer_a).get(f"{base}/decision/").json()
    assert notice["award"] is None and notice["withdrawn_awards"][0]["award_id"] == awarded.award.pk


def test_integrators_hear_of_a_withdrawal_a_new_award_and_the_signature(
    awarded, member_b, buyer_a, settings
):
    from broker import selectors as broker_selectors
    from broker import services as broker_services
    from broker import webhooks
    from broker.models import WebhookDelivery

    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    broker_services.webhook_endpoint_create(
        organisation=broker_selectors.organisation_of(member_b.user),
        actor=member_b.user,
        url="http://127.0.0.1:9/hook",
        event_types=list(webhooks.EVENT_TYPES),
    )
    services.award_withdraw(tender=awarded.tender, actor=buyer_a, reason="Erreur de notation.")
    award = services.tender_award(tender=awarded.tender, actor=buyer_a, response=awarded.b)
    end_standstill(award)
    services.tender_contract_sign(tender=awarded.tender, actor=buyer_a)
    types = list(WebhookDelivery.objects.order_by("pk").values_list("event_type", flat=True))
    assert types == [
        "tender.closed",
        "tender.award_withdrawn",
        "tender.awarded",
        "tender.contract_signed",
    ]


def test_the_decision_notice_costs_the_same_whatever_the_complaints(
    awarded, member_b, member_c, buyer_a
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import client_for

    client = client_for(buyer_a)
    url = f"/api/v1/tenders/{awarded.tender.pk}/decision/"
    services.complaint_file(
        tender=awarded.tender, provider=member_b.provider, actor=member_b.user, text="Un."
    )
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).json()["ranking"]) == 3
    services.complaint_file(
        tender=awarded.tender, provider=member_c.provider, actor=member_c.user, text="Deux."
    )
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    assert len(one) == len(two) == 10  # the deadline check reads without a lock (issue 15 item 4)


def test_a_withdrawn_award_enters_the_awards_feed_as_withdrawn(awarded, buyer_a):
    from core.models import ChangeEvent
    from tenders.api import AwardOutput

    award_id = awarded.award.pk
    before = ChangeEvent.objects.filter(entity="award", entity_id=award_id).count()
    assert AwardOutput(awarded.award).data["status"] == "awarded"
    history = services.award_withdraw(
        tender=awarded.tender, actor=buyer_a, reason="Erreur de notation."
    )
    # The history row's insertion is the feed's event for the award id.
    assert ChangeEvent.objects.filter(entity="award", entity_id=award_id).count() == before + 1
    row = AwardOutput(history).data
    assert (
        row["id"] == award_id
        and row["status"] == "withdrawn"
        and row["supplier"]["name"] == "Alpha Cloud"
    )
    assert set(row) == set(
        AwardOutput(
            Award.objects.create(
                tender=awarded.tender,
                response=awarded.b,
                amount=awarded.b.total_price,
                awarded_at=timezone.now(),
            )
        ).data
    )


def test_the_decision_notice_is_written_in_each_tenderers_language(
    awarded, member_a, member_b, django_capture_on_commit_callbacks
):
    from broker import services as broker_services

    broker_services.preference_language_set(user=member_a.user, language="en")
    broker_services.tender_decision_notify(tender_id=awarded.tender.pk, action="tender.awarded")
    notes = {n.recipient_id: n for n in Notification.objects.filter(kind="tender_awarded")}
    english, french = notes[member_a.user.pk], notes[member_b.user.pk]
    assert english.subject == f"{awarded.tender.reference} awarded"
    assert "Your offer is successful." in english.body and "rank 1 of 3" in english.body
    assert "Standstill until" in english.body and "Délai" not in english.body
    assert (
        french.subject == f"{awarded.tender.reference} attribué" and "rang 2 sur 3" in french.body
    )
