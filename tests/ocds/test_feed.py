"""The ``?since=`` feed of OCDS releases on the one change feed
(``core.feed``): each release once, in the order its stage committed; a
client that resumes from its cursor misses none, even when transactions
commit out of order. The feed serves committed transactions only: these
tests commit (transactional). That the journal holds one event per release
is checked in test_packages.py, on the demo."""

import json
from datetime import timedelta

import pytest
from django.db import connections
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from tenders import ocds, services
from tenders.models import Tender, TenderResponse
from tests import factories
from tests.ocds.conftest import SEALED_PRICE, seed
from tests.ocds.test_packages import everything, expected_release_count

RELEASES = "/api/v1/ocds/releases/"
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def walk(client: APIClient, *, limit: int, since: str | None = None):
    """Every page from ``since`` (the start without it): (packages, releases,
    last cursor). A page whose events announce no public release is a 204
    that may still have more after it."""
    packages, cursor = [], since
    for _ in range(200):
        response = client.get(RELEASES, {"limit": limit, **({"since": cursor} if cursor else {})})
        assert response.status_code in (200, 204), response.content
        if response.status_code == 200:
            packages.append(response.json())
        cursor = response.get("X-Next-Cursor", cursor)
        if response["X-Has-More"] == "false":
            assert not response.has_header("Link")
            return packages, [r for p in packages for r in p["releases"]], cursor
        assert response["Link"].endswith('>; rel="next"')
    raise AssertionError("the feed never ended")


@committed
def test_a_client_harvests_the_demo_once_then_only_what_is_new(validate):
    seed()
    client = APIClient()
    packages, walked, cursor = walk(client, limit=3)
    assert len(packages) > 1
    validate(*packages)
    ids = [r["id"] for r in walked]
    assert len(set(ids)) == len(ids) == expected_release_count()
    assert set(ids) == {r["id"] for r in everything()}
    draft = Tender.objects.get(status="draft")
    assert not [r for r in walked if draft.reference in r["ocid"]]
    published = Tender.objects.get(status="published")
    sealed = json.dumps([r for r in walked if r["ocid"].endswith(published.reference)])
    assert "tenderer" not in sealed and str(SEALED_PRICE) not in sealed

    # Polling with the last cursor: nothing new yet.
    again = client.get(RELEASES, {"since": cursor})
    assert again.status_code == 204 and again["X-Next-Cursor"] == cursor
    # A new stage appears after the cursor, and only it.
    Tender.objects.filter(pk=published.pk).update(
        response_deadline=timezone.now() - timedelta(minutes=1)
    )
    services.tender_close_if_due(tender=Tender.objects.get(pk=published.pk))
    _packages, new, cursor = walk(client, limit=100, since=cursor)
    assert [r["tag"] for r in new] == [["tenderUpdate"]]
    assert new[0]["tender"]["numberOfTenderers"] == 1

    # An award withdrawn, then the runner-up's: each release once, in order.
    tender = Tender.objects.get(status="awarded", agency__slug="meteo-france")
    first = tender.award.pk
    buyer = tender.agency.memberships.first().user
    services.award_withdraw(tender=tender, actor=buyer, reason="Réclamation fondée.")
    runner_up = TenderResponse.objects.get(
        tender=tender, provider__slug="cloud-temple", status="submitted"
    )
    second = services.tender_award(tender=tender, actor=buyer, response=runner_up).pk
    _packages, new, _cursor = walk(client, limit=1, since=cursor)
    ocid = ocds.ocid_for(tender.reference)
    assert [r["id"] for r in new] == [f"{ocid}-award-{first}-cancelled", f"{ocid}-award-{second}"]


@committed
def test_a_page_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    seed()
    client = APIClient()
    # The journal, the awards' tenders, then the facts: tenders, live
    # responses, withdrawn awards, levels.
    with django_assert_max_num_queries(6):
        small = client.get(RELEASES, {"limit": 2})
    with django_assert_max_num_queries(6):
        large = client.get(RELEASES, {"limit": 100})
    assert len(small.json()["releases"]) == 2
    assert len(large.json()["releases"]) == expected_release_count()


@committed
@override_settings(TENDER_MIN_RESPONSE_HOURS=0)
def test_a_release_that_commits_late_is_not_skipped():
    ministry = factories.agency()
    buyer = factories.agency_member(ministry, username="acheteur-ocds")
    slow_one = factories.tender(ministry, actor=buyer, publish=True, title="Lent")
    quick_one = factories.tender(ministry, actor=buyer, publish=True, title="Rapide")
    client = APIClient()
    _packages, _releases, cursor = walk(client, limit=100)

    slow = connections.create_connection("default")
    try:
        slow.set_autocommit(False)
        with slow.cursor() as db:  # writes first, commits last
            db.execute(
                "UPDATE tenders_tender SET status = 'closed', closed_at = now() WHERE id = %s",
                [slow_one.pk],
            )
        services.tender_cancel(tender=quick_one, actor=buyer, reason="Besoin abandonné.")
        # A client reading now must not move its cursor past the slow one.
        response = client.get(RELEASES, {"since": cursor})
        assert response.status_code == 204 and response["X-Next-Cursor"] == cursor
        slow.commit()
    finally:
        slow.close()
    _packages, releases, _cursor = walk(client, limit=100, since=cursor)
    assert [r["id"] for r in releases] == [
        f"{ocds.ocid_for(slow_one.reference)}-closed",
        f"{ocds.ocid_for(quick_one.reference)}-cancelled",
    ]
