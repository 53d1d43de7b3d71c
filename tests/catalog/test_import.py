"""Bulk import of offers (catalog.services.offers_import, manage.py
import_offers): validated as the offer API validates, all or nothing,
written in bulk with the same derived fields as offer_create."""

import pytest
from django.core.management import CommandError, call_command

from catalog import selectors, services
from catalog.models import Offer, OfferAssessment, OfferStatus
from tests.conftest import client_for

HEADER = (
    "name,description,category,cpv_code,unit,unit_price,minimum_months,capacity,sla_pct,"
    "storage_countries,processing_countries,backup_countries,technical_data_countries,"
    "administration_countries,support_countries,dr_support\n"
)
GOOD = [
    'Coffre à Lyon,Stockage chiffré souverain,iaas_storage,72317000-0,GB_MONTH,0.0450,12,,99.9,FR,FR,"FR,DE",FR,FR,FR,true\n',
    "Calcul léger,,iaas_compute,72514000-1,VCPU_HOUR,0.03,,,,,,,,,,\n",
]


def _csv(tmp_path, *lines: str):
    path = tmp_path / "offers.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return str(path)


def test_it_imports_drafts_as_offer_create_would_make_them(
    tmp_path, provider_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_offers", _csv(tmp_path, *GOOD), provider=provider_a.slug)
        reference = services.offer_create(
            provider=provider_a,
            actor=None,
            name="Coffre à Lyon",
            description="Stockage chiffré souverain",
            category="iaas_storage",
            cpv_code="72317000-0",
            unit="GB_MONTH",
            unit_price="0.0450",
            minimum_months=12,
            sla_pct="99.9",
            storage_countries=["FR"],
            processing_countries=["FR"],
            backup_countries=["FR", "DE"],
            technical_data_countries=["FR"],
            administration_countries=["FR"],
            support_countries=["FR"],
            dr_support=True,
        )
    imported = list(
        Offer.objects.filter(provider=provider_a).exclude(pk=reference.pk).order_by("pk")
    )
    assert [o.name for o in imported] == ["Coffre à Lyon", "Calcul léger"]
    first, second = imported
    reference.refresh_from_db()
    derived = (
        "category",
        "unit",
        "unit_price",
        "normalised_unit",
        "normalised_price",
        "minimum_months",
        "capacity",
        "sla_pct",
        "backup_countries",
        "data_countries",
        "dr_support",
        "status",
        "search_document",
    )
    assert {f: getattr(first, f) for f in derived} == {f: getattr(reference, f) for f in derived}
    assert first.status == OfferStatus.DRAFT and first.created_at and first.updated_at
    assert second.minimum_months == 0 and second.capacity is None and second.storage_countries == []
    # A row shorter than the header: the missing cells take the defaults.
    ids = services.offers_import(
        provider=provider_a,
        actor=None,
        rows=[
            {
                "name": "Court",
                "category": "backup",
                "cpv_code": "72317000-0",
                "unit": "GB_MONTH",
                "unit_price": "1",
                "description": None,
                "dr_support": None,
            }
        ],
    )
    short = Offer.objects.get(pk=ids[0])
    assert (short.description, short.dr_support, short.status) == ("", False, OfferStatus.DRAFT)
    # Searchable (same document as offer_create), and assessed after commit.
    found = selectors.offers_filter(Offer.objects.filter(provider=provider_a), q="coffre lyon")
    assert set(found.values_list("pk", flat=True)) == {first.pk, reference.pk}
    assert OfferAssessment.objects.filter(offer__in=imported).count() == 2
    assert (
        OfferAssessment.objects.get(offer=first).level
        == OfferAssessment.objects.get(offer=reference).level
    )


@pytest.mark.parametrize(
    ("cells", "field", "api_field"),
    [
        (
            "Trop précis,,iaas_storage,72317000-0,GB_MONTH,0.04501,,,,,,,,,,",
            "unit_price",
            "unit_price",
        ),
        ("SLA,,iaas_storage,72317000-0,GB_MONTH,1,,,100.5,,,,,,,", "sla_pct", "sla_pct"),
        (
            "Pays,,iaas_storage,72317000-0,GB_MONTH,1,,,,XX,,,,,,",
            "storage_countries",
            "storage_countries",
        ),
        (",,iaas_storage,72317000-0,GB_MONTH,1,,,,,,,,,,", "name", "name"),
        (
            "Mois,,iaas_storage,72317000-0,GB_MONTH,1,200,,,,,,,,,",
            "minimum_months",
            "minimum_months",
        ),
        ("Vrai,,iaas_storage,72317000-0,GB_MONTH,1,,,,,,,,,,peut-être", "dr_support", "dr_support"),
    ],
)
def test_a_row_the_api_refuses_is_refused_and_nothing_is_written(
    tmp_path, provider_a, member_a, cells, field, api_field
):
    api = client_for(member_a.user)
    names = HEADER.strip().split(",")
    body = {k: v for k, v in zip(names, cells.split(","), strict=True) if v != ""}
    for key in ("storage_countries", "processing_countries"):
        if key in body:
            body[key] = body[key].split(",")
    refused = api.post("/api/v1/offers/", body, format="json")
    assert refused.status_code == 400 and api_field in refused.json()["error"]["fields"]

    with pytest.raises(CommandError) as error:
        call_command(
            "import_offers",
            _csv(tmp_path, GOOD[0], cells + "\n", GOOD[1]),
            provider=provider_a.slug,
        )
    assert f"row 2, {field}:" in str(error.value)
    assert "row 1," not in str(error.value) and "row 3," not in str(error.value)
    assert not Offer.objects.filter(provider=provider_a).exists()


def test_every_invalid_row_is_reported(provider_a):
    rows = [
        {
            "name": "A",
            "category": "nope",
            "cpv_code": "72317000-0",
            "unit": "GB_MONTH",
            "unit_price": "1",
        },
        {
            "name": "B",
            "category": "iaas_storage",
            "cpv_code": "72317000-0",
            "unit": "GB_MONTH",
            "unit_price": "1",
        },
        {
            "name": "C",
            "category": "iaas_storage",
            "cpv_code": "72317000-0",
            "unit": "GB_MONTH",
            "unit_price": "1",
            "colour": "blue",
        },
    ]
    with pytest.raises(services.CatalogError) as error:
        services.offers_import(provider=provider_a, actor=None, rows=rows)
    assert set(error.value.fields) == {"rows[0].category", "rows[2].colour"}
    assert not Offer.objects.exists()


def test_only_the_providers_members_or_an_operator_import(provider_a, member_b, operator):
    row = {
        "name": "A",
        "category": "iaas_storage",
        "cpv_code": "72317000-0",
        "unit": "GB_MONTH",
        "unit_price": "1",
    }
    with pytest.raises(services.CatalogError) as error:
        services.offers_import(provider=provider_a, actor=member_b.user, rows=[row])
    assert error.value.http_status == 403 and not Offer.objects.exists()
    assert len(services.offers_import(provider=provider_a, actor=operator, rows=[row])) == 1


def test_an_unknown_provider_or_file_is_a_command_error(tmp_path, provider_a):
    with pytest.raises(CommandError, match="No provider"):
        call_command("import_offers", _csv(tmp_path, *GOOD), provider="nobody")
    with pytest.raises(CommandError):
        call_command("import_offers", str(tmp_path / "missing.csv"), provider=provider_a.slug)
