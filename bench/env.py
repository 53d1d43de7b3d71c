"""Environment of a benchmark process: one database per size
(``guichet_scale_<offers>``), production-like settings (DEBUG off, so
Django keeps no query log).

The scale databases live on their own embedded PostgreSQL (and Redis) under
``.data/scale``, not on the dev/test server: a seed_scale load is one long
transaction, and while it runs ``pg_snapshot_xmin`` — which the change feed
waits on, and which is cluster-wide — stays behind it, so every change feed
on the same server (the test suite's included) serves nothing for minutes.
Stop it with ``GUICHET_DATA_DIR=.data/scale python -m config.launcher stop``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCALE_DATA_DIR = str(Path(__file__).resolve().parent.parent / ".data" / "scale")
# config.embedded reads its folder at import time.
os.environ["GUICHET_DATA_DIR"] = os.environ.get("BENCH_DATA_DIR", SCALE_DATA_DIR)

from config import embedded  # noqa: E402


def database_url(offers: int) -> str:
    socket_dir, _started = embedded.postgres_ensure()
    name = f"guichet_scale_{offers}"
    psql = [str(embedded._pg_bin("psql")), "-h", socket_dir, "-U", "postgres", "-d", "postgres"]
    exists = subprocess.run(
        [*psql, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],  # noqa: S608
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run([*psql, "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    return embedded.postgres_url(socket_dir, name)


def environ(offers: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url(offers),
            "REDIS_URL": env.get("REDIS_URL") or embedded.redis_url(embedded.redis_ensure()[0]),
            "GUICHET_DATA_DIR": os.environ["GUICHET_DATA_DIR"],
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY") or "bench-only-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "testserver,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            # Throttling still runs (its cache round trip is part of a request),
            # at a rate the benchmark cannot reach.
            "API_THROTTLE_ANON": "100000000/hour",
        }
    )
    return env
