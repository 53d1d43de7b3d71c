"""Backups (issue 7, docs/security.md): a `pg_dump` of the database restored
into a fresh one with `pg_restore` is a working marketplace whose audit
chain verifies; a restored chain that was altered does not."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection

from broker.models import AuditEvent
from config import embedded
from tests.reliability.conftest import build_market, sql
from tests.worker import ROOT, _database_url

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GUICHET_TESTING": "1", "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def restored_url():
    """A fresh, empty database next to the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore"
    admin = _database_url().rsplit("/", 1)[0] + "/postgres"
    sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sql(admin, f'CREATE DATABASE "{name}"')
    yield _database_url().rsplit("/", 1)[0] + "/" + name
    sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_dump_restored_into_a_fresh_database_passes_audit_verify(restored_url, tmp_path):
    build_market(offers=2)
    events = AuditEvent.objects.count()
    assert events > 0
    dump = tmp_path / "guichet.dump"
    # The documented commands (docs/security.md), with the binaries pgserver ships.
    subprocess.run(
        [
            str(embedded._pg_bin("pg_dump")),
            "--format=custom",
            "--no-owner",
            f"--file={dump}",
            f"--dbname={_database_url()}",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(
        [
            str(embedded._pg_bin("pg_restore")),
            "--no-owner",
            "--exit-on-error",
            f"--dbname={restored_url}",
            str(dump),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )

    verified = manage(restored_url, "audit_verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == f"audit chain ok: {events} events"
    # The restored database is complete: no migration is missing.
    assert manage(restored_url, "migrate", "--check").returncode == 0

    # The check is real: one altered event in the restored copy breaks it.
    sql(restored_url, "ALTER TABLE broker_auditevent DISABLE TRIGGER ALL")
    sql(
        restored_url,
        "UPDATE broker_auditevent SET data = '{\"altered\": true}' "
        "WHERE id = (SELECT min(id) FROM broker_auditevent)",
    )
    broken = manage(restored_url, "audit_verify")
    assert broken.returncode != 0 and "audit chain broken at event #" in broken.stderr
