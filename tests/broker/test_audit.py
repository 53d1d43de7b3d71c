"""The audit chain (DESIGN §5, issue 3 §9): every state change, submission,
verification, award and order is an append-only event written in the
transaction of the change, chained by SHA-256; the database refuses to
change a row; `manage.py audit_verify` names the first broken link."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from broker import services
from broker.models import AuditEvent
from catalog import services as catalog_services
from tenders import services as tender_services
from tenders.models import Tender, TenderStatus
from tests import factories
from tests.broker.concurrency import run_together


def events_after(last_id: int) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(pk__gt=last_id)
        .order_by("id")
        .values_list(
            "action", "object_type", "object_id", "tender_id", "actor_label", "organisation"
        )
    )


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def append(n: int, **data) -> list[AuditEvent]:
    return [
        services.audit_append(
            actor=None,
            organisation="test",
            action="test.event",
            object_type="test",
            object_id=i,
            data={"i": i, **data},
        )
        for i in range(n)
    ]


def verify_output() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue().strip()


# --------------------------------------------------------------------------
# What is recorded


def test_every_decision_of_the_marketplace_is_recorded(
    ministry, buyer, operator, provider_a, member_a, committed
):
    seller = member_a.user
    mark = last_id()
    with committed():
        offer = factories.offer(provider_a)
        cert = factories.certification(provider_a, [offer], verify=False)
        catalog_services.certification_verify(certification=cert, actor=operator)
    assert events_after(mark) == [
        ("offer.published", "offer", offer.pk, None, "system", provider_a.name),
        ("certification.verify", "certification", cert.pk, None, operator.username, "operator"),
    ]

    mark = last_id()
    with committed():
        tender = factories.tender(ministry, actor=buyer)
        tender = tender_services.tender_publish(tender=tender, actor=buyer)
        question = tender_services.clarification_ask(
            tender=tender, provider=provider_a, actor=seller, question="Quelle classe de stockage ?"
        )
        tender_services.clarification_answer(
            clarification=question, actor=buyer, answer="Standard."
        )
        first = tender_services.response_submit(
            tender=tender,
            provider=provider_a,
            actor=seller,
            offer=offer,
            total_price="2400",
            technical_answer="Réponse technique v1",
        )
        tender_services.response_withdraw(response=first, actor=seller)
        response = tender_services.response_submit(
            tender=tender,
            provider=provider_a,
            actor=seller,
            offer=offer,
            total_price="2300",
            technical_answer="Réponse technique v2",
        )
        tender = tender_services.tender_close_if_due(
            tender=tender, now=tender.response_deadline + datetime.timedelta(seconds=1)
        )
        award = tender_services.tender_award(tender=tender, actor=buyer, response=response)
    agency, seller_org = ministry.name, provider_a.name
    assert events_after(mark) == [
        ("tender.create", "tender", tender.pk, tender.pk, buyer.username, agency),
        ("tender.published", "tender", tender.pk, tender.pk, buyer.username, agency),
        ("clarification.ask", "clarification", question.pk, tender.pk, seller.username, seller_org),
        ("clarification.answer", "clarification", question.pk, tender.pk, buyer.username, agency),
        ("response.submit", "tenderresponse", first.pk, tender.pk, seller.username, seller_org),
        ("response.withdraw", "tenderresponse", first.pk, tender.pk, seller.username, seller_org),
        ("response.submit", "tenderresponse", response.pk, tender.pk, seller.username, seller_org),
        ("tender.closed", "tender", tender.pk, tender.pk, "system", agency),
        ("tender.awarded", "tender", tender.pk, tender.pk, buyer.username, agency),
        ("award.create", "award", award.pk, tender.pk, buyer.username, agency),
    ]
    submit = AuditEvent.objects.get(action="response.submit", object_id=response.pk)
    # The receipt, never the sealed content.
    assert submit.data["receipt_sha256"] == response.receipt_sha256
    assert "Réponse technique" not in str(submit.data) and "2300" not in str(submit.data)

    mark = last_id()
    with committed():
        unsuccessful = tender_services.tender_publish(
            tender=factories.tender(ministry, actor=buyer), actor=buyer
        )
        unsuccessful = tender_services.tender_close_if_due(
            tender=unsuccessful, now=unsuccessful.response_deadline + datetime.timedelta(seconds=1)
        )
        tender_services.tender_declare_unsuccessful(
            tender=unsuccessful, actor=buyer, reason="Aucune offre"
        )
        cancelled = factories.tender(ministry, actor=buyer)
        tender_services.tender_cancel(tender=cancelled, actor=buyer, reason="Besoin abandonné")
        accepted = tender_services.order_place(
            agency=ministry, actor=buyer, offer=offer, quantity=1, duration_months=12
        )
        tender_services.order_accept(order=accepted, actor=seller)
        declined = tender_services.order_place(
            agency=ministry, actor=buyer, offer=offer, quantity=2, duration_months=6
        )
        tender_services.order_decline(order=declined, actor=seller, reason="Capacité épuisée")
        catalog_services.certification_revoke(certification=cert, actor=operator, reason="ANSSI")
        catalog_services.provider_suspend(provider=provider_a, actor=operator, reason="Enquête")
    assert [(action, object_id) for action, _type, object_id, *_ in events_after(mark)] == [
        ("tender.create", unsuccessful.pk),
        ("tender.published", unsuccessful.pk),
        ("tender.closed", unsuccessful.pk),
        ("tender.unsuccessful", unsuccessful.pk),
        ("tender.create", cancelled.pk),
        ("tender.cancelled", cancelled.pk),
        ("order.place", accepted.pk),
        ("order.accepted", accepted.pk),
        ("order.place", declined.pk),
        ("order.declined", declined.pk),
        ("certification.revoke", cert.pk),
        ("provider.suspend", provider_a.pk),
    ]
    assert AuditEvent.objects.get(action="tender.unsuccessful").data == {
        "from": "closed",
        "to": "unsuccessful",
        "reason": "Aucune offre",
    }
    assert services.audit_verify().broken_at is None


def test_a_rolled_back_change_leaves_no_event(ministry, buyer, publish):
    tender = publish(factories.tender(ministry, actor=buyer), buyer)
    mark = last_id()
    with pytest.raises(RuntimeError), transaction.atomic():
        tender_services.tender_cancel(tender=tender, actor=buyer, reason="Besoin abandonné")
        assert [e[0] for e in events_after(mark)] == ["tender.cancelled"]  # written with the change
        raise RuntimeError("the request fails after the change")
    assert events_after(mark) == []
    assert Tender.objects.get(pk=tender.pk).status == TenderStatus.PUBLISHED


def test_a_refused_transition_leaves_no_event(ministry, buyer, publish):
    tender = publish(factories.tender(ministry, actor=buyer), buyer)
    mark = last_id()
    with pytest.raises(tender_services.TenderError) as refused:
        tender_services.tender_declare_unsuccessful(tender=tender, actor=buyer, reason="Trop tôt")
    assert refused.value.http_status == 409
    assert events_after(mark) == []


def test_an_event_hashes_the_same_once_read_back(db):
    event = services.audit_append(
        actor=None,
        organisation="Ministère de l'Intérieur",
        action="test.event",
        object_type="test",
        object_id=1,
        data={
            "amount": Decimal("12.50"),
            "on": datetime.date(2027, 1, 31),
            "nested": {"é": ["ü", 1, None, True]},
        },
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.data == {
        "amount": "12.50",
        "on": "2027-01-31",
        "nested": {"é": ["ü", 1, None, True]},
    }
    assert services.audit_hash(stored) == stored.hash == event.hash


# --------------------------------------------------------------------------
# audit_verify


def test_audit_verify_passes_and_prints_the_number_of_events(db):
    assert verify_output() == "audit chain ok: 0 events"
    events = append(3)
    assert events[0].previous_hash == services.GENESIS
    assert [e.previous_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert verify_output() == "audit chain ok: 3 events"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE broker_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM broker_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_an_audit_row(db, statement):
    event = append(1)[0]
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(organisation="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.get(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).hash == event.hash


def tamper(sql: str, params: list) -> None:
    """What an attacker with table rights does: disable the trigger, edit."""
    with connection.cursor() as cursor:
        # The test's own transaction holds deferred foreign-key checks of the
        # rows it wrote, which ALTER TABLE refuses to run over: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE broker_auditevent DISABLE TRIGGER broker_audit_append_only")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("ALTER TABLE broker_auditevent ENABLE TRIGGER broker_audit_append_only")


def test_editing_one_row_makes_audit_verify_fail_at_that_row(db):
    events = append(5, amount="2400.00")
    target = events[2]
    tamper(
        "UPDATE broker_auditevent SET data = %s WHERE id = %s",
        ['{"i": 2, "amount": "1.00"}', target.pk],
    )

    with pytest.raises(CommandError, match=f"broken at event #{target.pk}: its content") as failed:
        call_command("audit_verify")
    assert failed.value.returncode != 0  # manage.py exits with it
    report = services.audit_verify()
    assert report.broken_at == target.pk and report.count == 3


def test_rehashing_an_edited_row_breaks_the_next_link(db):
    events = append(4)
    target = events[1]
    forged = AuditEvent.objects.get(pk=target.pk)
    forged.action = "test.forged"
    tamper(
        "UPDATE broker_auditevent SET action = %s, hash = %s WHERE id = %s",
        [forged.action, services.audit_hash(forged), target.pk],
    )

    with pytest.raises(CommandError, match=f"broken at event #{events[2].pk}: its previous_hash"):
        call_command("audit_verify")


def test_deleting_a_row_breaks_the_chain_at_the_next_one(db):
    events = append(4)
    tamper("DELETE FROM broker_auditevent WHERE id = %s", [events[1].pk])

    with pytest.raises(CommandError, match=f"broken at event #{events[2].pk}"):
        call_command("audit_verify")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_appends_keep_the_chain_valid():
    per_thread = 20

    def writer(label: str):
        def write() -> int:
            for i in range(per_thread):
                with transaction.atomic():
                    services.audit_append(
                        actor=None,
                        organisation=label,
                        action="test.concurrent",
                        object_type="test",
                        object_id=i,
                    )
            return per_thread

        return write

    assert run_together(writer("left"), writer("right")) == [per_thread, per_thread]
    assert sorted(
        AuditEvent.objects.order_by().values_list("organisation", flat=True).distinct()
    ) == ["left", "right"]
    report = services.audit_verify()
    assert (report.count, report.broken_at) == (2 * per_thread, None)
