"""OCDS 1.1 release and record packages of the demo tenders, in every
state, against the official 1.1.5 schema; tags per stage; drafts absent;
nothing sealed before the deadline; the export. The ``?since=`` feed, which
serves committed transactions only, is in test_feed.py."""

import importlib
import json
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from core.dates import add_months
from core.feed import FeedEvent
from core.models import ChangeEvent
from tenders import ocds, services
from tenders.models import Tender, TenderResponse
from tests.ocds.conftest import SEALED_PRICE

pytestmark = pytest.mark.django_db

RELEASES = "/api/v1/ocds/releases/"


def record_url(tender: Tender) -> str:
    return f"/api/v1/ocds/records/{ocds.ocid_for(tender.reference)}/"


def everything() -> list[dict]:
    """Every release, built as the export and the feed build them."""
    return [r for process in ocds.iter_tender_releases() for r in process]


def releases_of(tender: Tender) -> list[dict]:
    return ocds.record_for(ocds.ocid_for(tender.reference))["releases"]


def close_now(tender: Tender) -> Tender:
    Tender.objects.filter(pk=tender.pk).update(
        response_deadline=timezone.now() - timedelta(minutes=1)
    )
    return services.tender_close_if_due(tender=Tender.objects.get(pk=tender.pk))


def test_the_demo_tenders_of_every_state_validate_against_the_official_schema(seeded, validate):
    client = APIClient()
    public = Tender.objects.exclude(status="draft").order_by("pk")
    assert set(public.values_list("status", flat=True)) == {
        "published",
        "closed",
        "awarded",
        "contract_signed",
        "unsuccessful",
        "cancelled",
    }
    records = []
    for tender in public:
        response = client.get(record_url(tender))
        assert response.status_code == 200, (tender.status, response.content)
        records.append(response.json())
    releases = everything()
    packages = [
        ocds.release_package(releases[start : start + 3], uri="https://example.org/p.json")
        for start in range(0, len(releases), 3)
    ]
    assert len(packages) > 1
    validate(*records, *packages)


def test_each_stage_has_its_tags_and_tender_status(seeded):
    expected = {
        "published": [(["tender"], "active")],
        "closed": [(["tender"], "active"), (["tenderUpdate"], "active")],
        # In its standstill: the award, no contract yet.
        "awarded": [
            (["tender"], "active"),
            (["tenderUpdate"], "active"),
            (["award"], "complete"),
        ],
        "contract_signed": [
            (["tender"], "active"),
            (["tenderUpdate"], "active"),
            (["award"], "complete"),
            (["contract"], "complete"),
        ],
        "unsuccessful": [
            (["tender"], "active"),
            (["tenderUpdate"], "active"),
            (["tenderUpdate"], "unsuccessful"),
        ],
        # The demo cancels this one while it is published.
        "cancelled": [(["tender"], "active"), (["tenderCancellation"], "cancelled")],
    }
    for tender in Tender.objects.exclude(status="draft"):
        status, stages = tender.status, expected[tender.status]
        releases = releases_of(tender)
        assert [(r["tag"], r["tender"]["status"]) for r in releases] == stages, status
        ocid = f"ocds-gc0000-{tender.reference}"
        assert all(r["ocid"] == ocid and r["initiationType"] == "tender" for r in releases)
        assert releases[0]["id"] == f"{ocid}-tender"
        assert releases[0]["date"] == ocds.rfc3339(tender.published_at)
        assert len({r["id"] for r in releases}) == len(releases)
    closed = Tender.objects.get(status="closed")
    assert releases_of(closed)[1]["date"] == ocds.rfc3339(closed.closed_at)
    cancelled = Tender.objects.get(status="cancelled")
    assert releases_of(cancelled)[1]["date"] == ocds.rfc3339(cancelled.decided_at)
    assert releases_of(cancelled)[1]["id"].endswith("-cancelled")
    signed = Tender.objects.get(status="contract_signed", agency__slug="region-bretagne")
    assert releases_of(signed)[2]["date"] == ocds.rfc3339(signed.award.awarded_at)
    assert releases_of(signed)[3]["date"] == ocds.rfc3339(signed.award.contract_signed_at)
    awarded = Tender.objects.get(status="awarded", agency__slug="meteo-france")
    assert "contracts" not in json.dumps(releases_of(awarded))


