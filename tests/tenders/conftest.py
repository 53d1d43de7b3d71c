"""The demand-side cast: two agencies with a buyer each, two providers with
an N2 storage offer each (SecNumCloud 3.2, data in France), a third
provider for the crowd, and an operator (tests/conftest.py)."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import OfferAssessment
from tenders import services
from tenders.models import Tender
from tests import factories


@pytest.fixture
def agency_a(db):
    return factories.agency(name="Ministère des Essais", siret="11000007200014")


@pytest.fixture
def agency_b(db):
    return factories.agency(
        name="Ville de Lutèce", siret="21750001600019", buyer_category="local_authority"
    )


@pytest.fixture
def buyer_a(agency_a):
    return factories.agency_member(agency_a, username="acheteur-a")


@pytest.fixture
def buyer_b(agency_b):
    return factories.agency_member(agency_b, username="acheteur-b")


@pytest.fixture
def provider_c(db):
    return factories.ProviderFactory(name="Gamma Datacentre", slug="gamma")


@pytest.fixture
def member_c(provider_c):
    return factories.MemberFactory(provider=provider_c)


@pytest.fixture
def market(db, provider_a, provider_b, provider_c, django_capture_on_commit_callbacks):
    """One qualified (N2) storage offer per provider (20, 25 and 30 € per
    TB-month). The after-commit re-assessments are replaced by one batch
    run of the same service, which is all they would do here, only faster."""
    with django_capture_on_commit_callbacks(execute=False):
        a = factories.offer(provider_a, name="Coffre Alpha", unit_price="20")
        b = factories.offer(provider_b, name="Coffre Beta", unit_price="25")
        c = factories.offer(provider_c, name="Coffre Gamma", unit_price="30")
        for provider, offer in ((provider_a, a), (provider_b, b), (provider_c, c)):
            factories.certification(provider, [offer])
    catalog_services.offers_assess(offer_ids=[a.pk, b.pk, c.pk])
    assert set(OfferAssessment.objects.values_list("level", flat=True)) == {"N2"}
    return SimpleNamespace(a=a, b=b, c=c)


@pytest.fixture
def draft(agency_a, buyer_a):
    return factories.tender(agency_a, actor=buyer_a)


@pytest.fixture
def published(agency_a, buyer_a):
    """Published, matching queued (it runs only where a test executes the
    after-commit callbacks); ask for ``market`` too to have offers."""
    return factories.tender(agency_a, actor=buyer_a, publish=True)


def pass_deadline(tender: Tender, *, seconds: int = 1) -> Tender:
    """Simulate time: the deadline was ``seconds`` ago."""
    Tender.objects.filter(pk=tender.pk).update(
        response_deadline=timezone.now() - datetime.timedelta(seconds=seconds)
    )
    return Tender.objects.get(pk=tender.pk)


def close(tender: Tender) -> Tender:
    tender = services.tender_close_if_due(tender=pass_deadline(tender))
    assert tender.status == "closed"
    return tender


def submit(
    tender: Tender, member, offer, *, price="1000.00", answer="Réponse technique détaillée."
):
    return services.response_submit(
        tender=tender,
        provider=member.provider,
        actor=member.user,
        offer=offer,
        total_price=price,
        technical_answer=answer,
    )


def set_status(tender: Tender, status: str) -> Tender:
    """Put a tender in any state directly (to test what each state refuses)."""
    Tender.objects.filter(pk=tender.pk).update(status=status)
    return Tender.objects.get(pk=tender.pk)
