"""The daily digest of open sourcing files (broker.services.sourcing_digest_run)."""

import datetime

from django.conf import settings
from django.utils import timezone

from broker import services as broker_services
from broker import tasks
from broker.models import Notification
from catalog import services as catalog_services
from catalog.models import Certification
from tenders.models import SourcingFile
from tests import factories


def _new_offer(provider, name="Coffre Delta", price="22"):
    offer = factories.offer(provider, name=name, unit_price=price)
    factories.certification(provider, [offer])
    catalog_services.offers_assess(offer_ids=[offer.pk])
    return offer


def test_it_sends_nothing_when_nothing_changed(saved, buyer_a):
    assert broker_services.sourcing_digest_run() == 0
    assert not Notification.objects.exists()
    assert SourcingFile.objects.get(pk=saved.pk).digest_at is not None


def test_it_tells_the_agency_of_new_matching_offers_once_a_day(saved, buyer_a, provider_b):
    _new_offer(provider_b)
    assert broker_services.sourcing_digest_run() == 1
    note = Notification.objects.get(recipient=buyer_a)
    assert (
        note.kind == "sourcing_digest"
        and "Coffre Delta" in note.body
        and "1 nouvelle(s)" in note.subject
    )
    assert note.url == f"/espace-acheteur/dossiers/{saved.pk}/"
    # The same day again: nothing new, even after another change.
    _new_offer(provider_b, name="Coffre Epsilon")
    assert broker_services.sourcing_digest_run() == 0
    assert Notification.objects.count() == 1
    # The next day, the change left for it.
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    assert broker_services.sourcing_digest_run(now=tomorrow) == 1
    latest = Notification.objects.order_by("-id").first()
    assert "Coffre Epsilon" in latest.body and "Coffre Delta" not in latest.body


def test_it_reports_a_listed_offer_that_lost_its_eligibility(saved, buyer_a, market, operator):
    cert = Certification.objects.filter(scope_offers=market.c).get()
    catalog_services.certification_revoke(certification=cert, actor=operator, reason="Audit failed")
    catalog_services.offers_assess(offer_ids=[market.c.pk])
    assert broker_services.sourcing_digest_run() == 1
    note = Notification.objects.get(recipient=buyer_a)
    assert "ne sont plus éligibles" in note.body and "Coffre Gamma" in note.body
    assert "1 offre(s) devenue(s) non éligible(s)" in note.subject


def test_it_leaves_locked_files_alone(locked, provider_b):
    _new_offer(provider_b)
    assert broker_services.sourcing_digest_run() == 0
    assert not Notification.objects.exists()


def test_it_tells_only_the_file_agency(saved, buyer_a, buyer_b, provider_b):
    _new_offer(provider_b)
    broker_services.sourcing_digest_run()
    assert list(Notification.objects.values_list("recipient", flat=True)) == [buyer_a.pk]


def test_it_diffs_new_and_lost_offers():
    before = {
        "1": {"name": "A", "provider": "P", "level": "N2", "rank": 2},
        "2": {"name": "B", "provider": "P", "level": "N2", "rank": 2},
    }
    after = {
        "1": {"name": "A", "provider": "P", "level": "N1", "rank": 1},
        "3": {"name": "C", "provider": "P", "level": "N3", "rank": 3},
    }
    new, lost = broker_services.sourcing_digest_diff(before, after)
    assert [o["name"] for o in new] == ["C"]
    assert [(o["name"], o["now_level"]) for o in lost] == [("A", "N1"), ("B", None)]


def test_it_runs_daily_from_the_beat(saved, provider_b):
    entry = settings.CELERY_BEAT_SCHEDULE["sourcing-files-digest"]
    assert entry["task"] == "broker.tasks.sourcing_files_digest"
    _new_offer(provider_b)
    assert tasks.sourcing_files_digest.delay().get() == {"notified": 1}
