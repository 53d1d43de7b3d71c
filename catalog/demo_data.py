"""The demo marketplace loaded by ``manage.py seed_demo``, as plain data.

Real companies and products where the facts are public; three providers are
FICTITIOUS and say so in their name and description (a 30 % non-EU holder, a
SecNumCloud 3.1 / HDS v1 certificate holder, a SaaS running on a hyperscaler).

Illustrative, not facts: every price (``price_is_illustrative`` is set on
every offer), every certificate reference and issue date, the SecNumCloud
milestones of the offers in progress, and the shareholdings marked
"illustrative" or "approximate". Dates are relative to the day of loading:
``issued_days_ago`` and ``valid_years`` (3 by default, the validity of
SecNumCloud, HDS and ISO/IEC 27001 certificates).

Offers carry a ``key`` so that certificates (``scope``) and subcontractors
(``catalog_offer``) can name them; a provider can only use offers of
providers listed before it. ``scope: "all"`` means every offer of the
provider.
"""

from __future__ import annotations

PASSWORD = "guichet-demo"
OPERATOR_USERNAME = "operateur"
PROVIDER_USERNAME = "fournisseur-{slug}"

ILLUSTRATIVE_PRICE_NOTE = (
    "Prix illustratif, non contractuel (données de démonstration du Guichet Cloud)."
)

# Public registers a buyer can check (evidence_url of the certificates).
ANSSI_REGISTER = "https://cyber.gouv.fr/produits-services-qualifies"
HDS_REGISTER = "https://esante.gouv.fr/offres-services/hds/liste-des-herbergeurs-certifies"


def where(data, *, processing=None, backup=None, technical=None, admin=None, support=None):
    """Locations per role; ``data`` is the storage country list and the
    default for every other role."""
    return {
        "storage_countries": list(data),
        "processing_countries": list(processing or data),
        "backup_countries": list(backup or data),
        "technical_data_countries": list(technical or data),
        "administration_countries": list(admin or data),
        "support_countries": list(support or admin or data),
    }


FR = ["FR"]
CH = ["CH"]
# Hyperscaler regions in France: data stays in the region, technical data in
# the EU, administration and support follow the sun (documented).
HYPERSCALER_FR = {
    **where(FR, technical=["FR", "IE"], admin=["FR", "IE", "US"], support=["IE", "IN", "US"]),
    "support_documented": True,
}

