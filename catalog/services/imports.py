"""Bulk import of offers (``manage.py import_offers FILE``): every row
validated as the offer API validates it, all or nothing, written by one
COPY."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import psycopg
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries as iso_countries

from catalog import selectors, units
from catalog.errors import CatalogError
from catalog.models import Offer, Provider, ServiceCategory
from catalog.services._common import (
    _column,
    _country,
    _decimal,
    _forbidden,
    _invalid,
    assessment_request,
)
from catalog.services.offers import (
    DATA_LOCATION_FIELDS,
    LOCATION_FIELDS,
    OFFER_FIELDS,
    _offer_clean,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Bounded by their columns and, as the offer API refuses them, with no
# more decimal places than the columns keep.
IMPORT_DECIMALS = ("unit_price", "minimum_commitment", "capacity", "sla_pct")
IMPORT_TEXT_LIMITS = {"name": 200, "description": 10000}
IMPORT_REQUIRED = ("name", "category", "cpv_code", "unit", "unit_price")
IMPORT_BOOLEANS = {
    "": False,
    "0": False,
    "false": False,
    "no": False,
    "1": True,
    "true": True,
    "yes": True,
}


def _import_bool(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    answer = IMPORT_BOOLEANS.get(str(value).strip().lower())
    if answer is None:
        raise _invalid(field, _("Must be a valid boolean."))
    return answer


def _import_months(field: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return 0
        if not value.isdigit():
            raise _invalid(field, _("A whole number of months between 0 and 120."))
        return int(value)
    return value


def _import_decimal(field: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
    if value in (None, ""):
        return value
    return _decimal(field, value, column=_column(Offer, field), exact=True)


def _import_text(field: str, value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        if len(value) > IMPORT_TEXT_LIMITS.get(field, len(value)):
            raise _invalid(
                field, _("At most %(limit)s characters.") % {"limit": IMPORT_TEXT_LIMITS[field]}
            )
    return value


IMPORT_CONVERT = {
    **dict.fromkeys(("price_is_illustrative", "support_documented", "dr_support"), _import_bool),
    "minimum_months": _import_months,
    **dict.fromkeys(IMPORT_DECIMALS, _import_decimal),
}


def _import_row(
    row: dict[str, Any], countries: frozenset[str], categories: frozenset[str]
) -> dict[str, Any]:
    """One row (text cells as a CSV gives them, or typed values), validated
    as the offer API and ``offer_create`` validate an offer. Country lists
    and the category are checked against snapshots (``countries``,
    ``categories``); a bad value raises ``_country``'s or ``_offer_clean``'s
    own error."""
    typed, located = {}, {}
    for field, value in row.items():
        if field is None or value is None:  # a CSV row longer, or shorter, than its header
            continue
        if field in LOCATION_FIELDS:
            if isinstance(value, str):
                value = value.replace(";", ",").replace(" ", ",").split(",")
            codes = {code.strip().upper() for code in (value or []) if code and code.strip()}
            for code in codes - countries:
                _country(field, code)
            located[field] = sorted(codes)
            continue
        if field not in OFFER_FIELDS:
            raise _invalid(
                field,
                _("Unknown field; use %(names)s.") % {"names": ", ".join(sorted(OFFER_FIELDS))},
            )
        typed[field] = IMPORT_CONVERT.get(field, _import_text)(field, value)
    for required in IMPORT_REQUIRED:
        if typed.get(required) in (None, ""):
            raise _invalid(required, _("This field is required."))
    category = typed.pop("category")
    if category not in categories:
        _offer_clean({"category": category}, instance=None)
    clean = _offer_clean(typed, instance=None)
    clean["category"] = category
    clean.update(located)
    return clean


def _copy_text(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if isinstance(value, list):  # country codes: two letters, nothing to quote
        return "{" + ",".join(value) + "}"
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


@transaction.atomic
def offers_import(
    *, provider: Provider, actor: User | None, rows: Iterable[dict[str, Any]]
) -> list[int]:
    """Create the provider's offers from ``rows`` (dicts of the offer API's
    fields, as text or typed; no subcontractors), all or nothing: every row
    is validated as the offer API validates it, and one invalid row
    rejects the file with every row's errors (``rows[<index>].<field>``,
    index from 0). ``actor`` None is the command line (the operator); a
    user must be a member of the provider or an operator. Rows are written
    by one COPY (ids from the table's sequence, search documents computed
    by the server as ``_search_refresh`` computes them, in one query) as
    drafts, then assessed after commit.
    Returns the new offers' ids in row order."""
    if actor is not None and not selectors.is_operator(actor):
        own = selectors.provider_of(actor)
        if own is None or own.pk != provider.pk:
            raise _forbidden(_("Only the provider's members or an operator import its offers."))
    offers: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    total = 0
    countries, categories = frozenset(iso_countries.countries), frozenset(ServiceCategory.values)
    defaults = {f.attname: f.get_default() for f in Offer._meta.concrete_fields}
    now = timezone.now().isoformat()
    for index, row in enumerate(rows):
        total += 1
        try:
            clean = _import_row(row, countries, categories)
        except CatalogError as error:
            for field, messages in (error.fields or {"row": [str(error.message)]}).items():
                errors[f"rows[{index}].{field}"] = [str(m) for m in messages]
            continue
        offer = {
            **defaults,
            **clean,
            "provider_id": provider.pk,
            "created_at": now,
            "updated_at": now,
        }
        # _offer_derive, on the row
        offer["normalised_unit"], offer["normalised_price"] = units.normalise_price(
            offer["unit"], offer["unit_price"]
        )
        offer["data_countries"] = sorted(
            {c for field in DATA_LOCATION_FIELDS for c in offer[field]}
        )
        offers.append(offer)
    if errors:
        raise CatalogError(
            _("%(count)s of %(total)s rows are invalid; nothing was imported.")
            % {"count": len({key.split(".")[0] for key in errors}), "total": total},
            fields=errors,
        )
    if not offers:
        return []
    fields = [f for f in Offer._meta.concrete_fields if f.name not in ("id", "search_document")]
    table = Offer._meta.db_table
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        # Ids from the table's own sequence, and each row's search document
        # computed by the server exactly as _search_refresh computes it: the
        # rows then go straight into the table with one COPY.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(offers)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            """SELECT (setweight(to_tsvector(%(config)s::regconfig, t.name), 'A')
                       || setweight(to_tsvector(%(config)s::regconfig, %(provider)s::text), 'B')
                       || setweight(to_tsvector(%(config)s::regconfig, t.description), 'C'))::text
               FROM unnest(%(names)s::text[], %(descriptions)s::text[]) WITH ORDINALITY AS t(name, description, i)
               ORDER BY t.i""",
            {
                "config": selectors.SEARCH_CONFIG,
                "provider": selectors.fold(provider.name),
                "names": [selectors.fold(o["name"]) for o in offers],
                "descriptions": [selectors.fold(o["description"]) for o in offers],
            },
            binary=True,
        )
        documents = [row[0] for row in cursor.fetchall()]
        attnames = [f.attname for f in fields]
        columns = ", ".join(["id", *(str(f.column) for f in fields), "search_document"])
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608
            lines = []
            for offer_id, offer, document in zip(ids, offers, documents, strict=True):
                lines.append(
                    "\t".join(
                        [
                            str(offer_id),
                            *(_copy_text(offer[a]) for a in attnames),
                            _copy_text(document),
                        ]
                    )
                )
                if len(lines) == 2000:
                    copy.write("\n".join(lines) + "\n")
                    lines = []
            if lines:
                copy.write("\n".join(lines) + "\n")
    assessment_request(offer_ids=ids, reason="offers_imported")
    return ids
