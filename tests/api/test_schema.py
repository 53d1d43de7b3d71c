"""The OpenAPI schema documents the one error body, the auth schemes and
the true shape of every response."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def response_schema(schema, path, method="get", code="200"):
    return schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]


def test_it_documents_the_error_body_with_an_example_per_code(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    responses = schema["paths"]["/api/v1/tenders/{id}/publish/"]["post"]["responses"]
    for code in ("400", "401", "403", "404", "409", "429"):
        content = responses[code]["content"]["application/json"]
        assert content["schema"] == {"$ref": "#/components/schemas/Error"}
        assert len(content["examples"]) == 1


def test_a_public_list_is_not_documented_as_refusing_anonymous_readers(schema):
    assert "403" not in schema["paths"]["/api/v1/offers/"]["get"]["responses"]
    assert "404" not in schema["paths"]["/api/v1/offers/"]["get"]["responses"]


def test_it_documents_the_three_auth_schemes(schema):
    assert set(schema["components"]["securitySchemes"]) == {"ApiKeyAuth", "tokenAuth", "cookieAuth"}


def test_the_policy_is_one_object_and_action_lists_are_plain_arrays(schema):
    assert response_schema(schema, "/api/v1/policy/") == {"$ref": "#/components/schemas/Policy"}
    clarifications = response_schema(schema, "/api/v1/tenders/{id}/clarifications/")
    assert clarifications["type"] == "array"


def test_feed_lists_document_the_cursor_and_the_removed_offers(schema):
    page = schema["components"]["schemas"]["OfferPage"]
    assert {"next", "previous", "results", "cursor", "has_more"} <= set(page["properties"])
    assert response_schema(schema, "/api/v1/offers/") == {"$ref": "#/components/schemas/OfferPage"}
    assert "OfferRemoved" in schema["components"]["schemas"]


def _json_schema(schema, components, depth=0):
    """OpenAPI 3.0 schema → JSON Schema: refs inlined, ``nullable`` spelled
    as a null alternative."""
    if isinstance(schema, list):
        return [_json_schema(item, components, depth) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if depth > 8:
        return {}
    if "$ref" in schema:
        return _json_schema(components[schema["$ref"].rsplit("/", 1)[-1]], components, depth + 1)
    converted = {key: _json_schema(value, components, depth) if key != "properties" else
                 {name: _json_schema(sub, components, depth) for name, sub in value.items()}
                 for key, value in schema.items() if key not in ("nullable", "example", "readOnly", "writeOnly")}
    if schema.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _documented_bodies(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                if "json" in media_type:
                    yield f"{method.upper()} {path} request", media
            for code, response in operation["responses"].items():
                if str(code).startswith("2"):
                    for media_type, media in response.get("content", {}).items():
                        if "json" in media_type:
                            yield f"{method.upper()} {path} {code}", media


def test_every_body_has_an_example_that_fits_its_own_schema(schema):
    import jsonschema

    components = schema["components"]["schemas"]
    problems = []
    bodies = list(_documented_bodies(schema))
    assert len(bodies) > 60
    for where, media in bodies:
        if "example" not in media and "examples" not in media:
            problems.append(f"{where}: no example")
            continue
        examples = [media["example"]] if "example" in media else [e["value"] for e in media["examples"].values()]
        for example in examples:
            errors = list(jsonschema.Draft7Validator(_json_schema(media["schema"], components)).iter_errors(example))
            problems += [f"{where}: {error.message} at {list(error.path)}" for error in errors[:3]]
    assert problems == []


@pytest.mark.django_db
def test_the_tender_example_is_a_body_the_api_accepts(schema):
    import datetime

    from django.utils import timezone

    from tests import factories
    from tests.conftest import client_for

    agency = factories.agency(name="Ministère des Essais", siret="11000007200014")
    buyer = factories.agency_member(agency, username="acheteur-exemple")
    body = dict(schema["paths"]["/api/v1/tenders/"]["post"]["requestBody"]["content"]["application/json"]["example"])
    # The example's date is fixed; a deadline must be in the future.
    body["response_deadline"] = (timezone.now() + datetime.timedelta(days=30)).isoformat()
    response = client_for(buyer).post("/api/v1/tenders/", body, format="json")
    assert response.status_code == 201, response.json()
