"""The pure core of the OCDS export: stages, the sealed rule, the merge
into a compiled release, months. No database."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.dates import add_months
from tenders import ocds

T0 = datetime(2025, 1, 31, 9, 0, tzinfo=UTC)
BUYER = ocds.Organisation(
    "FR-RCS-11000007200014", "Ministère des Essais", "FR-RCS", "11000007200014"
)
ALPHA = ocds.Organisation("FR-RCS-424761419", "Alpha Cloud", "FR-RCS", "424761419")
BETA = ocds.Organisation("GC-FOURNISSEUR-7", "Beta Hosting")


def facts(**overrides) -> ocds.TenderFacts:
    values = dict(
        pk=1,
        reference="GC-2025-00001",
        title="Stockage",
        description="",
        status="published",
        procedure="adapted",
        cpv_code="72317000-0",
        quantity=Decimal("10"),
        unit="TB_MONTH",
        duration_months=12,
        estimated_value=Decimal("99000.50"),
        response_deadline=T0 + timedelta(days=20),
        published_at=T0,
        closed_at=None,
        decided_at=None,
        status_reason="",
        weights=(100, 0, 0),
        required_level="N2",
        flags=(),
        location_constraint="FR",
        buyer=BUYER,
    )
    values.update(overrides)
    return ocds.TenderFacts(**values)


def awarded() -> ocds.TenderFacts:
    return facts(
        status="awarded",
        closed_at=T0 + timedelta(days=21),
        decided_at=T0 + timedelta(days=30),
        tenderers=(ALPHA, BETA),
        award=ocds.AwardFacts(
            pk=9, amount=Decimal("88000"), awarded_at=T0 + timedelta(days=30), supplier=BETA
        ),
    )


def test_it_gives_a_draft_no_release():
    assert ocds.stages_of(facts(status="draft", published_at=None)) == []
    assert ocds.releases_of(facts(status="cancelled", published_at=None, decided_at=T0)) == []


def signed() -> ocds.TenderFacts:
    base = awarded()
    award = ocds.AwardFacts(
        pk=9,
        amount=Decimal("88000"),
        awarded_at=base.award.awarded_at,
        supplier=BETA,
        contract_signed_at=T0 + timedelta(days=42),
    )
    return facts(**{**base.__dict__, "status": "contract_signed", "award": award})


def test_it_gives_each_reached_stage_one_release_in_order():
    releases = ocds.releases_of(awarded(), prefix="ocds-abc123")
    assert [r["id"] for r in releases] == [
        "ocds-abc123-GC-2025-00001-tender",
        "ocds-abc123-GC-2025-00001-closed",
        "ocds-abc123-GC-2025-00001-award-9",
    ]
    assert [r["tag"] for r in releases] == [["tender"], ["tenderUpdate"], ["award"]]


def test_the_award_has_no_contract_until_it_is_signed():
    award = ocds.releases_of(awarded())[-1]
    assert "contracts" not in award and award["awards"][0]["status"] == "active"
    releases = ocds.releases_of(signed())
    assert [r["tag"] for r in releases][-2:] == [["award"], ["contract"]]
    contract = releases[-1]["contracts"][0]
    assert contract["dateSigned"] == ocds.rfc3339(T0 + timedelta(days=42))
    assert contract["awardID"] == releases[-2]["awards"][0]["id"] and contract["status"] == "active"
    assert contract["period"]["startDate"] == ocds.rfc3339(T0 + timedelta(days=42))


def test_a_withdrawn_award_is_cancelled_by_an_award_update():
    withdrawn = ocds.WithdrawnAwardFacts(
        pk=5,
        amount=Decimal("80000"),
        awarded_at=T0 + timedelta(days=25),
        withdrawn_at=T0 + timedelta(days=28),
        supplier=ALPHA,
        reason="Réclamation fondée.",
    )
    releases = ocds.releases_of(facts(**{**awarded().__dict__, "withdrawn": (withdrawn,)}))
    assert [(r["id"].rsplit("GC-2025-00001-", 1)[1], r["tag"]) for r in releases] == [
        ("tender", ["tender"]),
        ("closed", ["tenderUpdate"]),
        ("award-5", ["award"]),
        ("award-5-cancelled", ["awardUpdate"]),
        ("award-9", ["award"]),
    ]
    cancelled = releases[3]
    assert (
        cancelled["awards"][0]["status"] == "cancelled"
        and cancelled["tender"]["status"] == "active"
    )
    assert "Réclamation fondée." in cancelled["awards"][0]["description"]
    compiled = ocds.compiled_release(releases)
    assert {a["id"].rsplit("-", 1)[1]: a["status"] for a in compiled["awards"]} == {
        "5": "cancelled",
        "9": "active",
    }


def test_it_never_shows_tenderers_at_the_tender_stage_even_if_given_some():
    # The queries never load them before the deadline; the builder refuses them too.
    sealed = facts(tenderers=(ALPHA,))
    release = ocds.release(sealed, ocds.TENDER, T0)
    assert [p["roles"] for p in release["parties"]] == [["buyer", "procuringEntity"]]
    assert "numberOfTenderers" not in release["tender"] and "tenderers" not in release["tender"]
    # A tender cancelled while published never closed: still nothing.
    cancelled = facts(status="cancelled", decided_at=T0 + timedelta(days=3), tenderers=(ALPHA,))
    assert (
        "numberOfTenderers"
        not in ocds.release(cancelled, ocds.CANCELLED, cancelled.decided_at)["tender"]
    )


def test_it_maps_price_only_weights_and_money():
    release = ocds.release(facts(), ocds.TENDER, T0)
    tender = release["tender"]
    assert tender["awardCriteria"] == "priceOnly"
    assert tender["value"] == {"amount": 99000.5, "currency": "EUR"}
    assert tender["items"][0]["quantity"] == 120
    assert tender["items"][0]["classification"]["id"] == "72317000"
    assert tender["procurementMethod"] == "open" and "R2123-1" in tender["procurementMethodDetails"]
    assert tender["tenderPeriod"] == {
        "startDate": "2025-01-31T10:00:00+01:00",
        "endDate": "2025-02-20T10:00:00+01:00",
    }


def test_the_compiled_release_merges_the_releases():
    releases = ocds.releases_of(awarded())
    compiled = ocds.compiled_release(releases)
    assert compiled["tag"] == ["compiled"] and compiled["date"] == releases[-1]["date"]
    assert compiled["tender"]["status"] == "complete"
    assert [p["id"] for p in compiled["parties"]] == [BUYER.party_id, ALPHA.party_id, BETA.party_id]
    assert compiled["parties"][2]["roles"] == ["tenderer", "supplier"]
    assert compiled["awards"][0]["suppliers"] == [{"id": BETA.party_id, "name": "Beta Hosting"}]
    # The merge keeps what an earlier release said and a later one omits,
    # and a later value replaces an earlier one.
    first, second = (
        {
            "ocid": "o",
            "id": "a",
            "date": "2025-01-01T00:00:00+00:00",
            "tag": ["tender"],
            "tender": {"id": "t", "title": "Old", "items": [{"id": "1", "quantity": 1}]},
        },
        {
            "ocid": "o",
            "id": "b",
            "date": "2025-01-02T00:00:00+00:00",
            "tag": ["tenderUpdate"],
            "tender": {"id": "t", "title": "New", "items": [{"id": "2", "quantity": 2}]},
        },
    )
    merged = ocds.compiled_release([second, first])
    assert merged["tender"]["title"] == "New"
    assert merged["tender"]["items"] == [{"id": "1", "quantity": 1}, {"id": "2", "quantity": 2}]
    assert first["tender"]["items"] == [{"id": "1", "quantity": 1}]  # inputs untouched


def test_a_contract_runs_for_its_months_in_paris_time():
    assert add_months(T0, 1).isoformat() == "2025-02-28T10:00:00+01:00"
    assert add_months(T0, 13).isoformat() == "2026-02-28T10:00:00+01:00"
    # Across the change to summer time, the wall clock stays at 10:00.
    assert add_months(T0, 3).isoformat() == "2025-04-30T10:00:00+02:00"
    award = ocds.release(awarded(), ocds.award_stage(9), awarded().award.awarded_at)
    period = award["awards"][0]["contractPeriod"]
    assert period["startDate"].startswith("2025-03-02T10:00:00") and period["endDate"].startswith(
        "2026-03-02T10:00:00"
    )
    assert period["durationInDays"] == 365


def test_an_empty_package_is_refused_rather_than_invalid():
    with pytest.raises(ValueError):
        ocds.release_package([], uri="https://example.org/")
    with pytest.raises(ValueError):
        ocds.record_package([], uri="https://example.org/")


def test_a_foreign_provider_gets_a_local_party_id():
    release = ocds.release(awarded(), ocds.award_stage(9), T0 + timedelta(days=30))
    parties = {p["id"]: p for p in release["parties"]}
    assert "identifier" not in parties["GC-FOURNISSEUR-7"]
    assert parties["FR-RCS-424761419"]["identifier"] == {
        "scheme": "FR-RCS",
        "id": "424761419",
        "legalName": "Alpha Cloud",
    }
