"""Benchmarks at national scale (issue 6): ``make bench`` / ``python -m bench``.

Each workload is timed next to its floor, measured in the same run: the SQL
the ORM itself issued (captured with its bound parameters), executed raw
through psycopg on a separate connection. Only ``make bench`` runs this; the
test suite runs the seed_scale smoke test in tests/bench only.
"""
