"""Uploaded proofs (certificate evidence, attestations, complaint
attachments): checked by their content, stored under a random name, with
their SHA-256."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.files import File
from django.utils.translation import gettext as _

from catalog.services._common import _invalid


def _evidence_digest(evidence: File) -> str:
    digest = hashlib.sha256()
    for chunk in evidence.chunks():
        digest.update(chunk)
    evidence.seek(0)
    return digest.hexdigest()


def upload_check(field: str, upload: File) -> None:
    """An uploaded proof (certificate evidence, attestation, complaint
    attachment): at most EVIDENCE_MAX_BYTES, a PDF or an image checked by
    its magic bytes, not by its name."""
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise _invalid(
            field,
            _("The file exceeds %(maximum)s bytes.") % {"maximum": settings.EVIDENCE_MAX_BYTES},
        )
    head = upload.read(8)
    upload.seek(0)
    if not (
        head.startswith(b"%PDF-") or head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff")
    ):
        raise _invalid(field, _("The file must be a PDF, PNG or JPEG file."))


def upload_store_name(upload: File) -> str:
    """A random stored name with the extension of its real type: the
    uploaded name would make a private file guessable under MEDIA_URL."""
    head = upload.read(8)
    upload.seek(0)
    extension = (
        ".pdf" if head.startswith(b"%PDF-") else ".png" if head.startswith(b"\x89PNG") else ".jpg"
    )
    return f"{uuid.uuid4().hex}{extension}"
