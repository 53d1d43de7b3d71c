"""The database's scoring (matching.shortlist_select, stored by
tenders.services.shortlist_replace, what tender_match runs) gives exactly
the shortlist of the Python reference (tests/broker/oracle.py: score over
candidates): ranks, scores, costs, reasons and warnings, over a
market built to hit every rounding, ordering and de-duplication rule."""

import datetime
import json
from decimal import Decimal

from django.db import transaction
from django.db.models import JSONField, Value
from django.utils import timezone

from broker import matching
from catalog.models import Offer, OfferAssessment
from tenders import services as tender_services
from tenders.models import ShortlistEntry, Tender
from tests import factories
from tests.broker import oracle


def market(soon: str, late: str) -> list[Offer]:
    """Offers whose stored facts are set directly: the scoring reads only
    what is stored, whatever the engine would say."""
    providers = [factories.ProviderFactory(name=name) for name in ("Alpha", "Beta", "Gamma")]
    relied = [
        {"id": 1, "for": "N1", "scheme": "ISO27001", "reference": "R1", "expires_on": soon},
        {
            "id": 2,
            "for": "N3",
            "scheme": "SECNUMCLOUD",
            "reference": "R2",
            "expires_on": soon,
        },  # not needed at N2
        {
            "id": 1,
            "for": "N2",
            "scheme": "ISO27001",
            "reference": "R1",
            "expires_on": soon,
        },  # the same, once
        {"id": 3, "for": "HEALTH", "scheme": "HDS", "reference": "R3", "expires_on": soon},
        {"id": 4, "for": "N2", "scheme": "X", "reference": "R4"},  # no expiry
        {"id": 5, "for": "N2", "scheme": "Y", "reference": "R5", "expires_on": late},
        {"id": 6, "for": "OTHER", "scheme": "Z", "reference": "R6", "expires_on": soon},
        {"id": 7, "scheme": "W", "reference": "R7", "expires_on": soon},  # relied for nothing named
        {"id": 8, "for": "N2", "scheme": "V", "reference": "R8", "expires_on": ""},
        {"id": 9, "for": "N2", "scheme": "U", "reference": "R9", "expires_on": late},
        {
            "id": 9,
            "for": "N1",
            "scheme": "U",
            "reference": "R9",
            "expires_on": soon,
        },  # first one counts
    ]
    flags = ["alpha", "Zeta", "HEALTH", "EXTRA"]  # sorted by code point: EXTRA, HEALTH, Zeta, alpha
    # (normalised price, SLA, unit, minimum, capacity, level, relied)
    specs = [
        ("0.010000", "99.900", "TB_MONTH", "0", None, "N2", relied),
        (
            "0.010000",
            "99.990",
            "TB_MONTH",
            "0",
            None,
            "N3",
            relied[:4],
        ),  # same cost, better SLA: first
        (
            "0.010000",
            None,
            "GB_MONTH",
            "0",
            None,
            "N2",
            [],
        ),  # same cost, no SLA: after the 0 % one?
        (
            "0.010000",
            "0.000",
            "TB_MONTH",
            "0",
            None,
            "N2",
            None,
        ),  # ... no: tied with it, then by id
        (
            "0.640000",
            "99.000",
            "TB_MONTH",
            "0",
            None,
            "N2",
            relied[6:],
        ),  # 64 × the cheapest: 1.5625
        ("0.000075", "99.500", "GB_MONTH", "0", None, "N1", relied[3:6]),  # × 120,600 = 9.045 €
        ("0.020000", "99.500", "GB_MONTH", "20000", None, "N2", []),  # minimum above 10-15 TB in GB
        ("0.020000", "99.500", "TB_MONTH", "0", "5", "N2", []),  # capacity under the need
        ("0.030000", "99.500", "TB_MONTH", "0", "20", "N3", relied[1:3]),
        ("1.000000", "99.500", "TB_MONTH", "0", None, "N2", []),  # over every budget
    ]
    offers = []
    for i, (price, sla, unit, minimum, capacity, level, certificates) in enumerate(specs):
        offer = factories.offer(providers[i % 3], unit=unit)
        Offer.objects.filter(pk=offer.pk).update(
            normalised_price=Decimal(price),
            sla_pct=sla and Decimal(sla),
            minimum_commitment=Decimal(minimum),
            capacity=capacity and Decimal(capacity),
            data_countries=["FR", "DE", "BE"][: 1 + i % 3][::-1],
        )
        OfferAssessment.objects.update_or_create(
            offer_id=offer.pk,
            defaults={
                "level": level,
                "level_rank": int(level[1]),
                "flags": flags[: 2 + i % 3],
                "checks": [],
                # None: a JSON null, which the reference reads as no certificates.
                "relied_certificates": Value(None, JSONField())
                if certificates is None
                else certificates,
                "policy_version": 1,
                "inputs_digest": "-",
                "assessed_at": timezone.now(),
            },
        )
        offers.append(offer)
    return offers


