"""The pure DECP builder: plain data in, one ``marche`` of the official 2.0.3
schema out — no database. Every constant we emit is checked against the
schema's own enumerations, and whole entries against the official
validator."""

import datetime
from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tenders import decp
from tenders.models import Procedure

PARIS = ZoneInfo("Europe/Paris")
# 23:30 in Paris on 14 March is already the 14th there, the 14th in UTC too;
# 00:30 on the 15th in Paris is still the 14th in UTC: dates are Paris dates.
AWARDED_AT = datetime.datetime(2025, 3, 15, 0, 30, tzinfo=PARIS)


def contract(**overrides) -> decp.Contract:
    values = {
        "kind": decp.TENDER,
        "pk": 7,
        "reference": "GC-2025-00007",
        "buyer_siret": "11000007200014",
        "subject": "Suite collaborative pour les agents",
        "cpv_code": "72416000-9",
        "procedure": Procedure.OPEN,
        "duration_months": 36,
        "amount": Decimal("410000.00"),
        "published_at": AWARDED_AT.astimezone(datetime.UTC),
        "holders": (decp.Holder(siren="732829320"),),
        "offers_received": 3,
    }
    values.update(overrides)
    return decp.Contract(**values)


def marche_schema(schema: dict) -> dict:
    return schema["definitions"]["marche"]


# --------------------------------------------------------------------------
# Mappings


@pytest.mark.parametrize(
    ("ours", "regulatory"),
    [
        (Procedure.OPEN, "Appel d'offres ouvert"),
        (Procedure.ADAPTED, "Procédure adaptée"),
        (Procedure.DIRECT, "Marché passé sans publicité ni mise en concurrence préalable"),
    ],
)
def test_it_maps_each_procedure_onto_the_regulatory_list(ours, regulatory, decp_schema):
    assert decp.marche_entry(contract(procedure=ours))["procedure"] == regulatory
    assert regulatory in marche_schema(decp_schema)["properties"]["procedure"]["enum"]


def test_every_procedure_of_ours_has_a_mapping():
    assert set(decp.PROCEDURES) == set(Procedure.values)


def test_every_constant_it_emits_is_in_the_schema_enumerations(decp_schema):
    properties = marche_schema(decp_schema)["properties"]
    definitions = marche_schema(decp_schema)["definitions"]
    assert decp.NATURE in properties["nature"]["enum"]
    assert decp.CCAG in properties["ccag"]["enum"]
    assert set(decp.PRICE_FORMS.values()) <= set(properties["formePrix"]["enum"])
    assert decp.PRICE_TYPE in definitions["typePrixArray"]["items"]["enum"]
    assert decp.NO_TECHNIQUE in definitions["techniqueArray"]["items"]["enum"]
    assert decp.NO_EXECUTION_MODE in definitions["modaliteExecutionArray"]["items"]["enum"]
    assert decp.NO_SOCIAL in definitions["considerationSocialeArray"]["items"]["enum"]
    assert (
        decp.NO_ENVIRONMENTAL in definitions["considerationEnvironnementaleArray"]["items"]["enum"]
    )
    assert decp.PLACE_FRANCE[1] in properties["lieuExecution"]["properties"]["typeCode"]["enum"]


def test_a_tender_is_a_lump_sum_and_an_order_a_unit_price():
    assert decp.marche_entry(contract())["formePrix"] == "Forfaitaire"
    order = contract(
        kind=decp.ORDER, reference="CMD-2025-00001", procedure=Procedure.DIRECT, offers_received=1
    )
    assert decp.marche_entry(order)["formePrix"] == "Unitaire"


# --------------------------------------------------------------------------
# Holders: SIRET type for a French company, TVA for an EU one


def test_a_french_holder_is_identified_by_its_siren_with_the_siret_type():
    assert decp.holder_identifier(decp.Holder(siren="732829320")) == {
        "typeIdentifiant": "SIRET",
        "id": "732829320",
    }


def test_the_siren_wins_over_the_vat_number():
    holder = decp.Holder(siren="732829320", vat_number="FR44732829320")
    assert decp.holder_identifier(holder)["typeIdentifiant"] == "SIRET"


@pytest.mark.parametrize(
    ("vat", "kind"),
    [
        ("DE811115368", "TVA"),
        ("lu 26888617", "TVA"),
        ("EL094014201", "TVA"),
        ("CHE116281710", "HORS-UE"),
        ("GB123456789", "HORS-UE"),
    ],
)
def test_a_holder_without_siren_is_identified_by_its_vat_number(vat, kind):
    identifier = decp.holder_identifier(decp.Holder(vat_number=vat))
    assert identifier == {"typeIdentifiant": kind, "id": vat.replace(" ", "").upper()}


def test_a_holder_with_no_identifier_blocks_publication():
    assert decp.holder_identifier(decp.Holder()) is None
    assert (
        decp.publication_blocker(
            amount=Decimal("90000"), holders=(decp.Holder(),), threshold=Decimal("40000")
        )
        == decp.HOLDER_UNIDENTIFIED
    )
    with pytest.raises(ValueError, match="SIREN or a VAT number"):
        decp.marche_entry(contract(holders=(decp.Holder(),)))


@pytest.mark.parametrize(
    ("amount", "blocker"),
    [
        ("39999.99", decp.BELOW_THRESHOLD),
        ("40000.00", None),
        ("410000", None),
    ],
)
def test_the_threshold_is_inclusive(amount, blocker):
    holders = (decp.Holder(siren="732829320"),)
    assert (
        decp.publication_blocker(
            amount=Decimal(amount), holders=holders, threshold=Decimal("40000")
        )
        == blocker
    )


