"""Forms of the agency's sourcing files. They only parse what was typed:
the rules (filters, lock, eligibility, thresholds) are the services', and
their DomainError comes back onto these forms."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from catalog.cpv import CLOUD_CPV_CHOICES
from catalog.models import DataFlag, SensitivityLevel, ServiceCategory
from catalog.units import UNIT_CHOICES
from core.submissions import SubmittedOnceForm


def _level_choices():
    return [
        (level.code, level.code)
        for level in SensitivityLevel.objects.filter(grantable=True).order_by("rank")
    ]


def _flag_choices():
    return [(flag.code, flag.code) for flag in DataFlag.objects.order_by("code")]


class SourcingFileForm(DsfrBaseForm):
    """Save the current catalogue search (its query string) under a name."""

    name = forms.CharField(
        label=_("Name of the sourcing file"),
        max_length=200,
        help_text=_("For example: object storage for the health data warehouse"),
    )
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)


class SourcingOrderForm(DsfrBaseForm, SubmittedOnceForm):
    """A direct purchase of one offer of a locked file."""

    offer = forms.TypedChoiceField(label=_("Offer of the locked result"), coerce=int)
    quantity = forms.DecimalField(
        label=_("Quantity, in the offer's unit of sale"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
    )
    duration_months = forms.IntegerField(label=_("Duration (months)"), min_value=1, max_value=120)
    level = forms.ChoiceField(label=_("Sensitivity level of the data"))
    flags = forms.MultipleChoiceField(
        label=_("Data with special requirements"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, offers: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["offer"].choices = [
            (o["id"], f"{o['name']} — {o['provider']['name']}") for o in offers
        ]
        self.fields["level"].choices = _level_choices()
        self.fields["flags"].choices = _flag_choices()


class SourcingTenderForm(DsfrBaseForm, SubmittedOnceForm):
    """A draft tender started from a locked file; its filters give the
    category, level, flags and location by default."""

    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ChoiceField(label=_("Service category"), choices=ServiceCategory.choices)
    cpv_code = forms.ChoiceField(label=_("CPV code"), choices=CLOUD_CPV_CHOICES)
    level = forms.ChoiceField(label=_("Sensitivity level of the data"))
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=UNIT_CHOICES)
    duration_months = forms.IntegerField(
        label=_("Contract duration (months)"), min_value=1, max_value=120
    )
    estimated_value = forms.DecimalField(
        label=_("Estimated value, euros excl. VAT"),
        min_value=Decimal("1"),
        max_digits=14,
        decimal_places=2,
    )
    response_deadline = forms.DateTimeField(
        label=_("Response deadline"),
        help_text=_("Date and time, Paris time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = _level_choices()
