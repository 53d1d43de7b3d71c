"""seed_scale at a tiny size: counts, engine-consistent assessments, search."""

import io

import pytest
from django.core.management import call_command

from catalog import selectors, services
from catalog.models import Certification, ChangeEvent, Offer, OfferAssessment, Provider
from tenders.models import Award, Tender


def _seed(**extra):
    call_command("seed_scale", offers=300, providers=10, tenders=40, stdout=io.StringIO(), **extra)


@pytest.mark.django_db
def test_it_loads_counts_and_states():
    _seed()
    scale_offers = Offer.objects.filter(provider__slug__startswith="scale-")
    assert Provider.objects.filter(slug__startswith="scale-").count() == 10
    assert scale_offers.count() == 300
    assert OfferAssessment.objects.filter(offer__in=scale_offers).count() == 300
    assert Certification.objects.filter(provider__slug__startswith="scale-").exists()
    assert Tender.objects.filter(reference__startswith="SCALE-").count() == 40
    assert (
        Tender.objects.filter(reference__startswith="SCALE-").values("status").distinct().count()
        >= 4
    )
    assert (
        Award.objects.filter(tender__reference__startswith="SCALE-").count()
        == Tender.objects.filter(reference__startswith="SCALE-", status="awarded").count()
    )
    # The change-feed triggers were off for the load and are on again.
    assert not ChangeEvent.objects.filter(
        entity="offer", entity_id__in=scale_offers.values("pk")
    ).exists()


@pytest.mark.django_db
def test_it_stores_what_the_policy_engine_computes():
    _seed()
    ids = list(
        Offer.objects.filter(provider__slug__startswith="scale-").values_list("pk", flat=True)
    )
    run = services.offers_assess(offer_ids=ids)
    assert run.assessed == 300
    assert run.changed == []
    assert OfferAssessment.objects.filter(offer_id__in=ids).values("level").distinct().count() >= 2


@pytest.mark.django_db
def test_it_makes_offers_findable_by_full_text():
    _seed()
    found = selectors.offers_filter(Offer.objects.all(), q="stockage securise")
    assert found.exists()
    assert all("Stockage" in o.name for o in found[:20])


@pytest.mark.django_db
def test_it_refuses_a_second_load_and_resets():
    _seed()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        _seed()
    _seed(reset=True)
    assert Offer.objects.filter(provider__slug__startswith="scale-").count() == 300
