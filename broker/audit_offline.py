"""Verify an export of the audit chain against its anchors, offline: no
database, no Django settings, only this repository's code.

    python -m broker.audit_offline EXPORT.jsonl ANCHOR.json [ANCHOR.json ...]

EXPORT.jsonl comes from ``manage.py audit_export``; an anchor is a file of
the media storage (``audit/anchors/YYYY-MM-DD.json``) or one item of
``GET /api/v1/audit/anchors/`` saved as JSON. The signing key is read from
the environment: ``AUDIT_ANCHOR_KEY``, else ``DJANGO_SECRET_KEY`` (from
which the server derives it when AUDIT_ANCHOR_KEY is unset).

Exit status: 0 the chain is intact and holds every anchor; 1 it does not
(an altered event, a missing tail, a forged anchor); 2 unreadable input."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from broker.audit_chain import AnchorError, anchor_key, anchor_read, chain_verify

REFUSED = 1
UNREADABLE = 2


class UnreadableError(Exception):
    pass


def _events(path: str) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError as error:
                raise UnreadableError(f"{path}, line {number}: not JSON ({error})") from error
            if not isinstance(event, dict):
                raise UnreadableError(f"{path}, line {number}: not an event")
            yield event


def _document(path: str) -> object:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise UnreadableError(f"{path}: {error}") from error


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m broker.audit_offline",
        description="Verify an audit export (manage.py audit_export) against signed anchors.",
    )
    parser.add_argument("export", help="the JSON Lines export of the chain")
    parser.add_argument("anchors", nargs="+", metavar="anchor", help="an anchor file")
    args = parser.parse_args(argv)
    try:
        key = anchor_key(
            os.environ.get("AUDIT_ANCHOR_KEY", ""), os.environ.get("DJANGO_SECRET_KEY", "")
        )
    except AnchorError as error:
        print(error, file=sys.stderr)
        return UNREADABLE
    try:
        anchors = [anchor_read(_document(path), key, source=path) for path in args.anchors]
    except AnchorError as error:
        print(f"refused: {error}", file=sys.stderr)
        return REFUSED
    except UnreadableError as error:
        print(f"unreadable: {error}", file=sys.stderr)
        return UNREADABLE
    try:
        report = chain_verify(_events(args.export), anchors)
    except (OSError, UnreadableError) as error:
        print(f"unreadable: {error}", file=sys.stderr)
        return UNREADABLE
    except (KeyError, TypeError) as error:
        print(f"unreadable: {args.export}: an event lacks {error}", file=sys.stderr)
        return UNREADABLE
    if report.broken_at is not None:
        print(
            f"refused: the export's chain is broken at event #{report.broken_at}: "
            f"{report.reason} ({report.count} events read)",
            file=sys.stderr,
        )
        return REFUSED
    if report.anchor_problems:
        print(
            f"refused: the export ({report.count} events) does not match its anchors:",
            *(f"  {problem}" for problem in report.anchor_problems),
            sep="\n",
            file=sys.stderr,
        )
        return REFUSED
    newest = max(anchors, key=lambda anchor: anchor.day)
    print(
        f"export ok: {report.count} events, intact; "
        f"{len(anchors)} anchor{'s' if len(anchors) > 1 else ''} matched "
        f"(newest {newest.day}: event #{newest.last_event_id}, {newest.count} events)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
