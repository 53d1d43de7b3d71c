"""Open contracting data (OCDS 1.1) over HTTP, public and read-only:

* ``GET /api/v1/ocds/releases/`` — a release package of every release in
  the order their stages committed (``tenders.ocds.feed``), a page at a
  time. The body is a pure release package, valid against the official
  schema; the feed's cursor travels in headers, as on the DECP feed:
  ``X-Next-Cursor`` (pass it back as ``?since=``), ``X-Has-More`` and a
  ``Link: <…>; rel="next"`` when more follows. A package holds at least one
  release (schema ``minItems``), so a page with nothing new is ``204 No
  Content``, with the same headers.
* ``GET /api/v1/ocds/records/{ocid}/`` — the record package of one
  process, with every release embedded and the compiled release.

Mapping decisions live in ``tenders.ocds``; docs/opendata.md has the table.
"""

from __future__ import annotations

from urllib.parse import urlencode

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ErrorOutput
from tenders import ocds
from tenders.api import _feed

PAGE_SIZE = 100
# Above the change feed's own page limit, which then applies (X-Has-More says so).
MAX_PAGE_SIZE = 1000


class FeedInput(serializers.Serializer):
    since = serializers.CharField(
        required=False,
        max_length=300,
        help_text="Cursor from a previous X-Next-Cursor header; omit to start at the first release.",
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        default=PAGE_SIZE,
        help_text="Releases per page (at most).",
    )

    def validate_since(self, value: str) -> str:
        return _feed.since_validate(value)


class PublisherOutput(serializers.Serializer):
    name = serializers.CharField()


def _package_fields(items: str, help_text: str) -> dict:
    return {
        "uri": serializers.URLField(help_text="This package's own address."),
        "version": serializers.CharField(help_text='OCDS schema version, "1.1".'),
        "publishedDate": serializers.DateTimeField(
            help_text="Date of the newest release in the package."
        ),
        "publisher": PublisherOutput(),
        "license": serializers.URLField(),
        items: serializers.ListField(child=serializers.DictField(), help_text=help_text),
    }


ReleasePackageOutput = inline_serializer(
    "OcdsReleasePackage",
    _package_fields(
        "releases",
        "OCDS 1.1.5 releases (https://standard.open-contracting.org/1.1/en/schema/"
        "reference/), valid against the official release schema.",
    ),
)
RecordPackageOutput = inline_serializer(
    "OcdsRecordPackage",
    _package_fields("records", "One OCDS record: ocid, releases (embedded) and compiledRelease."),
)
CURSOR_HEADERS = [
    *_feed.cursor_header_parameters(statuses=[200, 204], item="release"),
    OpenApiParameter(
        "Link",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200],
        description='<next page URL>; rel="next", when more releases follow.',
    ),
]


class ReleasesView(APIView):
    """Every release of every published tender (drafts never appear), in
    the order their stages committed, for incremental harvesting with
    ``?since=``."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="ocds_releases",
        tags=["ocds"],
        parameters=[FeedInput, *CURSOR_HEADERS],
        responses={
            200: ReleasePackageOutput,
            204: OpenApiResponse(
                description="No release after the cursor (a release package must "
                "hold at least one)."
            ),
            400: OpenApiResponse(ErrorOutput, description="Unknown cursor or bad limit."),
        },
    )
    def get(self, request):
        query = FeedInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        since, limit = query.validated_data.get("since"), query.validated_data["limit"]
        page = _feed.changes(entities=ocds.FEED_ENTITIES, since=since, limit=limit)
        releases = ocds.releases_of_changes(page.events)
        if releases:
            response = Response(ocds.release_package(releases, uri=request.build_absolute_uri()))
        else:
            response = Response(status=status.HTTP_204_NO_CONTENT)
        _feed.cursor_headers(response, page, since)
        if page.has_more:
            following = request.build_absolute_uri(
                f"{request.path}?{urlencode({'since': page.cursor, 'limit': limit})}"
            )
            response["Link"] = f'<{following}>; rel="next"'
        return response


class RecordView(APIView):
    """The record package of one contracting process: its releases and the
    compiled release (the latest state of every field)."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="ocds_record",
        tags=["ocds"],
        parameters=[
            OpenApiParameter(
                "ocid",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description='Open Contracting ID: the ocid prefix, "-" and the tender reference.',
            )
        ],
        responses={
            200: RecordPackageOutput,
            404: OpenApiResponse(ErrorOutput, description="No published tender with this ocid."),
        },
    )
    def get(self, request, ocid: str):
        found = ocds.record_for(ocid)
        if found is None:
            raise NotFound()
        return Response(ocds.record_package([found], uri=request.build_absolute_uri()))
