"""A form submitted twice creates once: its key is recorded in PostgreSQL in
the same transaction as what it creates (``core.models.SubmissionKey``).

    try:
        with submitted_once(form.cleaned_data["submission_key"], user=..., scope="..."):
            services.something_create(...)
    except AlreadySubmitted:
        ...  # "already recorded": show the existing result

A write that fails rolls the key back with it, so the corrected form may be
posted again; two posts of one form at once serialise on the unique index,
and the second is told the first was recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from core.models import SubmissionKey

# What a second post of a form is told: what the first created is there.
ALREADY = _("This form had already been submitted: it was recorded once.")


class SubmittedOnceForm(forms.Form):
    """Mixed into a form that creates something: a key of its own, drawn
    each time the form is displayed. Not required, so a page displayed
    before the field existed still posts (without the guard)."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)


def take_key(form: forms.Form) -> uuid.UUID | None:
    """The form's submission key, taken out of its cleaned data (which the
    view may then pass on to a service as it is)."""
    key: uuid.UUID | None = form.cleaned_data.pop("submission_key", None)
    return key


class AlreadySubmitted(Exception):
    """This form was already submitted, and what it created is recorded."""


@contextmanager
def submitted_once(key: uuid.UUID | str | None, *, user: Any, scope: str) -> Iterator[None]:
    """Run the block in a transaction that also records ``key``; raise
    AlreadySubmitted (running nothing) if the key is already recorded. A
    form without a key (None) is simply run in a transaction."""
    with transaction.atomic():
        if key is not None:
            try:
                with transaction.atomic():
                    SubmissionKey.objects.create(key=key, user=user, scope=scope)
            except IntegrityError:
                raise AlreadySubmitted from None
        yield
