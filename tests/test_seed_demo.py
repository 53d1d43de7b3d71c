"""The demo marketplace that `make run` loads: a living market in every
state, loaded idempotently through the services, with a valid audit chain."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings

from broker.services import audit_verify, tender_match
from tenders.models import Order, Tender


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeded once for the module, in a transaction rolled back at its end.
    The after-commit matching never fires inside it: run it as the worker
    would."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        for tender in Tender.objects.filter(status="published"):
            tender_match(tender_id=tender.pk)
        yield
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_it_has_tenders_in_every_state_and_orders(seeded):
    states = set(Tender.objects.values_list("status", flat=True))
    assert states == {
        "draft",
        "published",
        "closed",
        "awarded",
        "contract_signed",
        "unsuccessful",
        "cancelled",
    }
    assert set(Order.objects.values_list("status", flat=True)) == {"accepted", "placed"}
    winners = {
        t.agency.slug: t.award.response.provider.slug
        for t in Tender.objects.filter(status__in=["awarded", "contract_signed"])
    }
    assert winners == {"region-bretagne": "microsoft-azure-france", "meteo-france": "outscale"}
    assert Tender.objects.get(status="closed").responses.filter(status="submitted").count() == 3


def test_the_published_tender_has_a_done_shortlist_of_qualified_offers(seeded):
    tender = Tender.objects.get(status="published")
    assert tender.matching_state == "done"
    rows = list(tender.shortlist.select_related("offer__assessment"))
    assert rows
    for row in rows:
        assert row.offer.assessment.level_rank >= 2
        assert set(row.offer.data_countries) == {"FR"}
    costs = [row.estimated_cost for row in rows]
    assert costs == sorted(costs)


def test_it_is_idempotent_and_leaves_a_valid_audit_chain(seeded):
    before = (Tender.objects.count(), Order.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Tender.objects.count(), Order.objects.count()) == before
    report = audit_verify()
    assert report.broken_at is None and report.count > 20


def test_the_demo_logins_exist(seeded):
    users = get_user_model().objects
    for login in ("acheteur", "acheteur-chu", "acheteur-region"):
        user = users.get(username=login)
        assert user.check_password("guichet-demo") and user.agency_membership
    assert (
        users.get(username="acheteur-chu").agency_membership.agency.buyer_category.code
        == "hospital"
    )
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "acheteur-region" in out.getvalue() and "fournisseur-ovhcloud" in out.getvalue()


def test_if_empty_loads_nothing_on_a_seeded_database(seeded):
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "nothing loaded" in out.getvalue()


def test_it_refuses_in_production():
    with (
        override_settings(DEMO_DATA=False),
        pytest.raises(CommandError, match="never loaded in production"),
    ):
        call_command("seed_demo", stdout=StringIO())


def test_every_demo_provider_may_respond_and_one_award_is_contested(seeded):
    from catalog.models import Provider
    from catalog.services import provider_compliance_problems
    from tenders.models import Complaint

    assert all(provider_compliance_problems(p) == {} for p in Provider.objects.all())
    contested = Tender.objects.get(status="awarded", agency__slug="meteo-france")
    (complaint,) = Complaint.objects.filter(tender=contested)
    assert complaint.status == "open" and complaint.provider.slug == "cloud-temple"
    signed = Tender.objects.get(status="contract_signed")
    assert (
        signed.award.contract_signed_at >= signed.award.standstill_ends_at > signed.award.awarded_at
    )
