"""DECP fixtures: the official DECP 2.0.3 schema (tests/schemas/decp/2.0.3),
checked in-process as a buyer's validator would, and a small market — a
buyer, a French provider known by its SIREN and a German one known by its
VAT number, each with a qualified offer — built through the services."""

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone
from jsonschema import Draft7Validator, FormatChecker

from catalog.services import luhn_valid
from tenders import services
from tenders.models import Tender
from tests import factories

SCHEMA = (
    Path(__file__).resolve().parents[1] / "schemas" / "decp" / "2.0.3" / "schema_decp_v2.0.3.json"
)
VALIDATOR = Draft7Validator(
    json.loads(SCHEMA.read_text(encoding="utf-8")), format_checker=FormatChecker()
)


@dataclass
class Report:
    """The official validator's verdict on one document: exit status 0 and
    "valid", or 1 and "N error(s)" followed by the first errors."""

    errors: list[str]

    @property
    def returncode(self) -> int:
        return 1 if self.errors else 0

    @property
    def stdout(self) -> str:
        head = "valid" if not self.errors else f"{len(self.errors)} error(s)"
        return "\n".join([f"document: {head}", *(f"  {e[:300]}" for e in self.errors[:20])])


def run_validator(doc: dict) -> Report:
    return Report(
        [
            f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in VALIDATOR.iter_errors(doc)
        ]
    )


@pytest.fixture
def assert_valid_decp():
    """Fails the test on any schema error, showing the validator's report."""

    def check(doc: dict) -> None:
        result = run_validator(doc)
        assert result.returncode == 0 and "valid" in result.stdout, result.stdout

    return check


@pytest.fixture(scope="session")
def decp_schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def valid_siren(number: int) -> str:
    base = f"{number:08d}"
    return next(base + str(d) for d in range(10) if luhn_valid(base + str(d)))


# --------------------------------------------------------------------------
# A small market


@pytest.fixture
def agency(db):
    return factories.agency(name="Ministère des Essais <DECP>", siret="11000007200014")


@pytest.fixture
def other_agency(db):
    return factories.agency(
        name="Ville de Lutèce", siret="21750001600019", buyer_category="local_authority"
    )


@pytest.fixture
def buyer(agency):
    return factories.agency_member(agency, username="acheteur-decp")


@pytest.fixture
def other_buyer(other_agency):
    return factories.agency_member(other_agency, username="acheteur-lutece")


@pytest.fixture
def market(db, django_capture_on_commit_callbacks):
    """Offers are assessed after commit, as in production."""
    with django_capture_on_commit_callbacks(execute=True):
        french = factories.ProviderFactory(
            name="Alpha Cloud", slug="alpha", siren=valid_siren(73282932)
        )
        german = factories.ProviderFactory(
            name="Beta Rechenzentrum GmbH",
            slug="beta",
            vat_number="DE811115368",
            registered_office_country="DE",
            central_administration_country="DE",
            main_establishment_country="DE",
        )
        a = factories.offer(french, name="Coffre Alpha", unit_price="20")
        b = factories.offer(german, name="Coffre Beta", unit_price="25")
        for provider, offer in ((french, a), (german, b)):
            factories.certification(provider, [offer])
    return SimpleNamespace(french=french, german=german, a=a, b=b)


def pass_deadline(tender: Tender) -> Tender:
    Tender.objects.filter(pk=tender.pk).update(
        response_deadline=timezone.now() - datetime.timedelta(seconds=1)
    )
    return Tender.objects.get(pk=tender.pk)


def drive(
    agency,
    buyer,
    market,
    state: str,
    *,
    price: str = "50000",
    offer=None,
    title="Stockage objet souverain",
):
    """A tender brought to ``state`` through the services ("contract_signed":
    awarded, standstill over, signed — what the DECP publishes), with one response
    (from ``offer``, the French provider's by default) once published.
    Returns (tender, award or None)."""
    offer = offer or market.a
    tender = factories.tender(agency, actor=buyer, title=title, estimated_value="100000")
    if state == "draft":
        return tender, None
    tender = services.tender_publish(tender=tender, actor=buyer)
    response = services.response_submit(
        tender=tender,
        provider=offer.provider,
        actor=None,
        offer=offer,
        total_price=Decimal(price),
        technical_answer="Réponse détaillée.",
    )
    if state == "published":
        return tender, None
    tender = services.tender_close_if_due(tender=pass_deadline(tender))
    assert tender.status == "closed"
    if state == "closed":
        return tender, None
    if state == "unsuccessful":
        return services.tender_declare_unsuccessful(
            tender=tender, actor=buyer, reason="Offres trop chères."
        ), None
    if state == "cancelled":
        return services.tender_cancel(tender=tender, actor=buyer, reason="Besoin abandonné."), None
    assert state in ("awarded", "contract_signed")
    award = services.tender_award(tender=tender, actor=buyer, response=response)
    if state == "contract_signed":
        award = sign(tender, buyer)
    return Tender.objects.get(pk=tender.pk), award


def sign(tender: Tender, buyer):
    """Sign the awarded tender's contract, its standstill run out."""
    from tenders.models import Award

    Award.objects.filter(tender=tender).update(
        standstill_ends_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    return services.tender_contract_sign(tender=tender, actor=buyer)
