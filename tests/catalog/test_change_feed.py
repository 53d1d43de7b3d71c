"""The change feed on offers: `?since=<cursor>` returns what changed after
the cursor, in commit-safe order, each offer once per page; nothing is missed
when transactions commit out of order."""

import pytest
from django.db import connections

from catalog import selectors, services
from catalog.models import Offer
from tests import factories

FEED = "/api/v1/offers/"


def walk(api, cursor="0", limit=100):
    """Every page from the cursor; returns (rows, last cursor)."""
    rows = []
    while True:
        body = api.get(FEED, {"since": cursor, "limit": limit}).json()
        rows += body["results"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return rows, cursor


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_client_mirrors_the_catalogue_and_then_only_what_changed(api, provider_a):
    a = factories.offer(provider_a, name="A")
    b = factories.offer(provider_a, name="B")
    draft = factories.offer(provider_a, name="Draft", status="draft")
    rows, cursor = walk(api, limit=1)
    published = {row["id"] for row in rows if not row.get("removed")}
    assert published == {a.pk, b.pk}
    assert {row["id"] for row in rows if row.get("removed")} == {draft.pk}  # never public

    assert walk(api, cursor)[0] == []  # nothing new
    services.offer_update(offer=b, actor=None, unit_price="21")
    rows, cursor = walk(api, cursor)
    assert [(row["id"], row["unit_price"]) for row in rows] == [(b.pk, "21.0000")]

    services.offer_withdraw(offer=a, actor=None)
    rows, cursor = walk(api, cursor)
    assert rows == [{"id": a.pk, "removed": True}]

    services.provider_suspend(provider=provider_a, actor=None, reason="sanction")
    rows, cursor = walk(api, cursor)
    assert {row["id"] for row in rows} == {a.pk, b.pk, draft.pk} and all(
        row["removed"] for row in rows
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_that_commits_late_is_not_skipped(provider_a):
    first = factories.offer(provider_a, name="First")
    second = factories.offer(provider_a, name="Second")
    cursor = selectors.changes_since(entities=("offer",), cursor="0", limit=500).cursor

    slow = connections.create_connection("default")
    try:
        slow.set_autocommit(False)
        with slow.cursor() as db:  # starts first, commits last
            db.execute("UPDATE catalog_offer SET name = 'First v2' WHERE id = %s", [first.pk])
        Offer.objects.filter(pk=second.pk).update(name="Second v2")  # commits at once

        # The later transaction has committed, but a reader that took it now
        # and moved its cursor past it would never see the slow one: held back.
        assert selectors.changes_since(entities=("offer",), cursor=cursor, limit=500).events == []
        slow.commit()
    finally:
        slow.close()
    page = selectors.changes_since(entities=("offer",), cursor=cursor, limit=500)
    assert [event.entity_id for event in page.events] == [first.pk, second.pk]


@pytest.mark.django_db
def test_a_bad_cursor_is_a_field_error(api):
    response = api.get(FEED, {"since": "not-a-cursor"})
    assert response.status_code == 400 and "since" in response.json()["error"]["fields"]
    assert api.get(FEED, {"since": "0", "limit": 0}).status_code == 400


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_feed_page_gives_the_url_to_poll_next(api, provider_a):
    offer = factories.offer(provider_a, name="A")
    body = api.get(FEED, {"since": "0", "limit": 50, "level": "N0"}).json()
    assert body["previous"] is None and body["has_more"] is False
    assert body["next"] == (f"http://testserver{FEED}?since={body['cursor']}&limit=50&level=N0")
    assert offer.pk in {row["id"] for row in body["results"]}
    assert api.get(body["next"]).json()["results"] == []  # nothing changed since
