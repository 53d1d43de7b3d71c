"""A tender's life: what a valid need is, the transition table (every
allowed move works, every other one is a 409), and closing at the deadline
without waiting for the beat."""

import datetime
import itertools
import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from broker import tasks
from broker.models import AuditEvent, Notification
from tenders import services
from tenders.models import Invitation, ShortlistEntry, Tender, TenderResponse, TenderStatus
from tenders.services import lifecycle
from tests import factories
from tests.conftest import client_for
from tests.tenders.conftest import close, pass_deadline, set_status

STATUSES = TenderStatus.values


def audit_count(action: str, tender: Tender) -> int:
    return AuditEvent.objects.filter(action=action, tender_id=tender.pk).count()


def refused(exc_info, field: str) -> str:
    error = exc_info.value
    assert error.http_status == 400
    assert field in (error.fields or {}), (error.message, error.fields)
    return error.fields[field][0]


# --------------------------------------------------------------------------
# Agencies and their buyers


def test_an_agency_has_a_valid_siret_and_a_buyer_category_of_the_policy(db):
    agency = services.agency_create(
        name=" CHU de Test ", siret="2675 0045 2000 11", buyer_category="hospital"
    )
    assert (agency.name, agency.siret, agency.slug) == (
        "CHU de Test",
        "26750045200011",
        "chu-de-test",
    )
    for fields, field in (
        ({"siret": "26750045200012"}, "siret"),
        ({"siret": "1234"}, "siret"),
        ({"siret": "26750045200011"}, "siret"),  # already registered
        ({"buyer_category": "pirate"}, "buyer_category"),
        ({"name": " "}, "name"),
    ):
        values = {"name": "Autre", "siret": "18002002600019", "buyer_category": "other", **fields}
        with pytest.raises(services.TenderError) as exc_info:
            services.agency_create(**values)
        assert field in exc_info.value.fields


def test_a_user_acts_for_one_organisation(agency_a, agency_b, buyer_a, member_a):
    for user, agency in ((member_a.user, agency_a), (buyer_a, agency_b)):
        with pytest.raises(services.TenderError) as exc_info:
            services.agency_member_add(agency=agency, user=user)
        assert exc_info.value.http_status == 409
    with pytest.raises(services.TenderError) as exc_info:
        services.agency_member_add(agency=agency_a, user=factories.UserFactory(), role="owner")
    assert "role" in exc_info.value.fields


# --------------------------------------------------------------------------
# What a valid need is


