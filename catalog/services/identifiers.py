"""Company identifiers (DESIGN §9), checked with python-stdnum: SIREN and
SIRET (INSEE, with La Poste's exception), intra-EU VAT numbers (each
member state's own check digits, French new-style keys included)."""

from __future__ import annotations

from stdnum import luhn
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

# The prefixes of intra-EU VAT numbers: the member states' codes, with
# Greece's EL and Northern Ireland's XI.
EU_VAT_PREFIXES = frozenset({code.upper() for code in eu_vat.MEMBER_STATES} | {"EL"})


def _digits(text: str, length: int) -> bool:
    return len(text) == length and text.isascii() and text.isdigit()


def luhn_valid(digits: str) -> bool:
    return luhn.is_valid(digits)


def siren_valid(siren: str) -> bool:
    return _digits(siren, 9) and fr_siren.is_valid(siren)


def siret_valid(siret: str) -> bool:
    """14 digits whose check digit holds; La Poste's establishments (SIREN
    356000000) sum to a multiple of 5 instead, which stdnum knows."""
    return _digits(siret, 14) and fr_siret.is_valid(siret)


def french_vat_key(siren: str) -> str:
    """The old-style key of a French VAT number, (12 + 3 × (SIREN mod 97))
    mod 97: what a company without a new-style key was given."""
    return f"{(12 + 3 * (int(siren) % 97)) % 97:02d}"


def vat_valid(vat: str, siren: str = "") -> bool:
    """An intra-EU VAT number (country prefix + national part) with its
    member state's check digits; a French one must carry ``siren`` when
    given. Outside the EU a tax number is checked for shape only: stdnum's
    ``eu.vat`` knows the member states, and a foreign provider's number is
    recorded as its own administration gave it."""
    vat = vat.replace(" ", "").upper()
    if len(vat) < 4 or not vat[:2].isalpha() or not vat[2:].isalnum():
        return False
    if vat[:2] not in EU_VAT_PREFIXES:
        return len(vat) <= 16
    if not eu_vat.is_valid(vat):
        return False
    return not (vat.startswith("FR") and siren and vat[4:] != siren)
