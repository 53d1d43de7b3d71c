"""The notifications inbox (issue 4 "Notifications"): every signed-in user
sees their own notifications, unread first, marks one or all as read, and
the header's unread count follows."""

import re

import pytest
from django.urls import reverse

from broker import services
from broker.models import Notification
from tests.web.conftest import html_client


def note(user, key: str, subject: str, *, url: str = "", read: bool = False) -> Notification:
    (notification,) = services.notify(
        users=[user], kind="test", key=key, message=lambda: (subject, f"Body of {subject}"), url=url
    )
    if read:
        services.notification_mark_read(notification=notification)
    return notification


def unread_badge(html: str) -> str | None:
    match = re.search(r'id="unread-count">(\d+)<', html)
    return match.group(1) if match else None


@pytest.fixture
def inbox_of(buyer_a):
    note(buyer_a, "n1", "First tender published", url="/api/v1/tenders/1/")
    note(buyer_a, "n2", "Already read", read=True)
    note(buyer_a, "n3", "Newest question")
    return buyer_a


def test_it_sends_anonymous_visitors_to_the_login_page(db):
    response = html_client().get(reverse("notification-inbox"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert html_client().post(reverse("notification-read-all")).status_code == 302


def test_it_lists_unread_first_then_newest_first(inbox_of):
    html = html_client(inbox_of).get(reverse("notification-inbox")).content.decode()
    assert "<h1>Notifications</h1>" in html
    assert (
        html.index("Newest question")
        < html.index("First tender published")
        < html.index("Already read")
    )
    assert '<a href="/api/v1/tenders/1/">First tender published</a>' in html
    assert "2 unread notifications." in html
    assert unread_badge(html) == "2"


def test_it_never_links_outside_the_marketplace(buyer_a):
    note(buyer_a, "evil", "Suspicious", url="javascript:alert(1)")
    note(buyer_a, "far", "Elsewhere", url="https://evil.example/phish")
    html = html_client(buyer_a).get(reverse("notification-inbox")).content.decode()
    assert "Suspicious" in html and "javascript:" not in html and "evil.example" not in html


def test_marking_one_as_read_drops_the_unread_count(inbox_of):
    client = html_client(inbox_of)
    target = Notification.objects.get(recipient=inbox_of, key="n3")
    response = client.post(reverse("notification-read", args=[target.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("notification-inbox")
    target.refresh_from_db()
    assert target.read_at is not None
    html = client.get(response["Location"]).content.decode()
    assert unread_badge(html) == "1"
    # Idempotent: a second post changes nothing.
    read_at = target.read_at
    client.post(reverse("notification-read", args=[target.pk]))
    target.refresh_from_db()
    assert target.read_at == read_at


def test_it_returns_to_a_local_next_page_only(inbox_of):
    client = html_client(inbox_of)
    target = Notification.objects.get(recipient=inbox_of, key="n1")
    response = client.post(
        reverse("notification-read", args=[target.pk]), {"next": "/notifications/?page=2"}
    )
    assert response["Location"] == "/notifications/?page=2"
    response = client.post(
        reverse("notification-read", args=[target.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("notification-inbox")


def test_marking_all_as_read(inbox_of, buyer_b):
    note(buyer_b, "other", "Someone else's")
    client = html_client(inbox_of)
    response = client.post(reverse("notification-read-all"), follow=True)
    html = response.content.decode()
    assert "2 notifications marked as read." in html
    assert unread_badge(html) is None and "0 unread notifications." in html
    assert not Notification.objects.filter(recipient=inbox_of, read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=buyer_b).read_at is None


def test_reading_is_a_post(inbox_of):
    target = Notification.objects.get(recipient=inbox_of, key="n3")
    assert (
        html_client(inbox_of).get(reverse("notification-read", args=[target.pk])).status_code == 405
    )
    target.refresh_from_db()
    assert target.read_at is None


def test_users_see_and_mark_only_their_own(inbox_of, buyer_b, member_a):
    theirs = Notification.objects.get(recipient=inbox_of, key="n3")
    for user in (buyer_b, member_a.user):
        client = html_client(user)
        assert "Newest question" not in client.get(reverse("notification-inbox")).content.decode()
        assert client.post(reverse("notification-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_paginates_a_long_inbox(buyer_a):
    for n in range(25):
        note(buyer_a, f"k{n}", f"Subject {n:02d}")
    client = html_client(buyer_a)
    first = client.get(reverse("notification-inbox")).content.decode()
    second = client.get(reverse("notification-inbox"), {"page": 2}).content.decode()
    assert "Subject 24" in first and "Subject 00" not in first
    assert "Subject 00" in second and "Subject 24" not in second
