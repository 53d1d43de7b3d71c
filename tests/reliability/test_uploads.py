"""Hostile uploads (issue 7): certificate evidence through the API is judged
by its magic bytes (PDF, PNG, JPEG), capped in size, stored under a
generated name inside MEDIA_ROOT whatever the client called it, and served
only to the operator, as an attachment with headers that stop a browser
from rendering or sniffing it."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalog.models import Certification
from tests import factories
from tests.conftest import client_for

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
HOSTILE = {
    "html": b"<html><script>alert(document.cookie)</script></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "exe": b"MZ\x90\x00\x03\x00\x00\x00",
    "zip": b"PK\x03\x04\x14\x00\x00\x00",
    "pdf_late_magic": b"\n\n%PDF-1.7\n",  # the signature must open the file
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def declare(member, evidence: SimpleUploadedFile, reference: str = "SNC-EVIDENCE-1"):
    return client_for(member.user).post(
        "/api/v1/certifications/",
        {
            "scheme": "SECNUMCLOUD",
            "scheme_version": "3.2",
            "reference": reference,
            "status": "valid",
            "issued_on": "2026-01-10",
            "expires_on": "2029-01-09",
            "evidence": evidence,
        },
        format="multipart",
    )


@pytest.mark.parametrize(("content", "suffix"), [(PDF, "pdf"), (PNG, "png"), (JPEG, "jpg")])
def test_it_accepts_pdf_png_and_jpeg_by_their_first_bytes(member_a, content, suffix):
    # Named and typed as something else: the bytes decide, and the stored name says what they are.
    response = declare(member_a, SimpleUploadedFile("scan.txt", content, "text/plain"))
    assert response.status_code == 201, response.content
    stored = Certification.objects.get(pk=response.json()["id"]).evidence.name
    assert stored.endswith(f".{suffix}")


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_it_refuses_anything_else_whatever_its_name_and_type(member_a, kind):
    response = declare(
        member_a, SimpleUploadedFile("certificat.pdf", HOSTILE[kind], "application/pdf")
    )
    assert response.status_code == 400, response.content
    assert "evidence" in response.json()["error"]["fields"]
    assert not Certification.objects.exists()


def test_it_refuses_a_file_over_the_size_cap(member_a, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    response = declare(
        member_a, SimpleUploadedFile("big.pdf", PDF + b"0" * 1024, "application/pdf")
    )
    assert response.status_code == 400, response.content
    assert "evidence" in response.json()["error"]["fields"]
    assert (
        declare(member_a, SimpleUploadedFile("small.pdf", PDF, "application/pdf")).status_code
        == 201
    )


@pytest.mark.parametrize(
    "name",
    [
        "../../../../../tmp/evil.pdf",
        "..\\..\\evil.pdf",
        "/etc/cron.d/evil.pdf",
        "évidence <script>.pdf",
        "a" * 300 + ".pdf",
        ".htaccess",
    ],
)
def test_the_clients_file_name_never_reaches_the_disk(member_a, name, _media):
    response = declare(member_a, SimpleUploadedFile(name, PDF, "application/pdf"))
    assert response.status_code == 201, response.content
    stored = Certification.objects.get(pk=response.json()["id"]).evidence
    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", stored.name), stored.name
    path = (_media / stored.name).resolve()
    assert path.is_relative_to(_media.resolve()) and path.read_bytes() == PDF
    assert [p for p in _media.rglob("*") if p.is_file()] == [path]


def test_evidence_is_served_to_the_operator_only_as_an_inert_attachment(
    member_a, member_b, operator
):
    response = declare(member_a, SimpleUploadedFile("<b>cert</b>.pdf", PDF, "application/pdf"))
    cert_id = response.json()["id"]
    url = f"/operateur/certificats/{cert_id}/preuve/"

    served = Client()
    served.force_login(operator)
    answer = served.get(url)
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == PDF
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"].startswith("attachment;")
    assert "<b>" not in answer["Content-Disposition"]
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert "no-store" in answer["Cache-Control"]

    buyer = factories.agency_member(factories.agency(), username="acheteur-curieux")
    for user in (member_a.user, member_b.user, buyer):
        other = Client()
        other.force_login(user)
        assert other.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page
    # Through the API, only its holder and the operator learn the stored name.
    assert client_for(member_b.user).get(f"/api/v1/certifications/{cert_id}/").status_code == 404
    assert client_for(member_a.user).get(f"/api/v1/certifications/{cert_id}/").json()["evidence"]


def test_media_files_are_not_served_by_the_application_in_production(settings):
    """Only DEBUG mounts MEDIA_URL; in production a stored file is reachable
    through the views above alone."""
    from importlib import reload

    import config.urls

    debug = settings.DEBUG
    settings.DEBUG = False
    try:
        patterns = [str(p.pattern) for p in reload(config.urls).urlpatterns]
        assert not any(p.startswith(settings.MEDIA_URL) or "media" in p for p in patterns)
    finally:
        settings.DEBUG = debug
        reload(config.urls)
