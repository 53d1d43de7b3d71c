"""The API's JSON parser: bounded in size and in nesting depth.

Python's json decoder recurses once per nesting level and raises
RecursionError near 1,000 levels — a 2 kB body of brackets was a 500. No
body of this API nests more than a few levels, so deeper input is refused
before decoding, as is a body larger than ``API_MAX_BODY_BYTES``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any, NoReturn

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is too large."


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets
    inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:  # any JSON value: a body may be an array as well as an object
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        if nesting_depth(text) > MAX_DEPTH:
            raise exceptions.ParseError(
                f"JSON parse error - arrays and objects nested more than {MAX_DEPTH} deep."
            )
        try:
            return json.loads(text, parse_constant=_no_constant)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None


def _no_constant(name: str) -> NoReturn:
    # NaN and Infinity are not JSON (RFC 8259 §6); DRF's parser refuses them too.
    raise ValueError(f"{name} is not a JSON value")
