"""The SQL side of a scale load: COPY in PostgreSQL's text format, ids
reserved from the sequences, change-feed triggers and secondary indexes off
for the load, foreign keys checked once, set-based, and the reset."""

# SQL here is assembled from this package's own constants, never from input.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from bench.scale.data import REFERENCE_PREFIX, SLUG_PREFIX

CHUNK = 20_000


class SeedError(Exception):
    """A load that cannot go on (data already loaded, a broken key)."""


def copy_text(value) -> str:
    """One field in PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, list):
        return "{" + ",".join(str(v) for v in value) + "}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def copy_lines(cursor, table: str, columns: Iterable[str], lines: Iterable[str]) -> int:
    """COPY rows already written in COPY text format, one string each."""
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608 (constants)
        buffer = []
        for line in lines:
            buffer.append(line)
            count += 1
            if len(buffer) >= CHUNK:
                copy.write("\n".join(buffer) + "\n")
                buffer = []
        if buffer:
            copy.write("\n".join(buffer) + "\n")
    return count


def copy_rows(cursor, table: str, columns: Iterable[str], rows: Iterable[tuple]) -> int:
    return copy_lines(
        cursor, table, columns, ("\t".join(copy_text(v) for v in row) for row in rows)
    )


def lexeme_text(entries: list[tuple[str, list[int]]], shift: int, weight: str) -> str:
    """Lexemes in tsvector input form, positions shifted as ``||`` shifts
    the right operand's (by the left one's highest position), weighted."""
    return " ".join(
        f"'{lexeme}':" + ",".join(f"{p + shift}{weight}" for p in positions)
        for lexeme, positions in entries
    )


def reserve_ids(cursor, table: str, n: int) -> range:
    """``n`` consecutive ids from the table's identity sequence."""
    if n <= 0:
        return range(0)
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
        [table, table, n],
    )
    last = cursor.fetchone()[0]
    return range(last - n + 1, last + 1)


# A template result names a provider's certificates by these stand-ins;

TRIGGER_TABLES = ["catalog_provider", "catalog_offer", "catalog_offerassessment", "tenders_tender"]


# Loaded in bulk: their secondary indexes are dropped for the load and built
# again after it.
BULK_TABLES = ["catalog_offer", "catalog_offerassessment", "catalog_certification_scope_offers"]


def secondary_indexes_drop(cursor, tables: list[str]) -> list[str]:
    """Drop the tables' indexes that no constraint owns and return their
    definitions. Building an index once over a million rows costs a
    fraction of inserting every row into it (the GIN search index above
    all); the unique and primary keys stay, they guard the load."""
    cursor.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i
           WHERE i.indrelid = ANY(%s::regclass[])
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
           ORDER BY 1""",
        [tables],
    )
    found = cursor.fetchall()
    for name, _definition in found:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in found]


LOADED_TABLES = [
    "catalog_provider",
    "catalog_ownershipstake",
    "catalog_certification",
    "catalog_offer",
    "catalog_offerassessment",
    "catalog_certification_scope_offers",
    "tenders_agency",
    "tenders_tender",
    "tenders_tenderresponse",
    "tenders_award",
]


def foreign_keys_check(cursor, tables: list[str]) -> None:
    """Every single-column foreign key of these tables, checked by one
    anti-join each; raise when a row points at nothing."""
    cursor.execute(
        """SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, fa.attname
           FROM pg_constraint c
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
           WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
             AND c.conrelid = ANY(%s::regclass[])
           ORDER BY 1, 2""",
        [tables],
    )
    for table, column, target, target_column in cursor.fetchall():
        cursor.execute(
            f"""SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM {target} f WHERE f.{target_column} = t.{column})"""
        )
        missing = cursor.fetchone()[0]
        if missing:
            raise SeedError(f"{missing} rows of {table}.{column} point at no {target} row.")


def scale_reset(cursor) -> None:
    """Remove every row an earlier seed_scale added, children first."""
    tender_ids = f"SELECT id FROM tenders_tender WHERE reference LIKE '{REFERENCE_PREFIX}%%'"  # noqa: S608
    provider_ids = f"SELECT id FROM catalog_provider WHERE slug LIKE '{SLUG_PREFIX}%%'"  # noqa: S608
    offer_ids = f"SELECT id FROM catalog_offer WHERE provider_id IN ({provider_ids})"  # noqa: S608
    for table in TRIGGER_TABLES:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    statements = [
        f"DELETE FROM tenders_award WHERE tender_id IN ({tender_ids})",
        f"DELETE FROM tenders_tenderresponse WHERE tender_id IN ({tender_ids})",
        f"DELETE FROM tenders_shortlistentry WHERE tender_id IN ({tender_ids}) OR offer_id IN ({offer_ids})",
        f"DELETE FROM tenders_invitation WHERE tender_id IN ({tender_ids})",
        f"DELETE FROM tenders_tender WHERE id IN ({tender_ids})",
        f"DELETE FROM tenders_agency WHERE slug LIKE '{SLUG_PREFIX}%%'",
        f"DELETE FROM catalog_certification_scope_offers WHERE offer_id IN ({offer_ids})",
        f"DELETE FROM catalog_certification WHERE provider_id IN ({provider_ids})",
        f"DELETE FROM catalog_offerassessment WHERE offer_id IN ({offer_ids})",
        f"DELETE FROM catalog_offer WHERE provider_id IN ({provider_ids})",
        f"DELETE FROM catalog_ownershipstake WHERE provider_id IN ({provider_ids})",
        f"DELETE FROM catalog_provider WHERE slug LIKE '{SLUG_PREFIX}%%'",
    ]
    for sql in statements:
        cursor.execute(sql)
    for table in TRIGGER_TABLES:
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
