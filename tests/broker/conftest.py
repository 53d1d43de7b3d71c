"""Fixtures of the broker tests: a ministry and its buyer, offers assessed
at a chosen level, and publication with what waits for the commit run."""

import datetime

import pytest
from django.utils import timezone

from tenders import services as tender_services
from tenders.models import ShortlistEntry, Tender
from tests import factories


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the code defers to the commit (Celery tasks, eager here, and
    e-mails) as a real commit would, including what those callbacks defer."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def ministry(db):
    """A State administration: its health data is N2 whatever it states."""
    return factories.agency(name="Ministère de l'Intérieur", siret="11000007200014")


@pytest.fixture
def buyer(ministry):
    return factories.agency_member(
        ministry, username="acheteur-test", email="acheteur@interieur.example"
    )


@pytest.fixture
def make_offer(committed):
    """An offer of ``provider`` assessed at ``level`` (N0 to N3) when its
    locations allow it; ``health`` adds an HDS v2 certificate; ``expires_in``
    is the days left on the certificates."""

    def make(provider, level="N2", *, health=False, expires_in=900, **overrides):
        if level == "N3":
            overrides.setdefault("dr_support", True)
        expires_on = timezone.localdate() + datetime.timedelta(days=expires_in)
        with committed():
            offer = factories.offer(provider, **overrides)
            if level in ("N2", "N3"):
                factories.certification(provider, [offer], expires_on=expires_on)
            elif level == "N1":
                factories.certification(
                    provider, [offer], scheme="ISO27001", version="2022", expires_on=expires_on
                )
            if health:
                factories.certification(
                    provider,
                    [offer],
                    scheme="HDS",
                    version="2.0",
                    hds_activities=[1, 2, 3, 4, 5, 6],
                    expires_on=expires_on,
                )
        return offer

    return make


@pytest.fixture
def publish(committed):
    """Publish a tender; matching runs after the commit (eagerly)."""

    def run(tender, actor=None) -> Tender:
        with committed():
            tender_services.tender_publish(tender=tender, actor=actor)
        return Tender.objects.get(pk=tender.pk)

    return run


@pytest.fixture
def shortlisted(db):
    """The shortlisted offer ids of a tender, best first."""

    def ids(tender) -> list[int]:
        return list(
            ShortlistEntry.objects.filter(tender=tender)
            .order_by("rank")
            .values_list("offer_id", flat=True)
        )

    return ids