def test_drafts_never_appear(seeded):
    draft = Tender.objects.get(status="draft")
    assert not [r for r in everything() if draft.reference in r["ocid"]]
    assert APIClient().get(record_url(draft)).status_code == 404
    assert APIClient().get("/api/v1/ocds/records/ocds-gc0000-NOPE/").status_code == 404
    # The right reference under another prefix is no ocid of ours.
    published = Tender.objects.get(status="published")
    assert (
        APIClient().get(f"/api/v1/ocds/records/ocds-zz9999-{published.reference}/").status_code
        == 404
    )


def test_nothing_sealed_appears_before_the_deadline(seeded):
    published = Tender.objects.get(status="published")
    response = TenderResponse.objects.get(tender=published, status="submitted")
    responder = response.provider.name
    mine = [r for r in everything() if r["ocid"].endswith(published.reference)]
    record = APIClient().get(record_url(published)).json()
    for text in (json.dumps(mine, ensure_ascii=False), json.dumps(record, ensure_ascii=False)):
        assert "tenderer" not in text and "numberOfTenderers" not in text and "supplier" not in text
        assert responder not in text
        assert str(SEALED_PRICE) not in text and "98765" not in text
        assert "awards" not in text
    # The control: once the deadline closes it, the responder is a tenderer
    # (and its price still appears nowhere: OCDS core has no bid values).
    close_now(published)
    text = json.dumps(releases_of(published), ensure_ascii=False)
    assert responder in text and '"numberOfTenderers": 1' in text
    assert "98765" not in text


def test_a_tender_cancelled_before_its_deadline_never_shows_its_responders(seeded, validate):
    published = Tender.objects.get(status="published")
    responder = TenderResponse.objects.get(tender=published, status="submitted").provider.name
    buyer = published.agency.memberships.first().user
    services.tender_cancel(tender=published, actor=buyer, reason="Besoin abandonné.")
    releases = releases_of(published)
    assert [r["tag"] for r in releases] == [["tender"], ["tenderCancellation"]]
    text = json.dumps(releases, ensure_ascii=False)
    assert responder not in text and "numberOfTenderers" not in text
    assert releases[-1]["tender"]["documents"][0]["description"] == "Besoin abandonné."
    validate(ocds.record_package([ocds.record(releases)], uri="https://example.org/r.json"))


def test_a_tender_cancelled_after_its_deadline_lists_its_tenderers(seeded, validate):
    closed = Tender.objects.get(status="closed")
    buyer = closed.agency.memberships.first().user
    services.tender_cancel(tender=closed, actor=buyer, reason="Offres inacceptables.")
    releases = releases_of(closed)
    assert [r["tag"] for r in releases] == [["tender"], ["tenderUpdate"], ["tenderCancellation"]]
    assert releases[-1]["tender"]["numberOfTenderers"] == 3
    assert {p["roles"][0] for p in releases[-1]["parties"]} == {"buyer", "tenderer"}
    assert releases[-1]["tender"]["documents"][0]["documentType"] == "cancellationDetails"
    validate(
        ocds.record_package([ocds.record(releases)], uri="https://example.org/r.json"),
        ocds.release_package(releases, uri="https://example.org/p.json"),
    )


