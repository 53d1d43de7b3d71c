"""OpenAPI post-processing: the one error body of ``config.api``, documented
once as the ``Error`` component and referenced by every operation for the
status codes it can answer with."""

from __future__ import annotations

import copy

SAFE_METHODS = {"get", "head", "options"}

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error of the API has this shape (config/api.py).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable: invalid, "
                         "not_authenticated, authentication_failed, permission_denied, not_found, "
                         "conflict, throttled…"},
                "message": {"type": "string", "description": "Human-readable."},
                "fields": {
                    "type": "object",
                    "description": "Only for invalid input: messages per field (nested for nested "
                                   "objects; non_field_errors for the whole body).",
                    "additionalProperties": {},
                },
            },
            "required": ["code", "message"],
        },
    },
    "required": ["error"],
}

ERRORS = {
    "400": ("Invalid input: a field, a query parameter or a business rule.",
            {"code": "invalid", "message": "Invalid input.",
             "fields": {"level": ["Unknown level; use one of N0, N1, N2, N3."]}}),
    "401": ("No credentials, or a bad token, API key or session.",
            {"code": "not_authenticated", "message": "Authentication credentials were not provided."}),
    "403": ("Authenticated, but not allowed: the wrong kind of organisation, a read-only API key, "
            "the other party's move.",
            {"code": "permission_denied", "message": "Only members of a public agency can do this."}),
    "404": ("No such object, or not one of the caller's organisation (ids reveal nothing).",
            {"code": "not_found", "message": "Not found."}),
    "409": ("The object is not in a state that allows this (see its status).",
            {"code": "conflict", "message": "A published tender cannot be edited."}),
    "429": ("Too many requests: wait for the Retry-After header's seconds.",
            {"code": "throttled", "message": "Request was throttled. Expected available in 12 seconds."}),
}


def _error_codes(path: str, method: str, operation: dict) -> list[str]:
    safe = method in SAFE_METHODS
    params = operation.get("parameters", [])
    anonymous = {} in operation.get("security", [{}])
    # A public collection or object (``/offers/``, ``/offers/{id}/``) is
    # readable by anyone; anything else (an action, a private list) may refuse.
    plain = path.rstrip("/").endswith(("}", "s")) and path.count("/{") <= 1
    codes = []
    if not safe or "requestBody" in operation or any(p["in"] == "query" for p in params):
        codes.append("400")
    if operation.get("security"):
        codes.append("401")
    if not safe or not anonymous or not plain:
        codes.append("403")
    if any(p["in"] == "path" for p in params):
        codes.append("404")
    if not safe:
        codes.append("409")
    codes.append("429")
    return codes


def error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code in _error_codes(path, method, operation):
                if code in operation["responses"]:
                    continue
                description, example = ERRORS[code]
                operation["responses"][code] = {
                    "description": description,
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"},
                        "examples": {f"Error{code}": {"value": {"error": copy.deepcopy(example)}}},
                    }},
                }
    return result
