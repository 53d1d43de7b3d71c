"""Company identifiers are checked with python-stdnum: La Poste's SIRETs,
new-style French VAT keys and every member state's own check digits.
Valid numbers are public ones (La Poste's head office, python-stdnum's
documented examples); each invalid one differs from a valid one by its
check digit."""

import pytest

from catalog import services
from tests.conftest import client_for


@pytest.mark.parametrize(
    ("siret", "valid"),
    [
        ("35600000000048", True),  # La Poste, siège: sums to a multiple of 5, fails Luhn
        ("35600000000049", False),
        ("73282932000074", True),
        ("73282932000079", False),
        ("7328293200007", False),
        ("7328293200007A", False),
        ("732 829 320 00074", False),  # as stored: digits only
    ],
)
def test_it_checks_a_siret(siret, valid):
    assert services.siret_valid(siret) is valid


@pytest.mark.parametrize(
    ("siren", "valid"),
    [
        ("356000000", True),  # La Poste
        ("732829320", True),
        ("732829321", False),
        ("73282932", False),
        ("７３２８２９３２０", False),  # full-width digits are not a SIREN
    ],
)
def test_it_checks_a_siren(siren, valid):
    assert services.siren_valid(siren) is valid


@pytest.mark.parametrize(
    ("vat", "siren", "valid"),
    [
        ("FR44732829320", "732829320", True),
        ("FR44732829320", "", True),
        ("FR45732829320", "", False),  # wrong key
        ("FR44732829320", "404833048", False),  # another company's SIREN
        ("FRK7399859412", "", True),  # new-style key (letters)
        ("FRK7399859412", "399859412", True),
        ("FRK8399859412", "", False),
        ("DE136695976", "", True),
        ("DE136695977", "", False),
        ("BE0428759497", "", True),
        ("BE0428759498", "", False),
        ("IT00743110157", "", True),
        ("IT00743110158", "", False),
        ("EL094014201", "", True),  # Greece's prefix
        ("CHE116281710", "", True),  # outside the EU: its shape only
        ("FR44-732829320", "", False),
        ("F", "", False),
    ],
)
def test_it_checks_a_vat_number_with_its_country_check_digits(vat, siren, valid):
    assert services.vat_valid(vat, siren) is valid


def test_a_provider_refuses_a_vat_number_with_a_wrong_check_digit(member_a):
    url = f"/api/v1/providers/{member_a.provider.pk}/"
    client = client_for(member_a.user)
    refused = client.patch(url, {"vat_number": "DE136695977"}, format="json")
    assert refused.status_code == 400 and "vat_number" in refused.json()["error"]["fields"]
    accepted = client.patch(url, {"siren": "", "vat_number": "FRK7399859412"}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["vat_number"] == "FRK7399859412"


def test_la_poste_registers_with_its_siren(db):
    provider = services.provider_create(
        actor=None,
        name="La Poste",
        siren="356000000",
        registered_office_country="FR",
        central_administration_country="FR",
        main_establishment_country="FR",
    )
    assert provider.siren == "356000000"
