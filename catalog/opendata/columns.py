"""The columns of the directory downloads: each declared once — name, type,
a one-line description in French and English, how to read it from a row —
for the CSV, the JSON and ``columns.json`` alike (docs/opendata.md lists
them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import translation

from catalog import units
from catalog.models import Certification, Offer, ServiceCategory
from catalog.texts import check_reason


@dataclass(frozen=True)
class Column:
    name: str
    # string, integer, number, boolean, date-time, list (of strings), records (of objects)
    type: str
    description_fr: str
    description_en: str
    value: Callable[[Any], Any]
    # How a "records" value reads in one CSV cell, record by record.
    text: Callable[[dict], str] | None = None
    nullable: bool = False


def _verified(certifications: Iterable[Certification]) -> list[dict]:
    return [
        {
            "scheme": c.scheme.code,
            "version": c.scheme_version,
            "reference": c.reference,
            "status": c.status,
            "issued_on": c.issued_on,
            "expires_on": c.expires_on,
        }
        for c in certifications
        if c.verification == Certification.Verification.VERIFIED
    ]


def _certification_text(c: dict) -> str:
    until = c["expires_on"].isoformat() if c["expires_on"] else "—"
    return f"{c['scheme']} {c['version']} {c['reference']} ({c['status']}, {until})".replace(
        "  ", " "
    )


def _access(data_access: bool) -> str:
    if translation.get_language() == "en":
        return "data access" if data_access else "no data access"
    return "accès aux données" if data_access else "sans accès aux données"


def _assessment(offer: Offer):
    return getattr(offer, "assessment", None)


def _without_unverified(check: dict, verified_ids: frozenset[int]) -> dict:
    """A check whose facts name no certificate the operator has not
    verified: a certificate counts as public only once verified, and the
    reason of a failed certification rule lists the certificates it set
    aside (« not yet verified by the operator »)."""
    facts = check.get("facts") or {}
    if not facts.get("rejected"):
        return check
    kept = [cert for cert in facts["rejected"] if cert.get("id") in verified_ids]
    return {**check, "facts": {**facts, "rejected": kept}}


def _failed_checks(offer: Offer) -> list[dict] | None:
    assessment = _assessment(offer)
    if assessment is None:
        return None
    lang = translation.get_language()
    checks = [
        _without_unverified(c, offer.verified_certificate_ids)
        for c in assessment.checks
        if not c["passed"]
    ]
    return [
        {
            "level": c.get("level"),
            "flag": c.get("flag"),
            "rule": c["rule"],
            "reason": check_reason(c, lang),
        }
        for c in checks
    ]


def _level(offer: Offer) -> str | None:
    assessment = _assessment(offer)
    return assessment.level or None if assessment else None


def _countries(field: str, fr: str, en: str) -> Column:
    return Column(
        field,
        "list",
        f"Pays (ISO 3166-1) : {fr}",
        f"Countries (ISO 3166-1): {en}",
        lambda o: list(getattr(o, field)),
    )


OFFER_COLUMNS = (
    Column(
        "offer_id",
        "integer",
        "Identifiant de l'offre (/api/v1/offers/{id}/)",
        "Offer id (/api/v1/offers/{id}/)",
        lambda o: o.pk,
    ),
    Column(
        "provider_id",
        "integer",
        "Identifiant du fournisseur (colonne provider_id de providers)",
        "Provider id (provider_id in providers)",
        lambda o: o.provider_id,
    ),
    Column(
        "provider_name",
        "string",
        "Raison sociale du fournisseur",
        "Provider's legal name",
        lambda o: o.provider.name,
    ),
    Column("name", "string", "Nom de l'offre", "Offer name", lambda o: o.name),
    Column(
        "category",
        "string",
        "Catégorie de service (code)",
        "Service category (code)",
        lambda o: o.category,
    ),
    Column(
        "category_label",
        "string",
        "Catégorie de service (libellé)",
        "Service category (label)",
        lambda o: str(ServiceCategory(o.category).label),
    ),
    Column(
        "cpv_code",
        "string",
        "Code CPV 2008, avec son chiffre de contrôle",
        "CPV 2008 code, with its check digit",
        lambda o: o.cpv_code,
    ),
    Column("unit", "string", "Unité de vente (code)", "Unit of sale (code)", lambda o: o.unit),
    Column(
        "unit_label",
        "string",
        "Unité de vente (libellé)",
        "Unit of sale (label)",
        lambda o: units.UNITS[o.unit].label,
    ),
    Column(
        "unit_price_excl_vat",
        "number",
        "Prix unitaire en euros hors TVA, par unité de vente",
        "Unit price in euros excluding VAT, per unit of sale",
        lambda o: o.unit_price,
    ),
    Column(
        "price_is_illustrative",
        "boolean",
        "Prix illustratif (données de démonstration), non contractuel",
        "Illustrative price (demo data), not binding",
        lambda o: o.price_is_illustrative,
    ),
    Column(
        "normalised_price_excl_vat",
        "number",
        "Prix en euros HT par unité normalisée : comparable entre offres d'une même unité normalisée",
        "Price in euros excl. VAT per normalised unit: comparable across offers of the same unit",
        lambda o: o.normalised_price,
    ),
    Column(
        "normalised_unit",
        "string",
        "Unité normalisée (code, p. ex. GB_MONTH, VCPU_MONTH)",
        "Normalised unit (code, e.g. GB_MONTH, VCPU_MONTH)",
        lambda o: o.normalised_unit,
    ),
    Column(
        "minimum_commitment",
        "number",
        "Quantité minimale, en unités de vente",
        "Minimum quantity, in units of sale",
        lambda o: o.minimum_commitment,
    ),
    Column(
        "minimum_months",
        "integer",
        "Durée minimale d'engagement, en mois",
        "Minimum commitment, in months",
        lambda o: o.minimum_months,
    ),
    Column(
        "capacity",
        "number",
        "Quantité maximale commandable, en unités de vente (vide : sans limite)",
        "Maximum quantity that can be ordered, in units of sale (empty: no limit)",
        lambda o: o.capacity,
        nullable=True,
    ),
    Column(
        "sla_pct",
        "number",
        "Disponibilité garantie (SLA), en %",
        "Guaranteed availability (SLA), in %",
        lambda o: o.sla_pct,
        nullable=True,
    ),
    _countries("storage_countries", "stockage des données", "data storage"),
    _countries("processing_countries", "traitement des données", "data processing"),
    _countries("backup_countries", "sauvegarde et reprise", "backup and disaster recovery"),
    _countries("technical_data_countries", "données techniques", "technical data"),
    _countries(
        "administration_countries",
        "administration et supervision",
        "administration and supervision",
    ),
    _countries("support_countries", "support", "support"),
    _countries(
        "data_countries",
        "union des pays de stockage, traitement, sauvegarde et données techniques",
        "union of storage, processing, backup and technical-data countries",
    ),
    Column(
        "support_documented",
        "boolean",
        "Support hors UE encadré par un dispositif documenté",
        "Support outside the EU under documented arrangements",
        lambda o: o.support_documented,
    ),
    Column(
        "dr_support",
        "boolean",
        "L'offre déclare supporter l'homologation Diffusion Restreinte (II 901)",
        "The offer declares support for Diffusion Restreinte homologation (II 901)",
        lambda o: o.dr_support,
    ),
    Column(
        "subcontractors",
        "records",
        "Sous-traitants : nom, pays, rôle, accès aux données des clients",
        "Subcontractors: name, country, role, access to customer data",
        lambda o: [
            {"name": s.name, "country": s.country, "role": s.role, "data_access": s.has_data_access}
            for s in o.subcontractors.all()
        ],
        text=lambda s: f"{s['name']} ({s['country']}, {s['role']}, {_access(s['data_access'])})",
    ),
    Column(
        "certifications",
        "records",
        "Certificats vérifiés par l'opérateur couvrant l'offre : référentiel, version, référence, "
        "statut, date d'expiration",
        "Operator-verified certificates covering the offer: scheme, version, reference, status, expiry",
        lambda o: _verified(o.certifications.all()),
        text=_certification_text,
    ),
    Column(
        "assessed_level",
        "string",
        "Niveau de sensibilité le plus élevé pour lequel l'offre est qualifiée (N0 à N3 ; vide : aucun)",
        "Highest sensitivity level the offer qualifies for (N0 to N3; empty: none)",
        _level,
        nullable=True,
    ),
    Column(
        "assessed_flags",
        "list",
        "Exigences additionnelles satisfaites (HEALTH, PERSONAL_DATA)",
        "Additional requirements met (HEALTH, PERSONAL_DATA)",
        lambda o: list(_assessment(o).flags) if _assessment(o) else [],
    ),
    Column(
        "failed_checks",
        "records",
        "Règles non satisfaites, par niveau ou exigence, avec leur motif : pourquoi pas plus haut",
        "Rules not met, per level or requirement, with their reason: why not higher",
        _failed_checks,
        text=lambda c: f"{c['level'] or c['flag']}: {c['reason']}",
        nullable=True,
    ),
    Column(
        "policy_version",
        "integer",
        "Version de la politique de sensibilité utilisée pour l'évaluation",
        "Version of the sensitivity policy the assessment used",
        lambda o: getattr(_assessment(o), "policy_version", None),
        nullable=True,
    ),
    Column(
        "assessed_at",
        "date-time",
        "Date de l'évaluation",
        "When the offer was assessed",
        lambda o: getattr(_assessment(o), "assessed_at", None),
        nullable=True,
    ),
    Column(
        "updated_at",
        "date-time",
        "Dernière modification de l'offre",
        "Last change to the offer",
        lambda o: o.updated_at,
    ),
)

PROVIDER_COLUMNS = (
    Column(
        "provider_id",
        "integer",
        "Identifiant du fournisseur (/api/v1/providers/{id}/)",
        "Provider id (/api/v1/providers/{id}/)",
        lambda p: p.pk,
    ),
    Column("name", "string", "Raison sociale", "Legal name", lambda p: p.name),
    Column(
        "slug",
        "string",
        "Identifiant lisible, stable",
        "Readable, stable identifier",
        lambda p: p.slug,
    ),
    Column(
        "siren",
        "string",
        "SIREN (9 chiffres) ; vide pour une société non française",
        "SIREN (9 digits); empty for a non-French company",
        lambda p: p.siren or None,
        nullable=True,
    ),
    Column(
        "vat_number",
        "string",
        "Numéro de TVA intracommunautaire ou étranger",
        "Intra-EU or foreign VAT number",
        lambda p: p.vat_number or None,
        nullable=True,
    ),
    Column(
        "registered_office_country",
        "string",
        "Pays du siège statutaire (ISO 3166-1)",
        "Country of the registered office (ISO 3166-1)",
        lambda p: p.registered_office_country,
    ),
    Column(
        "central_administration_country",
        "string",
        "Pays de l'administration centrale (ISO 3166-1)",
        "Country of the central administration (ISO 3166-1)",
        lambda p: p.central_administration_country,
    ),
    Column(
        "main_establishment_country",
        "string",
        "Pays du principal établissement (ISO 3166-1)",
        "Country of the main establishment (ISO 3166-1)",
        lambda p: p.main_establishment_country,
    ),
    Column(
        "is_sme",
        "boolean",
        "PME au sens de la recommandation 2003/361/CE",
        "SME as defined by Recommendation 2003/361/EC",
        lambda p: p.is_sme,
    ),
    Column(
        "status",
        "string",
        "Statut du fournisseur (seuls les fournisseurs actifs sont publiés)",
        "Provider status (only active providers are published)",
        lambda p: p.status,
    ),
    Column("website", "string", "Site web", "Website", lambda p: p.website or None, nullable=True),
    Column(
        "published_offers",
        "integer",
        "Nombre d'offres publiées au catalogue",
        "Number of offers published in the catalogue",
        lambda p: p.published_offers,
    ),
    Column(
        "certifications",
        "records",
        "Certificats du fournisseur vérifiés par l'opérateur : référentiel, version, référence, statut, "
        "date d'expiration",
        "Provider's operator-verified certificates: scheme, version, reference, status, expiry",
        lambda p: _verified(p.verified_certifications),
        text=_certification_text,
    ),
    Column(
        "updated_at",
        "date-time",
        "Dernière modification de la fiche",
        "Last change to the record",
        lambda p: p.updated_at,
    ),
)
