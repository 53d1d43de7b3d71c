"""Sentences for policy checks, rendered in the reader's language when shown.

Checks are stored as data (rule code and facts); this module is the only
place that turns them into words. French and English are written side by side
so that neither falls behind."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import get_language

ZONE_NAMES = {
    "fr": {
        "EU": "l'Union européenne",
        "EEA": "l'Espace économique européen",
        "EEA_ADEQUACY": "l'EEE ou un pays adéquat au sens du RGPD",
        "FR": "France",
        "ANY": "tout pays",
    },
    "en": {
        "EU": "the European Union",
        "EEA": "the European Economic Area",
        "EEA_ADEQUACY": "the EEA or a GDPR adequacy country",
        "FR": "France",
        "ANY": "any country",
    },
}
ROLE_NAMES = {
    "fr": {
        "storage": "stockage",
        "processing": "traitement",
        "backup": "sauvegarde",
        "technical_data": "données techniques",
    },
    "en": {
        "storage": "storage",
        "processing": "processing",
        "backup": "backup",
        "technical_data": "technical data",
    },
}
SEAT_NAMES = {
    "fr": {
        "registered_office": "siège statutaire",
        "central_administration": "administration centrale",
        "main_establishment": "principal établissement",
    },
    "en": {
        "registered_office": "registered office",
        "central_administration": "central administration",
        "main_establishment": "main establishment",
    },
}
WHY_NAMES = {
    "fr": {
        "in_progress": "qualification en cours (jalons J0–J2)",
        "suspended": "suspendu",
        "revoked": "révoqué",
        "expired": "expiré",
        "unverified": "non encore vérifié par l'opérateur",
        "rejected": "preuve rejetée par l'opérateur",
        "not_yet_valid": "pas encore en vigueur",
        "version_sunset": "version qui n'est plus valable",
        "not_in_scope": "ne couvre pas cette offre",
        "version_too_low": "version insuffisante",
    },
    "en": {
        "in_progress": "qualification in progress (milestones J0–J2)",
        "suspended": "suspended",
        "revoked": "revoked",
        "expired": "expired",
        "unverified": "not yet verified by the operator",
        "rejected": "evidence rejected by the operator",
        "not_yet_valid": "not yet in force",
        "version_sunset": "version no longer valid",
        "not_in_scope": "does not cover this offer",
        "version_too_low": "version too low",
    },
}


def _lang(lang: str | None) -> str:
    lang = (lang or get_language() or "fr")[:2]
    return lang if lang in ("fr", "en") else "fr"


def _countries(codes: list[str], lang: str) -> str:
    if not codes:
        return "aucun pays déclaré" if lang == "fr" else "no country declared"
    return ", ".join(codes)


def _required(reqs: list[dict], lang: str) -> str:
    parts = []
    for r in reqs:
        text = r["scheme"]
        if r.get("min_version"):
            text += f" ≥ {r['min_version']}"
        if r.get("min_assurance"):
            text += f" ({r['min_assurance']})"
        parts.append(text)
    return (" ou " if lang == "fr" else " or ").join(parts)


def _certification(f: dict, passed: bool, lang: str) -> str:
    if passed:
        c = f["certificate"]
        until = c.get("expires_on") or "—"
        if lang == "fr":
            return f"Certificat {c['scheme']} {c['version']} n° {c['reference']} valide et vérifié, couvre cette offre (jusqu'au {until})."
        return f"{c['scheme']} {c['version']} certificate {c['reference']} is valid, verified and covers this offer (until {until})."
    needed = _required(f.get("required", []), lang)
    rejected = "; ".join(
        f"{r['scheme']} {r['version']} n° {r['reference']} : {WHY_NAMES[lang].get(r['why'], r['why'])}"
        if lang == "fr"
        else f"{r['scheme']} {r['version']} {r['reference']}: {WHY_NAMES[lang].get(r['why'], r['why'])}"
        for r in f.get("rejected", [])
    )
    if lang == "fr":
        base = f"Aucun certificat valide, vérifié et couvrant cette offre parmi : {needed}."
        return f"{base} Écartés : {rejected}." if rejected else base
    base = f"No valid, verified certificate covering this offer among: {needed}."
    return f"{base} Not counted: {rejected}." if rejected else base


def _location(f: dict, passed: bool, lang: str, what_fr: str, what_en: str) -> str:
    zone = ZONE_NAMES[lang][f["zone"]]
    countries = _countries(f["countries"], lang)
    if lang == "fr":
        if passed:
            return f"{what_fr} : {countries}, dans {zone}."
        if not f["countries"]:
            return f"{what_fr} : aucun pays déclaré ; exigé : {zone}."
        return f"{what_fr} : {', '.join(f['outside'])} hors de {zone}."
    if passed:
        return f"{what_en}: {countries}, within {zone}."
    if not f["countries"]:
        return f"{what_en}: no country declared; required: {zone}."
    return f"{what_en}: {', '.join(f['outside'])} outside {zone}."


Renderer = Callable[[dict, bool, str], str]

RENDERERS: dict[str, Renderer] = {
    "no_requirement": lambda f, p, lang: (
        "Données publiques : aucune exigence de localisation ni de certification."
        if lang == "fr"
        else "Public data: no location or certification requirement."
    ),
    "classified_out_of_scope": lambda f, p, lang: (
        "Les informations classifiées (IGI 1300) sont hors du périmètre du guichet : aucune offre n'est qualifiée."
        if lang == "fr"
        else "Classified information (IGI 1300) is out of scope: no offer is ever qualified."
    ),
    "data_location": lambda f, p, lang: _location(
        f,
        p,
        lang,
        f"Localisation ({ROLE_NAMES['fr'][f['role']]})",
        f"Location ({ROLE_NAMES['en'][f['role']]})",
    ),
    "administration_location": lambda f, p, lang: _location(
        f, p, lang, "Administration et supervision", "Administration and supervision"
    ),
    "storage_location": lambda f, p, lang: _location(f, p, lang, "Stockage", "Storage"),
    "support_location": lambda f, p, lang: (
        (
            "Support : aucun pays hors de la zone déclaré."
            if lang == "fr"
            else "Support: no location outside the zone declared."
        )
        if not f["countries"]
        else _location(f, True, lang, "Support", "Support")
        if not f["outside"]
        else (
            (
                f"Support hors de {ZONE_NAMES['fr'][f['zone']]} ({', '.join(f['outside'])}) "
                + (
                    "avec un dispositif documenté."
                    if f["documented"]
                    else "sans dispositif documenté."
                )
            )
            if lang == "fr"
            else (
                f"Support outside {ZONE_NAMES['en'][f['zone']]} ({', '.join(f['outside'])}) "
                + (
                    "with documented arrangements."
                    if f["documented"]
                    else "without documented arrangements."
                )
            )
        )
    ),
    "provider_seats": lambda f, p, lang: (
        (
            "Siège statutaire, administration centrale et principal établissement dans l'UE."
            if p
            else "Hors de l'UE : "
            + ", ".join(f"{SEAT_NAMES['fr'][s]} ({f['seats'][s]})" for s in f["outside"])
            + "."
        )
        if lang == "fr"
        else (
            "Registered office, central administration and main establishment in the EU."
            if p
            else "Outside the EU: "
            + ", ".join(f"{SEAT_NAMES['en'][s]} ({f['seats'][s]})" for s in f["outside"])
            + "."
        )
    ),
    "non_eu_holder_max": lambda f, p, lang: (
        (
            f"Aucun détenteur hors UE au-delà de {f['limit']} %"
            + (
                f" (le plus important, {f['holder']}, détient {f['pct']} %)."
                if f["holder"]
                else "."
            )
            if p
            else f"{f['holder']} ({f['country']}) détient {f['pct']} %, la limite par détenteur hors UE est {f['limit']} %."
        )
        if lang == "fr"
        else (
            f"No non-EU holder above {f['limit']} %"
            + (f" (the largest, {f['holder']}, holds {f['pct']} %)." if f["holder"] else ".")
            if p
            else f"{f['holder']} ({f['country']}) holds {f['pct']} %, the limit per non-EU holder is {f['limit']} %."
        )
    ),
    "non_eu_ownership_total": lambda f, p, lang: (
        f"Les détenteurs hors UE détiennent ensemble {f['total']} %, la limite est {f['limit']} %."
        if lang == "fr"
        else f"Non-EU holders own {f['total']} % together, the limit is {f['limit']} %."
    ),
    "non_eu_veto": lambda f, p, lang: (
        (
            "Aucun droit de veto détenu hors UE."
            if p
            else "Droit de veto détenu hors UE : " + ", ".join(f["holders"]) + "."
        )
        if lang == "fr"
        else (
            "No veto right held outside the EU."
            if p
            else "Veto right held outside the EU: " + ", ".join(f["holders"]) + "."
        )
    ),
    "non_eu_board_majority": lambda f, p, lang: (
        (
            "Aucun contrôle du conseil depuis l'extérieur de l'UE."
            if p
            else "Majorité au conseil détenue hors UE : " + ", ".join(f["holders"]) + "."
        )
        if lang == "fr"
        else (
            "No board control from outside the EU."
            if p
            else "Board majority held outside the EU: " + ", ".join(f["holders"]) + "."
        )
    ),
    "non_eu_subcontractor_access": lambda f, p, lang: (
        (
            "Aucun sous-traitant hors UE n'accède aux données."
            if p
            else "Sous-traitants hors UE ayant accès aux données : "
            + ", ".join(f["subcontractors"])
            + "."
        )
        if lang == "fr"
        else (
            "No non-EU subcontractor accesses customer data."
            if p
            else "Non-EU subcontractors with access to customer data: "
            + ", ".join(f["subcontractors"])
            + "."
        )
    ),
    "subcontractor_chain": lambda f, p, lang: (
        (
            f"Le maillon le plus faible de la chaîne de sous-traitance, {f['subcontractor']}, est qualifié "
            + (
                f"{f['subcontractor_level']}."
                if f["subcontractor_level"]
                else "pour aucun niveau (pas encore évalué)."
            )
        )
        if lang == "fr"
        else (
            f"The weakest link of the subcontracting chain, {f['subcontractor']}, is qualified "
            + (
                f"{f['subcontractor_level']}."
                if f["subcontractor_level"]
                else "for no level (not yet assessed)."
            )
        )
    ),
    "certification": _certification,
    "hds_activities": lambda f, p, lang: (
        (
            f"Le certificat HDS couvre les activités {', '.join(map(str, f['covered'])) or 'aucune'} ; "
            f"cette offre ({f['category']}) exerce les activités {', '.join(map(str, f['needed']))}"
            + (
                f", il manque {', '.join(map(str, f['missing']))}."
                if f["missing"]
                else ", toutes couvertes."
            )
        )
        if lang == "fr"
        else (
            f"The HDS certificate covers activities {', '.join(map(str, f['covered'])) or 'none'}; "
            f"this offer ({f['category']}) performs activities {', '.join(map(str, f['needed']))}"
            + (
                f", {', '.join(map(str, f['missing']))} missing."
                if f["missing"]
                else ", all covered."
            )
        )
    ),
    "dr_support": lambda f, p, lang: (
        (
            "L'offre déclare supporter l'homologation Diffusion Restreinte (II 901)."
            if p
            else "L'offre ne déclare pas supporter l'homologation Diffusion Restreinte (II 901)."
        )
        if lang == "fr"
        else (
            "The offer declares support for Diffusion Restreinte homologation (II 901)."
            if p
            else "The offer does not declare support for Diffusion Restreinte homologation (II 901)."
        )
    ),
}


def check_reason(check: dict, lang: str | None = None) -> str:
    lang = _lang(lang)
    renderer = RENDERERS.get(check["rule"])
    if renderer is None:
        return check["rule"]
    return renderer(check.get("facts") or {}, bool(check["passed"]), lang)