# The data keeps several short fields per line to stay readable.
# fmt: off
PROVIDERS: list[dict] = [
    # ------------------------------------------------------------------
    # SecNumCloud 3.2 IaaS, EU-controlled: N2, N3 with DR support.
    {
        "slug": "ovhcloud",
        "name": "OVH SAS (OVHcloud)",
        "siren": "424761419",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": False,
        "website": "https://www.ovhcloud.com/fr/",
        "description": (
            "Fournisseur européen de cloud fondé à Roubaix en 1999 ; sa maison mère OVH Groupe "
            "est cotée sur Euronext Paris. Offres qualifiées SecNumCloud : Hosted Private Cloud "
            "et Bare Metal Pod. La famille Klaba détient la majorité du capital (part "
            "approximative)."
        ),
        "stakes": [
            {"holder_name": "Famille Klaba (holdings familiales)", "holder_country": "FR",
             "capital_pct": "80", "voting_pct": "80"},
        ],
        "offers": [
            {
                "key": "ovh-hpc-snc",
                "name": "Hosted Private Cloud SecNumCloud",
                "description": (
                    "Cloud privé VMware dédié, qualifié SecNumCloud, opéré depuis la France par "
                    "des équipes habilitées. Vendu par hôte dédié et par mois."
                ),
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "INSTANCE_MONTH", "unit_price": "1850.00",
                "minimum_commitment": "2", "minimum_months": 12, "capacity": "200",
                "sla_pct": "99.99", "dr_support": True, **where(FR),
            },
            {
                "key": "ovh-bmp-snc",
                "name": "Bare Metal Pod SecNumCloud",
                "description": (
                    "Grappe de serveurs physiques dédiés, qualifiée SecNumCloud, livrée avec "
                    "son plan de contrôle isolé. Vendu par serveur et par mois."
                ),
                "category": "iaas_compute", "cpv_code": "48820000-2",
                "unit": "INSTANCE_MONTH", "unit_price": "980.00",
                "minimum_commitment": "3", "minimum_months": 12, "capacity": "500",
                "sla_pct": "99.95", "dr_support": True, **where(FR),
            },
            {
                "key": "ovh-public-cloud",
                "name": "Public Cloud — instances (régions françaises)",
                "description": (
                    "Instances virtuelles OpenStack à la demande dans les régions Gravelines et "
                    "Strasbourg, facturées à l'heure."
                ),
                "category": "iaas_compute", "cpv_code": "72310000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0250", "sla_pct": "99.99",
                **where(FR),
            },
            {
                "key": "ovh-object-storage",
                "name": "Object Storage S3 — classe standard",
                "description": "Stockage objet compatible S3, réplication dans la région.",
                "category": "iaas_storage", "cpv_code": "72317000-0",
                "unit": "GB_MONTH", "unit_price": "0.0070", "sla_pct": "99.9",
                **where(FR),
            },
            {
                "key": "ovh-cold-archive",
                "name": "Cold Archive — archivage sur bandes",
                "description": (
                    "Archivage long terme à froid sur bandes magnétiques, restitution en "
                    "quelques heures."
                ),
                "category": "backup", "cpv_code": "72910000-2",
                "unit": "TB_MONTH", "unit_price": "2.00",
                "minimum_commitment": "10", "sla_pct": "99.9", **where(FR),
            },
            {
                "key": "ovh-mdb",
                "name": "Managed Databases for PostgreSQL",
                "description": "PostgreSQL managé : sauvegardes, haute disponibilité, mises à jour.",
                "category": "paas_database", "cpv_code": "72320000-4",
                "unit": "INSTANCE_HOUR", "unit_price": "0.0900", "sla_pct": "99.95",
                **where(FR),
            },
            {
                "key": "ovh-mks",
                "name": "Managed Kubernetes Service",
                "description": (
                    "Kubernetes managé certifié CNCF ; plan de contrôle offert, nœuds facturés "
                    "par vCPU."
                ),
                "category": "paas_containers", "cpv_code": "72222300-0",
                "unit": "VCPU_HOUR", "unit_price": "0.0260", "sla_pct": "99.99",
                **where(FR),
            },
            {
                "key": "ovh-web",
                "name": "Hébergement web Pro",
                "description": (
                    "Hébergement mutualisé de sites web publics (PHP, bases MySQL, certificat "
                    "TLS) : pour des données publiables."
                ),
                "category": "hosting", "cpv_code": "72415000-2",
                "unit": "SITE_MONTH", "unit_price": "7.99", "sla_pct": "99.9",
                **where(FR),
            },
        ],
        "certifications": [
            {"scheme": "SECNUMCLOUD", "version": "3.2", "reference": "ANSSI-SNC-0021",
             "issued_days_ago": 610, "scope": ["ovh-hpc-snc"], "evidence_url": ANSSI_REGISTER},
            {"scheme": "SECNUMCLOUD", "version": "3.2", "reference": "ANSSI-SNC-0058",
             "issued_days_ago": 420, "scope": ["ovh-bmp-snc"], "evidence_url": ANSSI_REGISTER},
            {"scheme": "HDS", "version": "2.0", "reference": "HDS-OVH-2-0117",
             "issued_days_ago": 380, "hds_activities": [1, 2, 3, 4, 5, 6],
             "scope": ["ovh-hpc-snc", "ovh-public-cloud", "ovh-object-storage", "ovh-mdb"],
             "evidence_url": HDS_REGISTER},
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-OVH-22-3391",
             "issued_days_ago": 140,
             "scope": ["ovh-hpc-snc", "ovh-bmp-snc", "ovh-public-cloud", "ovh-object-storage",
                       "ovh-cold-archive", "ovh-mdb", "ovh-mks"],
             "evidence_url": "https://www.ovhcloud.com/fr/compliance/"},
            # The previous certification cycle: expired, kept for the record.
            {"scheme": "ISO27001", "version": "2013", "reference": "ISO27001-OVH-13-2117",
             "issued_days_ago": 1220,
             "scope": ["ovh-hpc-snc", "ovh-public-cloud", "ovh-object-storage"],
             "evidence_url": "https://www.ovhcloud.com/fr/compliance/"},
        ],
    },
    {
        "slug": "outscale",
        "name": "3DS Outscale",
        "siren": "527594493",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": False,
        "website": "https://fr.outscale.com/",
        "description": (
            "Fournisseur d'IaaS français, filiale à 100 % de Dassault Systèmes. Région eu-west-2 "
            "et région cloudgouv-eu-west-1, dédiée au secteur public, qualifiées SecNumCloud 3.2."
        ),
        "stakes": [
            {"holder_name": "Dassault Systèmes SE", "holder_country": "FR",
             "capital_pct": "100", "voting_pct": "100"},
        ],
        "offers": [
            {
                "key": "outscale-iaas-snc",
                "name": "IaaS SecNumCloud — région eu-west-2",
                "description": (
                    "Machines virtuelles, réseaux privés (Net) et stockage bloc dans la région "
                    "eu-west-2 qualifiée SecNumCloud. Facturation à l'heure."
                ),
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0420", "sla_pct": "99.99",
                "dr_support": True, **where(FR),
            },
            {
                "key": "outscale-oos-snc",
                "name": "OUTSCALE Object Storage (OOS) SecNumCloud — eu-west-2",
                "description": "Stockage objet compatible S3 dans la région qualifiée SecNumCloud.",
                "category": "iaas_storage", "cpv_code": "72317000-0",
                "unit": "GB_MONTH", "unit_price": "0.0250", "sla_pct": "99.9",
                "dr_support": True, **where(FR),
            },
            {
                "key": "outscale-cloudgouv",
                "name": "Région cloudgouv-eu-west-1 — secteur public",
                "description": (
                    "Région réservée aux administrations et opérateurs publics, qualifiée "
                    "SecNumCloud. Mémoire facturée au Go-heure, engagement annuel."
                ),
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "GB_RAM_HOUR", "unit_price": "0.0065", "minimum_months": 12,
                "sla_pct": "99.99", "dr_support": True, **where(FR),
            },
            {
                "key": "outscale-oks",
                "name": "OUTSCALE Kubernetes as a Service (OKS)",
                "description": "Kubernetes managé ; nœuds facturés par vCPU-heure.",
                "category": "paas_containers", "cpv_code": "72222300-0",
                "unit": "VCPU_HOUR", "unit_price": "0.0480", "sla_pct": "99.9",
                **where(FR),
            },
        ],
        "certifications": [
            {"scheme": "SECNUMCLOUD", "version": "3.2", "reference": "ANSSI-SNC-0012",
             "issued_days_ago": 900,
             "scope": ["outscale-iaas-snc", "outscale-oos-snc", "outscale-cloudgouv"],
             "evidence_url": ANSSI_REGISTER},
            {"scheme": "HDS", "version": "2.0", "reference": "HDS-OUTSCALE-2-0084",
             "issued_days_ago": 330, "hds_activities": [1, 2, 3, 5, 6],
             "scope": ["outscale-iaas-snc", "outscale-oos-snc", "outscale-cloudgouv"],
             "evidence_url": HDS_REGISTER},
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-OUTSCALE-22-1045",
             "issued_days_ago": 260, "scope": "all",
             "evidence_url": "https://fr.outscale.com/"},
        ],
    },
    {
        "slug": "cloud-temple",
        "name": "Cloud Temple",
        "siren": "",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": False,
        "website": "https://www.cloud-temple.com/",
        "description": (
            "Opérateur français de cloud de confiance : IaaS et PaaS Red Hat OpenShift qualifiés "
            "SecNumCloud, hébergement certifié HDS. Actionnariat français (répartition "
            "illustrative)."
        ),
        "stakes": [
            {"holder_name": "Dirigeants et investisseurs français (illustratif)",
             "holder_country": "FR", "capital_pct": "100", "voting_pct": "100"},
        ],
        "offers": [
            {
                "key": "ct-iaas-snc",
                "name": "IaaS SecNumCloud (VMware)",
                "description": (
                    "Infrastructure virtualisée qualifiée SecNumCloud, deux zones de "
                    "disponibilité en France. Facturation par vCPU et par mois."
                ),
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_MONTH", "unit_price": "28.00",
                "minimum_commitment": "16", "minimum_months": 12, "capacity": "20000",
                "sla_pct": "99.99", "dr_support": True, **where(FR),
            },
            {
                "key": "ct-openshift-snc",
                "name": "PaaS Red Hat OpenShift SecNumCloud",
                "description": "Plateforme de conteneurs OpenShift managée, qualifiée SecNumCloud.",
                "category": "paas_containers", "cpv_code": "72222300-0",
                "unit": "VCPU_MONTH", "unit_price": "45.00",
                "minimum_commitment": "12", "minimum_months": 12, "sla_pct": "99.95",
                **where(FR),
            },
            {
                "key": "ct-s3",
                "name": "Stockage objet S3",
                "description": "Stockage objet compatible S3 hébergé en France.",
                "category": "iaas_storage", "cpv_code": "72317000-0",
                "unit": "TB_MONTH", "unit_price": "28.00", "minimum_commitment": "1",
                "sla_pct": "99.9", **where(FR),
            },
        ],
        "certifications": [
            {"scheme": "SECNUMCLOUD", "version": "3.2", "reference": "ANSSI-SNC-0035",
             "issued_days_ago": 500, "scope": ["ct-iaas-snc"], "evidence_url": ANSSI_REGISTER},
            {"scheme": "SECNUMCLOUD", "version": "3.2", "reference": "ANSSI-SNC-0041",
             "issued_days_ago": 700, "scope": ["ct-openshift-snc"],
             "evidence_url": ANSSI_REGISTER},
            {"scheme": "HDS", "version": "2.0", "reference": "HDS-CLOUDTEMPLE-2-0102",
             "issued_days_ago": 300, "hds_activities": [1, 2, 3, 4, 5, 6],
             "scope": ["ct-iaas-snc", "ct-openshift-snc"], "evidence_url": HDS_REGISTER},
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-CT-22-0877",
             "issued_days_ago": 200, "scope": "all",
             "evidence_url": "https://www.cloud-temple.com/"},
        ],
    },
    {
        "slug": "s3ns",
        "name": "S3NS",
        "siren": "",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": False,
        "website": "https://www.s3ns.io/",
        "description": (
            "Société créée par Thales et Google Cloud, contrôlée par Thales. PREMI3NS, son offre "
            "de cloud de confiance construite sur la technologie Google Cloud et opérée en France "
            "par S3NS, est qualifiée SecNumCloud 3.2 ; Google, fournisseur de la technologie, n'a "
            "pas accès aux données. Thales est majoritaire et Google minoritaire ; les "
            "pourcentages exacts sont illustratifs."
        ),
        "stakes": [
            {"holder_name": "Thales SA", "holder_country": "FR",
             "capital_pct": "80", "voting_pct": "80"},
            {"holder_name": "Google LLC", "holder_country": "US",
             "capital_pct": "20", "voting_pct": "20"},
        ],
        "offers": [
            {
                "key": "s3ns-gce",
                "name": "PREMI3NS — Compute Engine (SecNumCloud)",
                "description": (
                    "Machines virtuelles Compute Engine dans l'offre de cloud de confiance "
                    "PREMI3NS, opérée par S3NS depuis la France."
                ),
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0550", "sla_pct": "99.99",
                "subcontractors": [
                    {"name": "Google LLC (technologie logicielle, sans accès aux données)",
                     "country": "US", "role": "software", "has_data_access": False},
                ],
                **where(FR),
            },
            {
                "key": "s3ns-gcs",
                "name": "PREMI3NS — Cloud Storage (SecNumCloud)",
                "description": "Stockage objet Cloud Storage dans l'offre PREMI3NS.",
                "category": "iaas_storage", "cpv_code": "72317000-0",
                "unit": "GB_MONTH", "unit_price": "0.0300", "sla_pct": "99.95",
                "subcontractors": [
                    {"name": "Google LLC (technologie logicielle, sans accès aux données)",
                     "country": "US", "role": "software", "has_data_access": False},
                ],
                **where(FR),
            },
            {
                "key": "s3ns-gke",
                "name": "PREMI3NS — Google Kubernetes Engine (SecNumCloud)",
                "description": "Kubernetes managé GKE dans l'offre PREMI3NS.",
                "category": "paas_containers", "cpv_code": "72222300-0",
                "unit": "VCPU_HOUR", "unit_price": "0.0600", "sla_pct": "99.95",
                "subcontractors": [
                    {"name": "Google LLC (technologie logicielle, sans accès aux données)",
                     "country": "US", "role": "software", "has_data_access": False},
                ],
                **where(FR),
            },
            {
                "key": "s3ns-local-controls",
                "name": "Contrôles locaux S3NS (région europe-west9)",
                "description": (
                    "Services Google Cloud de la région de Paris avec des contrôles opérés par "
                    "S3NS (gestion des clés, journaux d'accès). Google opère l'infrastructure."
                ),
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0470", "sla_pct": "99.99",
                "subcontractors": [
                    {"name": "Google Cloud (infrastructure de la région europe-west9)",
                     "country": "US", "role": "infrastructure", "has_data_access": True},
                ],
                **where(FR, technical=["FR", "IE"], admin=["FR", "IE", "US"]),
            },
        ],
        "certifications": [
            {"scheme": "SECNUMCLOUD", "version": "3.2", "reference": "ANSSI-SNC-0093",
             "issued_days_ago": 340, "scope": ["s3ns-gce", "s3ns-gcs", "s3ns-gke"],
             "evidence_url": ANSSI_REGISTER},
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-S3NS-22-0310",
             "issued_days_ago": 420, "scope": "all", "evidence_url": "https://www.s3ns.io/"},
        ],
    },
    # ------------------------------------------------------------------
    # Hyperscaler regions in France: HDS v2 and ISO 27001, but US control.
    {
        "slug": "aws-france",
        "name": "Amazon Web Services EMEA SARL",
        "siren": "",
        "vat_number": "LU26888617",
        "registered_office_country": "LU",
        "central_administration_country": "LU",
        "main_establishment_country": "LU",
        "is_sme": False,
        "website": "https://aws.amazon.com/fr/",
        "description": (
            "Entité contractante d'AWS pour les clients européens, détenue indirectement à "
            "100 % par Amazon.com, Inc. (États-Unis). Région Europe (Paris) eu-west-3 certifiée "
            "HDS et ISO/IEC 27001. Le contrôle par une société des États-Unis ne satisfait pas "
            "le §19.6 de SecNumCloud."
        ),
        "stakes": [
            {"holder_name": "Amazon.com, Inc.", "holder_country": "US",
             "capital_pct": "100", "voting_pct": "100",
             "has_veto": True, "has_board_majority": True},
        ],
        "offers": [
            {
                "key": "aws-ec2",
                "name": "Amazon EC2 — région Europe (Paris) eu-west-3",
                "description": "Instances de calcul à la demande dans la région de Paris.",
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0480", "sla_pct": "99.99",
                **HYPERSCALER_FR,
            },
            {
                "key": "aws-s3",
                "name": "Amazon S3 Standard — eu-west-3",
                "description": "Stockage objet, trois zones de disponibilité dans la région.",
                "category": "iaas_storage", "cpv_code": "72317000-0",
                "unit": "GB_MONTH", "unit_price": "0.0240", "sla_pct": "99.9",
                **HYPERSCALER_FR,
            },
            {
                "key": "aws-rds",
                "name": "Amazon RDS for PostgreSQL — eu-west-3",
                "description": "Base PostgreSQL managée, déploiement multi-AZ possible.",
                "category": "paas_database", "cpv_code": "72320000-4",
                "unit": "INSTANCE_HOUR", "unit_price": "0.1900", "sla_pct": "99.95",
                **HYPERSCALER_FR,
            },
            {
                "key": "aws-eks",
                "name": "Amazon EKS — eu-west-3",
                "description": "Kubernetes managé ; prix par cluster et par heure.",
                "category": "paas_containers", "cpv_code": "72222300-0",
                "unit": "INSTANCE_HOUR", "unit_price": "0.1000", "sla_pct": "99.95",
                **HYPERSCALER_FR,
            },
        ],
        "certifications": [
            {"scheme": "HDS", "version": "2.0", "reference": "HDS-AWS-2-0412",
             "issued_days_ago": 300, "hds_activities": [1, 2, 3, 4, 5, 6], "scope": "all",
             "evidence_url": "https://aws.amazon.com/compliance/hds/"},
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-AWS-22-0095",
             "issued_days_ago": 210, "scope": "all",
             "evidence_url": "https://aws.amazon.com/compliance/iso-27001-faqs/"},
        ],
    },
    {
        "slug": "microsoft-azure-france",
        "name": "Microsoft France",
        "siren": "327733184",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": False,
        "website": "https://azure.microsoft.com/fr-fr/",
        "description": (
            "Filiale française détenue indirectement à 100 % par Microsoft Corporation "
            "(États-Unis). Régions Azure France Central (Paris) et France South (Marseille) "
            "certifiées HDS. Les contrats Azure sont en pratique conclus avec Microsoft Ireland "
            "Operations Ltd ; la filiale française représente ici l'offre."
        ),
        "stakes": [
            {"holder_name": "Microsoft Corporation", "holder_country": "US",
             "capital_pct": "100", "voting_pct": "100",
             "has_veto": True, "has_board_majority": True},
        ],
        "offers": [
            {
                "key": "azure-vm",
                "name": "Azure Virtual Machines — France Central",
                "description": "Machines virtuelles à la demande dans la région France Central.",
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0500", "sla_pct": "99.99",
                **HYPERSCALER_FR,
            },
            {
                "key": "azure-blob",
                "name": "Azure Blob Storage (LRS) — France Central",
                "description": "Stockage objet, redondance locale, niveau chaud.",
                "category": "iaas_storage", "cpv_code": "72317000-0",
                "unit": "GB_MONTH", "unit_price": "0.0200", "sla_pct": "99.9",
                **HYPERSCALER_FR,
            },
            {
                "key": "azure-aks",
                "name": "Azure Kubernetes Service — France Central",
                "description": "Kubernetes managé, niveau Standard ; prix par cluster-heure.",
                "category": "paas_containers", "cpv_code": "72222300-0",
                "unit": "INSTANCE_HOUR", "unit_price": "0.1000", "sla_pct": "99.95",
                **HYPERSCALER_FR,
            },
            {
                "key": "azure-m365",
                "name": "Microsoft 365 E3 — données hébergées en France",
                "description": (
                    "Suite bureautique et collaborative ; données au repos en France, "
                    "traitements dans l'UE (EU Data Boundary)."
                ),
                "category": "saas_collaboration", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "33.00", "minimum_months": 12,
                "sla_pct": "99.9",
                **HYPERSCALER_FR, "processing_countries": ["FR", "IE", "NL"],
            },
        ],
        "certifications": [
            {"scheme": "HDS", "version": "2.0", "reference": "HDS-MSFT-2-0231",
             "issued_days_ago": 250, "hds_activities": [1, 2, 3, 4, 5, 6],
             "scope": ["azure-vm", "azure-blob", "azure-aks"],
             "evidence_url": (
                 "https://learn.microsoft.com/fr-fr/azure/compliance/offerings/offering-hds-france"
             )},
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-MSFT-22-0412",
             "issued_days_ago": 190, "scope": "all",
             "evidence_url": (
                 "https://learn.microsoft.com/fr-fr/azure/compliance/offerings/offering-iso-27001"
             )},
        ],
    },
    {
        "slug": "google-cloud-france",
        "name": "Google Cloud France SARL",
        "siren": "",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": False,
        "website": "https://cloud.google.com/?hl=fr",
        "description": (
            "Filiale française détenue indirectement à 100 % par Google LLC (Alphabet Inc., "
            "États-Unis). Région europe-west9 (Paris) certifiée HDS, ISO/IEC 27001 et BSI C5."
        ),
        "stakes": [
            {"holder_name": "Google LLC (Alphabet Inc.)", "holder_country": "US",
             "capital_pct": "100", "voting_pct": "100",
             "has_veto": True, "has_board_majority": True},
        ],
        "offers": [
            {
                "key": "gcp-gce",
                "name": "Compute Engine — europe-west9 (Paris)",
                "description": "Machines virtuelles à la demande dans la région de Paris.",
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0450", "sla_pct": "99.99",
                **HYPERSCALER_FR,
            },
            {
                "key": "gcp-gcs",
                "name": "Cloud Storage Standard — europe-west9",
                "description": "Stockage objet régional.",
                "category": "iaas_storage", "cpv_code": "72317000-0",
                "unit": "GB_MONTH", "unit_price": "0.0230", "sla_pct": "99.9",
                **HYPERSCALER_FR,
            },
            {
                "key": "gcp-sql",
                "name": "Cloud SQL pour PostgreSQL — europe-west9",
                "description": "PostgreSQL managé ; vCPU facturé à l'heure.",
                "category": "paas_database", "cpv_code": "72320000-4",
                "unit": "VCPU_HOUR", "unit_price": "0.0600", "sla_pct": "99.95",
                **HYPERSCALER_FR,
            },
            {
                "key": "gcp-workspace",
                "name": "Google Workspace Business Standard — région de données Europe",
                "description": "Messagerie et bureautique ; données au repos dans l'UE.",
                "category": "saas_collaboration", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "13.60", "sla_pct": "99.9",
                **HYPERSCALER_FR,
                "storage_countries": ["BE", "DE", "FI", "IE", "NL"],
                "processing_countries": ["BE", "DE", "FI", "IE", "NL"],
                "backup_countries": ["BE", "DE", "FI", "IE", "NL"],
                "technical_data_countries": ["IE", "NL"],
            },
        ],
        "certifications": [
            {"scheme": "HDS", "version": "2.0", "reference": "HDS-GOOGLE-2-0158",
             "issued_days_ago": 280, "hds_activities": [1, 2, 3, 4, 5, 6],
             "scope": ["gcp-gce", "gcp-gcs", "gcp-sql"],
             "evidence_url": "https://cloud.google.com/security/compliance/hds"},
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-GOOGLE-22-0733",
             "issued_days_ago": 230, "scope": "all",
             "evidence_url": "https://cloud.google.com/security/compliance/iso-27001"},
            {"scheme": "C5", "version": "2020", "assurance": "type2",
             "reference": "C5-GOOGLE-T2-0050", "issued_days_ago": 120, "valid_years": 1,
             "scope": ["gcp-gce", "gcp-gcs", "gcp-sql"],
             "evidence_url": "https://cloud.google.com/security/compliance/bsi-c5"},
        ],
    },
    # ------------------------------------------------------------------
    # European providers without SecNumCloud: N1, HEALTH where HDS.
    {
        "slug": "scaleway",
        "name": "Scaleway",
        "siren": "433115904",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": False,
        "website": "https://www.scaleway.com/fr/",
        "description": (
            "Fournisseur de cloud français, filiale du groupe Iliad. Centres de données en "
            "région parisienne (dont DC4, ancien abri antiatomique), à Amsterdam et à Varsovie. "
            "Certifié ISO/IEC 27001 et HDS."
        ),
        "stakes": [
            {"holder_name": "Iliad SA", "holder_country": "FR",
             "capital_pct": "100", "voting_pct": "100"},
        ],
        "offers": [
            {
                "key": "scw-instances",
                "name": "Instances Production-Optimized — région fr-par",
                "description": "Instances à vCPU dédiés dans la région de Paris.",
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0270", "sla_pct": "99.99",
                **where(FR),
            },
            {
                "key": "scw-object",
                "name": "Object Storage — classe Standard multi-AZ",
                "description": "Stockage objet compatible S3, répliqué sur trois zones à Paris.",
                "category": "iaas_storage", "cpv_code": "72317000-0",
                "unit": "GB_MONTH", "unit_price": "0.0146", "sla_pct": "99.9",
                **where(FR),
            },
            {
                "key": "scw-glacier",
                "name": "Glacier — archivage à froid (DC4)",
                "description": "Classe d'archivage froid hébergée dans le centre de données DC4.",
                "category": "backup", "cpv_code": "72910000-2",
                "unit": "GB_MONTH", "unit_price": "0.0020", "sla_pct": "99.9",
                **where(FR),
            },
            {
                "key": "scw-rdb",
                "name": "Managed Database for PostgreSQL and MySQL",
                "description": "Bases managées ; haute disponibilité en option.",
                "category": "paas_database", "cpv_code": "72320000-4",
                "unit": "INSTANCE_HOUR", "unit_price": "0.1200", "sla_pct": "99.95",
                **where(FR),
            },
            {
                "key": "scw-kapsule",
                "name": "Kubernetes Kapsule",
                "description": "Kubernetes managé ; plan de contrôle mutualisé offert.",
                "category": "paas_containers", "cpv_code": "72222300-0",
                "unit": "VCPU_HOUR", "unit_price": "0.0250", "sla_pct": "99.9",
                **where(FR),
            },
            {
                "key": "scw-gpu",
                "name": "Instances GPU H100 — région fr-par",
                "description": "Instances GPU pour l'IA ; offre en préparation (brouillon).",
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "INSTANCE_HOUR", "unit_price": "2.7300", "sla_pct": "99.5",
                "status": "draft", **where(FR),
            },
        ],
        "certifications": [
            {"scheme": "HDS", "version": "2.0", "reference": "HDS-SCALEWAY-2-0129",
             "issued_days_ago": 260, "hds_activities": [1, 2, 3, 5, 6],
             "scope": ["scw-instances", "scw-object", "scw-rdb"], "evidence_url": HDS_REGISTER},
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-SCW-22-1208",
             "issued_days_ago": 330,
             "scope": ["scw-instances", "scw-object", "scw-glacier", "scw-rdb", "scw-kapsule"],
             "evidence_url": "https://www.scaleway.com/fr/"},
        ],
    },
    {
        "slug": "orange-business",
        "name": "Orange Business",
        "siren": "345039416",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": False,
        "website": "https://www.orange-business.com/fr",
        "description": (
            "Entité de services numériques aux entreprises et administrations du groupe Orange "
            "(Orange Business Services SA). Cloud Avenue, IaaS VMware hébergé en France, certifié "
            "HDS ; accès privés aux clouds par Business VPN Galerie."
        ),
        "stakes": [
            {"holder_name": "Orange SA", "holder_country": "FR",
             "capital_pct": "100", "voting_pct": "100"},
        ],
        "offers": [
            {
                "key": "obs-cloud-avenue",
                "name": "Cloud Avenue — IaaS VMware",
                "description": "IaaS VMware en libre-service hébergé dans les centres de données "
                               "d'Orange en France.",
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_MONTH", "unit_price": "32.00", "minimum_commitment": "8",
                "minimum_months": 12, "sla_pct": "99.95", **where(FR),
            },
            {
                "key": "obs-backup",
                "name": "Sauvegarde managée Cloud Avenue (Veeam)",
                "description": "Sauvegarde des machines Cloud Avenue vers un second site français.",
                "category": "backup", "cpv_code": "72910000-2",
                "unit": "TB_MONTH", "unit_price": "60.00", "minimum_commitment": "1",
                "sla_pct": "99.9", **where(FR),
            },
            {
                "key": "obs-vpn-galerie",
                "name": "Business VPN Galerie — accès privé aux clouds",
                "description": "Raccordement du réseau privé de l'acheteur aux clouds du "
                               "catalogue sans passer par Internet. Prix par Mbit/s et par mois.",
                "category": "network", "cpv_code": "72700000-7",
                "unit": "MBPS_MONTH", "unit_price": "4.50", "minimum_commitment": "100",
                "capacity": "10000", "minimum_months": 36, "sla_pct": "99.95", **where(FR),
            },
            {
                "key": "obs-flexible-engine",
                "name": "Flexible Engine — IaaS public",
                "description": "IaaS public OpenStack ; offre retirée du catalogue.",
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0450", "sla_pct": "99.95",
                "status": "withdrawn", **where(FR),
            },
        ],
        "certifications": [
            {"scheme": "HDS", "version": "2.0", "reference": "HDS-OBS-2-0066",
             "issued_days_ago": 410, "hds_activities": [1, 2, 3, 4, 5, 6],
             "scope": ["obs-cloud-avenue", "obs-backup", "obs-flexible-engine"],
             "evidence_url": HDS_REGISTER},
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-OBS-22-0520",
             "issued_days_ago": 150, "scope": "all",
             "evidence_url": "https://www.orange-business.com/fr"},
        ],
    },
    {
        "slug": "worldline",
        "name": "Worldline",
        "siren": "378901946",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": False,
        "website": "https://worldline.com/fr",
        "description": (
            "Groupe européen de services de paiement, coté sur Euronext Paris ; activité "
            "d'hébergement de données de santé certifiée HDS. Principaux actionnaires : "
            "parts approximatives."
        ),
        "stakes": [
            {"holder_name": "SIX Group AG", "holder_country": "CH",
             "capital_pct": "10", "voting_pct": "10"},
            {"holder_name": "Bpifrance", "holder_country": "FR",
             "capital_pct": "5", "voting_pct": "5"},
        ],
        "offers": [
            {
                "key": "wl-hds",
                "name": "Hébergement infogéré de données de santé",
                "description": "Hébergement et infogérance d'applications de santé, certifiés "
                               "HDS, dans des centres de données français.",
                "category": "hosting", "cpv_code": "72514000-1",
                "unit": "INSTANCE_MONTH", "unit_price": "950.00", "minimum_commitment": "2",
                "minimum_months": 24, "sla_pct": "99.9", **where(FR),
            },
            {
                "key": "wl-sips",
                "name": "Sips — passerelle de paiement en ligne",
                "description": "Encaissement en ligne par carte pour les téléservices ; prix "
                               "par site marchand et par mois (hors commissions).",
                "category": "saas_business", "cpv_code": "72416000-9",
                "unit": "SITE_MONTH", "unit_price": "30.00", "sla_pct": "99.95",
                **where(["FR", "BE"], admin=["FR", "BE"]),
            },
        ],
        "certifications": [
            {"scheme": "HDS", "version": "2.0", "reference": "HDS-WORLDLINE-2-0071",
             "issued_days_ago": 350, "hds_activities": [1, 2, 3, 4, 5, 6],
             "scope": ["wl-hds"], "evidence_url": HDS_REGISTER},
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-WL-22-0264",
             "issued_days_ago": 280, "scope": "all", "evidence_url": "https://worldline.com/fr"},
        ],
    },
    {
        "slug": "infomaniak",
        "name": "Infomaniak Network SA",
        "siren": "",
        "registered_office_country": "CH",
        "central_administration_country": "CH",
        "main_establishment_country": "CH",
        "is_sme": False,
        "website": "https://www.infomaniak.com/fr",
        "description": (
            "Hébergeur suisse indépendant (Genève), détenu par ses fondateurs et ses "
            "collaborateurs ; centres de données en Suisse, certifié ISO/IEC 27001. La Suisse "
            "bénéficie d'une décision d'adéquation (RGPD, art. 45) mais n'est pas membre de l'UE."
        ),
        "stakes": [
            {"holder_name": "Fondateurs et collaborateurs", "holder_country": "CH",
             "capital_pct": "100", "voting_pct": "100"},
        ],
        "offers": [
            {
                "key": "ik-swiss-backup",
                "name": "Swiss Backup — sauvegarde en Suisse",
                "description": "Sauvegarde externalisée compatible S3, Swift et Veeam, données "
                               "répliquées dans deux centres de données suisses.",
                "category": "backup", "cpv_code": "72910000-2",
                "unit": "TB_MONTH", "unit_price": "5.50", "minimum_commitment": "1",
                "sla_pct": "99.9", "support_documented": True, **where(CH),
            },
            {
                "key": "ik-kdrive",
                "name": "kDrive — stockage et collaboration",
                "description": "Stockage de fichiers, partage et édition en ligne.",
                "category": "saas_collaboration", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "5.00", "sla_pct": "99.9",
                "support_documented": True, **where(CH),
            },
            {
                "key": "ik-public-cloud",
                "name": "Public Cloud OpenStack — Suisse",
                "description": "Instances OpenStack hébergées en Suisse, facturées à l'heure.",
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0200", "sla_pct": "99.9",
                "support_documented": True, **where(CH),
            },
        ],
        "certifications": [
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-IK-22-0198",
             "issued_days_ago": 240, "scope": "all",
             "evidence_url": "https://www.infomaniak.com/fr"},
        ],
    },
    # ------------------------------------------------------------------
    # SecNumCloud in progress (J0–J2): qualifies for nothing.
    {
        "slug": "numspot",
        "name": "NumSpot",
        "siren": "",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": True,
        "website": "https://numspot.com/",
        "description": (
            "Cloud souverain lancé en 2023 par Docaposte, Dassault Systèmes, Bouygues Telecom et "
            "la Banque des Territoires, construit sur l'infrastructure de 3DS Outscale. "
            "Qualification SecNumCloud en cours (le jalon affiché est illustratif) ; répartition "
            "du capital illustrative."
        ),
        "stakes": [
            {"holder_name": "Docaposte", "holder_country": "FR",
             "capital_pct": "40", "voting_pct": "40"},
            {"holder_name": "Dassault Systèmes SE", "holder_country": "FR",
             "capital_pct": "20", "voting_pct": "20"},
            {"holder_name": "Bouygues Telecom", "holder_country": "FR",
             "capital_pct": "20", "voting_pct": "20"},
            {"holder_name": "Banque des Territoires (Caisse des Dépôts)", "holder_country": "FR",
             "capital_pct": "20", "voting_pct": "20"},
        ],
        "offers": [
            {
                "key": "numspot-iaas",
                "name": "NumSpot — IaaS de confiance",
                "description": "Machines virtuelles et stockage bloc sur le socle SecNumCloud de "
                               "3DS Outscale ; qualification SecNumCloud de NumSpot en cours.",
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0600", "sla_pct": "99.95",
                "subcontractors": [
                    {"name": "3DS Outscale", "country": "FR", "role": "infrastructure",
                     "has_data_access": True, "catalog_offer": "outscale-iaas-snc"},
                ],
                **where(FR),
            },
            {
                "key": "numspot-openshift",
                "name": "NumSpot — Red Hat OpenShift managé",
                "description": "Plateforme de conteneurs managée sur le socle de 3DS Outscale.",
                "category": "paas_containers", "cpv_code": "72222300-0",
                "unit": "VCPU_MONTH", "unit_price": "52.00", "minimum_commitment": "8",
                "sla_pct": "99.9",
                "subcontractors": [
                    {"name": "3DS Outscale", "country": "FR", "role": "infrastructure",
                     "has_data_access": True, "catalog_offer": "outscale-iaas-snc"},
                ],
                **where(FR),
            },
        ],
        "certifications": [
            {"scheme": "SECNUMCLOUD", "version": "3.2", "reference": "ANSSI-SNC-J-0117",
             "status": "j1", "scope": "all", "evidence_url": ANSSI_REGISTER},
        ],
    },
    {
        "slug": "bleu",
        "name": "Bleu",
        "siren": "",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": True,
        "website": "https://www.bleucloud.fr/",
        "description": (
            "Société commune de Capgemini et d'Orange qui opère en France, sous licence, les "
            "technologies cloud de Microsoft (Azure, Microsoft 365). Qualification SecNumCloud en "
            "cours (le jalon affiché est illustratif)."
        ),
        "stakes": [
            {"holder_name": "Capgemini SE", "holder_country": "FR",
             "capital_pct": "50", "voting_pct": "50"},
            {"holder_name": "Orange SA", "holder_country": "FR",
             "capital_pct": "50", "voting_pct": "50"},
        ],
        "offers": [
            {
                "key": "bleu-workplace",
                "name": "Bleu — Microsoft 365 opéré par Bleu",
                "description": "Messagerie, bureautique et travail collaboratif Microsoft opérés "
                               "par Bleu en France.",
                "category": "saas_collaboration", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "38.00", "minimum_commitment": "100",
                "minimum_months": 12, "sla_pct": "99.9",
                "subcontractors": [
                    {"name": "Microsoft Corporation (éditeur, sans accès aux données)",
                     "country": "US", "role": "software", "has_data_access": False},
                ],
                **where(FR),
            },
            {
                "key": "bleu-azure",
                "name": "Bleu — Azure opéré par Bleu (IaaS)",
                "description": "Machines virtuelles et stockage Azure opérés par Bleu en France.",
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0700", "sla_pct": "99.95",
                "subcontractors": [
                    {"name": "Microsoft Corporation (éditeur, sans accès aux données)",
                     "country": "US", "role": "software", "has_data_access": False},
                ],
                **where(FR),
            },
        ],
        "certifications": [
            {"scheme": "SECNUMCLOUD", "version": "3.2", "reference": "ANSSI-SNC-J-0131",
             "status": "j0", "scope": "all", "evidence_url": ANSSI_REGISTER},
        ],
    },
    # ------------------------------------------------------------------
    # SaaS: own SecNumCloud, or running on a catalogue IaaS (chain).
    {
        "slug": "oodrive",
        "name": "Oodrive",
        "siren": "",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": False,
        "website": "https://www.oodrive.com/fr/",
        "description": (
            "Éditeur français de solutions SaaS pour les données sensibles : partage de "
            "fichiers, signature électronique, visioconférence, portail des instances "
            "dirigeantes. Offre de partage qualifiée SecNumCloud. Répartition du capital "
            "illustrative."
        ),
        "stakes": [
            {"holder_name": "Fondateurs et management", "holder_country": "FR",
             "capital_pct": "45", "voting_pct": "45"},
            {"holder_name": "Fonds d'investissement français (illustratif)",
             "holder_country": "FR", "capital_pct": "55", "voting_pct": "55"},
        ],
        "offers": [
            {
                "key": "oodrive-work",
                "name": "Oodrive Work — partage et collaboration SecNumCloud",
                "description": "Espace de partage et de collaboration sur les fichiers sensibles, "
                               "qualifié SecNumCloud, hébergé en France.",
                "category": "saas_collaboration", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "15.00", "minimum_commitment": "25",
                "minimum_months": 12, "sla_pct": "99.9",
                "subcontractors": [
                    {"name": "Opérateur de centre de données (colocation)", "country": "FR",
                     "role": "hosting", "has_data_access": False},
                ],
                **where(FR),
            },
            {
                "key": "oodrive-sign",
                "name": "Oodrive Sign — signature électronique",
                "description": "Circuits de signature électronique et parapheur en ligne.",
                "category": "saas_business", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "25.00", "minimum_commitment": "5",
                "sla_pct": "99.9", **where(FR),
            },
            {
                "key": "oodrive-meet",
                "name": "Oodrive Meet — visioconférence",
                "description": "Visioconférence hébergée en France, sans installation.",
                "category": "saas_collaboration", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "12.00", "sla_pct": "99.9",
                **where(FR),
            },
            {
                "key": "oodrive-boardnox",
                "name": "BoardNox — portail des instances dirigeantes",
                "description": "Préparation et diffusion sécurisées des dossiers de conseils et "
                               "comités.",
                "category": "saas_business", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "60.00", "minimum_commitment": "10",
                "sla_pct": "99.9", **where(FR),
            },
        ],
        "certifications": [
            {"scheme": "SECNUMCLOUD", "version": "3.2", "reference": "ANSSI-SNC-0047",
             "issued_days_ago": 450, "scope": ["oodrive-work"], "evidence_url": ANSSI_REGISTER},
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-OODRIVE-22-0342",
             "issued_days_ago": 310, "scope": "all",
             "evidence_url": "https://www.oodrive.com/fr/"},
            {"scheme": "HDS", "version": "2.0", "reference": "HDS-OODRIVE-2-0097",
             "issued_days_ago": 270, "hds_activities": [4, 5],
             "scope": ["oodrive-work"], "evidence_url": HDS_REGISTER},
        ],
    },
    {
        "slug": "wimi",
        "name": "Wimi",
        "siren": "",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": True,
        "website": "https://www.wimi-teamwork.com/fr/",
        "description": (
            "PME française éditrice d'un espace de travail collaboratif (projets, documents, "
            "messagerie, visioconférence). Wimi Armoured, hébergée sur l'IaaS SecNumCloud de "
            "3DS Outscale, est qualifiée SecNumCloud. Répartition du capital illustrative."
        ),
        "stakes": [
            {"holder_name": "Fondateurs et investisseurs français (illustratif)",
             "holder_country": "FR", "capital_pct": "100", "voting_pct": "100"},
        ],
        "offers": [
            {
                "key": "wimi-armoured",
                "name": "Wimi Armoured — espace collaboratif SecNumCloud",
                "description": "Espace de travail collaboratif qualifié SecNumCloud, hébergé sur "
                               "la région eu-west-2 de 3DS Outscale.",
                "category": "saas_collaboration", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "12.00", "minimum_commitment": "10",
                "minimum_months": 12, "sla_pct": "99.9",
                "subcontractors": [
                    {"name": "3DS Outscale", "country": "FR", "role": "infrastructure",
                     "has_data_access": True, "catalog_offer": "outscale-iaas-snc"},
                ],
                **where(FR),
            },
            {
                "key": "wimi-pro",
                "name": "Wimi Pro — espace de travail collaboratif",
                "description": "Édition standard de l'espace collaboratif, hébergée en France.",
                "category": "saas_collaboration", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "6.00", "sla_pct": "99.5",
                "subcontractors": [
                    {"name": "3DS Outscale", "country": "FR", "role": "infrastructure",
                     "has_data_access": True, "catalog_offer": "outscale-iaas-snc"},
                ],
                **where(FR),
            },
        ],
        "certifications": [
            {"scheme": "SECNUMCLOUD", "version": "3.2", "reference": "ANSSI-SNC-0076",
             "issued_days_ago": 650, "scope": ["wimi-armoured"], "evidence_url": ANSSI_REGISTER},
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-WIMI-22-0155",
             "issued_days_ago": 365, "scope": "all",
             "evidence_url": "https://www.wimi-teamwork.com/fr/"},
        ],
    },
    {
        "slug": "jamespot",
        "name": "Jamespot",
        "siren": "",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": True,
        "website": "https://www.jamespot.com/",
        "description": (
            "PME française éditrice d'une plateforme collaborative (digital workplace). Dans "
            "cette démonstration, la plateforme est hébergée sur le Hosted Private Cloud "
            "SecNumCloud d'OVHcloud et son certificat ISO/IEC 27001 attend la vérification de "
            "l'opérateur."
        ),
        "stakes": [
            {"holder_name": "Fondateurs et investisseurs français (illustratif)",
             "holder_country": "FR", "capital_pct": "100", "voting_pct": "100"},
        ],
        "offers": [
            {
                "key": "jamespot-workplace",
                "name": "Jamespot Digital Workplace",
                "description": "Intranet, réseau social d'entreprise et applications "
                               "collaboratives.",
                "category": "saas_collaboration", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "6.50", "minimum_commitment": "50",
                "sla_pct": "99.9",
                "subcontractors": [
                    {"name": "OVH SAS (OVHcloud)", "country": "FR", "role": "infrastructure",
                     "has_data_access": True, "catalog_offer": "ovh-hpc-snc"},
                ],
                **where(FR),
            },
        ],
        "certifications": [
            {"scheme": "ISO27001", "version": "2022", "reference": "ISO27001-JAMESPOT-22-0088",
             "issued_days_ago": 60, "scope": "all", "verify": False,
             "evidence_url": "https://www.jamespot.com/"},
        ],
    },
    # ------------------------------------------------------------------
    # FICTITIOUS providers for the situations public facts do not show.
    {
        "slug": "altostratus",
        "name": "Altostratus Cloud (fictif)",
        "siren": "",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": True,
        "website": "",
        "description": (
            "Fournisseur FICTIF, inventé pour la démonstration. Son IaaS est qualifié "
            "SecNumCloud 3.2, mais un fonds des États-Unis (fictif lui aussi) détient 30 % du "
            "capital : au-delà du seuil de 24 % par actionnaire non européen du §19.6, ses offres "
            "ne peuvent pas être retenues pour des données sensibles (N2). Son certificat HDS a "
            "été retiré et son certificat ISO/IEC 27001 est suspendu."
        ),
        "stakes": [
            {"holder_name": "Fondateurs (fictifs)", "holder_country": "FR",
             "capital_pct": "55", "voting_pct": "55"},
            {"holder_name": "Fonds régional d'amorçage (fictif)", "holder_country": "FR",
             "capital_pct": "15", "voting_pct": "15"},
            {"holder_name": "Blue Ridge Growth Partners LP (fictif)", "holder_country": "US",
             "capital_pct": "30", "voting_pct": "30"},
        ],
        "offers": [
            {
                "key": "alto-iaas",
                "name": "Altostratus IaaS SecNumCloud",
                "description": "Machines virtuelles qualifiées SecNumCloud hébergées à Lyon "
                               "(fournisseur fictif).",
                "category": "iaas_compute", "cpv_code": "72514000-1",
                "unit": "VCPU_HOUR", "unit_price": "0.0500", "sla_pct": "99.95",
                "dr_support": True, **where(FR),
            },
            {
                "key": "alto-storage",
                "name": "Altostratus stockage objet",
                "description": "Stockage objet compatible S3 (fournisseur fictif).",
                "category": "iaas_storage", "cpv_code": "72317000-0",
                "unit": "GB_MONTH", "unit_price": "0.0200", "sla_pct": "99.9",
                **where(FR),
            },
            {
                "key": "alto-postgres",
                "name": "Altostratus PostgreSQL managé",
                "description": "PostgreSQL managé sur l'IaaS Altostratus (fournisseur fictif).",
                "category": "paas_database", "cpv_code": "72320000-4",
                "unit": "INSTANCE_MONTH", "unit_price": "180.00", "sla_pct": "99.95",
                **where(FR),
            },
        ],
        "certifications": [
            {"scheme": "SECNUMCLOUD", "version": "3.2", "reference": "DEMO-SNC-ALTO-01",
             "issued_days_ago": 200, "scope": "all", "evidence_url": ANSSI_REGISTER},
            {"scheme": "HDS", "version": "2.0", "reference": "DEMO-HDS-ALTO-01",
             "issued_days_ago": 500, "hds_activities": [1, 2, 3, 5, 6], "scope": "all",
             "revoke": "Scénario de démonstration : certificat retiré par l'organisme "
                       "certificateur après un audit de surveillance."},
            {"scheme": "ISO27001", "version": "2022", "reference": "DEMO-ISO-ALTO-01",
             "issued_days_ago": 400, "scope": "all",
             "suspend": "Scénario de démonstration : certificat suspendu dans l'attente "
                        "d'un audit complémentaire."},
        ],
    },
    {
        "slug": "nuage-armor",
        "name": "Nuage Armor (fictif)",
        "siren": "",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": True,
        "website": "",
        "description": (
            "Hébergeur FICTIF (PME bretonne), inventé pour la démonstration : qualification "
            "SecNumCloud selon le référentiel 3.1, sans les critères d'immunité du §19.6 ; "
            "certificat HDS v1, qui ne compte plus après le 16 mai 2026 ; certificat ISO/IEC "
            "27001 expiré, renouvellement en attente de vérification."
        ),
        "stakes": [
            {"holder_name": "Fondateurs (fictifs)", "holder_country": "FR",
             "capital_pct": "100", "voting_pct": "100"},
        ],
        "offers": [
            {
                "key": "armor-hosting",
                "name": "Hébergement mutualisé Armor",
                "description": "Hébergement de sites et d'applications web à Rennes "
                               "(fournisseur fictif).",
                "category": "hosting", "cpv_code": "72415000-2",
                "unit": "SITE_MONTH", "unit_price": "9.00", "sla_pct": "99.9",
                **where(FR),
            },
            {
                "key": "armor-dedicated",
                "name": "Serveurs dédiés Armor",
                "description": "Serveurs physiques dédiés infogérés (fournisseur fictif).",
                "category": "iaas_compute", "cpv_code": "48820000-2",
                "unit": "INSTANCE_MONTH", "unit_price": "120.00", "minimum_months": 12,
                "capacity": "40", "sla_pct": "99.9", **where(FR),
            },
            {
                "key": "armor-backup",
                "name": "Sauvegarde externalisée Armor",
                "description": "Sauvegarde vers un second site breton (fournisseur fictif).",
                "category": "backup", "cpv_code": "72251000-9",
                "unit": "TB_MONTH", "unit_price": "40.00", "minimum_commitment": "1",
                "capacity": "200", "sla_pct": "99.5", **where(FR),
            },
            {
                "key": "armor-fibre",
                "name": "Lien fibre dédié vers le centre de données",
                "description": "Lien fibre optique dédié entre les sites de l'acheteur et le "
                               "centre de données rennais (fournisseur fictif).",
                "category": "network", "cpv_code": "72400000-4",
                "unit": "MBPS_MONTH", "unit_price": "3.00", "minimum_commitment": "100",
                "capacity": "1000", "minimum_months": 36, "sla_pct": "99.9", **where(FR),
            },
        ],
        "certifications": [
            {"scheme": "SECNUMCLOUD", "version": "3.1", "reference": "DEMO-SNC-ARMOR-31",
             "issued_days_ago": 1000,
             "scope": ["armor-hosting", "armor-dedicated", "armor-backup"],
             "evidence_url": ANSSI_REGISTER},
            {"scheme": "HDS", "version": "1.1", "reference": "DEMO-HDS-ARMOR-V1",
             "issued_days_ago": 950, "hds_activities": [1, 2, 5, 6],
             "scope": ["armor-dedicated", "armor-backup"], "evidence_url": HDS_REGISTER},
            {"scheme": "ISO27001", "version": "2013", "reference": "DEMO-ISO-ARMOR-2013",
             "issued_days_ago": 1200, "scope": "all"},
            {"scheme": "ISO27001", "version": "2022", "reference": "DEMO-ISO-ARMOR-2022",
             "issued_days_ago": 30, "scope": "all", "verify": False},
        ],
    },
    {
        "slug": "dossier-sante-express",
        "name": "Dossier Santé Express (fictif)",
        "siren": "",
        "registered_office_country": "FR",
        "central_administration_country": "FR",
        "main_establishment_country": "FR",
        "is_sme": True,
        "website": "",
        "description": (
            "Éditeur FICTIF de logiciels médicaux en SaaS, inventé pour la démonstration. Ses "
            "applications tournent sur la région AWS Europe (Paris) : leur niveau est plafonné "
            "par celui de cette infrastructure (chaîne de sous-traitance)."
        ),
        "stakes": [
            {"holder_name": "Fondateurs (fictifs)", "holder_country": "FR",
             "capital_pct": "70", "voting_pct": "70"},
            {"holder_name": "Business angels (fictifs)", "holder_country": "FR",
             "capital_pct": "30", "voting_pct": "30"},
        ],
        "offers": [
            {
                "key": "dse-dossier",
                "name": "Dossier patient en ligne",
                "description": "Dossier patient partagé pour centres de santé municipaux "
                               "(éditeur fictif), hébergé sur AWS eu-west-3.",
                "category": "saas_business", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "29.00", "minimum_commitment": "5",
                "sla_pct": "99.9",
                "subcontractors": [
                    {"name": "Amazon Web Services EMEA SARL", "country": "LU",
                     "role": "infrastructure", "has_data_access": True,
                     "catalog_offer": "aws-ec2"},
                ],
                **where(FR, technical=["FR", "IE"]),
            },
            {
                "key": "dse-rdv",
                "name": "Prise de rendez-vous en ligne",
                "description": "Prise de rendez-vous pour centres de santé et services "
                               "municipaux (éditeur fictif), hébergée sur AWS eu-west-3.",
                "category": "saas_business", "cpv_code": "72416000-9",
                "unit": "USER_MONTH", "unit_price": "9.00", "sla_pct": "99.5",
                "subcontractors": [
                    {"name": "Amazon Web Services EMEA SARL", "country": "LU",
                     "role": "infrastructure", "has_data_access": True,
                     "catalog_offer": "aws-s3"},
                ],
                **where(FR, technical=["FR", "IE"]),
            },
        ],
        "certifications": [
            {"scheme": "HDS", "version": "2.0", "reference": "DEMO-HDS-DSE-01",
             "issued_days_ago": 180, "hds_activities": [4, 5], "scope": ["dse-dossier"]},
            {"scheme": "ISO27001", "version": "2022", "reference": "DEMO-ISO-DSE-01",
             "issued_days_ago": 220, "scope": "all"},
        ],
    },
]
# fmt: on
