"""The datasets (providers, offers) — only what the public already sees —
and their CSV and JSON renderings, streamed: the whole directory is never
held in memory."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q
from django.utils import timezone, translation

from catalog import selectors
from catalog.models import Certification, Offer, OfferStatus, Provider
from catalog.opendata.columns import OFFER_COLUMNS, PROVIDER_COLUMNS, Column

LIST_SEPARATOR = "|"
CHUNK = 500


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: Callable[[], Iterator[Any]]


def _verified_ids() -> frozenset[int]:
    return frozenset(
        Certification.objects.filter(verification=Certification.Verification.VERIFIED).values_list(
            "pk", flat=True
        )
    )


def offers_published() -> Iterator[Offer]:
    """Published offers of active providers, oldest first; the chunked
    iterator keeps memory flat and still runs the prefetches."""
    verified = _verified_ids()
    for offer in (
        selectors.offers_visible_to(AnonymousUser()).order_by("pk").iterator(chunk_size=CHUNK)
    ):
        offer.verified_certificate_ids = verified
        yield offer


def providers_published() -> Iterator[Provider]:
    verified = Certification.objects.filter(verification=Certification.Verification.VERIFIED)
    return (
        selectors.providers_visible_to(AnonymousUser())
        .annotate(
            published_offers=Count(
                "offers", filter=Q(offers__status=OfferStatus.PUBLISHED), distinct=True
            )
        )
        .prefetch_related(
            Prefetch(
                "certifications",
                to_attr="verified_certifications",
                queryset=verified.select_related("scheme").order_by("scheme__code", "pk"),
            )
        )
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    )


DATASETS = {
    "providers": Dataset("providers", "Fournisseurs", PROVIDER_COLUMNS, providers_published),
    "offers": Dataset("offers", "Offres", OFFER_COLUMNS, offers_published),
}


# --------------------------------------------------------------------------
# Serialisation


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_value(item) for key, item in value.items()}
    return value


def _cell(column: Column, value: Any, *, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = _plain(value)
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, datetime | date):
        return _json_value(value)
    if isinstance(value, list):
        parts = [column.text(item) if column.text else str(item) for item in value]
        return LIST_SEPARATOR.join(parts)
    return str(value)


class _Echo:
    """csv.writer writes into this and gets the line back."""

    def write(self, value: str) -> str:
        return value


def csv_stream(dataset: Dataset, *, semicolon: bool = False, lang: str = "fr") -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";" if semicolon else ",", lineterminator="\r\n")
    with translation.override(lang):
        if semicolon:
            yield "\ufeff"
        yield writer.writerow([column.name for column in dataset.columns])
        for row in dataset.rows():
            yield writer.writerow(
                [
                    _cell(column, column.value(row), decimal_comma=semicolon)
                    for column in dataset.columns
                ]
            )


def json_record(dataset: Dataset, row: Any) -> dict:
    return {column.name: _json_value(column.value(row)) for column in dataset.columns}


def json_stream(dataset: Dataset, *, lang: str = "fr") -> Iterator[str]:
    with translation.override(lang):
        yield "["
        for index, row in enumerate(dataset.rows()):
            yield (
                ("," if index else "")
                + "\n"
                + json.dumps(json_record(dataset, row), ensure_ascii=False)
            )
        yield "\n]\n"


def columns_document() -> dict:
    return {
        "formats": {
            "csv": "RFC 4180: comma, '.' decimal mark, UTF-8 without BOM; ?sep=semicolon: ';', decimal "
            "comma, UTF-8 with BOM (French spreadsheets). Several values in a cell are separated "
            "by '|'; booleans true/false; dates ISO 8601; empty cell: no value.",
            "json": "An array of objects named like the CSV columns, typed; null: no value.",
            "lang": "?lang=fr (default) or ?lang=en for labels and reasons.",
        },
        **{
            name: [
                {
                    "name": c.name,
                    "type": c.type,
                    "nullable": c.nullable,
                    "description_fr": c.description_fr,
                    "description_en": c.description_en,
                }
                for c in dataset.columns
            ]
            for name, dataset in DATASETS.items()
        },
    }
