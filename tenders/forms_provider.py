"""Forms of the provider's tender side. They only parse what was typed:
every rule (eligibility, deadline, price format, PDF) is the service's, and
its DomainError comes back onto these forms."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from core.submissions import SubmittedOnceForm


class OfferChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, offer) -> str:
        return offer.name


class ResponseForm(DsfrBaseForm):
    """Submit, or replace, the provider's sealed response."""

    offer = OfferChoiceField(label=_("Offer you respond with"), queryset=None, empty_label=None)
    total_price = forms.DecimalField(
        label=_("Total price, euros excl. VAT"),
        min_value=0,
        max_digits=16,
        help_text=_("For the whole contract term; at most two decimals."),
    )
    technical_answer = forms.CharField(
        label=_("Technical answer"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "How your offer meets the need: architecture, security, reversibility, support."
        ),
    )
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("One PDF file; its SHA-256 is part of your receipt."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
    # One key per displayed form: posting the same form twice (a double
    # click, a browser retry) must not replace the first response by itself.
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = offers


class WhyNotForm(DsfrBaseForm):
    """Choose one of the provider's offers to learn why it is not shortlisted."""

    offer = OfferChoiceField(label=_("Your offer"), queryset=None, empty_label=None)

    def __init__(self, *args, offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = offers


class QuestionForm(DsfrBaseForm, SubmittedOnceForm):
    question = forms.CharField(
        label=_("Your question"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=_("The buyer publishes its answer to every provider; your name is never shown."),
    )


class DeclineForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("Reason for declining"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=500,
        help_text=_("The buyer reads it."),
    )
