"""A tamper-evident tail (issue 15 §8): the chain proves only what remains,
so its head (count, last event, hash) is published daily outside the
database, as a signed file under the media storage and in the open data.
`audit_verify` fails when the chain no longer holds an anchored event;
`python -m broker.audit_offline` checks an export against an anchor with
neither database nor settings."""

import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from celery.schedules import crontab
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.template import Context, Template
from django.utils import timezone, translation

from broker import services, tasks
from broker.audit_chain import AnchorError, anchor_read
from broker.models import AuditAnchor, AuditEvent
from broker.services import anchors
from config.celery_app import app as celery_app
from tests.broker.test_audit import append, tamper, verify_output
from tests.conftest import client_for
from tests.worker import ROOT

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Anchors go to a temporary media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def publish(day: datetime.date | None = None) -> AuditAnchor:
    anchor, published = services.audit_anchor_publish(day=day)
    assert published
    return anchor


def delete_events(ids: list[int], *, bypass: str) -> None:
    """What an attacker with table rights does to hide the newest events."""
    if bypass == "disable trigger":
        tamper("DELETE FROM broker_auditevent WHERE id = ANY(%s)", [ids])
        return
    with connection.cursor() as cursor:
        # Replica mode fires no ordinary trigger (a superuser's switch).
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute("DELETE FROM broker_auditevent WHERE id = ANY(%s)", [ids])
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def offline(*args, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The offline check as an operator runs it: no DATABASE_URL, no settings."""
    return subprocess.run(
        [sys.executable, "-m", "broker.audit_offline", *map(str, args)],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


# --------------------------------------------------------------------------
# Publishing


def test_it_publishes_the_head_as_a_signed_file_and_a_row(db, media):
    events = append(3)
    anchor = publish()

    assert anchor.file == f"audit/anchors/{TODAY().isoformat()}.json"
    assert (anchor.day, anchor.event_count, anchor.last_event_id, anchor.last_hash) == (
        TODAY(),
        3,
        events[-1].pk,
        events[-1].hash,
    )
    document = json.loads((media / anchor.file).read_text())
    assert document == {
        "version": 1,
        "algorithm": "HMAC-SHA256",
        "day": TODAY().isoformat(),
        "published_at": anchor.published_at.isoformat(),
        "count": 3,
        "last_event_id": events[-1].pk,
        "last_hash": events[-1].hash,
        "signature": anchor.signature,
    }
    # The recipe docs/security.md gives, computed here by hand.
    signed = {key: value for key, value in document.items() if key != "signature"}
    expected = hmac.new(
        services.audit_anchor_key().encode(),
        json.dumps(signed, sort_keys=True, separators=(",", ":")).encode(),
        hashlib.sha256,
    ).hexdigest()
    assert document["signature"] == expected


def test_an_empty_chain_is_anchored_at_the_genesis(db, media):
    anchor = publish()
    assert (anchor.event_count, anchor.last_event_id, anchor.last_hash) == (
        0,
        None,
        services.GENESIS,
    )
    assert verify_output() == "audit chain ok: 0 events, 1 anchor matched"


def test_the_key_is_its_own_unless_audit_anchor_key_is_set(settings):
    settings.AUDIT_ANCHOR_KEY = ""
    derived = services.audit_anchor_key()
    assert derived != settings.SECRET_KEY and len(derived) == 64
    settings.SECRET_KEY = settings.SECRET_KEY + "-rotated"
    assert services.audit_anchor_key() != derived
    settings.AUDIT_ANCHOR_KEY = "k" * 40
    assert services.audit_anchor_key() == "k" * 40


def test_a_second_run_the_same_day_changes_nothing(db, media):
    append(2)
    first = publish()
    content = (media / first.file).read_bytes()
    append(2)

    again, published = services.audit_anchor_publish()
    assert not published and again.pk == first.pk and again.event_count == 2
    assert (media / first.file).read_bytes() == content
    assert AuditAnchor.objects.count() == 1

    tomorrow = publish(day=TODAY() + datetime.timedelta(days=1))
    assert tomorrow.event_count == 4 and (media / tomorrow.file).exists()


def test_a_lost_file_is_written_again_from_its_row(db, media):
    append(2)
    anchor = publish()
    content = (media / anchor.file).read_bytes()
    (media / anchor.file).unlink()

    _, published = services.audit_anchor_publish()
    assert not published
    assert (media / anchor.file).read_bytes() == content


def test_a_file_that_cannot_be_written_publishes_no_row(db, monkeypatch):
    def full_disk(name, document):
        raise OSError("No space left on device")

    monkeypatch.setattr(anchors, "_write", full_disk)
    with pytest.raises(OSError):
        services.audit_anchor_publish()
    assert not AuditAnchor.objects.exists()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE broker_auditanchor SET event_count = 0 WHERE id = %s",
        "DELETE FROM broker_auditanchor WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_an_anchor(db, statement):
    append(1)
    anchor = publish()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [anchor.pk])
    assert AuditAnchor.objects.get(pk=anchor.pk).event_count == 1


def test_the_beat_publishes_the_anchor_daily(settings, db):
    entry = settings.CELERY_BEAT_SCHEDULE["audit-anchor-publish"]
    assert entry["task"] == "broker.tasks.audit_anchor_publish"
    assert entry["task"] in celery_app.tasks
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {20}
    assert entry["schedule"].day_of_week == set(range(7))

    append(2)
    first = tasks.audit_anchor_publish.delay().get()
    assert first == {
        "day": TODAY().isoformat(),
        "published": True,
        "count": 2,
        "last_event_id": AuditEvent.objects.order_by("-id").first().pk,
    }
    append(1)
    assert tasks.audit_anchor_publish.delay().get() == {**first, "published": False}


# --------------------------------------------------------------------------
# audit_verify against the anchors


@pytest.mark.parametrize("bypass", ["disable trigger", "replica"])
def test_deleting_the_newest_events_with_triggers_bypassed_is_reported(db, bypass):
    events = append(5)
    anchor = publish()
    assert verify_output() == "audit chain ok: 5 events, 1 anchor matched"

    delete_events([e.pk for e in events[-2:]], bypass=bypass)

    # The chain alone cannot see it: what remains still links.
    assert services.audit_verify().broken_at is None
    with pytest.raises(CommandError) as failed:
        call_command("audit_verify")
    message = str(failed.value)
    assert f"anchor {anchor.day.isoformat()} ({anchor.file})" in message
    assert f"event #{events[-1].pk}, the anchored last event (number 5), is missing" in message
    assert "the chain holds 3 events" in message
    assert failed.value.returncode != 0


def test_a_tail_replaced_by_as_many_new_events_is_reported(db):
    events = append(4)
    publish()
    delete_events([events[-1].pk], bypass="disable trigger")
    append(1, forged=True)  # same count, a valid chain: not the anchored event

    with pytest.raises(CommandError, match=f"event #{events[-1].pk}, the anchored last event"):
        call_command("audit_verify")


def test_deleting_the_anchor_rows_too_is_caught_by_the_files(db):
    events = append(4)
    anchor = publish()
    delete_events([events[-1].pk], bypass="disable trigger")
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM broker_auditanchor")
        cursor.execute("SET session_replication_role = DEFAULT")

    with pytest.raises(CommandError) as failed:
        call_command("audit_verify")
    assert f"anchor {anchor.day.isoformat()} ({anchor.file}): no row in the table" in str(
        failed.value
    )
    assert f"event #{events[-1].pk}, the anchored last event" in str(failed.value)


def test_a_tampered_anchor_file_is_refused(db, media):
    append(3)
    anchor = publish()
    path = media / anchor.file
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "count": 2}))

    with pytest.raises(AnchorError, match="signature does not match"):
        anchor_read(json.loads(path.read_text()), services.audit_anchor_key())
    with pytest.raises(CommandError, match=f"{anchor.file}\\): its signature does not match"):
        call_command("audit_verify")


def test_an_anchor_signed_with_another_key_is_refused(db, settings):
    append(1)
    publish()
    settings.AUDIT_ANCHOR_KEY = "another-key-" + "x" * 30
    with pytest.raises(CommandError, match="signed with another key"):
        call_command("audit_verify")


def test_a_tampered_anchor_row_is_refused(db):
    append(3)
    anchor = publish()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE broker_auditanchor SET event_count = 2 WHERE id = %s", [anchor.pk])
        cursor.execute("SET session_replication_role = DEFAULT")

    with pytest.raises(CommandError) as failed:
        call_command("audit_verify")
    assert "table row: anchor" in str(failed.value)
    assert "signature does not match" in str(failed.value)


def test_events_added_after_the_anchor_keep_the_chain_ok(db):
    append(2)
    publish(day=TODAY() - datetime.timedelta(days=1))
    append(2)
    publish()
    append(1)
    assert verify_output() == "audit chain ok: 5 events, 2 anchors matched"


def test_without_an_anchor_it_says_the_tail_is_not_anchored(db):
    append(1)
    out, err = StringIO(), StringIO()
    call_command("audit_verify", stdout=out, stderr=err)
    assert out.getvalue().strip() == "audit chain ok: 1 events"
    assert "no anchor published yet" in err.getvalue()


def test_the_operators_journal_says_the_chain_was_cut(db, operator, client):
    events = append(3)
    publish()
    client.force_login(operator)
    html = client.get("/operateur/journal/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The chain is intact" in html

    delete_events([events[-1].pk], bypass="disable trigger")
    html = client.get("/operateur/journal/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The chain is intact" not in html
    assert "The chain does not reach its anchors" in html
    assert f"event #{events[-1].pk}" in html


# --------------------------------------------------------------------------
# Offline verification of an export


@pytest.fixture
def exported(db, tmp_path, media):
    """Four events anchored, a fifth after the anchor, the chain exported."""
    events = append(4)
    anchor = publish()
    events += append(1)
    export = tmp_path / "audit.jsonl"
    out = StringIO()
    call_command("audit_export", str(export), stdout=out)
    assert out.getvalue().strip() == f"exported 5 audit events to {export}"
    return events, export, media / anchor.file


def test_the_export_is_one_event_a_line_in_chain_order(exported):
    events, export, _anchor = exported
    lines = [json.loads(line) for line in export.read_text().splitlines()]
    assert [line["id"] for line in lines] == [e.pk for e in events]
    assert [line["hash"] for line in lines] == [e.hash for e in events]


def test_the_offline_command_accepts_an_intact_export(exported):
    events, export, anchor = exported
    checked = offline(export, anchor, env={"AUDIT_ANCHOR_KEY": services.audit_anchor_key()})
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == (
        f"export ok: 5 events, intact; 1 anchor matched "
        f"(newest {TODAY().isoformat()}: event #{events[3].pk}, 4 events)"
    )


def test_the_offline_command_refuses_a_truncated_export(exported, tmp_path):
    events, export, anchor = exported
    truncated = tmp_path / "truncated.jsonl"
    truncated.write_text("".join(export.read_text().splitlines(keepends=True)[:3]))

    checked = offline(truncated, anchor, env={"AUDIT_ANCHOR_KEY": services.audit_anchor_key()})
    assert checked.returncode == 1
    assert f"event #{events[3].pk}, the anchored last event (number 4), is missing" in (
        checked.stderr
    )


def test_the_offline_command_refuses_an_altered_export_or_anchor(exported, tmp_path):
    events, export, anchor = exported
    key = {"AUDIT_ANCHOR_KEY": services.audit_anchor_key()}
    lines = export.read_text().splitlines(keepends=True)
    altered = tmp_path / "altered.jsonl"
    altered.write_text(lines[0] + lines[1].replace('"test"', '"forged"', 1) + "".join(lines[2:]))
    checked = offline(altered, anchor, env=key)
    assert checked.returncode == 1
    assert f"broken at event #{events[1].pk}: its content does not match its hash" in (
        checked.stderr
    )

    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**json.loads(anchor.read_text()), "count": 3}))
    checked = offline(export, forged, env=key)
    assert checked.returncode == 1 and "signature does not match" in checked.stderr

    checked = offline(export, anchor, env={})
    assert checked.returncode == 2 and "set AUDIT_ANCHOR_KEY" in checked.stderr


def test_the_offline_command_derives_the_key_from_the_secret_key(exported, settings):
    _events, export, anchor = exported
    assert not settings.AUDIT_ANCHOR_KEY  # the tests sign with the derived key
    checked = offline(export, anchor, env={"DJANGO_SECRET_KEY": settings.SECRET_KEY})
    assert checked.returncode == 0, checked.stderr


def test_the_offline_command_takes_an_anchor_saved_from_the_api(exported, tmp_path):
    _events, export, _anchor = exported
    saved = tmp_path / "from-api.json"
    saved.write_text(
        json.dumps(client_for(None).get("/api/v1/audit/anchors/").json()["results"][0])
    )
    checked = offline(export, saved, env={"AUDIT_ANCHOR_KEY": services.audit_anchor_key()})
    assert checked.returncode == 0, checked.stderr


# --------------------------------------------------------------------------
# Open data


def test_the_api_lists_the_anchors_anonymously_newest_first(db, media, django_assert_num_queries):
    append(2)
    older = publish(day=TODAY() - datetime.timedelta(days=1))
    append(1)
    newer = publish()

    with django_assert_num_queries(1):
        response = client_for(None).get("/api/v1/audit/anchors/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [item["day"] for item in results] == [newer.day.isoformat(), older.day.isoformat()]
    item = results[0]
    assert item == {**json.loads((media / newer.file).read_text()), "file": newer.file}
    assert (item["count"], item["last_hash"]) == (3, newer.last_hash)
    # An item is the signed document itself: its signature checks.
    assert anchor_read(item, services.audit_anchor_key()).count == 3


def test_the_api_documents_the_list_with_an_example():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/audit/anchors/"]["get"]
    assert {} in operation["security"]  # anonymous
    example = operation["responses"]["200"]["content"]["application/json"]["examples"]
    (value,) = [e["value"] for e in example.values()]
    assert value["results"][0]["file"] == "audit/anchors/2026-12-08.json"


def render_open_data_section() -> str:
    return Template("{% load broker_audit %}{% audit_anchor_latest %}").render(Context())


def test_the_open_data_section_shows_the_latest_anchor(db):
    assert "No anchor has been published yet." in render_open_data_section()
    append(2)
    publish(day=TODAY() - datetime.timedelta(days=1))
    append(1)
    newer = publish()

    html = render_open_data_section()
    assert "3 events" in html and newer.last_hash in html and newer.signature in html
    assert "/api/v1/audit/anchors/" in html
    with translation.override("fr"):
        assert "Dernier ancrage" in render_open_data_section()
