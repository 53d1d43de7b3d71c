"""Matching (DESIGN §5, issue 3 §3): the set-based engine over the stored
assessments, its scoring, its state, its idempotency, re-matching on
catalogue changes, and "why not". Celery runs eagerly here; the real-worker
path is in test_matching_worker.py."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from broker import matching, services, tasks
from broker.models import Notification
from catalog import services as catalog_services
from catalog import units
from catalog.models import Certification, Offer
from tenders import eligibility, selectors
from tenders import services as tender_services
from tenders.models import Invitation, ShortlistEntry, Tender
from tests import factories
from tests.broker.concurrency import run_together
from tests.conftest import client_for


def only(country: str) -> dict:
    return {
        f"{role}_countries": [country]
        for role in ("storage", "processing", "backup", "technical_data", "administration")
    }


def entries(tender) -> list[ShortlistEntry]:
    return list(ShortlistEntry.objects.filter(tender=tender).order_by("rank"))


def failed_rules(tender, offer) -> list[str]:
    return [
        f["rule"]
        for f in eligibility.failures(selectors.need_of(tender), selectors.offer_snapshot(offer.pk))
    ]


def invited(tender) -> set[int]:
    return set(Invitation.objects.filter(tender=tender).values_list("provider_id", flat=True))


# --------------------------------------------------------------------------
# Selection and scoring


def test_it_shortlists_only_qualified_offers_ranked_by_estimated_cost(
    ministry, buyer, make_offer, publish, committed
):
    alpha, beta, gamma, delta = (
        factories.ProviderFactory(name=name) for name in ("Alpha", "Beta", "Gamma", "Delta")
    )
    cheapest = make_offer(alpha, "N2", unit_price="20")  # 10 TB × 12 months × 20 € = 2,400 €
    german = make_offer(beta, "N2", unit="GB_MONTH", unit_price="0.025", **only("DE"))  # 3,000 €
    restricted = make_offer(gamma, "N3", unit_price="30")  # 3,600 €
    # Each of these is cheaper than all of the above and fails one rule.
    left_out = {
        "level": make_offer(alpha, "N1", unit_price="1"),
        "category": make_offer(
            alpha, "N2", unit_price="1", category="backup", cpv_code="72910000-2"
        ),
        "offer_not_published": make_offer(alpha, "N2", unit_price="1", status="draft"),
        "unit": make_offer(alpha, "N2", unit_price="1", unit="VCPU_MONTH"),
        "minimum_commitment": make_offer(alpha, "N2", unit_price="1", minimum_commitment="50"),
        "capacity": make_offer(alpha, "N2", unit_price="1", capacity="5"),
        "provider_suspended": make_offer(delta, "N2", unit_price="1"),
    }
    withdrawn = make_offer(alpha, "N2", unit_price="1")
    over_budget = make_offer(beta, "N2", unit_price="500")  # 60,000 € > 50,000 €
    with committed():
        catalog_services.offer_withdraw(offer=withdrawn, actor=None)
        catalog_services.provider_suspend(provider=delta, actor=None, reason="Fraud inquiry")

    tender = publish(factories.tender(ministry, actor=buyer, estimated_value="50000"), buyer)

    rows = entries(tender)
    assert [r.offer_id for r in rows] == [cheapest.pk, german.pk, restricted.pk]
    assert [r.rank for r in rows] == [1, 2, 3]
    assert [r.estimated_cost for r in rows] == [
        Decimal("2400.00"),
        Decimal("3000.00"),
        Decimal("3600.00"),
    ]
    assert [r.score for r in rows] == [Decimal("100.000"), Decimal("80.000"), Decimal("66.667")]
    for rule, offer in left_out.items():
        assert failed_rules(tender, offer) == [rule]
    assert failed_rules(tender, withdrawn) == ["offer_not_published"]
    assert failed_rules(tender, over_budget) == []  # eligible, but over the budget


def test_an_offer_whose_minimum_term_exceeds_the_contract_is_left_out(
    ministry, buyer, make_offer, publish, shortlisted
):
    three_years = make_offer(factories.ProviderFactory(name="Alpha"), minimum_months=36)
    tender = publish(factories.tender(ministry, actor=buyer, duration_months=12), buyer)
    assert failed_rules(tender, three_years) == ["minimum_months"]
    assert shortlisted(tender) == []


def test_rows_explain_why_the_offer_is_there(ministry, buyer, make_offer, publish):
    offer = make_offer(factories.ProviderFactory(name="Alpha"), "N3", unit_price="20")
    tender = publish(factories.tender(ministry, actor=buyer, estimated_value="50000"), buyer)

    (row,) = entries(tender)
    reasons = {reason["rule"]: reason["facts"] for reason in row.reasons}
    assert list(reasons) == ["level", "flags", "location", "cost"]
    assert reasons["level"] == {"required": "N2", "granted": "N3"}
    assert reasons["location"] == {"constraint": "EU", "countries": ["FR"]}
    assert reasons["cost"] == {
        "estimated_cost": "2400.00",
        "budget": "50000.00",
        "normalised_price": "0.020000",
        "quantity": "10.00",
        "months": 12,
    }
    assert row.offer_id == offer.pk and row.warnings == []


def test_it_keeps_data_inside_the_location_constraint(
    ministry, buyer, make_offer, publish, shortlisted
):
    french = make_offer(factories.ProviderFactory(name="Alpha"), "N2", unit_price="20")
    german = make_offer(factories.ProviderFactory(name="Beta"), "N2", unit_price="21", **only("DE"))
    swiss = make_offer(factories.ProviderFactory(name="Gamma"), "N1", unit_price="22", **only("CH"))

    assert shortlisted(publish(factories.tender(ministry, location_constraint="FR"))) == [french.pk]
    assert shortlisted(publish(factories.tender(ministry, location_constraint="EU"))) == [
        french.pk,
        german.pk,
    ]
    # Switzerland is an adequacy country: fine for N1, but not inside the EU.
    assert shortlisted(
        publish(factories.tender(ministry, level="N1", location_constraint="EU"))
    ) == [french.pk, german.pk]
    assert shortlisted(publish(factories.tender(ministry, level="N1", location_constraint=""))) == [
        french.pk,
        german.pk,
        swiss.pk,
    ]


def test_a_state_bodys_health_data_needs_n2_even_when_stated_n1(
    ministry, buyer, make_offer, publish, shortlisted
):
    hds_only = make_offer(
        factories.ProviderFactory(name="Alpha"), "N1", health=True, unit_price="10"
    )
    sovereign_hds = make_offer(
        factories.ProviderFactory(name="Beta"), "N2", health=True, unit_price="20"
    )
    make_offer(factories.ProviderFactory(name="Gamma"), "N2", unit_price="5")  # no HDS

    health = publish(factories.tender(ministry, actor=buyer, level="N1", flags=["HEALTH"]), buyer)
    assert shortlisted(health) == [sovereign_hds.pk]
    assert ShortlistEntry.objects.get(tender=health).reasons[0]["facts"]["required"] == "N2"

    # A local authority has no such floor: its N1 health need stays N1.
    region = factories.agency(
        name="Région Test", siret=factories.valid_siret(7), buyer_category="local_authority"
    )
    regional = publish(factories.tender(region, level="N1", flags=["HEALTH"]))
    assert shortlisted(regional) == [hds_only.pk, sovereign_hds.pk]


def test_a_relied_certificate_expiring_before_the_contract_ends_is_a_warning(
    ministry, buyer, make_offer, publish
):
    expiring = make_offer(
        factories.ProviderFactory(name="Alpha"), "N2", expires_in=200, unit_price="20"
    )
    lasting = make_offer(
        factories.ProviderFactory(name="Beta"), "N2", expires_in=900, unit_price="21"
    )
    tender = publish(factories.tender(ministry, actor=buyer), buyer)

    rows = {row.offer_id: row for row in entries(tender)}
    cert = Certification.objects.get(scope_offers=expiring)
    assert rows[expiring.pk].warnings == [
        {
            "rule": "certificate_expires_before_contract_end",
            "facts": {
                "scheme": "SECNUMCLOUD",
                "reference": cert.reference,
                "expires_on": cert.expires_on.isoformat(),
                "contract_end": matching.contract_end(tender).isoformat(),
            },
        }
    ]
    assert rows[lasting.pk].warnings == []


@pytest.mark.parametrize(
    ("deadline", "months", "end"),
    [
        ("2027-01-31T12:00:00+01:00", 1, datetime.date(2027, 2, 28)),
        ("2028-01-31T12:00:00+01:00", 1, datetime.date(2028, 2, 29)),
        ("2027-03-31T12:00:00+02:00", 12, datetime.date(2028, 3, 31)),
        ("2027-11-30T12:00:00+01:00", 3, datetime.date(2028, 2, 29)),
        # 00:30 in Paris on 1 February is still 31 January in UTC.
        ("2027-02-01T00:30:00+01:00", 1, datetime.date(2027, 3, 1)),
    ],
)
def test_the_contract_ends_its_duration_after_the_deadline_in_paris(deadline, months, end):
    tender = Tender(
        response_deadline=datetime.datetime.fromisoformat(deadline), duration_months=months
    )
    assert matching.contract_end(tender) == end


# --------------------------------------------------------------------------
# Matching state


def test_matching_goes_from_queued_to_done_with_timestamps(
    ministry, buyer, make_offer, django_capture_on_commit_callbacks
):
    offer = make_offer(factories.ProviderFactory(name="Alpha"))
    draft = factories.tender(ministry, actor=buyer)
    assert draft.matching_state == ""

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tender_services.tender_publish(tender=draft, actor=buyer)
    tender = Tender.objects.get(pk=draft.pk)
    assert tender.matching_state == "queued"
    assert tender.matching_queued_at is not None and tender.matching_started_at is None
    assert not ShortlistEntry.objects.filter(
        tender=tender
    ).exists()  # nothing runs before the commit

    for callback in callbacks:
        callback()
    tender.refresh_from_db()
    assert tender.matching_state == "done" and tender.matching_error == ""
    assert tender.matching_queued_at <= tender.matching_started_at <= tender.matching_finished_at
    assert [e.offer_id for e in entries(tender)] == [offer.pk]


def test_a_failing_run_is_marked_failed_with_the_error(
    ministry, buyer, make_offer, publish, shortlisted, monkeypatch
):
    offer = make_offer(factories.ProviderFactory(name="Alpha"))
    tender = publish(factories.tender(ministry, actor=buyer), buyer)

    def unreachable(tender, need=None):
        raise RuntimeError("catalogue unreachable")

    monkeypatch.setattr(matching, "shortlist_select", unreachable)
    with pytest.raises(RuntimeError):
        services.tender_match(tender_id=tender.pk)
    tender.refresh_from_db()
    assert tender.matching_state == "failed"
    assert tender.matching_error == "RuntimeError: catalogue unreachable"
    assert tender.matching_started_at <= tender.matching_finished_at
    assert shortlisted(tender) == [offer.pk]  # the last good shortlist stays

    monkeypatch.undo()
    services.tender_match(tender_id=tender.pk)
    tender.refresh_from_db()
    assert tender.matching_state == "done" and tender.matching_error == ""


def test_a_tender_that_is_not_published_is_not_matched(ministry, buyer, make_offer):
    make_offer(factories.ProviderFactory(name="Alpha"))
    draft = factories.tender(ministry, actor=buyer)
    run = services.tender_match(tender_id=draft.pk)
    assert run.rows == 0 and run.invited == []
    draft.refresh_from_db()
    assert draft.matching_state == "" and not ShortlistEntry.objects.filter(tender=draft).exists()


def test_the_sweeper_matches_a_tender_whose_enqueueing_was_lost(
    ministry, buyer, make_offer, shortlisted, django_capture_on_commit_callbacks
):
    offer = make_offer(factories.ProviderFactory(name="Alpha"))
    with django_capture_on_commit_callbacks(execute=False):  # Redis was down: nothing was sent
        lost = tender_services.tender_publish(
            tender=factories.tender(ministry, actor=buyer), actor=buyer
        )
        recent = tender_services.tender_publish(
            tender=factories.tender(ministry, actor=buyer), actor=buyer
        )
    Tender.objects.filter(pk=lost.pk).update(
        matching_queued_at=timezone.now() - datetime.timedelta(minutes=5)
    )

    assert tasks.tenders_match_stale() == {"matched": [lost.pk]}
    assert (
        shortlisted(lost) == [offer.pk] and Tender.objects.get(pk=lost.pk).matching_state == "done"
    )
    assert (
        Tender.objects.get(pk=recent.pk).matching_state == "queued"
    )  # its task may still be on its way


def test_a_tender_past_its_deadline_is_closed_rather_than_matched(
    ministry, buyer, make_offer, committed, django_capture_on_commit_callbacks
):
    make_offer(factories.ProviderFactory(name="Alpha"))
    with django_capture_on_commit_callbacks(execute=False):
        tender = tender_services.tender_publish(
            tender=factories.tender(ministry, actor=buyer), actor=buyer
        )
    Tender.objects.filter(pk=tender.pk).update(
        response_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )

    with committed():
        run = services.tender_match(tender_id=tender.pk)
    assert run.rows == 0 and run.invited == []
    assert Tender.objects.get(pk=tender.pk).status == "closed"
    assert not ShortlistEntry.objects.filter(tender=tender).exists() and invited(tender) == set()


# --------------------------------------------------------------------------
# Idempotency


def test_matching_again_changes_nothing(
    ministry, buyer, make_offer, publish, committed, mailoutbox
):
    alpha, beta = factories.ProviderFactory(name="Alpha"), factories.ProviderFactory(name="Beta")
    factories.MemberFactory(provider=alpha, user__email="commercial@alpha.example")
    factories.MemberFactory(provider=beta, user__email="commercial@beta.example")
    make_offer(alpha, unit_price="20")
    make_offer(beta, unit_price="25", expires_in=200)
    tender = publish(factories.tender(ministry, actor=buyer), buyer)

    def state():
        return (
            list(ShortlistEntry.objects.filter(tender=tender).order_by("id").values()),
            list(Invitation.objects.filter(tender=tender).order_by("id").values()),
            list(Notification.objects.order_by("id").values()),
        )

    before = state()
    assert len(before[0]) == 2 and len(before[1]) == 2 and len(before[2]) == 2
    assert len(mailoutbox) == 2
    with committed():
        runs = [services.tender_match(tender_id=tender.pk) for _ in range(2)]
    assert [run.invited for run in runs] == [[], []]
    assert state() == before  # same ids, same values, same computation time
    assert len(mailoutbox) == 2


def locked_elsewhere(tender_id: int) -> bool:
    """Whether another connection finds the tender row locked."""

    def try_lock():
        with transaction.atomic():
            list(
                Tender.objects.select_for_update(nowait=True).filter(pk=tender_id).values_list("pk")
            )

    (outcome,) = run_together(try_lock, timeout=10)
    return isinstance(outcome, DatabaseError)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_reads_the_catalogue_only_while_it_holds_the_tender(
    ministry, buyer, make_offer, publish, monkeypatch
):
    """Runs of one tender (publication, catalogue changes, redeliveries)
    take turns and the later one reads the later catalogue: a run that read
    the assessments before a revocation cannot store its rows after a run
    that read them after it."""
    make_offer(factories.ProviderFactory(name="Alpha"))
    tender = publish(factories.tender(ministry, actor=buyer), buyer)
    seen = []
    real = (
        matching.shortlist_select
    )  # the catalogue is read by the statement it builds, right after

    def probed(tender, need=None):
        seen.append(locked_elsewhere(tender.pk))
        return real(tender, need)

    monkeypatch.setattr(matching, "shortlist_select", probed)
    services.tender_match(tender_id=tender.pk)
    assert seen == [True]


# --------------------------------------------------------------------------
# Re-matching on catalogue changes


def test_a_newly_qualified_offer_joins_and_only_its_provider_is_invited(
    ministry, buyer, make_offer, publish, shortlisted
):
    alpha, beta = factories.ProviderFactory(name="Alpha"), factories.ProviderFactory(name="Beta")
    alpha_member = factories.MemberFactory(provider=alpha).user
    beta_member = factories.MemberFactory(provider=beta).user
    first = make_offer(alpha, unit_price="20")
    tender = publish(factories.tender(ministry, actor=buyer), buyer)
    assert shortlisted(tender) == [first.pk] and invited(tender) == {alpha.pk}

    newcomer = make_offer(beta, unit_price="15")  # published, then certified: no manual step

    assert shortlisted(tender) == [newcomer.pk, first.pk]
    assert invited(tender) == {alpha.pk, beta.pk}
    assert Notification.objects.filter(kind="invitation", recipient=alpha_member).count() == 1
    assert Notification.objects.filter(kind="invitation", recipient=beta_member).count() == 1
    assert Tender.objects.get(pk=tender.pk).matching_state == "done"


def test_revoking_the_secnumcloud_certificate_drops_the_offer(
    ministry, buyer, operator, make_offer, publish, shortlisted, committed
):
    kept = make_offer(factories.ProviderFactory(name="Alpha"), unit_price="20")
    revoked = make_offer(factories.ProviderFactory(name="Beta"), unit_price="10")
    tender = publish(factories.tender(ministry, actor=buyer), buyer)
    assert shortlisted(tender) == [revoked.pk, kept.pk]

    cert = Certification.objects.get(scope_offers=revoked, scheme__code="SECNUMCLOUD")
    with committed():
        catalog_services.certification_revoke(
            certification=cert, actor=operator, reason="Qualification withdrawn"
        )

    (row,) = entries(tender)
    assert row.offer_id == kept.pk and row.rank == 1 and row.score == Decimal("100.000")


def test_repricing_or_withdrawing_an_offer_rematches(
    ministry, buyer, make_offer, publish, shortlisted, committed
):
    alpha = make_offer(factories.ProviderFactory(name="Alpha"), unit_price="20")
    beta = make_offer(factories.ProviderFactory(name="Beta"), unit_price="25")
    tender = publish(factories.tender(ministry, actor=buyer), buyer)
    assert shortlisted(tender) == [alpha.pk, beta.pk]

    with committed():
        catalog_services.offer_update(offer=beta, actor=None, unit_price="10")
    assert shortlisted(tender) == [beta.pk, alpha.pk]
    assert entries(tender)[0].estimated_cost == Decimal("1200.00")

    with committed():
        catalog_services.offer_withdraw(offer=Offer.objects.get(pk=beta.pk), actor=None)
    assert shortlisted(tender) == [alpha.pk]


def test_a_suspended_providers_offers_leave_until_it_is_reactivated(
    ministry, buyer, operator, make_offer, publish, shortlisted, committed
):
    alpha = factories.ProviderFactory(name="Alpha")
    seller = factories.MemberFactory(provider=alpha).user
    offer = make_offer(alpha)
    tender = publish(factories.tender(ministry, actor=buyer), buyer)

    with committed():
        catalog_services.provider_suspend(provider=alpha, actor=operator, reason="Enquête en cours")
    assert shortlisted(tender) == []
    with committed():
        catalog_services.provider_reactivate(provider=alpha, actor=operator)
    assert shortlisted(tender) == [offer.pk]
    assert (
        Notification.objects.filter(recipient=seller, kind="invitation").count() == 1
    )  # invited once


def test_one_failing_tender_does_not_stop_the_others_rematching(
    ministry, buyer, make_offer, publish, shortlisted, committed, monkeypatch
):
    first = make_offer(factories.ProviderFactory(name="Alpha"), unit_price="20")
    broken = publish(factories.tender(ministry, actor=buyer), buyer)
    healthy = publish(factories.tender(ministry, actor=buyer), buyer)
    cheaper = make_offer(
        factories.ProviderFactory(name="Beta"), unit_price="10"
    )  # re-matched with both above
    real = matching.shortlist_select

    def scored(tender, need=None):
        if tender.pk == broken.pk:
            raise ValueError("corrupt tender")
        return real(tender, need)

    monkeypatch.setattr(matching, "shortlist_select", scored)
    assert tasks.tenders_rematch(offer_ids=[cheaper.pk]) == {
        "tenders": sorted([broken.pk, healthy.pk]),
        "failed": [broken.pk],
    }
    assert shortlisted(healthy) == [cheaper.pk, first.pk]
    assert Tender.objects.get(pk=broken.pk).matching_state == "failed"


def test_only_published_tenders_are_rematched(
    ministry, buyer, operator, make_offer, publish, shortlisted, committed
):
    offer = make_offer(factories.ProviderFactory(name="Alpha"))
    open_tender = publish(factories.tender(ministry, actor=buyer), buyer)
    cancelled = publish(factories.tender(ministry, actor=buyer), buyer)
    with committed():
        tender_services.tender_cancel(tender=cancelled, actor=buyer, reason="Need withdrawn")

    cert = Certification.objects.get(scope_offers=offer)
    with committed():
        catalog_services.certification_revoke(
            certification=cert, actor=operator, reason="Qualification withdrawn"
        )

    assert shortlisted(open_tender) == []
    assert shortlisted(cancelled) == [offer.pk]  # a decided tender's record is not rewritten


# --------------------------------------------------------------------------
# Why not


def test_why_not_lists_the_rules_the_callers_offer_fails(
    ministry, buyer, member_a, provider_a, provider_b, make_offer, publish
):
    weak = make_offer(provider_a, "N1", capacity="5")
    good = make_offer(provider_a, "N2")
    foreign = make_offer(provider_b, "N1")
    tender = publish(factories.tender(ministry, actor=buyer), buyer)
    client = client_for(member_a.user, language=None)
    url = f"/api/v1/tenders/{tender.pk}/why-not/"

    response = client.get(url, {"offer": weak.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["eligible"] is False
    assert [f["rule"] for f in body["failures"]] == ["level", "capacity"]
    level = body["failures"][0]["facts"]
    assert level["required"] == "N2" and level["granted"] == "N1"
    certification = next(c for c in level["failed_checks"] if c["rule"] == "certification")
    assert certification["level"] == "N2" and certification["reason"]

    assert [f["reason"] for f in body["failures"]][1].startswith("Quantité")  # French by default
    english = client.get(url, {"offer": weak.pk}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["failures"][0]["reason"] == "Required level N2, the offer is qualified N1."
    good_body = client.get(url, {"offer": good.pk}).json()
    assert good_body["eligible"] is True and good_body["failures"] == []
    assert client.get(url, {"offer": foreign.pk}).status_code == 404
    draft = factories.tender(ministry, actor=buyer)
    assert client.get(f"/api/v1/tenders/{draft.pk}/why-not/", {"offer": weak.pk}).status_code == 404
    assert client_for(buyer).get(url, {"offer": weak.pk}).status_code == 403
    assert client_for(None).get(url, {"offer": weak.pk}).status_code == 401


# --------------------------------------------------------------------------
# The set-based engine and the pure rules agree


def test_the_engine_and_the_pure_rules_give_the_same_verdicts(
    ministry, buyer, make_offer, publish, shortlisted, committed
):
    providers = [
        factories.ProviderFactory(name=name) for name in ("Alpha", "Beta", "Gamma", "Delta")
    ]
    alpha, beta, gamma, delta = providers
    offers = [
        make_offer(alpha, "N2", unit_price="20"),
        make_offer(alpha, "N3", unit_price="30", health=True),
        make_offer(alpha, "N1", unit_price="8", health=True),
        make_offer(alpha, "N0", unit_price="4"),
        make_offer(beta, "N2", unit="GB_MONTH", unit_price="0.018", **only("DE")),
        make_offer(beta, "N1", unit_price="12", **only("CH")),
        make_offer(beta, "N1", unit_price="3", **only("US")),  # assessed N0: data outside the EEA
        make_offer(beta, "N2", unit_price="400", health=True),
        make_offer(gamma, "N2", unit_price="19", minimum_commitment="20"),
        make_offer(gamma, "N2", unit_price="22", capacity="8"),
        make_offer(gamma, "N2", unit_price="5", status="draft"),
        make_offer(
            gamma,
            "N2",
            unit="VCPU_HOUR",
            unit_price="0.02",
            category="iaas_compute",
            cpv_code="72514000-1",
        ),
        make_offer(delta, "N2", unit_price="18", health=True),
        make_offer(delta, "N1", unit_price="9"),
    ]
    with committed():
        catalog_services.provider_suspend(provider=delta, actor=None, reason="Unpaid fees")
    region = factories.agency(
        name="Région Test", siret=factories.valid_siret(8), buyer_category="local_authority"
    )
    needs = [
        factories.tender(ministry, actor=buyer, estimated_value="50000"),
        factories.tender(
            ministry, actor=buyer, level="N1", flags=["HEALTH"], location_constraint=""
        ),
        factories.tender(region, level="N1", flags=["HEALTH"], location_constraint="FR"),
        factories.tender(
            region,
            level="N0",
            location_constraint="",
            quantity="15000",
            unit="GB_MONTH",
            estimated_value="3000",
        ),
        factories.tender(
            ministry, actor=buyer, level="N3", location_constraint="FR", duration_months=36
        ),
        factories.tender(
            region,
            level="N1",
            category="iaas_compute",
            cpv_code="72514000-1",
            quantity="64",
            unit="VCPU_MONTH",
            location_constraint="",
        ),
    ]
    verdicts = 0
    for draft in needs:
        tender = publish(draft)
        engine = set(shortlisted(tender))
        need = selectors.need_of(tender)
        eligible = {
            o.pk for o in offers if not eligibility.failures(need, selectors.offer_snapshot(o.pk))
        }
        within_budget = {
            o.pk
            for o in offers
            if units.estimated_cost(
                normalised_price=o.normalised_price,
                unit=o.unit,
                months=tender.duration_months,
                quantity=units.quantity_in_unit(
                    quantity=tender.quantity, from_unit=tender.unit, to_unit=o.unit
                ),
            )
            <= tender.estimated_value
        }
        assert engine <= eligible, tender.title
        assert engine == eligible & within_budget, (
            f"{tender.level} {tender.flags} {tender.location_constraint}"
        )
        verdicts += len(engine)
    assert verdicts >= 8  # the catalogue is not trivially empty for these needs


def test_why_not_says_when_an_eligible_offer_is_over_the_budget(
    ministry, buyer, member_a, provider_a, make_offer, publish, shortlisted
):
    pricey = make_offer(provider_a, "N2", unit_price="500")
    tender = publish(factories.tender(ministry, actor=buyer, estimated_value="50000"), buyer)
    assert shortlisted(tender) == []
    body = (
        client_for(member_a.user)
        .get(
            f"/api/v1/tenders/{tender.pk}/why-not/", {"offer": pricey.pk}, HTTP_ACCEPT_LANGUAGE="en"
        )
        .json()
    )
    assert body["eligible"] is False and body["estimated_cost"] == "60000.00"
    assert body["failures"] == [
        {
            "rule": "budget",
            "facts": {"estimated_cost": "60000.00", "budget": "50000.00"},
            "reason": "Estimated cost 60000.00 € excl. VAT exceeds the budget (50000.00 €).",
        }
    ]


def test_shortlist_reasons_are_sentences_in_the_readers_language(
    ministry, buyer, make_offer, publish
):
    make_offer(factories.ProviderFactory(name="Alpha"), "N3", unit_price="20")
    tender = publish(factories.tender(ministry, actor=buyer, estimated_value="50000"), buyer)
    row = (
        client_for(None)
        .get(f"/api/v1/tenders/{tender.pk}/shortlist/", HTTP_ACCEPT_LANGUAGE="en")
        .json()["results"][0]
    )
    sentences = {r["rule"]: r["reason"] for r in row["reasons"]}
    assert sentences["level"] == "Required level N2, the offer is qualified N3."
    assert sentences["cost"].startswith(
        "Estimated cost 2400.00 € excl. VAT for a budget of 50000.00 €"
    )
    french = (
        client_for(None, language=None)
        .get(f"/api/v1/tenders/{tender.pk}/shortlist/")
        .json()["results"][0]
    )
    assert french["reasons"][0]["reason"].startswith("Niveau requis N2")