def test_it_creates_a_draft_with_a_reference_and_a_procedure(agency_a, buyer_a):
    tender = factories.tender(agency_a, actor=buyer_a, estimated_value="100000")
    assert tender.status == TenderStatus.DRAFT
    assert tender.reference == f"GC-{timezone.localdate().year}-00001"
    assert tender.procedure == "adapted"
    assert tender.created_by == buyer_a
    second = factories.tender(agency_a, actor=buyer_a)
    assert second.reference.endswith("-00002")
    assert audit_count("tender.create", tender) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_tenders_created_at_once_get_two_references(agency_a, buyer_a, monkeypatch):
    original = lifecycle._next_reference

    def slow(prefix, model):
        # Widen the window between reading the last reference and using it.
        reference = original(prefix, model)
        time.sleep(0.3)
        return reference

    # tender_create reads it from its own module.
    monkeypatch.setattr(lifecycle, "_next_reference", slow)
    barrier = threading.Barrier(2)
    outcomes = []

    def create():
        try:
            barrier.wait()
            outcomes.append(factories.tender(agency_a, actor=buyer_a).reference)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    year = timezone.localdate().year
    assert all(isinstance(outcome, str) for outcome in outcomes), outcomes
    assert sorted(outcomes) == [f"GC-{year}-00001", f"GC-{year}-00002"]


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        (
            {"weight_price": 50, "weight_technical": 40, "weight_other": 0},
            "weight_price",
            "add up to 100",
        ),
        ({"weight_price": 60, "weight_technical": 30, "weight_other": 20}, "weight_price", "110"),
        ({"weight_price": 101, "weight_technical": 0}, "weight_price", "between 0 and 100"),
        ({"weight_price": True, "weight_technical": 40}, "weight_price", "whole number"),
        ({"response_deadline": "yesterday"}, "response_deadline", "date and time"),
        ({"response_deadline": "2031-13-45T10:00:00"}, "response_deadline", "date and time"),
        ({"level": "N4"}, "level", "Classified data is out of scope"),
        ({"level": "N9"}, "level", "Unknown sensitivity level"),
        ({"cpv_code": "12345678-9"}, "cpv_code", "cloud list"),
        (
            {"cpv_code": "45000000-7"},
            "cpv_code",
            "cloud list",
        ),  # construction work: a CPV, not a cloud one
        ({"unit": "USER_MONTH"}, "unit", "does not fit the category"),
        (
            {"category": "saas_collaboration", "unit": "TB_MONTH"},
            "unit",
            "does not fit the category",
        ),
        ({"unit": "parsec"}, "unit", "Unknown unit"),
        ({"category": "mainframe"}, "category", "Unknown category"),
        ({"flags": ["SECRET"]}, "flags", "Unknown flags"),
        ({"location_constraint": "XX"}, "location_constraint", "ISO 3166-1"),
        ({"quantity": "0"}, "quantity", "at least"),
        ({"quantity": "beaucoup"}, "quantity", "number"),
        ({"quantity": "NaN"}, "quantity", "finite"),
        ({"duration_months": 0}, "duration_months", "between 1 and 120"),
        ({"duration_months": 121}, "duration_months", "between 1 and 120"),
        ({"duration_months": "12"}, "duration_months", "whole number"),
        ({"estimated_value": "-5"}, "estimated_value", "at least"),
        ({"title": "   "}, "title", "required"),
        ({"title": None}, "title", "required"),
        ({"title": 123}, "title", "required"),
    ],
)
def test_it_refuses_an_invalid_need_with_a_field_error(agency_a, buyer_a, overrides, field, words):
    with pytest.raises(services.TenderError) as exc_info:
        factories.tender(agency_a, actor=buyer_a, **overrides)
    assert words in refused(exc_info, field)
    assert not Tender.objects.exists()


def test_it_refuses_a_deadline_in_the_past(agency_a, buyer_a):
    with pytest.raises(services.TenderError) as exc_info:
        factories.tender(
            agency_a,
            actor=buyer_a,
            response_deadline=timezone.now() - datetime.timedelta(minutes=1),
        )
    assert "future" in refused(exc_info, "response_deadline")


def test_it_refuses_unknown_fields(agency_a, buyer_a):
    with pytest.raises(services.TenderError) as exc_info:
        factories.tender(agency_a, actor=buyer_a, status="awarded")
    assert exc_info.value.http_status == 400 and "status" in exc_info.value.message


def test_the_flags_are_normalised(agency_a, buyer_a):
    tender = factories.tender(
        agency_a,
        actor=buyer_a,
        flags=["health", "HEALTH", "personal_data"],
        location_constraint="eu",
    )
    assert tender.flags == ["HEALTH", "PERSONAL_DATA"] and tender.location_constraint == "EU"


@pytest.mark.parametrize(
    ("value", "procedure"),
    [
        ("1", "direct"),
        ("39999.99", "direct"),
        ("40000", "adapted"),
        ("139999.99", "adapted"),
        ("140000", "open"),
        ("5000000", "open"),
    ],
)
def test_the_procedure_follows_the_estimated_value(agency_a, buyer_a, value, procedure):
    assert factories.tender(agency_a, actor=buyer_a, estimated_value=value).procedure == procedure


