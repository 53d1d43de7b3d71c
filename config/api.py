"""API plumbing shared by every app: pagination and the one error mapping.

Every error body has the same shape::

    {"error": {"code": "invalid", "message": "...", "fields": {"name": ["..."]}}}

Domain errors of every app (``CatalogError``, later ``TenderError``) carry
``http_status``, ``code``, ``message`` and ``fields``: they are mapped here,
once, for the whole API.
"""

from __future__ import annotations

from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.api import StrictCursorPagination
from core.parsers import RequestTooLarge


class DefaultCursorPagination(StrictCursorPagination):
    """Every list's pagination: newest first, by cursor (core.api)."""

    ordering = "-id"


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
    exc = _body_limit_error(exc) or exc
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


def _body_limit_error(exc: Exception) -> exceptions.APIException | None:
    """Django's limits on a form or multipart body (DATA_UPLOAD_MAX_MEMORY_SIZE,
    DATA_UPLOAD_MAX_NUMBER_FIELDS, DATA_UPLOAD_MAX_NUMBER_FILES) as API errors:
    Django would answer its HTML 400 page."""
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge(str(exc))
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return exceptions.ParseError(str(exc))
    return None


# Django's own 404 and 400 answers (no URL matched, a body refused before any
# view ran) in the error format under /api/, its pages everywhere else
# (config/urls.py handler404 / handler400).


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _json_error(exc: exceptions.APIException) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": exc.get_codes(), "message": str(exc.detail)}}, status=exc.status_code
    )


def not_found(request: HttpRequest, exception: Exception):
    if _is_api(request):
        return _json_error(exceptions.NotFound())
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception):
    if _is_api(request):
        return _json_error(_body_limit_error(exception) or exceptions.ParseError())
    return defaults.bad_request(request, exception)
