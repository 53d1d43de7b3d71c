"""Races (issue 7), each on several real database connections released
together: one decision per tender, the deadline on the server's clock
inside the transaction, one live response per provider however often the
form is sent, and a shortlist that ends consistent with the final
assessment when a certificate is revoked during matching.

Two awards at once: tests/tenders/test_evaluation.py
(test_two_buyers_awarding_at_once_make_exactly_one_award)."""

from __future__ import annotations

import datetime
import time

import pytest
from django.db import connection
from django.utils import timezone

from broker import services as broker_services
from broker.models import AuditEvent
from catalog import services as catalog_services
from catalog.models import Certification, OfferAssessment
from tenders import services
from tenders.models import Award, ShortlistEntry, Tender, TenderResponse
from tests.broker.concurrency import run_together
from tests.conftest import client_for
from tests.tenders.conftest import close, submit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def live(tender) -> list[TenderResponse]:
    return list(TenderResponse.objects.filter(tender=tender, status="submitted"))


def test_the_same_response_sent_twice_at_once_is_one_live_response(published, member_a, market):
    body = {
        "offer": market.a.pk,
        "total_price": "1000.00",
        "technical_answer": "Réponse détaillée.",
    }

    def send():
        return client_for(member_a.user).post(
            f"/api/v1/tenders/{published.pk}/responses/", body, format="json"
        )

    outcomes = run_together(send, send, send)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert sorted(o.status_code for o in outcomes) == [
        201,
        201,
        201,
    ]  # each a receipt, each a replacement
    (kept,) = live(published)
    # The last one wins, whole (ids are random: the last is the highest key).
    answered = TenderResponse.objects.filter(public_id__in=[o.json()["id"] for o in outcomes])
    assert kept.pk == max(answered.values_list("pk", flat=True))
    assert (
        TenderResponse.objects.filter(tender=published)
        .exclude(pk=kept.pk)
        .exclude(status="submitted")
        .count()
        == 2
    )


def test_one_decision_when_award_unsuccessful_and_cancel_arrive_together(
    published, buyer_a, member_a, member_b, market
):
    response = submit(published, member_a, market.a, price="1000")
    submit(published, member_b, market.b, price="1200")
    tender = close(published)

    outcomes = run_together(
        lambda: services.tender_award(tender=tender, actor=buyer_a, response=response),
        lambda: services.tender_declare_unsuccessful(
            tender=tender, actor=buyer_a, reason="Trop cher."
        ),
        lambda: services.tender_cancel(tender=tender, actor=buyer_a, reason="Besoin disparu."),
    )
    succeeded = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(succeeded) == 1, outcomes
    assert all(isinstance(o, services.TenderError) and o.http_status == 409 for o in refused), (
        refused
    )
    final = Tender.objects.get(pk=tender.pk).status
    assert final in {"awarded", "unsuccessful", "cancelled"}
    assert Award.objects.filter(tender=tender).count() == (1 if final == "awarded" else 0)
    decisions = AuditEvent.objects.filter(
        tender_id=tender.pk,
        action__in=["tender.awarded", "tender.unsuccessful", "tender.cancelled"],
    )
    assert list(decisions.values_list("action", flat=True)) == [f"tender.{final}"]


def test_responses_racing_the_deadline_follow_the_server_clock(
    published, member_a, member_b, market
):
    """Two providers keep sending (and replacing) their response while the
    closing sweep runs, across a deadline 1.5 s away: whatever is accepted
    was stamped before the deadline, whatever is refused was refused for
    the deadline, and the tender ends closed with the last accepted ones."""
    deadline = timezone.now() + datetime.timedelta(seconds=1.5)
    Tender.objects.filter(pk=published.pk).update(response_deadline=deadline)
    tender = Tender.objects.get(pk=published.pk)
    stop_at = deadline + datetime.timedelta(seconds=1)

    def keep_sending(member, offer):
        accepted, refused = [], []
        price = 1000
        while timezone.now() < stop_at:
            price += 1
            try:
                accepted.append(submit(tender, member, offer, price=str(price)))
            except services.TenderError as exc:
                refused.append((exc.code, timezone.now()))
            time.sleep(0.02)
        return accepted, refused

    def keep_closing():
        closed = []
        while timezone.now() < stop_at:
            closed += services.tenders_close_due()
            time.sleep(0.05)
        return closed

    sent_a, sent_b, closed = run_together(
        lambda: keep_sending(member_a, market.a),
        lambda: keep_sending(member_b, market.b),
        keep_closing,
    )
    for accepted, refused in (sent_a, sent_b):
        assert accepted and refused, "the run must straddle the deadline"
        assert all(r.submitted_at < deadline for r in accepted)
        assert {code for code, _ in refused} <= {"deadline_passed"}
        assert all(at >= deadline for _, at in refused)
    assert closed == [tender.pk]
    assert Tender.objects.get(pk=tender.pk).status == "closed"
    assert sorted(r.pk for r in live(tender)) == sorted([sent_a[0][-1].pk, sent_b[0][-1].pk])
    assert not TenderResponse.objects.filter(tender=tender, submitted_at__gte=deadline).exists()


@pytest.mark.parametrize("attempt", range(3))
def test_a_certificate_revoked_during_matching_leaves_a_shortlist_true_to_the_final_assessment(
    published, market, operator, attempt
):
    """Matching (publication, eager here) and the revocation of Alpha's
    SecNumCloud certificate (which re-assesses and re-matches after its
    commit) run at once, from separate connections."""
    broker_services.tender_match(tender_id=published.pk)
    assert set(
        ShortlistEntry.objects.filter(tender=published).values_list("offer_id", flat=True)
    ) == {market.a.pk, market.b.pk, market.c.pk}
    certificate = Certification.objects.get(scope_offers=market.a)

    def revoke():
        revoked = catalog_services.certification_revoke(
            certification=certificate, actor=operator, reason="Qualification retirée par l'ANSSI."
        )
        connection.close()
        return revoked

    outcomes = run_together(
        lambda: broker_services.tender_match(tender_id=published.pk),
        revoke,
        lambda: broker_services.tender_match(tender_id=published.pk),
    )
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes

    qualified = set(
        OfferAssessment.objects.filter(level__in=["N2", "N3"]).values_list("offer_id", flat=True)
    )
    assert market.a.pk not in qualified
    shortlisted = set(
        ShortlistEntry.objects.filter(tender=published).values_list("offer_id", flat=True)
    )
    assert shortlisted == qualified == {market.b.pk, market.c.pk}


def test_publishing_and_creating_for_one_agency_at_once_never_deadlock(
    agency_a, buyer_a, monkeypatch
):
    """A publication locks its tender, then appends to the audit chain; a
    creation for the same agency appends to the chain, then checks its
    foreign key to the agency at commit. Locking the agency's row with the
    tender made them wait on each other (found by `make loadtest`)."""
    from broker import services as audit_services
    from tests import factories

    original = audit_services.audit_append

    def slow_append(**kwargs):
        event = original(**kwargs)
        time.sleep(0.2)  # hold the chain's lock a while, as a busy server does
        return event

    monkeypatch.setattr(audit_services, "audit_append", slow_append)

    def publish_a_moment_later(draft):
        time.sleep(0.05)  # the creation holds the chain's lock by then
        return services.tender_publish(tender=draft, actor=buyer_a)

    for draft in [factories.tender(agency_a, actor=buyer_a) for _ in range(2)]:
        outcomes = run_together(
            lambda: factories.tender(agency_a, actor=buyer_a),
            lambda d=draft: publish_a_moment_later(d),
        )
        assert not any(isinstance(o, Exception) for o in outcomes), outcomes
