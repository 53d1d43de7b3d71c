"""API plumbing shared by every app: pagination and the one error mapping.

Every error body has the same shape::

    {"error": {"code": "invalid", "message": "...", "fields": {"name": ["..."]}}}

Domain errors of every app (``CatalogError``, later ``TenderError``) carry
``http_status``, ``code``, ``message`` and ``fields``: they are mapped here,
once, for the whole API.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DefaultCursorPagination(CursorPagination):
    """Cursor pagination: no COUNT(*) and no deep OFFSET on large lists."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200


def _error(code: str, message: str, http_status: int, fields: dict | None = None) -> Response:
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return Response(body, status=http_status)


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {
            key: [str(item) for item in (value if isinstance(value, list) else [value])]
            if not isinstance(value, dict)
            else _flatten(value)
            for key, value in detail.items()
        }
    return {
        "non_field_errors": [
            str(item) for item in (detail if isinstance(detail, list) else [detail])
        ]
    }


def exception_handler(exc, context):
    if hasattr(exc, "http_status") and hasattr(exc, "code"):
        return _error(exc.code, str(exc.message), exc.http_status, getattr(exc, "fields", None))
    if isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return _error("invalid", "Invalid input.", status.HTTP_400_BAD_REQUEST, fields)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return _error("invalid", "Invalid input.", response.status_code, _flatten(exc.detail))
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if not isinstance(code, str):
        code = "error"
    detail = getattr(exc, "detail", str(exc))
    new = _error(code, str(detail), response.status_code)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            new[header] = response[header]
    return new
