"""The directory as open data: providers and offers, with their
assessments, as CSV and JSON downloads under ``/api/v1/opendata/``.

Only what the public already sees: published offers of active providers
and active providers (the anonymous scoping of ``catalog.selectors``),
and among certificates only those the operator has verified.

Every column is declared once (``columns``) — name, type, a one-line
description in French and English, how to read it from a row — and serves
the CSV, the JSON and ``columns.json`` alike (docs/opendata.md lists them).

Formats:

* CSV, by default RFC 4180 for programs: comma, ``.`` as the decimal
  mark, UTF-8 without BOM, CRLF line ends. ``?sep=semicolon`` gives the
  spreadsheet variant French users expect: ``;``, decimal comma and a
  UTF-8 byte-order mark, so that a French Excel opens it right with a
  double click.
* In both, a cell holding several values separates them with ``|``;
  booleans are ``true`` / ``false``; dates are ISO 8601 (Paris time with
  its offset); an unknown value is an empty cell.
* JSON: an array of objects with the same names, typed (numbers, booleans,
  arrays, objects, null).
* ``?lang=en`` renders labels and the assessment's reasons in English;
  French by default, whatever the browser asks, so a file means the same
  for everyone.

Both are streamed: the whole directory is never held in memory.

Layout: ``columns`` (the columns), ``datasets`` (the rows and their CSV,
JSON renderings), ``views`` (the downloads); ``catalog.opendata_urls``
mounts them.
"""

from catalog.opendata.columns import OFFER_COLUMNS, PROVIDER_COLUMNS, Column
from catalog.opendata.datasets import (
    DATASETS,
    LIST_SEPARATOR,
    Dataset,
    columns_document,
    csv_stream,
    json_record,
    json_stream,
    offers_published,
    providers_published,
)
from catalog.opendata.views import (
    ColumnsView,
    CsvDownloadInput,
    CSVRenderer,
    DownloadInput,
    urlpatterns_for_downloads,
)
from core.api import ErrorOutput

__all__ = [
    "DATASETS",
    "LIST_SEPARATOR",
    "OFFER_COLUMNS",
    "PROVIDER_COLUMNS",
    "CSVRenderer",
    "Column",
    "ColumnsView",
    "CsvDownloadInput",
    "Dataset",
    "DownloadInput",
    "ErrorOutput",
    "columns_document",
    "csv_stream",
    "json_record",
    "json_stream",
    "offers_published",
    "providers_published",
    "urlpatterns_for_downloads",
]
