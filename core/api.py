"""API helpers every app's REST API shares: cursor pages whose bad input is a
400, the change-feed query, page and response (``?since=`` on a list), and
the one error body's schema."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema_field, extend_schema_serializer
from rest_framework import exceptions, pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import feed

# --------------------------------------------------------------------------
# The one error body (config/api.py maps every error onto it)

ERROR_BODY_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {
            "type": "string",
            "description": "Stable, machine-readable: invalid, "
            "not_authenticated, authentication_failed, permission_denied, not_found, "
            "conflict, throttled…",
        },
        "message": {"type": "string", "description": "Human-readable."},
        "fields": {
            "type": "object",
            "description": "Only for invalid input: messages per field (nested for nested "
            "objects; non_field_errors for the whole body).",
            "additionalProperties": {},
        },
    },
    "required": ["code", "message"],
}


@extend_schema_field(ERROR_BODY_SCHEMA)
class ErrorBodyField(serializers.DictField):
    """``{"code", "message", "fields"}``, documented inline in ``Error``."""


@extend_schema_serializer(component_name="Error")
class ErrorOutput(serializers.Serializer):
    """Every error of the API has this shape (config/api.py)."""

    error = ErrorBodyField()


# The ``Error`` component as drf-spectacular renders ErrorOutput: the
# schema hook (config.openapi.error_responses) puts it on every operation.
ERROR_SCHEMA = {
    "type": "object",
    "description": ErrorOutput.__doc__,
    "properties": {"error": ERROR_BODY_SCHEMA},
    "required": ["error"],
}


# --------------------------------------------------------------------------
# Cursor pages


class StrictCursorPagination(pagination.CursorPagination):
    """Cursor pagination (no COUNT(*), no deep OFFSET) whose bad input is a
    400 field error: DRF answers a tampered ``cursor`` with a 404 (the list
    exists), and takes ``page_size=0`` or ``abc`` for the default size. The
    schema states the bounds it checks."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("A whole number of at least 1 (at most %(max)s are returned).")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return min(int(raw), self.max_page_size)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise self._invalid_cursor() from None

    def paginate_queryset(
        self,
        queryset: QuerySet[Any, Any] | Sequence[Any],
        request: Request,
        view: APIView | None = None,
    ) -> list[Any] | None:
        # A cursor that decodes can still carry a position its ordering
        # column cannot hold ("abc" for an id, a price out of range).
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError, DataError):
            raise self._invalid_cursor() from None

    def _invalid_cursor(self) -> exceptions.ValidationError:
        return exceptions.ValidationError(
            {
                self.cursor_query_param: [
                    _("Not a cursor of this list: follow its next or previous link.")
                ]
            }
        )

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Number of results per page, at least 1 (default {self.page_size}); "
                    f"above {self.max_page_size}, {self.max_page_size}."
                )
        return parameters


# --------------------------------------------------------------------------
# Change feeds (core.feed) on list endpoints


class FeedInput(serializers.Serializer):
    since = serializers.CharField(allow_blank=True, max_length=100)
    limit = serializers.IntegerField(min_value=1, max_value=feed.FEED_MAX_LIMIT, default=100)

    def validate_since(self, value: str) -> str:
        try:
            feed.cursor_decode(value)
        except ValueError:
            raise serializers.ValidationError(
                "Not a cursor of this feed; start with since=0."
            ) from None
        return value


FEED_PARAMETER = OpenApiParameter(
    "since",
    str,
    description="Change feed: '0' for the beginning, then the `cursor` of the last page "
    "(or simply follow its `next` URL). Returns what changed after it, in "
    "commit order, each object once.",
)
FEED_LIMIT_PARAMETER = OpenApiParameter(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": feed.FEED_MAX_LIMIT, "default": 100},
    description=f"Change feed page size (1 to {feed.FEED_MAX_LIMIT}).",
)


def feed_page(request: Request, *, entities: tuple[str, ...]) -> feed.FeedPage:
    params = FeedInput(data=request.query_params)
    params.is_valid(raise_exception=True)
    return feed.changes_since(
        entities=entities,
        cursor=params.validated_data["since"],
        limit=params.validated_data["limit"],
    )


def feed_response(request: Request, page: feed.FeedPage, results: list) -> Response:
    """A change-feed page in the shape of the list it replaces (``next``,
    ``previous``, ``results``), plus the bare ``cursor`` and ``has_more``.
    ``next`` is always the URL to poll next: on the last page it returns
    nothing new until something changes."""
    query = request.query_params.copy()
    query["since"] = page.cursor
    following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return Response(
        {
            "next": following,
            "previous": None,
            "results": results,
            "cursor": page.cursor,
            "has_more": page.has_more,
        }
    )


def list_page_serializer(name: str, results: serializers.Field) -> type[serializers.Serializer]:
    """The schema of a list that is also a change feed (``?since=``): a
    cursor page, with ``cursor`` and ``has_more`` when it is the feed."""
    fields = {
        "next": serializers.URLField(
            allow_null=True, help_text="The next page; in the change feed, the URL to poll next."
        ),
        "previous": serializers.URLField(
            allow_null=True, help_text="Always null in the change feed."
        ),
        "results": results,
        "cursor": serializers.CharField(
            required=False, help_text="Change feed only: the cursor to pass as `since` next."
        ),
        "has_more": serializers.BooleanField(
            required=False,
            help_text="Change feed only: more changes are waiting (poll `next` now).",
        ),
    }
    return extend_schema_serializer(many=False)(type(name, (serializers.Serializer,), fields))