def test_the_contract_release_has_the_award_the_contract_and_the_parties(seeded):
    tender = Tender.objects.get(status="contract_signed", agency__slug="region-bretagne")
    award = tender.award
    release = releases_of(tender)[-1]
    supplier = release["awards"][0]["suppliers"][0]
    assert supplier["name"] == award.response.provider.name
    assert release["awards"][0]["value"] == {
        "amount": pytest.approx(float(award.amount)),
        "currency": "EUR",
    }
    assert release["awards"][0]["status"] == "active"
    contract = release["contracts"][0]
    assert contract["awardID"] == release["awards"][0]["id"] and contract["status"] == "active"
    assert contract["period"]["startDate"] == ocds.rfc3339(award.contract_signed_at)
    assert contract["period"]["endDate"] == ocds.rfc3339(add_months(award.contract_signed_at, 36))
    assert contract["dateSigned"] == ocds.rfc3339(award.contract_signed_at)
    roles = {p["id"]: p["roles"] for p in release["parties"]}
    assert roles[supplier["id"]] == ["tenderer", "supplier"]
    assert roles[release["buyer"]["id"]] == ["buyer", "procuringEntity"]
    assert release["buyer"]["id"] == f"FR-RCS-{tender.agency.siret}"
    assert sum(r == ["tenderer"] for r in roles.values()) == 3
    item = release["tender"]["items"][0]
    assert item["classification"] == {
        "scheme": "CPV",
        "id": "72416000",
        "description": "Application service providers",
    }
    assert item["quantity"] == 1000 * 36 and item["unit"] == {"name": "user-month"}
    assert release["tender"]["value"] == {"amount": 600000, "currency": "EUR"}
    assert release["tender"]["procurementMethod"] == "open"
    assert release["tender"]["numberOfTenderers"] == 4
    # The compiled release is the latest state of every field.
    compiled = ocds.record_for(release["ocid"])["compiledRelease"]
    assert compiled["tag"] == ["compiled"] and compiled["tender"]["status"] == "complete"
    assert {k: v for k, v in compiled.items() if k not in ("id", "date", "tag")} == {
        k: v for k, v in release.items() if k not in ("id", "date", "tag")
    }


def test_a_withdrawn_award_gets_an_award_update_and_stays_valid(seeded, validate):
    tender = Tender.objects.get(status="awarded", agency__slug="meteo-france")
    buyer = tender.agency.memberships.first().user
    first = tender.award
    services.award_withdraw(tender=tender, actor=buyer, reason="Réclamation fondée.")
    releases = releases_of(tender)
    assert [r["tag"] for r in releases][2:] == [["award"], ["awardUpdate"]]
    assert releases[-1]["awards"][0]["id"].endswith(f"-award-{first.pk}")
    assert releases[-1]["awards"][0]["status"] == "cancelled"
    assert releases[-1]["tender"]["status"] == "active"
    runner_up = TenderResponse.objects.get(
        tender=tender, provider__slug="cloud-temple", status="submitted"
    )
    services.tender_award(tender=tender, actor=buyer, response=runner_up)
    releases = releases_of(tender)
    assert [r["tag"] for r in releases][2:] == [["award"], ["awardUpdate"], ["award"]]
    validate(
        ocds.record_package([ocds.record(releases)], uri="https://example.org/r.json"),
        ocds.release_package(releases, uri="https://example.org/p.json"),
    )


def test_an_unsuccessful_tender_says_why(seeded):
    tender = Tender.objects.get(status="unsuccessful")
    last = releases_of(tender)[-1]
    assert last["tender"]["numberOfTenderers"] == 0 and "tenderers" not in last["tender"]
    assert last["tender"]["documents"][0]["description"] == tender.status_reason
    assert last["tender"]["awardPeriod"]["endDate"] == ocds.rfc3339(tender.decided_at)


# Releases per tender state: tender; + closed; + award or unsuccessful; + contract;
# a cancellation before the deadline adds one to the tender release.
RELEASES_PER_STATE = {
    "published": 1,
    "closed": 2,
    "awarded": 3,
    "contract_signed": 4,
    "unsuccessful": 3,
    "cancelled": 2,
}


def expected_release_count() -> int:
    return sum(RELEASES_PER_STATE[t.status] for t in Tender.objects.exclude(status="draft"))


