"""DECP fixtures: the official validator (run as a subprocess, as a buyer
would), and a small market — a buyer, a French provider known by its SIREN
and a German one known by its VAT number, each with a qualified offer —
built through the services."""

import datetime
import json
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import timezone

from catalog.services import luhn_valid
from tenders import services
from tenders.models import Tender
from tests import factories

VALIDATOR = Path(settings.BASE_DIR).parent / "shared" / "decp" / "validate.py"
SCHEMA = VALIDATOR.with_name("schema_decp_v2.0.3.json")


def run_validator(doc: dict) -> subprocess.CompletedProcess:
    assert VALIDATOR.is_file(), f"the official DECP validator is missing: {VALIDATOR}"
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as handle:
        json.dump(doc, handle, ensure_ascii=False)
    try:
        return subprocess.run(
            [sys.executable, str(VALIDATOR), handle.name],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        Path(handle.name).unlink()


@pytest.fixture
def assert_valid_decp():
    """Fails the test on any schema error, showing the validator's report."""

    def check(doc: dict) -> None:
        result = run_validator(doc)
        assert result.returncode == 0 and "valid" in result.stdout, result.stdout + result.stderr

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
