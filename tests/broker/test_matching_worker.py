"""Done-when of issue 3, with a real Celery worker and the real Redis (not
eager mode): publishing an N2 tender through the API returns at once; its
shortlist reaches `done` within seconds and holds only offers assessed N2 or
above with EU-only data locations, ranked by estimated cost; revoking the
SecNumCloud certificate of a shortlisted offer removes it with no manual
step."""

import os
import time
from decimal import Decimal

import pytest

from catalog import policy
from catalog import services as catalog_services
from catalog.models import Certification, OfferAssessment
from config.celery_app import app as celery_app
from tenders.models import Tender
from tests import factories
from tests.conftest import client_for
from tests.worker import celery_worker, wait_until

EU_ONLY_ELSEWHERE = {
    f"{role}_countries": ["DE"]
    for role in ("storage", "processing", "backup", "technical_data", "administration")
}


@pytest.fixture
def market(transactional_db, make_offer):
    """A catalogue assessed (eagerly) before the worker starts, a ministry,
    its buyer and a draft N2 need for 10 TB over 12 months."""
    ministry = factories.agency(name="Ministère de l'Intérieur")
    buyer = factories.agency_member(ministry, username="acheteur-worker")
    hyperscaler = factories.ProviderFactory(
        name="Hyperscaler France",
        stakes=[
            {
                "holder_name": "Hyperscaler Inc.",
                "holder_country": "US",
                "capital_pct": 100,
                "voting_pct": 100,
            }
        ],
    )
    offers = {
        "sovereign": make_offer(factories.ProviderFactory(name="Souverain"), "N2", unit_price="20"),
        "german": make_offer(
            factories.ProviderFactory(name="Rhein Cloud"),
            "N2",
            unit="GB_MONTH",
            unit_price="0.025",
            **EU_ONLY_ELSEWHERE,
        ),
        "restricted": make_offer(
            factories.ProviderFactory(name="Restreint"), "N3", unit_price="30"
        ),
        # Cheaper, and each short of N2 for a different reason.
        "iso_only": make_offer(factories.ProviderFactory(name="Iso"), "N1", unit_price="5"),
        "hyperscaler": make_offer(hyperscaler, "N2", health=True, unit_price="4"),
        "us_backup": make_offer(
            factories.ProviderFactory(name="Backup US"),
            "N2",
            unit_price="3",
            backup_countries=["US"],
        ),
    }
    levels = dict(OfferAssessment.objects.values_list("offer_id", "level"))
    assert [levels[o.pk] for o in offers.values()] == ["N2", "N2", "N3", "N1", "N1", "N0"]
    draft = factories.tender(ministry, actor=buyer, estimated_value="50000")
    return buyer, draft, offers


@pytest.fixture
def live_tasks(market):
    celery_app.conf.task_always_eager = False
    yield market
    celery_app.conf.task_always_eager = True


def our_worker() -> str:
    """This test's worker by name: another test run sharing the Redis may
    have answered the first ping."""
    prefix = f"test-{os.getpid()}@"
    return wait_until(
        lambda: next(
            (
                name
                for reply in celery_app.control.ping(timeout=0.5)
                for name in reply
                if name.startswith(prefix)
            ),
            None,
        ),
        timeout=20,
    )


def shortlist(client, tender_id) -> dict:
    response = client.get(f"/api/v1/tenders/{tender_id}/shortlist/")
    assert response.status_code == 200
    return response.json()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_n2_tender_is_matched_by_the_worker_and_follows_a_revocation(live_tasks, operator):
    buyer, draft, offers = live_tasks
    public = client_for(None)
    with celery_worker():
        worker = our_worker()
        queue = celery_app.conf.task_default_queue
        # Hold the worker's consumption for the publish request, so that
        # "the request does not wait for matching" is a fact, not a race.
        celery_app.control.cancel_consumer(queue, destination=[worker], reply=True)
        started = time.monotonic()
        response = client_for(buyer).post(f"/api/v1/tenders/{draft.pk}/publish/")
        assert time.monotonic() - started < 2
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "published"
        assert response.json()["matching"]["state"] == "queued"
        assert shortlist(public, draft.pk)["results"] == []
        celery_app.control.add_consumer(queue, destination=[worker], reply=True)

        done = wait_until(
            lambda: (body := shortlist(public, draft.pk))["matching"]["state"] == "done" and body,
            timeout=15,
        )
        rows = done["results"]
        ids = [row["offer"]["id"] for row in rows]
        assert ids == [offers["sovereign"].pk, offers["german"].pk, offers["restricted"].pk]
        for offer_id in ids:
            assessment = OfferAssessment.objects.select_related("offer").get(offer_id=offer_id)
            assert assessment.level_rank >= 2
            assert set(assessment.offer.data_countries) <= policy.EU
        costs = [Decimal(row["estimated_cost"]) for row in rows]
        assert (
            costs == sorted(costs) == [Decimal("2400.00"), Decimal("3000.00"), Decimal("3600.00")]
        )
        assert [row["rank"] for row in rows] == [1, 2, 3]
        tender = Tender.objects.get(pk=draft.pk)
        assert (
            tender.matching_queued_at <= tender.matching_started_at <= tender.matching_finished_at
        )

        cert = Certification.objects.get(
            scope_offers=offers["sovereign"], scheme__code="SECNUMCLOUD"
        )
        catalog_services.certification_revoke(
            certification=cert, actor=operator, reason="Qualification withdrawn by ANSSI"
        )
        wait_until(
            lambda: (
                [row["offer"]["id"] for row in shortlist(public, draft.pk)["results"]]
                == [offers["german"].pk, offers["restricted"].pk]
            ),
            timeout=15,
        )
