"""OpenAPI post-processing: the one error body of ``config.api``, documented
once as the ``Error`` component (``core.api.ErrorOutput``) and referenced by
every operation for the status codes it can answer with."""

from __future__ import annotations

import copy

from core.api import ERROR_SCHEMA

SAFE_METHODS = {"get", "head", "options"}

ERRORS = {
    "400": (
        "Invalid input: a field, a query parameter or a business rule.",
        {
            "code": "invalid",
            "message": "Invalid input.",
            "fields": {"level": ["Unknown level; use one of N0, N1, N2, N3."]},
        },
    ),
    "401": (
        "No credentials, or a bad token, API key or session.",
        {"code": "not_authenticated", "message": "Authentication credentials were not provided."},
    ),
    "403": (
        "Authenticated, but not allowed: the wrong kind of organisation, a read-only API key, "
        "the other party's move.",
        {"code": "permission_denied", "message": "Only members of a public agency can do this."},
    ),
    "404": (
        "No such object, or not one of the caller's organisation (ids reveal nothing).",
        {"code": "not_found", "message": "Not found."},
    ),
    "409": (
        "The object is not in a state that allows this (see its status).",
        {"code": "conflict", "message": "A published tender cannot be edited."},
    ),
    "429": (
        "Too many requests: wait for the Retry-After header's seconds.",
        {
            "code": "throttled",
            "message": "Request was throttled. Expected available in 12 seconds.",
        },
    ),
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
    # The views that document an error themselves (opendata, OCDS) already
    # brought the component in, rendered from core.api.ErrorOutput.
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("Error", ERROR_SCHEMA)
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
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Error"},
                            "examples": {
                                f"Error{code}": {"value": {"error": copy.deepcopy(example)}}
                            },
                        }
                    },
                }
    return result


# --------------------------------------------------------------------------
# Examples. Every request body and every successful JSON answer carries an
# example, built from its schema with the values a real call would use (the
# demo marketplace's), so that an integrator reads a plausible exchange
# rather than "string". tests/api/test_schema.py validates each example
# against its own schema.

FIELD_EXAMPLES: dict[str, object] = {
    "agency": "ministere-interieur",
    "answer": "Yes: the offer includes daily backups kept 30 days.",
    "assessed_level": "N2",
    "required_level": "N2",
    "level": "N2",
    "assurance": "qualified",
    "body": "The tender « Stockage objet » was published.",
    "buyer_category": "state_administration",
    "category": "iaas_storage",
    "category_label": "Object storage",
    "code": "invalid",
    "country": "FR",
    "holder_country": "FR",
    "registered_office_country": "FR",
    "central_administration_country": "FR",
    "main_establishment_country": "FR",
    "cpv_code": "72317000-0",
    "created_by": "acheteur",
    "cursor": "MTIzNDU6Njc4",
    "description": "S3-compatible object storage hosted in France, SecNumCloud qualified.",
    "description_en": "Data may be hosted in the European Union.",
    "description_fr": "Les données peuvent être hébergées dans l'Union européenne.",
    "event_id": "tender.published:42",
    "event_type": "tender.published",
    "holder_name": "Caisse des Dépôts",
    "key": "tender.published:42:7",
    "kind": "agency",
    "last_error": "",
    "location_constraint": "FR",
    "message": "Invalid input.",
    "name": "Stockage objet souverain",
    "normalised_unit": "TB_MONTH",
    "unit": "TB_MONTH",
    "password": "guichet-demo",
    "prefix": "gk_3f9a1c",
    "provider_name": "OVH SAS (OVHcloud)",
    "question": "Is the encryption key held by the buyer?",
    "reason": "Evidence unreadable.",
    "reference": "AO-2026-0042",
    "scheme": "secnumcloud",
    "scheme_version": "3.2",
    "secret": "whsec-change-me-0123456789abcdef",
    "siren": "552100554",
    "siret": "55210055400013",
    "status": "published",
    "status_reason": "",
    "subject": "New tender published",
    "technical_answer": "Three availability zones in France; keys in an HSM held by the buyer.",
    "title": "Stockage objet pour l'archivage des actes",
    "token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
    "type": "offer",
    "unit_label": "TB per month",
    "url": "https://integrator.example/hooks/guichet",
    "username": "acheteur",
    "vat_number": "FR40552100554",
    "verification": "verified",
    "verification_reason": "",
    "version": "1",
    "website": "https://www.ovhcloud.com",
    "slug": "ovhcloud",
    "flags": ["PERSONAL_DATA"],
    "event_types": ["tender.published"],
    "scopes": "read",
    "evidence_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "attachment_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "duration_months": 36,
    "weight_price": 60,
    "weight_technical": 30,
    "weight_other": 10,
    "quantity": "50.00",
    "estimated_value": "36000.00",
    "total_price": "34200.00",
    "unit_price": "19.0000",
    "total_incl_vat": "24000.00",
    "unit_price_incl_vat": "24.0000",
}
DECIMAL_EXAMPLES = {"capital_pct": "12.50", "voting_pct": "12.50", "sla_pct": "99.950"}
FORMAT_EXAMPLES = {
    "date-time": "2026-12-15T12:00:00+01:00",
    "date": "2027-06-30",
    "uri": "https://guichet-cloud.example/api/v1/offers/?cursor=cD0xMjM%3D",
    "email": "acheteur@guichet.example",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "ipv4": "192.0.2.10",
}


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _decimal_example(name: str, schema: dict) -> str:
    if name in DECIMAL_EXAMPLES:
        return DECIMAL_EXAMPLES[name]
    pattern = schema.get("pattern", "")
    places = 2
    if "\\.\\d{0," in pattern:
        places = int(pattern.split("\\.\\d{0,", 1)[1].split("}", 1)[0])
    whole = "20" if "price" in name or "score" in name else "120"
    return whole + ("." + "0" * places if places else "")


