from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.http import QueryDict

from broker.models import AuditEvent
from broker.services import audit_verify
from catalog import services as catalog_services
from catalog.models import Certification, OfferAssessment
from tenders import selectors, services
from tenders.models import SourcingFile
from tenders.services import TenderError


def test_it_normalises_the_saved_filters(agency_a, buyer_a):
    item = services.sourcing_file_save(
        agency=agency_a,
        actor=buyer_a,
        name="  Santé  ",
        filters=QueryDict(
            "flags=personal_data&flags=HEALTH&level=N1&min_price=0.50&q=&category=&location=fr"
        ),
    )
    assert item.name == "Santé"
    assert item.filters == {
        "flags": ["HEALTH", "PERSONAL_DATA"],
        "level": "N1",
        "min_price": "0.5",
        "location": "FR",
    }


def test_it_refuses_unknown_filters_values_with_field_errors(agency_a, buyer_a):
    with pytest.raises(TenderError) as error:
        services.sourcing_file_save(
            agency=agency_a, actor=buyer_a, name="x", filters={"level": "N9"}
        )
    assert "level" in error.value.fields
    with pytest.raises(TenderError) as error:
        services.sourcing_file_save(agency=agency_a, actor=buyer_a, name="", filters={})
    assert "name" in error.value.fields


def test_it_refuses_unknown_filter_keys_naming_each(agency_a, buyer_a):
    for filters in ({"lvl": "N2", "level": "N2"}, QueryDict("lvl=N2&level=N2")):
        with pytest.raises(TenderError) as error:
            services.sourcing_file_save(agency=agency_a, actor=buyer_a, name="x", filters=filters)
        assert list(error.value.fields) == ["lvl"]
    # The search page's own page number and display unit are not filters.
    item = services.sourcing_file_save(
        agency=agency_a, actor=buyer_a, name="x", filters=QueryDict("level=N2&page=3&unit=GB_MONTH")
    )
    assert item.filters == {"level": "N2"}


def test_it_locks_the_result_with_offers_assessments_prices_and_policy(locked, market):
    snapshot = locked.snapshot
    assert locked.is_locked and len(locked.snapshot_sha256) == 64
    assert [o["id"] for o in snapshot["offers"]] == [
        market.a.pk,
        market.b.pk,
        market.c.pk,
    ]  # cheapest first
    first = snapshot["offers"][0]
    assert first["unit_price"] == "20.0000" and first["provider"]["name"] == "Alpha Cloud"
    assert first["assessment"]["level"] == "N2" and first["assessment"]["checks"]
    assert snapshot["policy_version"] == locked.policy_version
    assert snapshot["filters"] == {"level": "N2", "category": "iaas_storage", "location": "FR"}
    assert selectors.sourcing_file_verify(SourcingFile.objects.get(pk=locked.pk))


def test_it_records_the_lock_in_the_audit_chain(locked):
    event = AuditEvent.objects.get(action="sourcing_file.lock", object_id=locked.pk)
    assert event.data["sha256"] == locked.snapshot_sha256
    assert event.organisation == "Ministère des Essais"
    assert audit_verify().broken_at is None


def test_it_refuses_to_lock_twice(locked, buyer_a):
    with pytest.raises(TenderError) as error:
        services.sourcing_file_lock(sourcing_file=locked, actor=buyer_a)
    assert error.value.http_status == 409


def test_it_refuses_to_delete_a_locked_file_but_deletes_an_open_one(saved, buyer_a):
    services.sourcing_file_delete(sourcing_file=saved, actor=buyer_a)
    assert not SourcingFile.objects.filter(pk=saved.pk).exists()


def test_it_refuses_to_delete_a_locked_file(locked, buyer_a):
    with pytest.raises(TenderError):
        services.sourcing_file_delete(sourcing_file=locked, actor=buyer_a)


