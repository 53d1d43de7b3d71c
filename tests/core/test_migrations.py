"""Indexes on large tables are built without locking writes (issue 14).

``CREATE INDEX`` holds a lock that blocks every write to the table for the
whole build — minutes on a table of a million offers. From the migrations
below on, an index added to a large table must be ``AddIndexConcurrently``
in a non-atomic migration (PostgreSQL refuses CREATE INDEX CONCURRENTLY
inside a transaction).
"""

from __future__ import annotations

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader

# The last migration of each app when the rule was adopted: older ones ran
# before there was a large table anywhere.
ADOPTED_AFTER = {"core": 1, "catalog": 11, "tenders": 6, "broker": 4}
# Tables that grow with the catalogue or the traffic.
LARGE_MODELS = {
    ("catalog", "offer"),
    ("catalog", "offerassessment"),
    ("catalog", "certification"),
    ("core", "changeevent"),
    ("tenders", "tender"),
    ("tenders", "shortlistentry"),
    ("tenders", "invitation"),
    ("tenders", "tenderresponse"),
    ("broker", "auditevent"),
    ("broker", "notification"),
    ("broker", "webhookdelivery"),
}


def new_migrations():
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    for (app, name), migration in loader.disk_migrations.items():
        if app in ADOPTED_AFTER and int(name.split("_")[0]) > ADOPTED_AFTER[app]:
            yield app, name, migration


def index_problems(app: str, name: str, migration) -> list[str]:
    problems = []
    for operation in migration.operations:
        if not isinstance(operation, migrations.AddIndex):
            continue
        if (app, operation.model_name.lower()) not in LARGE_MODELS:
            continue
        if not isinstance(operation, AddIndexConcurrently):
            problems.append(f"{app}.{name}: AddIndex on {operation.model_name}")
        elif migration.atomic:
            problems.append(f"{app}.{name}: AddIndexConcurrently in an atomic migration")
    return problems


def test_it_builds_new_indexes_on_large_tables_concurrently(db):
    problems = [p for app, name, m in new_migrations() for p in index_problems(app, name, m)]
    assert problems == []


def test_it_would_refuse_a_plain_index_on_the_offers():
    from django.db import models

    plain = type(
        "Migration",
        (migrations.Migration,),
        {"operations": [migrations.AddIndex("offer", models.Index(fields=["name"], name="x"))]},
    )("0099_x", "catalog")
    concurrent_but_atomic = type(
        "Migration",
        (migrations.Migration,),
        {"operations": [AddIndexConcurrently("offer", models.Index(fields=["name"], name="x"))]},
    )("0099_y", "catalog")
    assert index_problems("catalog", "0099_x", plain) == ["catalog.0099_x: AddIndex on offer"]
    assert index_problems("catalog", "0099_y", concurrent_but_atomic) == [
        "catalog.0099_y: AddIndexConcurrently in an atomic migration"
    ]