def reference(tender: Tender) -> list[dict]:
    rows = oracle.score(tender, oracle.candidates(tender))
    return [
        {
            "offer_id": r["offer_id"],
            "rank": r["rank"],
            "score": r["score"],
            "estimated_cost": r["estimated_cost"],
            "reasons": json.loads(json.dumps(r["reasons"])),
            "warnings": json.loads(json.dumps(r["warnings"])),
        }
        for r in rows
    ]


def stored(tender: Tender) -> list[dict]:
    return list(
        ShortlistEntry.objects.filter(tender=tender)
        .order_by("rank")
        .values("offer_id", "rank", "score", "estimated_cost", "reasons", "warnings")
    )


def replace(tender: Tender) -> tuple[int, list[int]]:
    with transaction.atomic():
        locked = (
            Tender.objects.select_for_update()
            .select_related("agency__buyer_category")
            .get(pk=tender.pk)
        )
        return tender_services.shortlist_replace(
            tender=locked, select=matching.shortlist_select(locked)
        )


def test_the_database_scores_exactly_as_the_reference(ministry, buyer):
    today = timezone.localdate()
    soon, late = (
        (today + datetime.timedelta(days=40)).isoformat(),
        (today + datetime.timedelta(days=3000)).isoformat(),
    )
    offers = market(soon, late)
    needs = [
        # Health data of a State body: N1 stated, N2 required, HEALTH relied on.
        factories.tender(
            ministry, actor=buyer, level="N1", flags=["HEALTH"], estimated_value="100000"
        ),
        # 10.05 TB × 1,000 × 12 months: costs that round half up (9.045 → 9.05).
        factories.tender(
            ministry,
            actor=buyer,
            level="N1",
            location_constraint="",
            quantity="10.05",
            estimated_value="80000",
        ),
        # In GB: quantities converted into each offer's unit.
        factories.tender(
            ministry,
            actor=buyer,
            location_constraint="FR",
            quantity="15000",
            unit="GB_MONTH",
            estimated_value="5000",
        ),
    ]
    seen = {"ties": False, "half_even": False, "half_up_cost": False, "warnings": 0}
    for draft in needs:
        tender = Tender.objects.select_related("agency__buyer_category").get(pk=draft.pk)
        expected = reference(tender)
        assert len(expected) >= 2, (tender.quantity, tender.unit)
        # A stale row the run must delete, and a changed one it must rewrite.
        ShortlistEntry.objects.create(
            tender=tender,
            offer=offers[-1],
            rank=99,
            score=1,
            estimated_cost=1,
            computed_at=timezone.now(),
        )
        count, invited = replace(tender)
        assert stored(tender) == expected
        assert count == len(expected)
        shortlisted_providers = set(
            Offer.objects.filter(pk__in=[r["offer_id"] for r in expected]).values_list(
                "provider_id", flat=True
            )
        )
        assert sorted(invited) == sorted(shortlisted_providers)

        before = list(ShortlistEntry.objects.filter(tender=tender).order_by("id").values())
        assert replace(tender) == (count, [])  # idempotent: nobody invited twice
        assert list(ShortlistEntry.objects.filter(tender=tender).order_by("id").values()) == before

        costs = [r["estimated_cost"] for r in expected]
        seen["ties"] |= len(set(costs)) < len(costs)
        seen["half_even"] |= any(r["score"] == Decimal("1.562") for r in expected)
        seen["half_up_cost"] |= Decimal("9.05") in costs
        seen["warnings"] = max(seen["warnings"], *(len(r["warnings"]) for r in expected))
    # The market did hit the rules it is built for.
    assert seen == {"ties": True, "half_even": True, "half_up_cost": True, "warnings": 2}
