"""OCDS 1.1 packaging: the merge of a process's releases into its
compiled release, records, and the release and record packages that carry
them (https://standard.open-contracting.org/1.1/en/schema/)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from datetime import datetime

OCDS_VERSION = "1.1"
PUBLISHER = {"name": "Guichet Cloud"}
# Licence Ouverte / Open Licence 2.0 (Etalab): the licence French public
# bodies publish their open data under (Code des relations entre le public
# et l'administration, D323-2-1).
LICENSE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence"

# The OCDS merge routine (https://standard.open-contracting.org/1.1/en/schema/merging/):
# objects merge field by field, arrays of objects with an ``id`` merge item
# by id, any other value (and a whole-list-merge array) replaces the
# previous one, and null removes it.
OMIT_WHEN_MERGED = ("id", "date", "tag")
WHOLE_LIST_MERGE = ("additionalIdentifiers",)


def _identified_list(value) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and "id" in item for item in value)
    )


def _merge(into: dict, change: dict) -> dict:
    for key, value in change.items():
        current = into.get(key)
        if value is None:
            into.pop(key, None)
        elif isinstance(value, dict):
            into[key] = _merge(current if isinstance(current, dict) else {}, value)
        elif _identified_list(value) and key not in WHOLE_LIST_MERGE:
            by_id = {item["id"]: item for item in current} if _identified_list(current) else {}
            for item in value:
                by_id[item["id"]] = _merge(by_id.get(item["id"], {}), item)
            into[key] = list(by_id.values())
        else:
            into[key] = copy.deepcopy(value)
    return into


def compiled_release(releases: list[dict]) -> dict:
    """The merge of one process's releases, oldest first."""
    ordered = sorted(releases, key=lambda r: datetime.fromisoformat(r["date"]))
    compiled: dict = {}
    for item in ordered:
        _merge(compiled, {k: v for k, v in item.items() if k not in OMIT_WHEN_MERGED})
    latest = ordered[-1]
    return {
        "ocid": latest["ocid"],
        "id": f"{latest['ocid']}-compiled",
        "date": latest["date"],
        "tag": ["compiled"],
        **{k: v for k, v in compiled.items() if k != "ocid"},
    }


def record(releases: list[dict]) -> dict:
    """One process's record: its releases embedded, oldest first, and the
    compiled release."""
    if not releases:
        raise ValueError("a record needs at least one release")
    return {
        "ocid": releases[0]["ocid"],
        "releases": releases,
        "compiledRelease": compiled_release(releases),
    }


def _latest(dates: Iterable[str]) -> str:
    return max(dates, key=datetime.fromisoformat)


def _package_head(uri: str, published: str) -> dict:
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "publishedDate": published,
        "publisher": dict(PUBLISHER),
        "license": LICENSE,
    }


def release_package(releases: list[dict], *, uri: str) -> dict:
    """A release package. Its ``publishedDate`` is the newest release's
    date: the package is generated on demand, and the schema asks for the
    date of the last change to its contents then. The schema wants at least
    one release: an empty one is refused here rather than served invalid."""
    if not releases:
        raise ValueError("an OCDS release package holds at least one release")
    return {**_package_head(uri, _latest(r["date"] for r in releases)), "releases": releases}


def record_package(records: list[dict], *, uri: str) -> dict:
    if not records:
        raise ValueError("an OCDS record package holds at least one record")
    return {
        **_package_head(uri, _latest(r["compiledRelease"]["date"] for r in records)),
        "records": records,
    }


def dumps(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)
