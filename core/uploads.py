"""Uploaded files (certificate evidence, attestations, complaint
attachments): typed by their content, bounded in size, stored under a
generated name."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.files import File
from django.utils.translation import gettext as _

from core.errors import DomainError

# The types a proof may have, by their first bytes (not by their name).
MAGIC = {b"%PDF-": ".pdf", b"\x89PNG": ".png", b"\xff\xd8\xff": ".jpg"}
CONTENT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}


def _extension(upload: File) -> str | None:
    head = upload.read(8)
    upload.seek(0)
    return next((ext for magic, ext in MAGIC.items() if head.startswith(magic)), None)


def upload_type(upload: File) -> tuple[str, str]:
    """(content type, extension) of a stored proof by its first bytes, the
    test its upload passed; anything else is served as opaque bytes."""
    extension = _extension(upload)
    if extension is None:
        return "application/octet-stream", ".bin"
    return CONTENT_TYPES[extension], extension


def upload_check(field: str, upload: File, *, error: type[DomainError] = DomainError) -> None:
    """At most ``EVIDENCE_MAX_BYTES``, a PDF, PNG or JPEG by its magic
    bytes; a field error (400, of the caller's ``error`` class) otherwise."""
    if upload.size is not None and upload.size > settings.EVIDENCE_MAX_BYTES:
        message = _("The file exceeds %(maximum)s bytes.") % {
            "maximum": settings.EVIDENCE_MAX_BYTES
        }
        raise error(message, fields={field: [message]})
    if _extension(upload) is None:
        message = _("The file must be a PDF, PNG or JPEG file.")
        raise error(message, fields={field: [message]})


def upload_store_name(upload: File) -> str:
    """A random stored name with the extension of its real type: the
    uploaded name would make a private file guessable."""
    return f"{uuid.uuid4().hex}{_extension(upload) or '.bin'}"


def upload_digest(upload: File) -> str:
    sha = hashlib.sha256()
    for chunk in upload.chunks():
        sha.update(chunk)
    upload.seek(0)
    return sha.hexdigest()


def upload_accept(field: str, upload: File, *, error: type[DomainError] = DomainError) -> str:
    """Check ``upload``, give it a generated name and return its SHA-256."""
    upload_check(field, upload, error=error)
    digest = upload_digest(upload)
    upload.name = upload_store_name(upload)
    return digest