@pytest.mark.parametrize(
    ("value", "procedure"),
    [
        ("9999.99", "direct"),
        ("10000", "adapted"),
        ("49999", "adapted"),
        ("50000", "open"),
        ("100000", "open"),
    ],
)
def test_the_procedure_thresholds_come_from_settings(agency_a, buyer_a, settings, value, procedure):
    settings.DIRECT_PURCHASE_THRESHOLD = Decimal("10000")
    settings.ADAPTED_PROCEDURE_THRESHOLD = Decimal("50000")
    assert factories.tender(agency_a, actor=buyer_a, estimated_value=value).procedure == procedure


def test_editing_the_value_recomputes_the_procedure(draft, buyer_a):
    updated = services.tender_update(tender=draft, actor=buyer_a, estimated_value="200000")
    assert updated.procedure == "open"
    assert Tender.objects.get(pk=draft.pk).procedure == "open"


def test_an_edit_is_checked_against_the_rest_of_the_draft(draft, buyer_a):
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_update(tender=draft, actor=buyer_a, weight_price=70)  # 70 + 40 + 0
    assert "110" in refused(exc_info, "weight_price")
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_update(tender=draft, actor=buyer_a, unit="VCPU_MONTH")
    refused(exc_info, "unit")
    ok = services.tender_update(tender=draft, actor=buyer_a, weight_price=70, weight_technical=30)
    assert (ok.weight_price, ok.weight_technical, ok.weight_other) == (70, 30, 0)


def test_publish_refuses_a_deadline_under_the_minimum_response_time(draft, buyer_a, settings):
    settings.TENDER_MIN_RESPONSE_HOURS = 24 * 30
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_publish(tender=draft, actor=buyer_a)
    assert "720 hours" in refused(exc_info, "response_deadline")
    assert Tender.objects.get(pk=draft.pk).status == TenderStatus.DRAFT
    assert audit_count("tender.published", draft) == 0


def test_publish_follows_the_configured_minimum(agency_a, buyer_a, settings):
    settings.TENDER_MIN_RESPONSE_HOURS = 2
    soon = factories.tender(
        agency_a, actor=buyer_a, response_deadline=timezone.now() + datetime.timedelta(hours=3)
    )
    assert services.tender_publish(tender=soon, actor=buyer_a).status == TenderStatus.PUBLISHED
    settings.TENDER_MIN_RESPONSE_HOURS = 4
    later = factories.tender(
        agency_a, actor=buyer_a, response_deadline=timezone.now() + datetime.timedelta(hours=3)
    )
    with pytest.raises(services.TenderError):
        services.tender_publish(tender=later, actor=buyer_a)


def test_publish_refuses_a_deadline_that_passed_while_in_draft(draft, buyer_a, settings):
    settings.TENDER_MIN_RESPONSE_HOURS = 0
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_publish(tender=pass_deadline(draft), actor=buyer_a)
    refused(exc_info, "response_deadline")


