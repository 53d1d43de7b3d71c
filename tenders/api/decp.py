"""``GET /api/v1/decp/marches/``: the DECP 2.0.3 document, as a change feed.

The body is exactly the schema's top level, ``{"marches": {"marche": [...]}}``
— the schema would tolerate extra top-level keys, but keeping the body a pure
DECP document lets any validator or the national portal ingest each page
unchanged — so the feed's cursor travels in headers: ``X-Next-Cursor`` (pass
it back as ``?since=``) and ``X-Has-More``. Which entries a page holds, and
why an entry may come again: ``tenders.decp.feed``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from tenders import decp
from tenders.api import _feed

PAGE_SIZE = 100
# Above the change feed's own page limit, which then applies (X-Has-More says so).
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

    def validate_since(self, value: str) -> str:
        return _feed.since_validate(value)


class DecpMarchesOutput(serializers.Serializer):
    marche = serializers.ListField(
        child=serializers.DictField(),
        help_text="Entries valid against the official DECP 2.0.3 schema "
        "(https://github.com/139bercy/format-commande-publique), in the order they changed.",
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
            *_feed.cursor_header_parameters(statuses=[200], item="entry"),
        ],
        responses={200: DecpDocumentOutput},
    )
    def get(self, request):
        query = DecpFeedInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        since = query.validated_data.get("since")
        page = _feed.changes(
            entities=decp.FEED_ENTITIES, since=since, limit=query.validated_data["limit"]
        )
        contracts = decp.contracts_of_changes(page.events)
        response = Response(decp.document([decp.marche_entry(c) for c in contracts]))
        return _feed.cursor_headers(response, page, since)
