"""The one error body everywhere under /api/ (issue 15 §10): bad pagination
input, URLs that match no route, bodies past Django's limits; and a schema
that states what the API checks (bounds, required fields)."""

import base64
import re

import pytest
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.plumbing import force_instance, is_serializer

from config.api import bad_request
from tests import factories
from tests.conftest import client_for


@pytest.fixture(scope="module")
def generated():
    generator = SchemaGenerator()
    return generator, generator.get_schema(request=None, public=True)


@pytest.fixture
def schema(generated):
    return generated[1]


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["code"]
    if code:
        assert error["code"] == code
    return error


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def cursor_lists(schema):
    """Every list paginated by cursor, without path parameters."""
    return [
        path
        for path, operations in schema["paths"].items()
        if "{" not in path
        and "get" in operations
        and any(p["name"] == "cursor" for p in operations["get"].get("parameters", []))
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cursor",
    ["garbage", b64("p=abc"), b64("o=-1&p=1"), "%C3%A9t%C3%A9"],
)
def test_a_tampered_cursor_is_a_400_field_error_on_every_list(schema, operator, cursor):
    lists = cursor_lists(schema)
    assert {"/api/v1/offers/", "/api/v1/tenders/", "/api/v1/providers/"} <= set(lists)
    reached = 0
    for path in lists:
        for user in (None, operator):
            response = client_for(user).get(f"{path}?cursor={cursor}&ordering=price")
            if response.status_code in (401, 403):
                continue
            error = assert_error(response, 400, "invalid")
            assert list(error["fields"]) == ["cursor"], (path, error)
            reached += 1
    assert reached >= len(lists)


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "1.5", "", "٣"])
def test_a_page_size_the_schema_forbids_is_a_400_field_error(api, page_size):
    for path in ("/api/v1/offers/", "/api/v1/tenders/", "/api/v1/providers/"):
        error = assert_error(api.get(f"{path}?page_size={page_size}"), 400, "invalid")
        assert list(error["fields"]) == ["page_size"]


@pytest.mark.django_db
def test_every_page_size_the_schema_allows_is_accepted(api, provider_a):
    factories.offer(provider_a, name="One")
    factories.offer(provider_a, name="Two")
    assert len(api.get("/api/v1/offers/?page_size=1").json()["results"]) == 1
    # Above the maximum, the maximum (documented), as before.
    assert len(api.get("/api/v1/offers/?page_size=100000").json()["results"]) == 2


def test_the_schema_states_the_bounds_of_page_size_and_the_feed_limit(schema):
    bounded = 0
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "page_size":
                    assert parameter["schema"] == {"type": "integer", "minimum": 1}
                    bounded += 1
                if parameter["name"] == "limit" and parameter["in"] == "query":
                    assert parameter["schema"]["minimum"] == 1, parameter
                    assert parameter["schema"]["maximum"] >= 1, parameter
    assert bounded >= 10


@pytest.mark.django_db
@pytest.mark.parametrize("limit", ["0", "-5", "501", "x"])
def test_a_feed_limit_out_of_the_schemas_bounds_is_a_400(api, limit):
    for path in ("/api/v1/offers/", "/api/v1/tenders/"):
        error = assert_error(api.get(f"{path}?since=0&limit={limit}"), 400, "invalid")
        assert list(error["fields"]) == ["limit"]


@pytest.mark.django_db
@pytest.mark.parametrize("since", ["garbage", b64("1"), b64("a.b"), "%00"])
def test_a_tampered_feed_cursor_is_a_400(api, since):
    for path in ("/api/v1/offers/", "/api/v1/tenders/", "/api/v1/awards/"):
        error = assert_error(api.get(f"{path}?since={since}"), 400, "invalid")
        assert list(error["fields"]) == ["since"]


@pytest.mark.django_db
def test_a_url_that_matches_no_api_route_is_a_json_404(schema, api):
    """Non-numeric ids (``/api/v1/offers/abc/``) never reach a view: Django
    answered its HTML page. Every path of the schema, each parameter
    replaced by text (where that text matches no route)."""
    urls = {re.sub(r"\{[^}]+\}", "abc", path) for path in schema["paths"] if "{" in path}
    unrouted = [url for url in urls if not _routed(url)]
    assert len(unrouted) > 20
    for url in [*unrouted, "/api/v1/offers/abc/", "/api/v1/tenders/abc/", "/api/v1/nope/"]:
        assert_error(api.get(url), 404, "not_found")


def _routed(url: str) -> bool:
    try:
        resolve(url)
    except Resolver404:
        return False
    return True


@pytest.mark.django_db
def test_pages_outside_the_api_keep_their_html_404(client):
    response = client.get("/offres/abc/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_multipart_body_past_djangos_limits_is_answered_in_the_error_format(member_a, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    api = client_for(member_a.user)
    many = {f"field{i}": "x" for i in range(60)}
    assert_error(api.post("/api/v1/offers/", many, format="multipart"), 400, "parse_error")
    assert_error(
        api.post("/api/v1/certifications/", {"reference": "x" * 20_000}, format="multipart"),
        413,
        "request_too_large",
    )
    urlencoded = "&".join(f"f{i}=x" for i in range(60))
    assert_error(
        api.post("/api/v1/offers/", urlencoded, content_type="application/x-www-form-urlencoded"),
        400,
        "parse_error",
    )


def test_djangos_own_400_is_json_under_the_api_and_html_elsewhere():
    """Refused before any API view ran (handler400)."""
    factory = RequestFactory()
    too_big = bad_request(factory.post("/api/v1/offers/"), RequestDataTooBig("too big"))
    assert too_big.status_code == 413
    assert too_big["Content-Type"] == "application/json"
    too_many = bad_request(factory.post("/api/v1/offers/"), TooManyFieldsSent("too many"))
    assert too_many.status_code == 400
    page = bad_request(factory.post("/compte/connexion/"), SuspiciousOperation("x"))
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


def test_every_required_serializer_field_is_required_in_the_schema(generated):
    generator, schema = generated
    components = schema["components"]["schemas"]
    checked = 0
    for component in generator.registry._components.values():
        name = component.name
        if not (name.endswith("Request") and is_serializer(component.object)):
            continue
        serializer = force_instance(component.object)
        if getattr(serializer, "partial", False) or name.startswith("Patched"):
            continue
        required = {
            field.field_name
            for field in serializer.fields.values()
            if field.required and not field.read_only
        }
        assert required <= set(components[name].get("required", [])), name
        checked += 1
    assert checked >= 20


@pytest.mark.django_db
def test_what_a_creation_demands_is_what_the_schema_marks_required(schema, member_a):
    """An empty body names exactly the schema's required fields: nothing the
    API demands is documented as optional."""
    buyer = factories.agency_member(factories.agency(), role="admin")
    newcomer = factories.UserFactory()
    for path, user in (
        ("/api/v1/offers/", member_a.user),
        ("/api/v1/certifications/", member_a.user),
        ("/api/v1/providers/", newcomer),
        ("/api/v1/tenders/", buyer),
    ):
        ref = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        component = schema["components"]["schemas"][ref["schema"]["$ref"].rsplit("/", 1)[-1]]
        error = assert_error(client_for(user).post(path, {}, format="json"), 400, "invalid")
        assert set(error["fields"]) == set(component["required"]), path


def test_an_action_that_reads_no_body_documents_none(schema):
    assert "requestBody" not in schema["paths"]["/api/v1/notifications/{id}/read/"]["post"]
