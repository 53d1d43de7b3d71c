"""What the two open-data feeds (OCDS releases, DECP entries) share: their
``?since=`` cursor is one of the change feed's (``core.feed``), and it
travels back in headers, so that each page's body stays a pure document of
its standard."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.response import Response

from core import feed

UNKNOWN_CURSOR = "Unknown cursor: use a value of the X-Next-Cursor header."


def since_validate(value: str) -> str:
    """A cursor this feed gave out (a cursor of the feeds before the
    commit-safe one included: it is refused, the client starts over)."""
    try:
        feed.cursor_decode(value)
    except ValueError:
        raise serializers.ValidationError(UNKNOWN_CURSOR) from None
    return value


def changes(*, entities: tuple[str, ...], since: str | None, limit: int) -> feed.FeedPage:
    return feed.changes_since(entities=entities, cursor=since or "0", limit=limit)


def next_cursor(page: feed.FeedPage, since: str | None) -> str | None:
    """The cursor to pass back as ``?since=``: the last event's, or the one
    given on an empty page; none yet when the feed is empty."""
    return page.cursor if page.events or since else None


def cursor_headers(response: Response, page: feed.FeedPage, since: str | None) -> Response:
    cursor = next_cursor(page, since)
    if cursor:
        response["X-Next-Cursor"] = cursor
    response["X-Has-More"] = "true" if page.has_more else "false"
    return response


def cursor_header_parameters(*, statuses: list[int], item: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "X-Next-Cursor",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            response=statuses,
            description=f"Cursor of the last {item} returned (the one given, on an empty page): "
            f"pass it as ?since= to get what changed after it.",
        ),
        OpenApiParameter(
            "X-Has-More",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            response=statuses,
            description=f'"true" when more {item}s follow this page.',
        ),
    ]