def test_the_database_refuses_what_validation_refuses(draft):
    for values in (
        {"status": "bogus"},
        {"level": "N4"},
        {"weight_price": 99},
        {"procedure": "secret"},
        {"duration_months": 0},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Tender.objects.filter(pk=draft.pk).update(**values)
    assert Tender.objects.get(pk=draft.pk).status == TenderStatus.DRAFT


# --------------------------------------------------------------------------
# The transition table


ALLOWED = {
    (source, target) for source, targets in services.TRANSITIONS.items() for target in targets
}


def test_the_table_is_the_one_of_the_design():
    assert ALLOWED == {
        ("draft", "published"),
        ("draft", "cancelled"),
        ("published", "closed"),
        ("published", "cancelled"),
        ("closed", "awarded"),
        ("closed", "unsuccessful"),
        ("closed", "cancelled"),
        # Issue 8: signed after the standstill, or back to evaluation when
        # the award is withdrawn.
        ("awarded", "contract_signed"),
        ("awarded", "closed"),
    }


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_every_allowed_transition_works_and_is_audited(draft, buyer_a, source, target):
    tender = set_status(draft, source)
    moved = lifecycle._tender_transition(tender, target, actor=buyer_a, reason="motif")
    assert moved.status == target and Tender.objects.get(pk=draft.pk).status == target
    event = AuditEvent.objects.filter(action=f"tender.{target}", tender_id=draft.pk).get()
    assert event.data["from"] == source and event.data["to"] == target
    assert event.actor == buyer_a and event.organisation == draft.agency.name


@pytest.mark.parametrize(
    ("source", "target"), sorted(set(itertools.product(STATUSES, STATUSES)) - ALLOWED)
)
def test_every_forbidden_transition_is_a_409(draft, buyer_a, source, target):
    tender = set_status(draft, source)
    with pytest.raises(services.TenderError) as exc_info:
        lifecycle._tender_transition(tender, target, actor=buyer_a)
    assert exc_info.value.http_status == 409
    assert exc_info.value.code == "transition_not_allowed"
    # Both states named as people read them ("contract signed"), in their language.
    assert exc_info.value.message == (
        f"A {TenderStatus(source).label} tender cannot become {TenderStatus(target).label}."
    )
    assert Tender.objects.get(pk=draft.pk).status == source
    assert audit_count(f"tender.{target}", draft) == 0


def test_publishing_queues_matching_and_runs_it_after_commit(
    draft, buyer_a, market, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tender = services.tender_publish(tender=draft, actor=buyer_a)
    assert tender.status == TenderStatus.PUBLISHED and tender.published_at is not None
    assert tender.matching_state == "queued" and tender.matching_queued_at is not None
    assert not ShortlistEntry.objects.filter(tender=tender).exists()  # nothing before commit
    assert audit_count("tender.published", tender) == 1
    for callback in callbacks:
        callback()
    tender.refresh_from_db()
    assert tender.matching_state == "done"
    assert list(
        ShortlistEntry.objects.filter(tender=tender).values_list("offer_id", flat=True)
    ) == [market.a.pk, market.b.pk, market.c.pk]  # cheapest first


@pytest.mark.parametrize("source", [s for s in STATUSES if s != "draft"])
def test_only_a_draft_is_published(draft, buyer_a, source):
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_publish(tender=set_status(draft, source), actor=buyer_a)
    assert exc_info.value.http_status == 409


@pytest.mark.parametrize("source", ["draft", "published", "closed"])
def test_a_tender_is_cancelled_with_a_reason_from_draft_published_or_closed(draft, buyer_a, source):
    tender = services.tender_cancel(
        tender=set_status(draft, source), actor=buyer_a, reason="  Besoin abandonné "
    )
    assert tender.status == TenderStatus.CANCELLED
    assert tender.status_reason == "Besoin abandonné" and tender.decided_at is not None


@pytest.mark.parametrize("source", ["awarded", "unsuccessful", "cancelled"])
def test_a_decided_tender_cannot_be_cancelled(draft, buyer_a, source):
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_cancel(tender=set_status(draft, source), actor=buyer_a, reason="trop tard")
    assert exc_info.value.http_status == 409


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_cancelling_needs_a_reason(draft, buyer_a, reason):
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_cancel(tender=draft, actor=buyer_a, reason=reason)
    refused(exc_info, "reason")
    assert Tender.objects.get(pk=draft.pk).status == TenderStatus.DRAFT


@pytest.mark.parametrize("source", [s for s in STATUSES if s != "closed"])
def test_award_and_unsuccessful_need_a_closed_tender(published, buyer_a, member_a, market, source):
    response = TenderResponse.objects.create(
        tender=published,
        provider=member_a.provider,
        offer=market.a,
        total_price=1,
        technical_answer="x",
        submitted_at=timezone.now(),
        receipt_sha256="0" * 64,
    )
    tender = set_status(published, source)
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_award(tender=tender, actor=buyer_a, response=response)
    assert exc_info.value.http_status == 409
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_declare_unsuccessful(tender=tender, actor=buyer_a, reason="aucune offre")
    assert exc_info.value.http_status == 409
    assert Tender.objects.get(pk=published.pk).status == source


@pytest.mark.parametrize("source", [s for s in STATUSES if s != "draft"])
def test_only_a_draft_is_edited(draft, buyer_a, source):
    with pytest.raises(services.TenderError) as exc_info:
        services.tender_update(tender=set_status(draft, source), actor=buyer_a, title="Autre titre")
    assert exc_info.value.http_status == 409 and exc_info.value.code == "not_draft"
    assert Tender.objects.get(pk=draft.pk).title == "Stockage objet souverain"


# --------------------------------------------------------------------------
# Closing at the deadline


def test_it_closes_a_published_tender_past_its_deadline_once(published):
    tender = services.tender_close_if_due(tender=pass_deadline(published))
    assert tender.status == TenderStatus.CLOSED and tender.closed_at is not None
    assert audit_count("tender.closed", published) == 1
    again = services.tender_close_if_due(tender=tender)
    assert again.status == TenderStatus.CLOSED and again.closed_at == tender.closed_at
    assert audit_count("tender.closed", published) == 1


def test_it_leaves_a_tender_before_its_deadline_open(published):
    assert services.tender_close_if_due(tender=published).status == TenderStatus.PUBLISHED
    assert services.tenders_close_due() == []
    assert audit_count("tender.closed", published) == 0


def test_the_sweep_closes_every_due_tender_and_is_idempotent(agency_a, buyer_a, published):
    other = pass_deadline(factories.tender(agency_a, actor=buyer_a, publish=True))
    pass_deadline(published)
    open_one = factories.tender(agency_a, actor=buyer_a, publish=True)
    draft_past = pass_deadline(factories.tender(agency_a, actor=buyer_a))
    assert sorted(services.tenders_close_due()) == sorted([published.pk, other.pk])
    assert services.tenders_close_due() == []
    assert AuditEvent.objects.filter(action="tender.closed").count() == 2
    assert Tender.objects.get(pk=open_one.pk).status == TenderStatus.PUBLISHED
    assert Tender.objects.get(pk=draft_past.pk).status == TenderStatus.DRAFT  # a draft never closes


def test_the_beat_task_closes_due_tenders(published):
    pass_deadline(published)
    assert tasks.tenders_close_due.delay().get() == {"closed": [published.pk]}
    assert tasks.tenders_close_due.delay().get() == {"closed": []}
    assert audit_count("tender.closed", published) == 1


def test_closing_tells_the_buyer_and_the_invitees(
    published, buyer_a, member_a, django_capture_on_commit_callbacks
):
    Invitation.objects.create(tender=published, provider=member_a.provider)
    with django_capture_on_commit_callbacks(execute=True):
        close(published)
    kinds = set(
        Notification.objects.filter(recipient__in=[buyer_a, member_a.user]).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"tender_closed"}
    assert Notification.objects.filter(recipient=buyer_a, kind="tender_closed").count() == 1


def test_reading_a_tender_past_its_deadline_shows_it_closed_without_the_beat(published, api):
    pass_deadline(published)
    body = api.get(f"/api/v1/tenders/{published.pk}/").json()
    assert body["status"] == "closed" and body["closed_at"]
    assert audit_count("tender.closed", published) == 1
    assert api.get(f"/api/v1/tenders/{published.pk}/").json()["status"] == "closed"
    assert audit_count("tender.closed", published) == 1


def test_listing_tenders_past_their_deadline_shows_them_closed(published, api, buyer_a):
    pass_deadline(published)
    for client in (api, client_for(buyer_a)):
        rows = client.get("/api/v1/tenders/").json()["results"]
        assert [(r["id"], r["status"]) for r in rows] == [(published.pk, "closed")]
    assert client_for(buyer_a).get("/api/v1/tenders/?status=published").json()["results"] == []
    assert audit_count("tender.closed", published) == 1


# --------------------------------------------------------------------------
# The shortlist is stored idempotently


def rows_for(*offers):
    return [
        {
            "offer_id": offer.pk,
            "rank": rank,
            "score": Decimal("100.000") - rank,
            "estimated_cost": Decimal("2400.00") + rank,
            "reasons": [{"rule": "level", "facts": {"granted": "N2"}}],
            "warnings": [],
        }
        for rank, offer in enumerate(offers, start=1)
    ]


def store(tender: Tender, rows: list[dict]) -> list[int]:
    """``rows`` through the production writer, as a SELECT the way the
    matcher hands its scoring to it; returns the newly invited providers."""
    select = (
        """SELECT r.offer_id, o.provider_id, r.rank, r.score, r.estimated_cost,
                  r.reasons::jsonb AS reasons, r.warnings::jsonb AS warnings
           FROM unnest(%s::bigint[], %s::int[], %s::numeric[], %s::numeric[], %s::text[], %s::text[])
                AS r(offer_id, rank, score, estimated_cost, reasons, warnings)
           JOIN catalog_offer o ON o.id = r.offer_id""",
        [
            [row["offer_id"] for row in rows],
            [row["rank"] for row in rows],
            [row["score"] for row in rows],
            [row["estimated_cost"] for row in rows],
            [json.dumps(row["reasons"]) for row in rows],
            [json.dumps(row["warnings"]) for row in rows],
        ],
    )
    with transaction.atomic():
        locked = Tender.objects.select_for_update().get(pk=tender.pk)
        _count, invited = services.shortlist_replace(tender=locked, select=select)
    return invited


def test_storing_the_same_shortlist_twice_changes_nothing(published, market):
    rows = rows_for(market.a, market.b)
    invited = store(published, rows)
    assert invited == sorted([market.a.provider_id, market.b.provider_id])
    stored = list(ShortlistEntry.objects.filter(tender=published).order_by("rank").values())
    assert [e["offer_id"] for e in stored] == [market.a.pk, market.b.pk]
    assert store(published, rows) == []
    # Unchanged rows are not rewritten: same ids, same computation times.
    assert list(ShortlistEntry.objects.filter(tender=published).order_by("rank").values()) == stored
    assert Invitation.objects.filter(tender=published).count() == 2


def test_a_new_shortlist_replaces_the_rows_and_invites_only_newcomers(
    published, market, provider_a
):
    store(published, rows_for(market.a, market.b))
    second_of_alpha = factories.offer(provider_a, name="Coffre Alpha 2")
    invited = store(published, rows_for(market.c, market.a, second_of_alpha))
    assert invited == [market.c.provider_id]
    assert list(
        ShortlistEntry.objects.filter(tender=published)
        .order_by("rank")
        .values_list("offer_id", "rank")
    ) == [(market.c.pk, 1), (market.a.pk, 2), (second_of_alpha.pk, 3)]
    # Beta left the shortlist but stays invited: an invitation is never taken back.
    assert Invitation.objects.filter(tender=published).count() == 3


def test_matching_twice_invites_each_provider_once(
    published, market, member_a, django_capture_on_commit_callbacks
):
    from broker import services as broker_services

    with django_capture_on_commit_callbacks(execute=True):
        first = broker_services.tender_match(tender_id=published.pk)
    with django_capture_on_commit_callbacks(execute=True):
        second = broker_services.tender_match(tender_id=published.pk)
    assert first.rows == second.rows == 3 and second.invited == []
    assert Notification.objects.filter(recipient=member_a.user, kind="invitation").count() == 1
    assert ShortlistEntry.objects.filter(tender=published).count() == 3
