"""The sensitivity policy of DESIGN §2, version 1, as data the operator edits.

Sources: doctrine « cloud au centre » (circulaire n° 6404/SG, 31 May 2023,
rule R9) and loi SREN n° 2024-449 art. 31 (N2); ANSSI SecNumCloud v3.2 §19.6
(control thresholds 24 % / 39 %); II 901 (Diffusion Restreinte, N3);
IGI 1300 (classified, N4, out of scope); HDS referential v2 (arrêté of
26 April 2024: HDS v1 certificates no longer valid after 16 May 2026);
GDPR art. 45 (adequacy). The data is inlined on purpose: a migration must
not change when application code does."""

import datetime
from decimal import Decimal

from django.db import migrations

SCHEMES = [
    ("SECNUMCLOUD", "SecNumCloud", "ANSSI", 36, "Qualification granted per service; milestones J0–J2 are in progress."),
    ("HDS", "Hébergeur de données de santé (HDS)", "Accredited certification bodies (COFRAC), ANS referential", 36, ""),
    ("ISO27001", "ISO/IEC 27001", "Accredited certification bodies", 36, ""),
    ("C5", "BSI C5", "BSI catalogue, attested by auditors", 12, "Type 2 attests operating effectiveness over a period."),
    ("EUCS", "EUCS", "ENISA / national cybersecurity certification authorities", 36, "Assurance levels basic, substantial, high."),
]

LEVELS = [
    dict(code="N0", rank=0, label_fr="Public", label_en="Public",
         description_fr="Données ouvertes ou publiables.", description_en="Open or publishable data."),
    dict(code="N1", rank=1, label_fr="Interne", label_en="Internal",
         description_fr="Données administratives non publiques, données personnelles ordinaires.",
         description_en="Non-public administrative data, ordinary personal data.",
         data_zone="EEA_ADEQUACY"),
    dict(code="N2", rank=2, label_fr="Sensible", label_en="Sensitive",
         description_fr="Données d'une sensibilité particulière (doctrine « cloud au centre », R9 ; loi SREN art. 31).",
         description_en="Data of particular sensitivity (\"cloud au centre\" doctrine, R9; SREN law art. 31).",
         data_zone="EU", administration_zone="EU", support_zone="EU", requires_eu_control=True,
         max_non_eu_holder_pct=Decimal("24"), max_non_eu_total_pct=Decimal("39"),
         forbid_non_eu_data_subcontractors=True),
    dict(code="N3", rank=3, label_fr="Diffusion Restreinte", label_en="Restricted (Diffusion Restreinte)",
         description_fr="Informations portant la mention Diffusion Restreinte (II 901).",
         description_en="Information marked Diffusion Restreinte (II 901).",
         data_zone="FR", administration_zone="EU", support_zone="EU", requires_eu_control=True,
         max_non_eu_holder_pct=Decimal("24"), max_non_eu_total_pct=Decimal("39"),
         forbid_non_eu_data_subcontractors=True, requires_dr_support=True),
    dict(code="N4", rank=4, label_fr="Classifié", label_en="Classified",
         description_fr="Secret, Très Secret (IGI 1300) : hors périmètre.",
         description_en="Secret, Top Secret (IGI 1300): out of scope.", grantable=False),
]

REQUIREMENTS = [
    ("N1", "ISO27001", "", ""),
    ("N1", "C5", "", "type2"),
    ("N1", "EUCS", "", "substantial"),
    ("N1", "SECNUMCLOUD", "", ""),
    ("N2", "SECNUMCLOUD", "3.2", ""),
    ("N3", "SECNUMCLOUD", "3.2", ""),
]

BUYERS = [
    ("state_administration", "Administration de l'État", "State administration", "N2"),
    ("state_operator", "Opérateur de l'État", "State operator", "N2"),
    ("public_interest_group", "Groupement d'intérêt public", "Public interest group", None),
    ("local_authority", "Collectivité territoriale", "Local authority", None),
    ("hospital", "Établissement de santé", "Hospital", None),
    ("other", "Autre acheteur public", "Other public buyer", None),
]


def seed(apps, schema_editor):
    Scheme = apps.get_model("catalog", "CertificationScheme")
    Sunset = apps.get_model("catalog", "SchemeVersionSunset")
    Level = apps.get_model("catalog", "SensitivityLevel")
    Requirement = apps.get_model("catalog", "LevelCertificationRequirement")
    Flag = apps.get_model("catalog", "DataFlag")
    Buyer = apps.get_model("catalog", "BuyerCategory")
    Version = apps.get_model("catalog", "PolicyVersion")

    schemes = {}
    for code, name, issuer, months, description in SCHEMES:
        schemes[code], _ = Scheme.objects.get_or_create(
            code=code, defaults=dict(name=name, issuer=issuer, validity_months=months, description=description)
        )
    Sunset.objects.get_or_create(scheme=schemes["HDS"], version_below="2.0",
                                 defaults={"invalid_after": datetime.date(2026, 5, 16)})
    levels = {}
    for row in LEVELS:
        levels[row["code"]], _ = Level.objects.get_or_create(code=row["code"], defaults=row)
    for level, scheme, min_version, min_assurance in REQUIREMENTS:
        Requirement.objects.get_or_create(level=levels[level], scheme=schemes[scheme],
                                          defaults=dict(min_version=min_version, min_assurance=min_assurance))
    Flag.objects.get_or_create(code="HEALTH", defaults=dict(
        label_fr="Données de santé", label_en="Health data", storage_zone="EEA",
        required_scheme=schemes["HDS"]))
    Flag.objects.get_or_create(code="PERSONAL_DATA", defaults=dict(
        label_fr="Données personnelles", label_en="Personal data", storage_zone="EEA_ADEQUACY"))
    for code, fr, en, health_level in BUYERS:
        Buyer.objects.get_or_create(code=code, defaults=dict(
            label_fr=fr, label_en=en, health_min_level=levels[health_level] if health_level else None))
    Version.objects.get_or_create(number=1, defaults={"note": "Initial policy (DESIGN §2)"})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
