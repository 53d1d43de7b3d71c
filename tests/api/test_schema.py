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
    converted = {
        key: _json_schema(value, components, depth)
        if key != "properties"
        else {name: _json_schema(sub, components, depth) for name, sub in value.items()}
        for key, value in schema.items()
        if key not in ("nullable", "example", "readOnly", "writeOnly")
    }
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
        examples = (
            [media["example"]]
            if "example" in media
            else [e["value"] for e in media["examples"].values()]
        )
        for example in examples:
            errors = list(
                jsonschema.Draft7Validator(_json_schema(media["schema"], components)).iter_errors(
                    example
                )
            )
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
    body = dict(
        schema["paths"]["/api/v1/tenders/"]["post"]["requestBody"]["content"]["application/json"][
            "example"
        ]
    )
    # The example's date is fixed; a deadline must be in the future.
    body["response_deadline"] = (timezone.now() + datetime.timedelta(days=30)).isoformat()
    response = client_for(buyer).post("/api/v1/tenders/", body, format="json")
    assert response.status_code == 201, response.json()


def test_links_carry_a_created_tender_through_its_workflow(schema):
    created = schema["paths"]["/api/v1/tenders/"]["post"]["responses"]["201"]["links"]
    assert created["v1_tenders_publish_create"]["parameters"] == {"id": "$response.body#/id"}
    published = schema["paths"]["/api/v1/tenders/{id}/publish/"]["post"]["responses"]["200"][
        "links"
    ]
    assert published["v1_tenders_shortlist_retrieve"]["parameters"] == {"id": "$request.path.id"}
    answered = schema["paths"]["/api/v1/tenders/{id}/responses/"]["post"]["responses"]["201"][
        "links"
    ]
    assert answered["v1_tenders_responses_withdraw_create"]["parameters"] == {
        "id": "$request.path.id",
        "response_id": "$response.body#/id",
    }


def test_every_link_names_an_operation_and_exactly_its_path_parameters(schema):
    operations = {
        operation["operationId"]: operation
        for methods in schema["paths"].values()
        for operation in methods.values()
    }
    links = [
        link
        for operation in operations.values()
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) > 40
    for link in links:
        target = operations[link["operationId"]]
        assert set(link["parameters"]) == {
            p["name"] for p in target["parameters"] if p["in"] == "path"
        }


def test_a_link_to_a_parameter_the_target_does_not_take_fails_the_build(monkeypatch):
    from config import openapi

    paths = {
        "/api/v1/tenders/": {
            "post": {"operationId": "v1_tenders_create", "responses": {"201": {}}}
        },
        "/api/v1/tenders/{id}/": {
            "get": {
                "operationId": "v1_tenders_retrieve",
                "responses": {},
                "parameters": [{"name": "id", "in": "path"}],
            }
        },
    }
    monkeypatch.setattr(
        openapi,
        "WORKFLOWS",
        {("v1_tenders_create", "201"): ({"pk": openapi.CREATED}, ("v1_tenders_retrieve",))},
    )
    with pytest.raises(ValueError, match="v1_tenders_retrieve takes"):
        openapi.workflow_links({"paths": paths}, None, None, True)
    monkeypatch.setattr(
        openapi,
        "WORKFLOWS",
        {("v1_tenders_create", "201"): ({"id": openapi.CREATED}, ("v1_tenders_retrieve",))},
    )
    created = openapi.workflow_links({"paths": paths}, None, None, True)["paths"][
        "/api/v1/tenders/"
    ]["post"]
    assert created["responses"]["201"]["links"]["v1_tenders_retrieve"]["parameters"] == {
        "id": "$response.body#/id"
    }