def test_the_holder_identifier_types_are_the_schemas(decp_schema):
    allowed = marche_schema(decp_schema)["definitions"]["Titulaire"]["properties"][
        "typeIdentifiant"
    ]["enum"]
    for holder in (
        decp.Holder(siren="732829320"),
        decp.Holder(vat_number="DE811115368"),
        decp.Holder(vat_number="CHE116281710"),
    ):
        assert decp.holder_identifier(holder)["typeIdentifiant"] in allowed


# --------------------------------------------------------------------------
# Fields


def test_the_cpv_code_loses_its_check_digit():
    assert decp.marche_entry(contract())["codeCPV"] == "72416000"


def test_the_identifier_is_the_reference_when_it_fits():
    assert decp.marche_entry(contract())["id"] == "GC-2025-00007"


def test_a_reference_that_does_not_fit_falls_back_to_kind_year_and_row():
    long = contract(reference="MINISTERE-2025-00007")
    assert decp.marche_entry(long)["id"] == "M20257"
    order = contract(kind=decp.ORDER, reference="CMD 2025 00001", pk=12, procedure=Procedure.DIRECT)
    assert decp.marche_entry(order)["id"] == "C202512"


def test_the_object_is_truncated_to_the_schema_limit():
    entry = decp.marche_entry(contract(subject="Hébergement  \n" + "x" * 2000))
    assert (
        len(entry["objet"]) == 1000
        and entry["objet"].startswith("Hébergement x")
        and entry["objet"].endswith("…")
    )


def test_dates_are_paris_dates_and_publication_is_notification():
    entry = decp.marche_entry(contract())
    assert entry["dateNotification"] == entry["datePublicationDonnees"] == "2025-03-15"


def test_the_amount_is_a_json_number_to_the_cent():
    assert decp.marche_entry(contract(amount=Decimal("410000.00")))["montant"] == 410000
    assert decp.marche_entry(contract(amount=Decimal("45000.505")))["montant"] == 45000.51


def test_the_place_of_execution_is_france_by_its_insee_code():
    assert decp.marche_entry(contract())["lieuExecution"] == {
        "code": "99100",
        "typeCode": "Code pays",
    }


def test_there_are_no_modifications_until_some_are_recorded():
    assert "modifications" not in decp.marche_entry(contract())


def test_modifications_are_rendered_in_notification_order():
    later = decp.Modification(
        number=2,
        notified_on=datetime.date(2025, 9, 1),
        published_on=datetime.date(2025, 9, 2),
        duration_months=48,
    )
    first = decp.Modification(
        number=1,
        notified_on=datetime.date(2025, 6, 1),
        published_on=datetime.date(2025, 6, 3),
        amount=Decimal("450000"),
        holders=(decp.Holder(vat_number="DE811115368"),),
    )
    entry = decp.marche_entry(contract(modifications=(later, first)))
    assert entry["modifications"] == [
        {
            "modification": {
                "id": 1,
                "dateNotificationModification": "2025-06-01",
                "datePublicationDonneesModification": "2025-06-03",
                "montant": 450000,
                "titulaires": [{"titulaire": {"typeIdentifiant": "TVA", "id": "DE811115368"}}],
            }
        },
        {
            "modification": {
                "id": 2,
                "dateNotificationModification": "2025-09-01",
                "datePublicationDonneesModification": "2025-09-02",
                "dureeMois": 48,
            }
        },
    ]
    # Modifications never rewrite the initial data.
    assert entry["montant"] == 410000 and entry["dureeMois"] == 36


# --------------------------------------------------------------------------
# Whole entries, through the official validator


def test_entries_of_every_kind_and_procedure_are_valid(assert_valid_decp):
    entries = [
        decp.marche_entry(contract()),
        decp.marche_entry(
            contract(
                pk=8,
                reference="GC-2025-00008",
                procedure=Procedure.ADAPTED,
                holders=(decp.Holder(vat_number="DE811115368"),),
                subcontracting_declared=True,
            )
        ),
        decp.marche_entry(
            contract(
                kind=decp.ORDER,
                pk=1,
                reference="CMD-2025-00001",
                procedure=Procedure.DIRECT,
                holders=(decp.Holder(vat_number="CHE116281710"),),
                offers_received=1,
                amount=Decimal("45000.50"),
                duration_months=12,
            )
        ),
        decp.marche_entry(
            contract(
                pk=9,
                reference="GC-2025-00009",
                modifications=(
                    decp.Modification(
                        number=1,
                        notified_on=datetime.date(2025, 6, 1),
                        published_on=datetime.date(2025, 6, 3),
                        amount=Decimal("450000"),
                        duration_months=40,
                        holders=(decp.Holder(siren="732829320"),),
                    ),
                ),
            )
        ),
    ]
    assert_valid_decp(decp.document(entries))


def test_the_validator_does_fail_on_a_broken_entry():
    from tests.decp.conftest import run_validator

    entry = decp.marche_entry(contract())
    entry["codeCPV"] = "72416000-95"
    entry["nature"] = "Concession"
    result = run_validator(decp.document([entry]))
    assert result.returncode == 1 and "2 error(s)" in result.stdout


def test_an_empty_document_is_still_a_valid_one(assert_valid_decp):
    assert decp.document([]) == {"marches": {"marche": []}}
    assert_valid_decp(decp.document([]))


# --------------------------------------------------------------------------
# The whole document's order


def test_positions_order_by_instant_then_kind_then_row():
    award = contract(pk=9)
    order = replace(contract(pk=1), kind=decp.ORDER)
    assert sorted([order.position, award.position]) == [award.position, order.position]