def example_for(schema: dict, components: dict, name: str = "", depth: int = 0) -> object:
    """A plausible value for ``schema`` (an OpenAPI 3.0 schema object)."""
    schema = _resolve(schema, components)
    if "example" in schema:
        return schema["example"]
    for combinator in ("allOf", "oneOf", "anyOf"):
        if schema.get(combinator):
            options = [_resolve(s, components) for s in schema[combinator]]
            if (
                combinator == "allOf"
                and len(options) > 1
                and all(o.get("type") == "object" for o in options)
            ):
                merged: dict = {}
                for option in options:
                    merged.update(example_for(option, components, name, depth + 1))
                return merged
            return example_for(options[0], components, name, depth + 1)
    if "enum" in schema:
        values = [v for v in schema["enum"] if v not in ("", None)]
        preferred = FIELD_EXAMPLES.get(name)
        return preferred if preferred in values else (values[0] if values else schema["enum"][0])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 6:
            return {}
        return {
            key: example_for(sub, components, key, depth + 1)
            for key, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        items = _resolve(schema.get("items", {}), components)
        if (
            isinstance(FIELD_EXAMPLES.get(name), list)
            and items.get("type") != "object"
            and "properties" not in items
        ):
            return FIELD_EXAMPLES[name]
        return [example_for(schema.get("items", {}), components, name, depth + 1)]
    if kind == "integer" and isinstance(FIELD_EXAMPLES.get(name), int):
        return FIELD_EXAMPLES[name]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1) if "id" not in name else 42
    if kind == "number":
        return 12.5
    if kind == "boolean":
        return True
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "decimal":
            return (
                FIELD_EXAMPLES[name]
                if isinstance(FIELD_EXAMPLES.get(name), str)
                else _decimal_example(name, schema)
            )
        if name in FIELD_EXAMPLES and not isinstance(FIELD_EXAMPLES[name], list):
            return FIELD_EXAMPLES[name]
        if fmt in FORMAT_EXAMPLES:
            return FORMAT_EXAMPLES[fmt]
        if fmt == "binary":
            return "(file content)"
        if schema.get("maxLength") == 2:  # the two-letter fields are ISO 3166-1 country codes
            return "FR"
        value = "example"
        return value[: schema["maxLength"]] if "maxLength" in schema else value
    return {}


def _media_example(media: dict, components: dict) -> None:
    if "schema" in media and "example" not in media and "examples" not in media:
        media["example"] = example_for(media["schema"], components)


def body_examples(result, generator, request, public):
    """drf-spectacular postprocessing hook: an example on every request body
    and on every successful JSON answer that has no hand-written one."""
    components = result.get("components", {}).get("schemas", {})
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                if "json" in media_type or "form" in media_type:
                    _media_example(media, components)
            for code, response in operation.get("responses", {}).items():
                if str(code).startswith("2"):
                    for media_type, media in response.get("content", {}).items():
                        if "json" in media_type:
                            _media_example(media, components)
    return result


# --------------------------------------------------------------------------
# Links. An OpenAPI link names the value of an answer that a next call
# takes: the id of a created tender is the tender to edit, publish, and read
# the shortlist of. An integrator reads the workflows from them; the stateful
# Schemathesis run (tests/api/test_schemathesis.py) follows them with real ids.

CREATED = "$response.body#/id"
FIRST_LISTED = "$response.body#/results/0/id"
SAME = "$request.path.id"

