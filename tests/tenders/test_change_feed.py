"""The change feed on tenders and awards: `?since=` mirrors what changed,
in commit-safe order; drafts never appear."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tenders import services
from tenders.models import Tender
from tests import factories


def walk(api, url, cursor="0"):
    rows = []
    while True:
        body = api.get(url, {"since": cursor, "limit": 2}).json()
        rows += body["results"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return rows, cursor


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(TENDER_MIN_RESPONSE_HOURS=0)
def test_tenders_and_awards_are_mirrored_change_by_change(api):
    ministry = factories.agency()
    buyer = factories.agency_member(ministry, username="buyer-feed")
    draft = factories.tender(ministry, actor=buyer, title="Brouillon")
    public = factories.tender(ministry, actor=buyer, title="Publié", publish=True)

    rows, cursor = walk(api, "/api/v1/tenders/")
    # A page gives each tender once; across pages a client upserts by id.
    assert {row["id"] for row in rows} == {public.pk}

    services.tender_cancel(tender=public, actor=buyer, reason="Besoin requalifié")
    rows, cursor = walk(api, "/api/v1/tenders/", cursor)
    assert [(row["id"], row["status"]) for row in rows] == [(public.pk, "cancelled")]
    assert walk(api, "/api/v1/tenders/", cursor)[0] == []

    assert walk(api, "/api/v1/awards/")[0] == []
    assert Tender.objects.count() == 2 and draft.status == "draft"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(TENDER_MIN_RESPONSE_HOURS=0)
def test_an_award_enters_the_awards_feed(api):
    provider = factories.ProviderFactory(name="Souverain")
    member = factories.MemberFactory(provider=provider).user
    offer = factories.offer(provider)
    factories.certification(provider, [offer])
    from catalog.services import offers_assess

    offers_assess(offer_ids=[offer.pk])
    ministry = factories.agency()
    buyer = factories.agency_member(ministry, username="buyer-award")
    tender = factories.tender(ministry, actor=buyer, publish=True)
    response = services.response_submit(
        tender=tender,
        provider=provider,
        actor=member,
        offer=offer,
        total_price="2000",
        technical_answer="Stockage à Paris.",
    )
    _, cursor = walk(api, "/api/v1/awards/")
    Tender.objects.filter(pk=tender.pk).update(
        response_deadline=timezone.now() - timedelta(seconds=1)
    )
    award = services.tender_award(
        tender=Tender.objects.get(pk=tender.pk), actor=buyer, response=response
    )
    rows, _ = walk(api, "/api/v1/awards/", cursor)
    assert [(row["id"], row["supplier"]["name"], row["amount"]) for row in rows] == [
        (award.pk, "Souverain", "2000.00")
    ]
