"""The download views under ``/api/v1/opendata/`` and ``columns.json``."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import renderers, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.opendata.datasets import DATASETS, Dataset, columns_document, csv_stream, json_stream
from core.api import ErrorOutput


class CSVRenderer(renderers.BaseRenderer):
    """Declares text/csv for content negotiation and the schema; the views
    stream their own body."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class DownloadInput(serializers.Serializer):
    lang = serializers.ChoiceField(
        choices=["fr", "en"],
        required=False,
        default="fr",
        help_text="Language of labels and reasons.",
    )


class CsvDownloadInput(DownloadInput):
    sep = serializers.ChoiceField(
        choices=["comma", "semicolon"],
        required=False,
        default="comma",
        help_text="comma: RFC 4180 for programs; semicolon: ';', decimal comma "
        "and BOM, for French spreadsheets.",
    )


_SCHEMA_TYPES = {
    "string": serializers.CharField,
    "integer": serializers.IntegerField,
    "number": lambda **kw: serializers.FloatField(**kw),
    "boolean": serializers.BooleanField,
    "date-time": serializers.DateTimeField,
    "list": lambda **kw: serializers.ListField(child=serializers.CharField(), **kw),
    "records": lambda **kw: serializers.ListField(child=serializers.DictField(), **kw),
}


def _row_schema(dataset: Dataset):
    return inline_serializer(
        f"OpenData{dataset.name.title()}Row",
        {
            c.name: _SCHEMA_TYPES[c.type](allow_null=c.nullable, help_text=c.description_en)
            for c in dataset.columns
        },
        many=True,
    )


def _download(dataset: Dataset, fmt: str):
    is_csv = fmt == "csv"
    filename = f"guichet-cloud-{dataset.name}.{fmt}"

    class Download(APIView):
        permission_classes = [AllowAny]
        renderer_classes = [CSVRenderer] if is_csv else [renderers.JSONRenderer]

        def handle_exception(self, exc):
            response = super().handle_exception(exc)
            # Errors are the API's JSON body, whatever the download's format.
            self.request.accepted_renderer = renderers.JSONRenderer()
            self.request.accepted_media_type = "application/json"
            return response

        @extend_schema(
            operation_id=f"opendata_{dataset.name}_{fmt}",
            summary=f"{dataset.title} ({fmt.upper()})",
            description=f"Every published {dataset.name[:-1]} of the directory, one "
            f"{'line' if is_csv else 'object'} each, streamed; columns in "
            f"/api/v1/opendata/columns.json.",
            parameters=[CsvDownloadInput if is_csv else DownloadInput],
            responses={
                (200, "text/csv" if is_csv else "application/json"): OpenApiTypes.STR
                if is_csv
                else _row_schema(dataset),
                (400, "application/json"): OpenApiResponse(
                    ErrorOutput, description="Unknown lang or sep."
                ),
            },
            tags=["opendata"],
        )
        def get(self, request):
            query = (CsvDownloadInput if is_csv else DownloadInput)(data=request.query_params)
            query.is_valid(raise_exception=True)
            options = query.validated_data
            if is_csv:
                body = csv_stream(
                    dataset, semicolon=options["sep"] == "semicolon", lang=options["lang"]
                )
                content_type = "text/csv; charset=utf-8"
            else:
                body = json_stream(dataset, lang=options["lang"])
                content_type = "application/json"
            response = StreamingHttpResponse(body, content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response

    Download.__name__ = Download.__qualname__ = f"{dataset.name.title()}{fmt.title()}Download"
    return Download.as_view()


class ColumnsView(APIView):
    """The columns of the directory downloads, with their type and a one-line
    description in French and English."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="opendata_columns",
        tags=["opendata"],
        responses={
            200: inline_serializer(
                "OpenDataColumns",
                {
                    "formats": serializers.DictField(child=serializers.CharField()),
                    **{
                        name: serializers.ListField(
                            child=inline_serializer(
                                f"OpenData{name.title()}Column",
                                {
                                    "name": serializers.CharField(),
                                    "type": serializers.CharField(),
                                    "nullable": serializers.BooleanField(),
                                    "description_fr": serializers.CharField(),
                                    "description_en": serializers.CharField(),
                                },
                            )
                        )
                        for name in DATASETS
                    },
                },
            )
        },
    )
    def get(self, request):
        return Response(columns_document())


def urlpatterns_for_downloads() -> list:
    return [
        path(f"{name}.{fmt}", _download(dataset, fmt), name=f"opendata-{name}-{fmt}")
        for name, dataset in DATASETS.items()
        for fmt in ("csv", "json")
    ]