def test_it_lets_the_database_refuse_any_change_of_a_locked_file(locked):
    for change in (
        {"name": "renamed"},
        {"snapshot_sha256": "0" * 64},
        {"locked_at": None, "snapshot": None, "snapshot_sha256": ""},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            SourcingFile.objects.filter(pk=locked.pk).update(**change)
    with pytest.raises(IntegrityError), transaction.atomic():
        SourcingFile.objects.filter(pk=locked.pk).delete()
    assert SourcingFile.objects.get(pk=locked.pk).name == "Stockage N2"


def test_it_lets_only_the_user_columns_of_a_locked_file_go_null(locked, buyer_b):
    # What ON DELETE SET NULL of a user account does; nothing of the record changes.
    SourcingFile.objects.filter(pk=locked.pk).update(locked_by=None, created_by=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        SourcingFile.objects.filter(pk=locked.pk).update(locked_by=buyer_b)
    again = SourcingFile.objects.get(pk=locked.pk)
    assert again.locked_by_id is None and again.snapshot_sha256 == locked.snapshot_sha256
    assert selectors.sourcing_file_verify(again)


def test_it_still_verifies_after_the_catalogue_changes(
    locked, market, operator, django_capture_on_commit_callbacks
):
    before = SourcingFile.objects.get(pk=locked.pk)
    with django_capture_on_commit_callbacks(execute=True):
        catalog_services.offer_update(offer=market.a, actor=None, unit_price="99")
        cert = Certification.objects.filter(scope_offers=market.b).get()
        catalog_services.certification_revoke(
            certification=cert, actor=operator, reason="Audit failed"
        )
        catalog_services.policy_version_bump(actor=operator, note="new rules")
    catalog_services.offers_assess()
    # The catalogue did change...
    assert OfferAssessment.objects.get(offer=market.b).level != "N2"
    live = list(selectors.sourcing_results(before.filters).values_list("pk", flat=True))
    assert market.b.pk not in live
    # ...the locked file did not.
    after = SourcingFile.objects.get(pk=locked.pk)
    assert after.snapshot == before.snapshot and after.snapshot_sha256 == before.snapshot_sha256
    assert after.snapshot["offers"][0]["unit_price"] == "20.0000"
    assert selectors.sourcing_file_verify(after)


def test_it_detects_a_tampered_snapshot(locked):
    item = SourcingFile.objects.get(pk=locked.pk)
    item.snapshot["offers"][0]["unit_price"] = "1.0000"
    assert not selectors.sourcing_file_verify(item)


def test_it_starts_a_tender_from_a_locked_file_with_its_filters(locked, agency_a, buyer_a):
    from tests import factories

    values = factories.tender_values()
    for key in ("category", "level", "flags", "location_constraint"):
        values.pop(key)
    tender = services.tender_create(agency=agency_a, actor=buyer_a, sourcing_file=locked, **values)
    assert tender.sourcing_file_id == locked.pk
    assert (tender.category, tender.level, tender.location_constraint) == (
        "iaas_storage",
        "N2",
        "FR",
    )


def test_it_refuses_a_tender_from_an_open_or_foreign_file(
    saved, agency_b, buyer_b, agency_a, buyer_a
):
    from tests import factories

    with pytest.raises(TenderError) as error:
        services.tender_create(
            agency=agency_a, actor=buyer_a, sourcing_file=saved, **factories.tender_values()
        )
    assert "sourcing_file" in error.value.fields
    locked = services.sourcing_file_lock(sourcing_file=saved, actor=buyer_a)
    with pytest.raises(TenderError) as error:
        services.tender_create(
            agency=agency_b, actor=buyer_b, sourcing_file=locked, **factories.tender_values()
        )
    assert "sourcing_file" in error.value.fields


def test_it_orders_an_offer_of_the_locked_result_only(
    locked, agency_a, buyer_a, market, provider_a
):
    from tests import factories

    order = services.order_place(
        agency=agency_a,
        actor=buyer_a,
        offer=market.a,
        quantity=Decimal("2"),
        duration_months=6,
        level="N2",
        sourcing_file=locked,
    )
    assert order.sourcing_file_id == locked.pk
    other = factories.offer(provider_a, name="Hors dossier")
    with pytest.raises(TenderError) as error:
        services.order_place(
            agency=agency_a,
            actor=buyer_a,
            offer=other,
            quantity=Decimal("2"),
            duration_months=6,
            sourcing_file=locked,
        )
    assert "offer" in error.value.fields
    tenders, orders = selectors.sourcing_file_uses(locked)
    assert orders == [order] and tenders == []
