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
