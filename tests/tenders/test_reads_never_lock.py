"""Reads never lock (issue 15 item 4): a GET of a tender checks the deadline
on a plain read and takes the row lock only to actually close; and web
processes run with a statement and a lock timeout, workers and management
commands without."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection
from django.test import Client

from tests.worker import ROOT, _database_url

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _timed_get(client, url: str) -> tuple[int, float]:
    started = time.monotonic()
    response = client.get(url)
    return response.status_code, time.monotonic() - started


def test_a_get_of_a_tender_whose_row_is_locked_elsewhere_answers_within_a_second(
    published, member_a, market
):
    # Without the fix the GETs would wait for the lock: bound the wait so a
    # regression fails instead of hanging.
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '3s'")
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(member_a.user)
    urls = [
        f"/espace-fournisseur/appels/{published.pk}/",
        f"/appels-offres/{published.pk}/",
        f"/api/v1/tenders/{published.pk}/",
        f"/api/v1/tenders/{published.pk}/shortlist/",
    ]
    with psycopg.connect(_database_url()) as holder:
        # Matching (or anything else) holds the tender row.
        holder.execute("SELECT id FROM tenders_tender WHERE id = %s FOR UPDATE", [published.pk])
        for url in urls:
            status, elapsed = _timed_get(web, url)
            assert status == 200, url
            assert elapsed < 1.0, (url, elapsed)
        holder.rollback()


def test_a_get_past_the_deadline_still_closes_the_tender(published, member_a):
    from tests.tenders.conftest import pass_deadline

    pass_deadline(published)
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(member_a.user)
    assert web.get(f"/api/v1/tenders/{published.pk}/").json()["status"] == "closed"


def _session_settings(module: str) -> dict:
    """SHOW statement_timeout / lock_timeout from a fresh process that loads
    Django the way ``module`` does (config.wsgi for gunicorn, config.celery_app
    for a worker)."""
    env = {**os.environ, "DATABASE_URL": _database_url()}
    env.pop("GUICHET_WEB_PROCESS", None)
    script = (
        f"import os, json, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
        f"import {module}\n"
        "django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    out = {}\n"
        "    for name in ('statement_timeout', 'lock_timeout'):\n"
        "        c.execute('SHOW ' + name); out[name] = c.fetchone()[0]\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_web_process_has_statement_and_lock_timeouts(settings):
    assert _session_settings("config.wsgi") == {
        "statement_timeout": "30s",
        "lock_timeout": "5s",
    }


def test_a_worker_process_has_no_timeouts():
    assert _session_settings("config.celery_app") == {
        "statement_timeout": "0",
        "lock_timeout": "0",
    }
