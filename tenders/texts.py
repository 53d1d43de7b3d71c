"""Sentences for shortlist reasons, warnings and "why not" failures, in the
reader's language. Like policy checks, they are stored as data
(``{"rule", "facts"}``) and rendered when shown."""

from __future__ import annotations

from django.utils.translation import get_language

from catalog import units
from catalog.texts import ZONE_NAMES


def _lang(lang: str | None) -> str:
    lang = (lang or get_language() or "fr")[:2]
    return lang if lang in ("fr", "en") else "fr"


def _unit(code: str) -> str:
    return units.UNITS[code].label if code in units.UNITS else code


def _place(code: str, lang: str) -> str:
    if not code:
        return "aucune contrainte" if lang == "fr" else "no constraint"
    return ZONE_NAMES[lang].get(code, code)


def _list(items, lang: str) -> str:
    return ", ".join(items) if items else ("aucun" if lang == "fr" else "none")


SENTENCES = {
    # Why this offer (shortlist reasons)
    "level": (
        lambda f: (
            f"Niveau requis {f['required']}, l'offre est qualifiée {f['granted']}."
            if f.get("granted")
            else f"Niveau requis {f['required']} : l'offre n'est qualifiée pour aucun niveau suffisant."
        ),
        lambda f: (
            f"Required level {f['required']}, the offer is qualified {f['granted']}."
            if f.get("granted")
            else f"Required level {f['required']}: the offer is not qualified high enough."
        ),
    ),
    "flags": (
        lambda f: (
            "Exigences satisfaites : " + _list(f.get("required", []), "fr") + "."
            if "missing" not in f
            else "Exigences non satisfaites : " + _list(f["missing"], "fr") + "."
        ),
        lambda f: (
            "Requirements met: " + _list(f.get("required", []), "en") + "."
            if "missing" not in f
            else "Requirements not met: " + _list(f["missing"], "en") + "."
        ),
    ),
    "location": (
        lambda f: (
            f"Données hors de la zone exigée ({_place(f['required'], 'fr')}) : {_list(f['outside'], 'fr')}."
            if "required" in f
            else f"Localisation des données : {_list(f['countries'], 'fr')} (contrainte : {_place(f['constraint'], 'fr')})."
        ),
        lambda f: (
            f"Data outside the required zone ({_place(f['required'], 'en')}): {_list(f['outside'], 'en')}."
            if "required" in f
            else f"Data locations: {_list(f['countries'], 'en')} (constraint: {_place(f['constraint'], 'en')})."
        ),
    ),
    "cost": (
        lambda f: (
            f"Coût estimé {f['estimated_cost']} € HT pour un budget de {f['budget']} € HT "
            f"({f['normalised_price']} € par unité normalisée × {f['quantity']} × {f['months']} mois)."
        ),
        lambda f: (
            f"Estimated cost {f['estimated_cost']} € excl. VAT for a budget of {f['budget']} € "
            f"({f['normalised_price']} € per normalised unit × {f['quantity']} × {f['months']} months)."
        ),
    ),
    # Warnings
    "certificate_expires_before_contract_end": (
        lambda f: (
            f"Le certificat {f['scheme']} n° {f['reference']} expire le {f['expires_on']}, "
            f"avant la fin du contrat ({f['contract_end']})."
        ),
        lambda f: (
            f"Certificate {f['scheme']} {f['reference']} expires on {f['expires_on']}, "
            f"before the contract ends ({f['contract_end']})."
        ),
    ),
    # Why not (eligibility failures)
    "offer_not_published": (
        lambda f: f"L'offre n'est pas publiée ({f['status']}).",
        lambda f: f"The offer is not published ({f['status']}).",
    ),
    "provider_suspended": (
        lambda f: "Le fournisseur est suspendu.",
        lambda f: "The provider is suspended.",
    ),
    "category": (
        lambda f: f"Catégorie demandée {f['required']}, l'offre est en {f['offer']}.",
        lambda f: f"Category {f['required']} is required, the offer is {f['offer']}.",
    ),
    "unit": (
        lambda f: f"Unité demandée {_unit(f['required'])}, incompatible avec {_unit(f['offer'])}.",
        lambda f: (
            f"Unit {_unit(f['required'])} is required, not compatible with {_unit(f['offer'])}."
        ),
    ),
    "minimum_commitment": (
        lambda f: (
            f"Quantité {f['quantity']} sous l'engagement minimal de l'offre ({f['minimum']})."
        ),
        lambda f: (
            f"Quantity {f['quantity']} is below the offer's minimum commitment ({f['minimum']})."
        ),
    ),
    "capacity": (
        lambda f: f"Quantité {f['quantity']} au-delà de la capacité de l'offre ({f['capacity']}).",
        lambda f: f"Quantity {f['quantity']} exceeds the offer's capacity ({f['capacity']}).",
    ),
    "minimum_months": (
        lambda f: (
            f"Durée de {f.get('months', '?')} mois sous la durée minimale de l'offre ({f.get('minimum', '?')} mois)."
        ),
        lambda f: (
            f"A {f.get('months', '?')}-month term is below the offer's minimum ({f.get('minimum', '?')} months)."
        ),
    ),
    "budget": (
        lambda f: f"Coût estimé {f['estimated_cost']} € HT au-delà du budget ({f['budget']} € HT).",
        lambda f: (
            f"Estimated cost {f['estimated_cost']} € excl. VAT exceeds the budget ({f['budget']} €)."
        ),
    ),
}


def reason(item: dict, lang: str | None = None) -> str:
    pair = SENTENCES.get(item.get("rule", ""))
    if pair is None:
        return item.get("rule", "")
    try:
        return pair[0 if _lang(lang) == "fr" else 1](item.get("facts") or {})
    except (KeyError, TypeError):
        return item.get("rule", "")


def with_reasons(items: list[dict], lang: str | None = None) -> list[dict]:
    return [{**item, "reason": reason(item, lang)} for item in items]
