"""Exports of a locked sourcing file for the procurement record: the CSV
(API and web) and the rows of the printable page, both built from the
frozen snapshot only — never from today's catalogue.

CSV columns, one row per offer of the locked result, in the result's order:

    file_id, file_name, agency, agency_siret, locked_at (UTC, ISO 8601),
    policy_version (in force at lock time), snapshot_sha256, filters (the
    saved search, as a query string), rank, offer_id, offer_name, provider,
    provider_siren, category, cpv_code, unit, unit_price_eur_excl_vat,
    price_is_illustrative, normalised_price_eur_excl_vat, normalised_unit,
    level (highest level qualified for), flags, assessment_policy_version,
    assessed_at, checks_passed, checks_failed, eligibility (every check's
    sentence, in the reader's language, "✓"/"✗" marked, " | "-separated).

The SHA-256 is that of the canonical JSON snapshot
(``tenders.selectors.sourcing.snapshot_canonical``): anyone holding the JSON can
recompute it; the CSV is a view of it."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.http import HttpResponse
from django.utils.translation import gettext as _

from tenders.models import SourcingFile
from tenders.selectors import sourcing_snapshot_offers
from tenders.services import TenderError

CSV_COLUMNS = [
    "file_id",
    "file_name",
    "agency",
    "agency_siret",
    "locked_at",
    "policy_version",
    "snapshot_sha256",
    "filters",
    "rank",
    "offer_id",
    "offer_name",
    "provider",
    "provider_siren",
    "category",
    "cpv_code",
    "unit",
    "unit_price_eur_excl_vat",
    "price_is_illustrative",
    "normalised_price_eur_excl_vat",
    "normalised_unit",
    "level",
    "flags",
    "assessment_policy_version",
    "assessed_at",
    "checks_passed",
    "checks_failed",
    "eligibility",
]


def filters_query(filters: dict) -> str:
    """The saved search as the catalogue's query string."""
    return urlencode(
        {
            key: ",".join(value) if isinstance(value, list) else value
            for key, value in filters.items()
        }
    )


def eligibility_text(checks: list[dict]) -> str:
    return " | ".join(f"{'✓' if check['passed'] else '✗'} {check['reason']}" for check in checks)


def csv_rows(sourcing_file: SourcingFile) -> list[list]:
    snapshot = sourcing_file.snapshot or {}
    agency = snapshot.get("file", {}).get("agency", {})
    head = [
        sourcing_file.pk,
        snapshot.get("file", {}).get("name", sourcing_file.name),
        agency.get("name", ""),
        agency.get("siret", ""),
        snapshot.get("locked_at", ""),
        snapshot.get("policy_version", ""),
        sourcing_file.snapshot_sha256,
        filters_query(snapshot.get("filters", {})),
    ]
    rows = []
    for rank, offer in enumerate(sourcing_snapshot_offers(sourcing_file), start=1):
        assessment = offer.get("assessment") or {}
        checks = assessment.get("checks", [])
        rows.append(
            [
                *head,
                rank,
                offer["id"],
                offer["name"],
                offer["provider"]["name"],
                offer["provider"].get("siren", ""),
                offer["category"],
                offer["cpv_code"],
                offer["unit"],
                offer["unit_price"],
                "yes" if offer["price_is_illustrative"] else "no",
                offer["normalised_price"],
                offer["normalised_unit"],
                assessment.get("level", ""),
                ",".join(assessment.get("flags", [])),
                assessment.get("policy_version", ""),
                assessment.get("assessed_at", ""),
                sum(1 for c in checks if c["passed"]),
                sum(1 for c in checks if not c["passed"]),
                eligibility_text(checks),
            ]
        )
    return rows


def _cell(value):
    # Names come from providers: a cell starting like a formula is shown as
    # text by spreadsheets (CSV injection), not evaluated.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_text(sourcing_file: SourcingFile) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([[_cell(value) for value in row] for row in csv_rows(sourcing_file)])
    return out.getvalue()


def csv_filename(sourcing_file: SourcingFile) -> str:
    return f"dossier-sourcing-{sourcing_file.pk}-{sourcing_file.snapshot_sha256[:12]}.csv"


def csv_response(sourcing_file: SourcingFile) -> HttpResponse:
    """The CSV download of a locked file (the API and the web page serve
    the same bytes). An open file has no record to export yet."""
    if not sourcing_file.is_locked:
        raise TenderError(
            _("Lock the sourcing file to export it."), code="not_locked", http_status=409
        )
    response = HttpResponse(csv_text(sourcing_file), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(sourcing_file)}"'
    return response