# (source operationId, status) -> (parameters of the targets, target operationIds)
WORKFLOWS: dict[tuple[str, str], tuple[dict[str, str], tuple[str, ...]]] = {
    ("v1_tenders_create", "201"): (
        {"id": CREATED},
        ("v1_tenders_retrieve", "v1_tenders_partial_update", "v1_tenders_publish_create"),
    ),
    ("v1_tenders_partial_update", "200"): ({"id": SAME}, ("v1_tenders_publish_create",)),
    ("v1_tenders_publish_create", "200"): (
        {"id": SAME},
        (
            "v1_tenders_shortlist_retrieve",
            "v1_tenders_retrieve",
            "v1_tenders_responses_list",
            "v1_tenders_cancel_create",
        ),
    ),
    ("v1_tenders_list", "200"): (
        {"id": FIRST_LISTED},
        (
            "v1_tenders_retrieve",
            "v1_tenders_shortlist_retrieve",
            "v1_tenders_why_not_retrieve",
            "v1_tenders_responses_create",
            "v1_tenders_clarifications_create",
            "v1_tenders_clarifications_list",
        ),
    ),
    ("v1_tenders_responses_create", "201"): (
        {"id": SAME, "response_id": CREATED},
        ("v1_tenders_responses_retrieve", "v1_tenders_responses_withdraw_create"),
    ),
    ("v1_tenders_clarifications_create", "201"): (
        {"id": SAME, "clarification_id": CREATED},
        ("v1_tenders_clarifications_answer_create",),
    ),
    ("v1_offers_create", "201"): (
        {"id": CREATED},
        ("v1_offers_retrieve", "v1_offers_partial_update", "v1_offers_publish_create"),
    ),
    ("v1_offers_partial_update", "200"): ({"id": SAME}, ("v1_offers_publish_create",)),
    ("v1_offers_publish_create", "200"): (
        {"id": SAME},
        ("v1_offers_retrieve", "v1_offers_withdraw_create"),
    ),
    ("v1_orders_create", "201"): (
        {"id": CREATED},
        ("v1_orders_retrieve", "v1_orders_cancel_create"),
    ),
    ("v1_orders_list", "200"): (
        {"id": FIRST_LISTED},
        ("v1_orders_retrieve", "v1_orders_accept_create", "v1_orders_decline_create"),
    ),
    ("v1_certifications_create", "201"): (
        {"id": CREATED},
        ("v1_certifications_retrieve", "v1_certifications_partial_update"),
    ),
    ("v1_certifications_list", "200"): (
        {"id": FIRST_LISTED},
        (
            "v1_certifications_verify_create",
            "v1_certifications_reject_create",
            "v1_certifications_revoke_create",
        ),
    ),
    ("v1_providers_create", "201"): (
        {"id": CREATED},
        ("v1_providers_retrieve", "v1_providers_partial_update"),
    ),
    ("v1_attestations_create", "201"): ({"id": CREATED}, ("v1_attestations_retrieve",)),
    ("v1_declarations_create", "201"): ({"id": CREATED}, ("v1_declarations_retrieve",)),
    ("v1_sourcing_files_create", "201"): (
        {"id": CREATED},
        (
            "v1_sourcing_files_retrieve",
            "sourcing_files_export_csv",
            "v1_sourcing_files_lock_create",
            "v1_sourcing_files_destroy",
        ),
    ),
    ("v1_api_keys_create", "201"): (
        {"id": CREATED},
        ("v1_api_keys_retrieve", "v1_api_keys_revoke_create"),
    ),
    ("v1_webhooks_create", "201"): (
        {"id": CREATED},
        (
            "v1_webhooks_retrieve",
            "v1_webhooks_partial_update",
            "v1_webhooks_ping_create",
            "v1_webhooks_deliveries_list",
            "v1_webhooks_destroy",
        ),
    ),
    ("v1_notifications_list", "200"): (
        {"id": FIRST_LISTED},
        ("v1_notifications_retrieve", "v1_notifications_read_create"),
    ),
}


def workflow_links(result, generator, request, public):
    """drf-spectacular postprocessing hook: the ``links`` of WORKFLOWS on
    the answers they start from. A link to an operation that is gone, or
    naming a parameter it does not take, fails the schema build loudly."""
    operations = {
        operation["operationId"]: (f"{method.upper()} {path}", operation)
        for path, methods in result.get("paths", {}).items()
        for method, operation in methods.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for (source, status), (parameters, targets) in WORKFLOWS.items():
        response = operations[source][1]["responses"][status]
        for target in targets:
            label, operation = operations[target]
            taken = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            if taken != set(parameters):
                raise ValueError(
                    f"link {source} -> {target}: {target} takes {sorted(taken)}, "
                    f"not {sorted(parameters)}"
                )
            response.setdefault("links", {})[target] = {
                "operationId": target,
                "parameters": dict(parameters),
                "description": f"{label}, on "
                + ", ".join(f"{name} = {value}" for name, value in parameters.items()),
            }
    return result