def test_the_journal_holds_one_event_per_release_and_the_backfill_agrees(seeded):
    tender = Tender.objects.get(status="awarded", agency__slug="meteo-france")
    buyer = tender.agency.memberships.first().user
    services.award_withdraw(tender=tender, actor=buyer, reason="Réclamation fondée.")
    runner_up = TenderResponse.objects.get(
        tender=tender, provider__slug="cloud-temple", status="submitted"
    )
    services.tender_award(tender=tender, actor=buyer, response=runner_up)
    journal = ChangeEvent.objects.filter(entity__in=ocds.FEED_ENTITIES).order_by("id")
    events = [FeedEvent(e.id, e.entity, e.entity_id, e.txid) for e in journal]
    releases = ocds.releases_of_changes(events)
    # One event per release, no release without its event.
    assert len(events) == len(releases)
    assert sorted(r["id"] for r in releases) == sorted(r["id"] for r in everything())

    # What the migration journals for rows written before it: the same events.
    written = Counter((e.entity, e.entity_id) for e in events)
    journal.delete()
    migration = importlib.import_module("tenders.migrations.0007_open_data_feed")
    with connection.cursor() as db:
        db.execute(migration.BACKFILL)
    backfilled = ChangeEvent.objects.filter(entity__in=ocds.FEED_ENTITIES)
    assert Counter((e.entity, e.entity_id) for e in backfilled) == written


def test_a_bad_cursor_or_limit_is_a_400(seeded):
    client = APIClient()
    # The cursor of the feed before the commit-safe one (instant, release id) is refused.
    before = "WyJvY2RzIiwiMjAyNS0wMS0wMVQwMDowMDowMCswMDowMCIsIngiXQ"
    for params in (
        {"since": "nonsense"},
        {"since": "eyJhIjoxfQ"},
        {"since": before},
        {"limit": 0},
        {"limit": 5000},
    ):
        response = client.get(RELEASES, params)
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == "invalid"


def test_the_export_writes_valid_packages(seeded, tmp_path, validate):
    out = StringIO()
    call_command("export_ocds", str(tmp_path / "ocds"), stdout=out)
    assert f"{expected_release_count()} release(s)" in out.getvalue()
    records = sorted((tmp_path / "ocds" / "records").glob("*.json"))
    public = Tender.objects.exclude(status="draft")
    assert [p.name for p in records] == sorted(f"ocds-gc0000-{t.reference}.json" for t in public)
    validate(tmp_path / "ocds" / "releases.json", *records)
    package = json.loads((tmp_path / "ocds" / "releases.json").read_text())
    assert package["uri"] == (tmp_path / "ocds" / "releases.json").as_uri()
    call_command(
        "export_ocds",
        str(tmp_path / "web"),
        "--base-url",
        "https://data.example.fr/ocds",
        stdout=StringIO(),
    )
    record = json.loads(next((tmp_path / "web" / "records").glob("*.json")).read_text())
    assert record["uri"].startswith("https://data.example.fr/ocds/records/ocds-gc0000-")


def test_the_ocid_prefix_setting_is_honoured(seeded, settings):
    settings.OCDS_OCID_PREFIX = "ocds-ab12cd"
    tender = Tender.objects.get(status="contract_signed", agency__slug="region-bretagne")
    response = APIClient().get(f"/api/v1/ocds/records/ocds-ab12cd-{tender.reference}/")
    assert response.status_code == 200
    record = response.json()["records"][0]
    assert record["ocid"] == f"ocds-ab12cd-{tender.reference}"
    assert all(r["id"].startswith(f"ocds-ab12cd-{tender.reference}-") for r in record["releases"])
    assert (
        APIClient().get(f"/api/v1/ocds/records/ocds-gc0000-{tender.reference}/").status_code == 404
    )
    assert all(r["ocid"].startswith("ocds-ab12cd-") for r in everything())
