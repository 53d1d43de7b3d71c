"""HTML forms of the demand side. They only parse what a person typed;
every rule is checked again, and decided, by ``tenders.services``."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from catalog.cpv import CLOUD_CPV_CHOICES
from catalog.models import DataFlag, SensitivityLevel, ServiceCategory
from catalog.units import UNIT_CHOICES
from core.submissions import SubmittedOnceForm

# Plain words for each data flag (the policy table holds labels, not help).
FLAG_HELP = {
    "HEALTH": _(
        "Personal health data. The host must hold an HDS v2 certificate covering the hosting "
        "activities you need, and the data stays in the European Economic Area. For State "
        "bodies, health data is at least level N2."
    ),
    "PERSONAL_DATA": _(
        "Data about identifiable people (GDPR). It may be stored outside the European Economic "
        "Area only in a country with an adequacy decision."
    ),
}
LEVEL_HELP = {
    "N0": _("Anyone may read it: data location, administration and certification do not matter."),
    "N1": _(
        "Data in the EEA (or an adequacy country), with an ISO/IEC 27001, BSI C5 type 2, EUCS "
        "substantial or SecNumCloud certificate."
    ),
    "N2": _(
        "SecNumCloud 3.2 qualified offers only: data and administration in the EU, provider controlled "
        "from the EU (non-EU holders at most 24 % each, 39 % together)."
    ),
    "N3": _(
        "As N2, data in France, and the offer supports your Diffusion Restreinte homologation."
    ),
    "N4": _(
        "Secret and Top Secret information is out of scope: no offer of this window may hold it."
    ),
}
LOCATION_CHOICES = [
    ("", _("No constraint beyond the sensitivity level")),
    ("EU", _("European Union")),
    ("FR", _("France")),
]


def _localised(row, field: str) -> str:
    return getattr(row, f"{field}_{'fr' if (get_language() or 'fr')[:2] == 'fr' else 'en'}")


class _Hinted:
    """Choices with a hint under each one (the DSFR radio/checkbox hint)."""

    def __init__(self, *args, hints: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.hints = hints or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value in self.hints:
            option["label"] = {"label": label, "help_text": self.hints[value]}
        return option


class HintedRadioSelect(_Hinted, forms.RadioSelect):
    pass


class HintedCheckboxSelectMultiple(_Hinted, forms.CheckboxSelectMultiple):
    pass


def level_field(**kwargs) -> forms.ChoiceField:
    levels = list(SensitivityLevel.objects.order_by("rank"))
    choices = [(lv.code, f"{lv.code} — {_localised(lv, 'label')}") for lv in levels]
    hints = {
        lv.code: " ".join(
            filter(None, [_localised(lv, "description"), str(LEVEL_HELP.get(lv.code, ""))])
        )
        for lv in levels
    }
    field = forms.ChoiceField(
        label=_("Sensitivity of the data"),
        choices=choices,
        widget=HintedRadioSelect(hints=hints),
        **kwargs,
    )
    field.template_name = "dsfr/form_field_snippets/radioselect_snippet.html"
    return field


def flags_field(**kwargs) -> forms.MultipleChoiceField:
    flags = list(DataFlag.objects.order_by("code"))
    field = forms.MultipleChoiceField(
        label=_("Kinds of data"),
        required=False,
        help_text=_("Tick every kind the service will hold; each adds requirements."),
        choices=[(f.code, _localised(f, "label")) for f in flags],
        widget=HintedCheckboxSelectMultiple(
            hints={f.code: FLAG_HELP.get(f.code, "") for f in flags}
        ),
        **kwargs,
    )
    field.template_name = "dsfr/form_field_snippets/checkboxselectmultiple_snippet.html"
    return field


def grantable_level(code: str) -> None:
    level = SensitivityLevel.objects.filter(code=code).first()
    if level is not None and not level.grantable:
        raise forms.ValidationError(
            _("Classified data is out of scope: no offer of this window may hold it.")
        )


# --------------------------------------------------------------------------
# The tender wizard: one form per step


class TenderNeedForm(DsfrBaseForm):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("What you buy, in a few words, e.g. “Object storage for the archives”."),
    )
    description = forms.CharField(
        label=_("Description of the need"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    category = forms.ChoiceField(label=_("Service category"), choices=ServiceCategory.choices)
    cpv_code = forms.ChoiceField(
        label=_("CPV code"),
        choices=CLOUD_CPV_CHOICES,
        help_text=_("The common procurement vocabulary code of the notice."),
    )


class TenderSensitivityForm(DsfrBaseForm):
    location_constraint = forms.ChoiceField(
        label=_("Where the data must stay"),
        choices=LOCATION_CHOICES,
        required=False,
        help_text=_("Storage, processing, backup and technical data must all be in this zone."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Policy tables are data: read them when the form is built.
        self.fields = {"level": level_field(), "flags": flags_field(), **self.fields}

    def clean_level(self):
        level = self.cleaned_data["level"]
        grantable_level(level)
        return level


class TenderQuantityForm(DsfrBaseForm):
    quantity = forms.DecimalField(
        label=_("Quantity"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        help_text=_("How many units, e.g. 200 for 200 TB."),
    )
    unit = forms.ChoiceField(
        label=_("Unit"),
        choices=UNIT_CHOICES,
        help_text=_("The unit must fit the category (storage in GB or TB, compute in vCPU…)."),
    )
    duration_months = forms.IntegerField(
        label=_("Contract duration (months)"), min_value=1, max_value=120
    )
    estimated_value = forms.DecimalField(
        label=_("Budget: estimated value in euros excl. VAT"),
        min_value=Decimal("1"),
        max_digits=14,
        decimal_places=2,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estimated_value"].help_text = _(
            "It sets the procedure: direct purchase below %(direct)s €, adapted procedure below %(adapted)s €, "
            "open procedure above. Offers over budget are left off the shortlist."
        ) % {
            "direct": settings.DIRECT_PURCHASE_THRESHOLD,
            "adapted": settings.ADAPTED_PROCEDURE_THRESHOLD,
        }


class TenderDeadlineForm(DsfrBaseForm):
    response_deadline = forms.DateTimeField(
        label=_("Response deadline (Paris time)"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    weight_price = forms.IntegerField(
        label=_("Weight of the price (%)"), min_value=0, max_value=100, initial=60
    )
    weight_technical = forms.IntegerField(
        label=_("Weight of the technical value (%)"), min_value=0, max_value=100, initial=40
    )
    weight_other = forms.IntegerField(
        label=_("Weight of other criteria (%)"),
        min_value=0,
        max_value=100,
        initial=0,
        help_text=_("The three weights must add up to 100."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hours = settings.TENDER_MIN_RESPONSE_HOURS
        self.fields["response_deadline"].help_text = _(
            "Providers need at least %(hours)s hours (%(days)s days) to respond after publication."
        ) % {"hours": hours, "days": round(hours / 24, 1)}

    @staticmethod
    def default_deadline() -> str:
        soon = timezone.localtime() + timedelta(hours=settings.TENDER_MIN_RESPONSE_HOURS, days=7)
        return soon.replace(hour=12, minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M")

    def clean_response_deadline(self):
        deadline = self.cleaned_data["response_deadline"]
        if deadline <= timezone.now() + timedelta(hours=settings.TENDER_MIN_RESPONSE_HOURS):
            raise forms.ValidationError(
                _("The deadline must leave at least %(hours)s hours to respond.")
                % {"hours": settings.TENDER_MIN_RESPONSE_HOURS}
            )
        return deadline

    def clean(self):
        cleaned = super().clean()
        weights = [
            cleaned.get(name) for name in ("weight_price", "weight_technical", "weight_other")
        ]
        if all(w is not None for w in weights) and sum(weights) != 100:
            self.add_error(
                "weight_other",
                _("The weights add up to %(total)s; they must add up to 100.")
                % {"total": sum(weights)},
            )
        return cleaned


# --------------------------------------------------------------------------
# Decisions on a tender


class AnswerForm(DsfrBaseForm):
    answer = forms.CharField(
        label=_("Your answer (published to every provider)"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, clarification_id: int | None = None, **kwargs):
        super().__init__(
            *args, prefix=f"q{clarification_id}" if clarification_id else None, **kwargs
        )


class ScoreForm(DsfrBaseForm):
    technical_score = forms.DecimalField(
        label=_("Technical score (out of 100)"),
        min_value=0,
        max_value=100,
        max_digits=6,
        decimal_places=2,
        required=False,
    )
    other_score = forms.DecimalField(
        label=_("Other criteria score (out of 100)"),
        min_value=0,
        max_value=100,
        max_digits=6,
        decimal_places=2,
        required=False,
    )

    def __init__(self, *args, response_id: uuid.UUID | None = None, **kwargs):
        # The response's public id: the page never shows its integer key.
        super().__init__(*args, prefix=f"r{response_id}" if response_id else None, **kwargs)


class ReasonForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("Reason (published with the decision)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OptionalReasonForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# --------------------------------------------------------------------------
# Direct purchase


class OrderForm(DsfrBaseForm, SubmittedOnceForm):
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    duration_months = forms.IntegerField(
        label=_("Duration (months)"), min_value=1, max_value=120, initial=12
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"] = level_field(initial="N0")
        self.fields["flags"] = flags_field()

    def clean_level(self):
        level = self.cleaned_data["level"]
        grantable_level(level)
        return level
