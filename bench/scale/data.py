"""The vocabulary and the mix of the scale marketplace: categories,
names, places, provider and location profiles, tender statuses; every scale
row is marked with the prefixes (``--reset`` removes exactly those)."""

from __future__ import annotations

from datetime import date

SLUG_PREFIX = "scale-"
REFERENCE_PREFIX = "SCALE-"
# The random choices' seed: the same marketplace at every load of a size.
DEFAULT_SEED = 20261122

CATEGORIES = {
    # category: (CPV code, units of sale, normalised price range EUR excl. VAT, nouns)
    "iaas_compute": (
        "72514000-1",
        ["VCPU_HOUR", "VCPU_MONTH"],
        (5, 60),
        ["Calcul", "Machines virtuelles", "Serveurs dédiés"],
    ),
    "iaas_storage": (
        "72317000-0",
        ["GB_MONTH", "TB_MONTH"],
        (0.005, 0.1),
        ["Stockage objet", "Stockage bloc", "Archivage"],
    ),
    "backup": (
        "72910000-2",
        ["GB_MONTH", "TB_MONTH"],
        (0.01, 0.2),
        ["Sauvegarde", "Reprise d'activité", "Plan de continuité"],
    ),
    "paas_database": (
        "72320000-4",
        ["INSTANCE_HOUR", "INSTANCE_MONTH"],
        (20, 600),
        ["PostgreSQL managé", "Base de données", "Entrepôt de données"],
    ),
    "paas_containers": (
        "72416000-9",
        ["VCPU_MONTH", "VCPU_HOUR"],
        (8, 70),
        ["Kubernetes managé", "Conteneurs", "Plateforme applicative"],
    ),
    "saas_collaboration": (
        "72416000-9",
        ["USER_MONTH"],
        (2, 30),
        ["Messagerie", "Suite bureautique", "Visioconférence"],
    ),
    "saas_business": (
        "48000000-8",
        ["USER_MONTH"],
        (5, 80),
        ["Gestion financière", "Ressources humaines", "Gestion électronique de documents"],
    ),
    "hosting": (
        "72415000-2",
        ["SITE_MONTH"],
        (5, 200),
        ["Hébergement web", "Hébergement applicatif", "Sites publics"],
    ),
    "network": (
        "72700000-7",
        ["MBPS_MONTH"],
        (1, 30),
        ["Réseau privé", "Interconnexion", "Anti-DDoS"],
    ),
}
ADJECTIVES = [
    "souverain",
    "sécurisé",
    "haute disponibilité",
    "qualifié",
    "éco-conçu",
    "mutualisé",
    "dédié",
    "régional",
    "européen",
    "certifié",
    "élastique",
    "chiffré",
]
DESCRIPTION_WORDS = [
    "service",
    "hébergé",
    "données",
    "chiffrement",
    "réversibilité",
    "supervision",
    "disponibilité",
    "sauvegarde",
    "journalisation",
    "authentification",
    "réseau",
    "interopérabilité",
    "support",
    "français",
    "européen",
    "administration",
    "conformité",
    "RGPD",
    "santé",
    "collectivités",
    "ministères",
    "hôpitaux",
]
CITIES = [
    "Paris",
    "Lyon",
    "Lille",
    "Nantes",
    "Toulouse",
    "Strasbourg",
    "Rennes",
    "Bordeaux",
    "Marseille",
]

# Who the provider is: seats, ownership, certificates (scheme, version,
# assurance, HDS activities covered). Weights approximate a European market with many small
# uncertified providers and few SecNumCloud-qualified ones.
PROVIDER_PROFILES = {
    "sovereign_fr": dict(
        weight=15,
        seats=("FR", "FR", "FR"),
        stakes=[("Fondateurs", "FR", 70, 70), ("Fonds souverain", "DE", 30, 30)],
        certs=[
            ("SECNUMCLOUD", "3.2", "", ()),
            ("HDS", "2.0", "", (1, 2, 3, 4, 5, 6)),
            ("ISO27001", "2022", "", ()),
        ],
    ),
    "eu_certified": dict(
        weight=25,
        seats=("DE", "DE", "NL"),
        stakes=[
            ("Holding", "NL", 60, 60),
            ("US Ventures", "US", 20, 20),
            ("Salariés", "DE", 20, 20),
        ],
        # HDS for the infrastructure activities only: its platform and
        # software offers do not qualify for health data.
        certs=[("ISO27001", "2022", "", ()), ("HDS", "2.0", "", (1, 2, 3, 6))],
    ),
    "eu_iso": dict(
        weight=25,
        seats=("ES", "ES", "ES"),
        stakes=[("Familia", "ES", 100, 100)],
        certs=[("ISO27001", "2013", "", ())],
    ),
    "non_eu": dict(
        weight=15,
        seats=("US", "US", "IE"),
        stakes=[("Parent Corp", "US", 100, 100)],
        certs=[("ISO27001", "2022", "", ()), ("C5", "2020", "type2", ())],
    ),
    "uncertified": dict(
        weight=20, seats=("FR", "FR", "FR"), stakes=[("Gérant", "FR", 100, 100)], certs=[]
    ),
}
# Where the offer runs: storage, processing, backup, technical data,
# administration, support, support documented.
LOCATION_PROFILES = {
    "fr": dict(weight=25, where=(["FR"], ["FR"], ["FR"], ["FR"], ["FR"], ["FR"]), documented=False),
    "eu": dict(
        weight=35,
        where=(["DE", "FR"], ["DE"], ["NL"], ["DE"], ["DE"], ["DE", "FR"]),
        documented=False,
    ),
    "eu_offshore_support": dict(
        weight=15, where=(["FR"], ["FR"], ["DE"], ["FR"], ["FR"], ["FR", "MA"]), documented=True
    ),
    "adequacy": dict(
        weight=10, where=(["CH"], ["CH"], ["CH"], ["CH"], ["CH"], ["CH"]), documented=False
    ),
    "global": dict(
        weight=15,
        where=(["US", "IE"], ["US"], ["US"], ["US"], ["US"], ["US", "IN"]),
        documented=False,
    ),
}
TENDER_STATUSES = [
    ("published", 30),
    ("draft", 10),
    ("closed", 15),
    ("awarded", 30),
    ("unsuccessful", 5),
    ("cancelled", 10),
]
CERT_DATES = {
    "SECNUMCLOUD": date(2028, 6, 30),
    "HDS": date(2027, 12, 31),
    "ISO27001": date(2027, 3, 31),
    "C5": date(2027, 9, 30),
}


CERT_ID_STANDIN = 987_650_000
CERT_ISSUED_ON = date(2023, 1, 1)
# Pre-rendered variants per fragment (prices per category, terms, descriptions).
POOL = 4096
OFFER_COLUMNS = [
    "id",
    "provider_id",
    "name",
    "description",
    "category",
    "cpv_code",
    "unit",
    "unit_price",
    "price_is_illustrative",
    "normalised_unit",
    "normalised_price",
    "minimum_commitment",
    "minimum_months",
    "capacity",
    "sla_pct",
    "storage_countries",
    "processing_countries",
    "backup_countries",
    "technical_data_countries",
    "administration_countries",
    "support_countries",
    "support_documented",
    "data_countries",
    "dr_support",
    "status",
    "created_at",
    "updated_at",
]
