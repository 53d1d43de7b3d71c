"""Load a national-scale marketplace for the benchmarks (bench/scale/load.py
says how), into the configured database or ``--database-url``'s:

    python -m bench.seed_scale --offers 1000000 --providers 10000 --tenders 100000
    python -m bench.seed_scale --reset --offers 20000 --database-url postgresql://...

Never on a database a test suite or a server uses: the load is one long
transaction that holds the change feeds back (see bench/env.py).
"""

from __future__ import annotations

import argparse
import os
import sys

import django

from bench.scale.data import DEFAULT_SEED


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.seed_scale",
        description="Load a national-scale marketplace (offers, assessments, certificates, "
        "tenders) with COPY.",
    )
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument(
        "--providers",
        type=int,
        default=None,
        help="Default: one provider per 100 offers (at least 10).",
    )
    parser.add_argument("--tenders", type=int, default=None, help="Default: one per 10 offers.")
    parser.add_argument("--reset", action="store_true", help="Remove earlier scale data first.")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--database-url",
        default=None,
        help="Load into this database instead of the configured one.",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    # After setup: the loaders read the catalogue's models and policy.
    from bench.scale.load import seed
    from bench.scale.sql import SeedError

    try:
        summary = seed(
            offers=args.offers,
            providers=args.providers,
            tenders=args.tenders,
            reset=args.reset,
            random_seed=args.seed,
            database_url=args.database_url,
        )
    except SeedError as exc:
        print(f"seed_scale: {exc}", file=sys.stderr)
        return 1
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
