"""``GET /api/v1/decp/marches/``: the DECP 2.0.3 document, as a change feed.

The body is exactly the schema's top level, ``{"marches": {"marche": [...]}}``
— the schema would tolerate extra top-level keys, but keeping the body a pure
DECP document lets any validator or the national portal ingest each page
unchanged — so the feed's cursor travels in headers: ``X-Next-Cursor`` (pass
it back as ``?since=``) and ``X-Has-More``."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from tenders import decp

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


class DecpFeedInput(serializers.Serializer):
    since = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Cursor from a previous X-Next-Cursor header; omit to start at the beginning.",
    )
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE
    )


class DecpMarchesOutput(serializers.Serializer):
    marche = serializers.ListField(
        child=serializers.DictField(),
        help_text="Entries valid against the official DECP 2.0.3 schema "
        "(https://github.com/139bercy/format-commande-publique), in publication order.",
    )


class DecpDocumentOutput(serializers.Serializer):
    marches = DecpMarchesOutput()


class DecpMarchesView(APIView):
    """French essential procurement data (DECP 2.0.3) of every awarded tender
    and accepted direct purchase at or above the publication threshold."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="decp_marches",
        parameters=[
            DecpFeedInput,
            OpenApiParameter(
                "X-Next-Cursor",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                description="Cursor of the last entry returned (or the one given, on an empty "
                "page): pass it as ?since= to get what was published after it.",
            ),
            OpenApiParameter(
                "X-Has-More",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                description='"true" when more entries follow this page.',
            ),
        ],
        responses={200: DecpDocumentOutput},
    )
    def get(self, request):
        query = DecpFeedInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            page = decp.decp_feed(
                since=query.validated_data.get("since"), limit=query.validated_data["limit"]
            )
        except ValueError:
            raise ValidationError(
                {"since": ["Unknown cursor: use a value of the X-Next-Cursor header."]}
            ) from None
        response = Response(page.document)
        if page.next_cursor:
            response["X-Next-Cursor"] = page.next_cursor
        response["X-Has-More"] = "true" if page.has_more else "false"
        return response


# Mounted by config/urls.py at api/v1/decp/.
urlpatterns = [path("marches/", DecpMarchesView.as_view(), name="api-decp-marches")]
