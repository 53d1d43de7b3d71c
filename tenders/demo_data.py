"""Demo agencies, tenders in every state, and direct purchases.

Agencies are real kinds of French public buyers; their SIRETs are
illustrative (valid check digit, not the bodies' real numbers). Offers are
those of catalog.demo_data, found by provider slug and offer name."""

from __future__ import annotations

PASSWORD = "guichet-demo"

AGENCIES = [
    {
        "slug": "ministere-interieur",
        "login": "acheteur",
        "buyer_category": "state_administration",
        "name": "Ministère de l'Intérieur — Direction du numérique (démo)",
        "siret": "11001401600015",
    },
    {
        "slug": "chu-bordeaux",
        "login": "acheteur-chu",
        "buyer_category": "hospital",
        "name": "CHU de Bordeaux (démo)",
        "siret": "26330005500013",
    },
    {
        "slug": "region-bretagne",
        "login": "acheteur-region",
        "buyer_category": "local_authority",
        "name": "Région Bretagne (démo)",
        "siret": "23350001600040",
    },
    {
        "slug": "meteo-france",
        "login": "acheteur-operateur",
        "buyer_category": "state_operator",
        "name": "Météo-France (démo)",
        "siret": "18001001900016",
    },
]

# "state": what the tender should have become ("contract_signed": awarded,
# standstill over, signed; "complaint": (provider slug, text) filed during
# the standstill); "responses": (provider slug,
# offer name, total price, technical answer, technical score).
TENDERS = [
    {
        "agency": "ministere-interieur",
        "state": "published",
        "title": "Stockage objet souverain pour les archives numériques",
        "description": "Stockage objet compatible S3 pour 200 To d'archives administratives "
        "sensibles, réversibilité et chiffrement au repos exigés.",
        "category": "iaas_storage",
        "cpv_code": "72317000-0",
        "level": "N2",
        "flags": [],
        "location_constraint": "FR",
        "quantity": "200",
        "unit": "TB_MONTH",
        "duration_months": 24,
        "estimated_value": "150000",
        "deadline_days": 21,
        "weights": (60, 40, 0),
    },
    {
        "agency": "ministere-interieur",
        "state": "draft",
        "title": "Hébergement de l'intranet ministériel",
        "description": "Hébergement de trois sites intranet (CMS), sauvegardes quotidiennes.",
        "category": "hosting",
        "cpv_code": "72415000-2",
        "level": "N1",
        "flags": ["PERSONAL_DATA"],
        "location_constraint": "EU",
        "quantity": "3",
        "unit": "SITE_MONTH",
        "duration_months": 36,
        "estimated_value": "20000",
        "deadline_days": 30,
        "weights": (50, 50, 0),
    },
    {
        "agency": "chu-bordeaux",
        "state": "closed",
        "title": "Hébergement HDS de l'entrepôt de données de santé",
        "description": "64 vCPU en continu pour l'entrepôt de données de santé du CHU, "
        "hébergeur certifié HDS v2, données en France.",
        "category": "iaas_compute",
        "cpv_code": "72514000-1",
        "level": "N1",
        "flags": ["HEALTH"],
        "location_constraint": "EU",
        "quantity": "64",
        "unit": "VCPU_MONTH",
        "duration_months": 36,
        "estimated_value": "120000",
        "deadline_days": 10,
        "weights": (50, 40, 10),
        "responses": [
            (
                "aws-france",
                "Amazon EC2 — région Europe (Paris) eu-west-3",
                "79800",
                "Instances m7i, "
                "trois zones de disponibilité, certificat HDS v2 couvrant les activités 1 à 6.",
                None,
            ),
            (
                "microsoft-azure-france",
                "Azure Virtual Machines — France Central",
                "83500",
                "Machines virtuelles Dv5 en France Central, réplication vers France South.",
                None,
            ),
            (
                "ovhcloud",
                "Public Cloud — instances (régions françaises)",
                "61200",
                "Instances b3 dans la région de Gravelines, sauvegarde à Roubaix, HDS.",
                None,
            ),
        ],
    },
    {
        # Awarded, standstill over, contract signed: in the DECP and with an
        # OCDS contract release.
        "agency": "region-bretagne",
        "state": "contract_signed",
        "title": "Suite collaborative pour les agents régionaux",
        "description": "Espace collaboratif (documents, messagerie d'équipe, visioconférence) "
        "pour 1 000 agents, données personnelles hébergées dans l'UE.",
        "category": "saas_collaboration",
        "cpv_code": "72416000-9",
        "level": "N1",
        "flags": ["PERSONAL_DATA"],
        "location_constraint": "",
        "quantity": "1000",
        "unit": "USER_MONTH",
        "duration_months": 36,
        "estimated_value": "600000",
        "deadline_days": 12,
        "weights": (40, 60, 0),
        "award_to": "microsoft-azure-france",
        "responses": [
            (
                "microsoft-azure-france",
                "Microsoft 365 E3 — données hébergées en France",
                "398000",
                "Microsoft 365 E3, données au repos en France (Advanced Data Residency), "
                "accompagnement au changement inclus.",
                "95",
            ),
            (
                "wimi",
                "Wimi Armoured — espace collaboratif SecNumCloud",
                "410000",
                "Wimi Armoured qualifié SecNumCloud, hébergé chez Outscale, accompagnement "
                "au déploiement inclus.",
                "88",
            ),
            (
                "oodrive",
                "Oodrive Work — partage et collaboration SecNumCloud",
                "520000",
                "Oodrive Work, qualifié SecNumCloud, intégration à l'annuaire régional.",
                "82",
            ),
            (
                "infomaniak",
                "kDrive — stockage et collaboration",
                "175000",
                "kDrive et kMeet, hébergés en Suisse (pays adéquat), tarif public.",
                "55",
            ),
        ],
    },
    {
        "agency": "meteo-france",
        "state": "awarded",
        "title": "Puissance de calcul pour la chaîne de prévision",
        "description": "200 vCPU en continu dans un cloud qualifié SecNumCloud pour les "
        "traitements de post-production des prévisions.",
        "category": "iaas_compute",
        "cpv_code": "72514000-1",
        "level": "N2",
        "flags": [],
        "location_constraint": "FR",
        "quantity": "200",
        "unit": "VCPU_MONTH",
        "duration_months": 24,
        "estimated_value": "250000",
        "deadline_days": 18,
        "weights": (60, 40, 0),
        "award_to": "outscale",
        # In its standstill, with a complaint of the runner-up awaiting the buyer's answer.
        "complaint": (
            "cloud-temple",
            "Notre offre est la moins chère de 12 100 € HT ; nous contestons la note "
            "technique de 60/100, qui ne tient pas compte des sauvegardes incluses.",
        ),
        "responses": [
            (
                "outscale",
                "IaaS SecNumCloud — région eu-west-2",
                "146500",
                "Instances tina dans la région eu-west-2 qualifiée SecNumCloud, deux zones.",
                "80",
            ),
            (
                "cloud-temple",
                "IaaS SecNumCloud (VMware)",
                "134400",
                "Cluster VMware dédié qualifié SecNumCloud, sauvegardes incluses.",
                "60",
            ),
        ],
    },
    {
        "agency": "meteo-france",
        "state": "unsuccessful",
        "title": "Sauvegarde externalisée des données d'observation",
        "description": "500 To de sauvegarde externalisée qualifiée SecNumCloud, restauration "
        "sous 4 heures.",
        "category": "backup",
        "cpv_code": "72910000-2",
        "level": "N2",
        "flags": [],
        "location_constraint": "FR",
        "quantity": "500",
        "unit": "TB_MONTH",
        "duration_months": 24,
        "estimated_value": "300000",
        "deadline_days": 15,
        "weights": (60, 40, 0),
        "reason": "Aucune offre reçue : aucune offre de sauvegarde n'est qualifiée N2 à ce jour.",
    },
    {
        "agency": "ministere-interieur",
        "state": "cancelled",
        "title": "Plateforme de conteneurs pour les applications métier",
        "description": "Cluster Kubernetes managé de 96 vCPU.",
        "category": "paas_containers",
        "cpv_code": "72514000-1",
        "level": "N2",
        "flags": [],
        "location_constraint": "FR",
        "quantity": "96",
        "unit": "VCPU_MONTH",
        "duration_months": 24,
        "estimated_value": "130000",
        "deadline_days": 20,
        "weights": (60, 40, 0),
        "reason": "Besoin requalifié : il sera couvert par un marché subséquent de l'accord-cadre "
        "interministériel.",
    },
]

# (agency slug, provider slug, offer name, quantity, months, level, flags, outcome)
ORDERS = [
    (
        "region-bretagne",
        "nuage-armor",
        "Hébergement mutualisé Armor",
        "5",
        12,
        "N1",
        ["PERSONAL_DATA"],
        "accepted",
    ),
    (
        "chu-bordeaux",
        "ovhcloud",
        "Cold Archive — archivage sur bandes",
        "10",
        12,
        "N1",
        [],
        "placed",
    ),
]
