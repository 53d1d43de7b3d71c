"""The vendored DECP validator (tests/decp/conftest.py) is no rubber stamp:
the official example passes, and each way of breaking it fails."""

import copy
import json
from pathlib import Path

import pytest

from tests.decp.conftest import SCHEMA, run_validator

EXAMPLE = json.loads(
    (SCHEMA.parent / "example_marches_avec_modifications.json").read_text(encoding="utf-8")
)


def test_the_official_example_is_valid():
    result = run_validator(EXAMPLE)
    assert result.returncode == 0 and "valid" in result.stdout, result.stdout


def broken(change) -> dict:
    doc = copy.deepcopy(EXAMPLE)
    change(doc["marches"]["marche"][0])
    return doc


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m.pop("acheteur"), "'acheteur' is a required property"),
        (lambda m: m.update(nature="Concession"), "'Concession' is not one of"),
        (lambda m: m.update(datePublicationDonnees="25/05/2024"), "'25/05/2024' does not match"),
        (lambda m: m.update(codeCPV="72416000-95"), "does not match"),
        (lambda m: m.update(montant="50000"), "is not of type 'number'"),
    ],
)
def test_it_rejects_a_broken_record(change, expected):
    result = run_validator(broken(change))
    assert result.returncode == 1 and "1 error(s)" in result.stdout, result.stdout
    assert expected in result.stdout


def test_the_fixture_fails_the_test_on_a_broken_record(assert_valid_decp):
    with pytest.raises(AssertionError, match="1 error"):
        assert_valid_decp(broken(lambda m: m.pop("objet")))


def test_the_schema_is_the_vendored_one():
    assert SCHEMA.is_relative_to(Path(__file__).resolve().parents[1] / "schemas")
