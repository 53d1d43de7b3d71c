"""The demo marketplace, seeded once per module, plus one sealed response
on the published tender; and the official OCDS 1.1.5 schema
(tests/schemas/ocds/1.1.5), checked in-process and offline with jsonschema
and with libcoveocds's additional checks."""

import io
import json
import zipfile
from decimal import Decimal
from functools import cache
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from jsonschema import Draft4Validator, FormatChecker
from libcoveocds.common_checks import common_checks_ocds
from libcoveocds.config import LibCoveOCDSConfig
from libcoveocds.lib.api import context_api_transform
from libcoveocds.schema import SchemaOCDS
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from broker.services import tender_match
from tenders import services
from tenders.models import Tender

SEALED_PRICE = Decimal("98765.43")

# --------------------------------------------------------------------------
# The validator

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas" / "ocds" / "1.1.5"
SCHEMA_BASE = "https://standard.open-contracting.org/schema/1__1__5/"
SCHEMAS = {
    path.name: json.loads(path.read_text(encoding="utf-8"))
    for path in sorted(SCHEMA_DIR.glob("*.json"))
}
REGISTRY = Registry().with_resources(
    (SCHEMA_BASE + name, Resource.from_contents(schema, default_specification=DRAFT4))
    for name, schema in SCHEMAS.items()
)
# FormatChecker checks date-time and uri only when rfc3339-validator and
# rfc3987 are installed (test_validator.py makes sure they are).
FORMATS = FormatChecker()


def _package_schema(document: dict) -> str:
    return "record-package-schema.json" if "records" in document else "release-package-schema.json"


def schema_errors(document) -> list[str]:
    """Errors of one release or record package against the official schema,
    as "/json/path: message"."""
    if not isinstance(document, dict) or not ("releases" in document or "records" in document):
        return ["/: not a release package or a record package"]
    found = []
    if document.get("version") != "1.1":
        found.append(f"/version: {document.get('version')!r} is not 1.1 (vendored: 1.1.5)")
    if document.get("extensions"):
        # The exports declare none. One that did would be checked here
        # against the core schema only: vendor its release-schema patch first.
        found.append(f"/extensions: no extension is vendored: {document['extensions']!r}")
    validator = Draft4Validator(
        SCHEMAS[_package_schema(document)], registry=REGISTRY, format_checker=FORMATS
    )
    found.extend(
        f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    )
    return found


@cache
def _standard_zip() -> bytes:
    """The vendored schema folder as libcoveocds reads the standard: a ZIP of
    the standard repository (``<top>/schema/...``), handed over as bytes so
    that it downloads nothing. (Its ``file://`` form flattens the folder and
    so does not find the 1.1.5 files.)"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("standard-1__1__5/", "")
        for path in sorted(SCHEMA_DIR.rglob("*")):
            if path.is_file() and path.suffix in {".json", ".csv"}:
                archive.write(path, f"standard-1__1__5/schema/{path.relative_to(SCHEMA_DIR)}")
    return buffer.getvalue()


def _vendored(uri: str, **kwargs) -> dict:
    """jsonref's loader, offline: a reference to the standard's schema is
    answered from the vendored copy, anything else is refused."""
    name = uri.removeprefix(SCHEMA_BASE)
    if name not in SCHEMAS:
        raise LookupError(f"not vendored, and no network: {uri}")
    return json.loads(json.dumps(SCHEMAS[name]), **kwargs)


class VendoredSchemaOCDS(SchemaOCDS):
    """libcoveocds's schema object, offline. The standard (schemas and
    codelists) comes from the ZIP above; no extension is declared
    (schema_errors refuses them), so neither an extension nor the extension
    registry is fetched; and the one remote reference it resolves itself
    with jsonref (the record package's versionedRelease) is answered from
    the vendored files through the loader of its jsonref options."""

    @staticmethod
    def _jsonref_kwarg(*, proxies=False):
        return {**SchemaOCDS._jsonref_kwarg(proxies=proxies), "loader": _vendored}


@cache
def _cove_schema(package_schema: str) -> SchemaOCDS:
    """Built once per package kind: libcoveocds caches the patched and
    dereferenced schemas on it."""
    config = LibCoveOCDSConfig({"context": "api", "standard_zip": _standard_zip()})
    return VendoredSchemaOCDS(
        "1.1",
        {"version": "1.1"},
        config,
        record_pkg=package_schema == "record-package-schema.json",
    )


def cove_errors(document: dict) -> list[str]:
    """What libcoveocds finds beyond the schema and counts against a
    publisher: closed-codelist values outside the codelist, fields the
    schema does not define (with no extension declared, a typo), deprecated
    fields, empty fields, a malformed ocid prefix, and its own view of the
    schema errors."""
    schema = _cove_schema(_package_schema(document))
    context = context_api_transform(
        common_checks_ocds({"file_type": "json"}, "", document, schema, cache=False)
    )
    found = [f"/{e['path']}: {e['description']}" for e in context.get("validation_errors", [])]
    found += [
        f"/{value['path']}/{value['field']}: {sorted(value['values'])} not in {value['codelist']}"
        for value in context.get("additional_closed_codelist_values", {}).values()
    ]
    found += [
        f"{field['path']}/{field['field']}: not in the schema"
        for field in context.get("additional_fields", [])
    ]
    found += [f"/{field['field']}: deprecated" for field in context.get("deprecated_fields", [])]
    found += [
        f"/{check['json_location']}: {name}"
        for name, checks in context.get("additional_checks", {}).items()
        for check in checks
    ]
    found += [
        f"/{path}: {ocid!r} has a malformed ocid prefix"
        for ocid, path in context.get("conformance_errors", {}).get("ocds_prefixes_bad_format", [])
    ]
    if schema.json_deref_error:
        found.append(f"schema: {schema.json_deref_error}")
    return found


def ocds_errors(document) -> list[str]:
    """Every error of one package: the schema's, then libcoveocds's."""
    found = schema_errors(document)
    if isinstance(document, dict) and ("releases" in document or "records" in document):
        found += cove_errors(document)
    return found


def report(documents: dict) -> str:
    """One line per document, "name: valid" or "name: N error(s)", then its
    first errors: the official validator's report."""
    lines = []
    for name, document in documents.items():
        found = ocds_errors(document)
        lines.append(f"{name}: {'valid' if not found else f'{len(found)} error(s)'}")
        lines.extend(f"  {error}" for error in found[:20])
    return "\n".join(lines) + "\n"


def seed() -> None:
    """The demo, with a live (sealed) response on its published tender. The
    after-commit matching is run as the worker would."""
    call_command("seed_demo", stdout=StringIO())
    published = Tender.objects.get(status="published")
    tender_match(tender_id=published.pk)
    offer = published.shortlist.select_related("offer__provider").first().offer
    services.response_submit(
        tender=published,
        provider=offer.provider,
        actor=get_user_model().objects.get(username=f"fournisseur-{offer.provider.slug}"),
        offer=offer,
        total_price=SEALED_PRICE,
        technical_answer="Réponse scellée de test.",
    )


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """``seed()``, in a transaction rolled back at the module's end (the
    after-commit matching never fires inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        seed()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def validate():
    """Validate documents (dicts) or files with the official schema; fails
    the test, with the validator's report, on any error."""

    def run(*documents):
        named = {}
        for index, document in enumerate(documents):
            if isinstance(document, Path):
                named[str(document)] = json.loads(document.read_text(encoding="utf-8"))
            else:
                named[f"document-{index}"] = document
        text = report(named)
        assert text.count(": valid") == len(named), text
        return text

    return run
