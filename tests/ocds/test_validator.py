"""The vendored OCDS validator (tests/ocds/conftest.py) is no rubber stamp:
a minimal package valid under OCDS 1.1.5 passes, and each way of breaking it
fails with the error that names it — offline."""

import copy
import socket

import pytest

from tests.ocds import conftest as validator

OCID = "ocds-gc0000-GC-2025-00001"


def release(**overrides) -> dict:
    return {
        "ocid": OCID,
        "id": f"{OCID}-tender",
        "date": "2025-03-01T09:00:00Z",
        "tag": ["tender"],
        "initiationType": "tender",
        "tender": {"id": "GC-2025-00001", "status": "active", "title": "Stockage objet"},
        **overrides,
    }


def release_package(*releases: dict) -> dict:
    return {
        "uri": "https://guichet.example.org/api/v1/ocds/releases/",
        "version": "1.1",
        "publishedDate": "2025-03-01T09:00:00Z",
        "publisher": {"name": "Guichet Cloud"},
        "releases": list(releases or [release()]),
    }


def record_package(*releases: dict) -> dict:
    releases = releases or (release(),)
    return {
        "uri": "https://guichet.example.org/api/v1/ocds/records/",
        "version": "1.1",
        "publishedDate": "2025-03-01T09:00:00Z",
        "publisher": {"name": "Guichet Cloud"},
        "records": [
            {
                "ocid": OCID,
                "releases": list(releases),
                "compiledRelease": {**releases[-1], "id": f"{OCID}-compiled", "tag": ["compiled"]},
            }
        ],
    }


def test_format_checks_are_strict():
    """jsonschema skips a format whose checker library is missing."""
    assert {"date-time", "uri"} <= set(validator.FORMATS.checkers)


@pytest.mark.parametrize("package", [release_package(), record_package()])
def test_a_minimal_package_is_valid(package):
    assert validator.ocds_errors(package) == []


def broken(change) -> dict:
    package = copy.deepcopy(release_package())
    change(package, package["releases"][0])
    return package


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p, r: r.pop("ocid"), "'ocid' is a required property"),
        (lambda p, r: r.update(tag=["tender", "bidding"]), "'bidding' is not one of"),
        (lambda p, r: r.update(date="2025-03-01 09:00"), "is not a 'date-time'"),
        (lambda p, r: p.update(uri="not a uri"), "is not a 'uri'"),
        (lambda p, r: r["tender"].update(status="open"), "'open' is not one of"),
        (lambda p, r: p.update(version="1.0"), "is not 1.1"),
        (
            lambda p, r: p.update(extensions=["https://example.org/ext/extension.json"]),
            "no extension is vendored",
        ),
        (lambda p, r: p.pop("releases"), "not a release package"),
    ],
)
def test_the_schema_check_rejects(change, expected):
    errors = validator.ocds_errors(broken(change))
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda p, r: r["tender"].update(titel="Stockage"),
            "/releases/tender/titel: not in the schema",
        ),
        (lambda p, r: r["tender"].update(title=""), "/releases/0/tender/title: empty_field"),
        (lambda p, r: r.update(ocid="GC-2025-00001"), "malformed ocid prefix"),
        (lambda p, r: p["releases"].append(dict(r)), "Non-unique"),
        (lambda p, r: r.update(tag=["tender", "bidding"]), "['bidding'] not in releaseTag.csv"),
    ],
)
def test_libcoveocds_adds_what_the_schema_allows(change, expected):
    """Each of these is a publishing mistake that libcoveocds reports."""
    assert any(expected in error for error in validator.cove_errors(broken(change)))


def test_a_broken_compiled_release_fails_a_record_package():
    package = record_package()
    package["records"][0]["compiledRelease"]["date"] = "yesterday"
    assert any("is not a 'date-time'" in e for e in validator.ocds_errors(package))


def test_the_validate_fixture_fails_a_broken_package(validate):
    with pytest.raises(AssertionError, match=r"document-0: \d+ error\(s\)"):
        validate(broken(lambda p, r: r.pop("initiationType")))


def test_libcoveocds_runs_offline(monkeypatch):
    """Built afresh with every socket refused: the standard, its codelists
    and the record package's remote references all come from the vendored
    folder."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    validator._standard_zip.cache_clear()
    validator._cove_schema.cache_clear()
    try:
        assert validator.cove_errors(release_package()) == []
        assert validator.cove_errors(record_package()) == []
    finally:
        validator._cove_schema.cache_clear()
