"""seed_scale at a tiny size: counts, engine-consistent assessments, search."""

import json

import pytest
from django.db import connection
from django.utils import timezone

from bench import seed_scale
from bench.scale.load import seed
from bench.scale.sql import SeedError
from catalog import policy, selectors, services
from catalog.models import Certification, Offer, OfferAssessment, Provider
from core.models import ChangeEvent
from tenders.models import Award, Tender


def _seed(**extra):
    assert seed(offers=300, providers=20, tenders=40, **extra).startswith(
        "seed_scale: 20 providers"
    )


@pytest.mark.django_db
def test_it_loads_counts_and_states():
    _seed()
    scale_offers = Offer.objects.filter(provider__slug__startswith="scale-")
    assert Provider.objects.filter(slug__startswith="scale-").count() == 20
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
    current, today = selectors.policy_current(), timezone.localdate()
    stored = {a.offer_id: a for a in OfferAssessment.objects.filter(offer_id__in=ids)}
    facts = selectors.offer_facts(ids)
    assert len(facts) == len(stored) == 300
    # Every seeded assessment, field by field, against the engine run on the
    # offer's own facts as the services read them.
    for offer in facts:
        result = policy.assess(offer, current, today)
        row = stored[offer.id]
        assert (
            row.level,
            row.level_rank,
            row.flags,
            row.checks,
            row.relied_certificates,
            row.policy_version,
            row.inputs_digest,
        ) == (
            result.level,
            result.level_rank,
            result.flags,
            json.loads(json.dumps(result.checks_data(), default=str)),
            json.loads(json.dumps(result.relied_certificates, default=str)),
            current.version,
            services._digest(result, current.version),
        ), offer.id
        # The digest's text, assembled from parts encoded once, is the
        # canonical encoding of the whole (else every stored digest changes).
        assert services.digest_payload(result, current.version) == json.dumps(
            {
                "level": result.level,
                "flags": result.flags,
                "checks": result.checks_data(),
                "relied": result.relied_certificates,
                "policy": current.version,
            },
            sort_keys=True,
            default=str,
        )
    # The sample holds what once differed (the HDS activities an offer's
    # category needs, covered for some offers and not for others) and
    # several levels.
    hds = [c["passed"] for a in stored.values() for c in a.checks if c["rule"] == "hds_activities"]
    assert True in hds and False in hds
    assert any("HEALTH" in a.flags for a in stored.values())
    assert len({a.level for a in stored.values()}) >= 3
    run = services.offers_assess(offer_ids=ids)
    assert run.assessed == 300
    assert run.changed == []


@pytest.mark.django_db
def test_it_makes_offers_findable_by_full_text():
    _seed()
    scale_offers = Offer.objects.filter(provider__slug__startswith="scale-").order_by("pk")
    # Typed without accents, the name of an offer (its words, not its id).
    offer = next((o for o in scale_offers if selectors.fold(o.name) != o.name.lower()), None)
    assert offer is not None
    words = selectors.fold(offer.name).rsplit(" ", 1)[0]
    found = selectors.offers_filter(Offer.objects.all(), q=words)
    assert offer in found
    assert all(words.split()[0] in selectors.fold(o.name) for o in found[:20])
    # The search documents seed_scale assembles from pre-computed lexemes
    # equal what the services compute (services._search_refresh).
    rows = list(
        Offer.objects.filter(provider__slug__startswith="scale-").values_list(
            "pk", "name", "provider__name", "description"
        )
    )
    config = selectors.SEARCH_CONFIG
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT count(*) FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
                    AS u(id, name, provider, description)
                JOIN catalog_offer o ON o.id = u.id
                WHERE o.search_document = setweight(to_tsvector('{config}', u.name), 'A')
                    || setweight(to_tsvector('{config}', u.provider), 'B')
                    || setweight(to_tsvector('{config}', u.description), 'C')""",  # noqa: S608
            [[r[0] for r in rows], *([selectors.fold(r[i]) for r in rows] for i in (1, 2, 3))],
        )
        assert cursor.fetchone()[0] == len(rows) == 300


@pytest.mark.django_db
def test_it_refuses_a_second_load_and_resets(capsys):
    _seed()
    with pytest.raises(SeedError):
        _seed()
    # The command line (what make bench runs) says so, fails, then resets.
    args = ["--offers", "300", "--providers", "20", "--tenders", "40"]
    assert seed_scale.main(args) == 1
    assert "pass --reset" in capsys.readouterr().err
    assert seed_scale.main([*args, "--reset"]) == 0
    assert capsys.readouterr().out.startswith("seed_scale: 20 providers, 300 offers, 40 tenders")
    assert Offer.objects.filter(provider__slug__startswith="scale-").count() == 300
