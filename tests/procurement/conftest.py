"""Supplier declarations and the standstill reuse the demand-side cast of
tests/tenders (two agencies, three providers with a qualified N2 offer
each; the factories give every provider valid supplier documents)."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tenders import services
from tenders.models import Award
from tests import factories
from tests.tenders.conftest import (  # noqa: F401  (fixtures)
    agency_a,
    agency_b,
    buyer_a,
    buyer_b,
    close,
    draft,
    market,
    member_c,
    pass_deadline,
    provider_c,
    published,
    submit,
)


@pytest.fixture
def awarded(market, published, buyer_a, member_a, member_b, member_c):  # noqa: F811 (fixtures)
    """A tender with three responses (Alpha cheapest, then Beta, Gamma),
    scored and awarded to Alpha: the standstill runs."""
    r_a = submit(published, member_a, market.a, price="1000.00")
    r_b = submit(published, member_b, market.b, price="1200.00")
    r_c = submit(published, member_c, market.c, price="1500.00")
    tender = close(published)
    for response, score in ((r_a, 80), (r_b, 70), (r_c, 50)):
        services.response_score(
            response=response, actor=buyer_a, technical_score=score, other_score=0
        )
    award = services.tender_award(tender=tender, actor=buyer_a, response=r_a)
    tender.refresh_from_db()
    return SimpleNamespace(tender=tender, award=award, a=r_a, b=r_b, c=r_c)


def end_standstill(award: Award) -> Award:
    """Simulate time: the standstill ended a second ago."""
    ended = timezone.now() - datetime.timedelta(seconds=1)
    Award.objects.filter(pk=award.pk).update(
        awarded_at=ended - datetime.timedelta(days=11), standstill_ends_at=ended
    )
    return Award.objects.get(pk=award.pk)


def pdf(name="piece.pdf", body=b"%PDF-1.4 test"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, body, content_type="application/pdf")


@pytest.fixture
def bare_provider(db):
    """A provider without any declaration or attestation, with an admin."""
    provider = factories.ProviderFactory(name="Delta Nuage", slug="delta", compliant=False)
    member = factories.MemberFactory(provider=provider)
    return SimpleNamespace(provider=provider, member=member, user=member.user)
