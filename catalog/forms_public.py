"""Search and comparison forms of the public catalogue. They parse the query
string into a ``catalog.selectors.OfferQuery`` — the search the REST API and
the saved searches run — so a bad value becomes a form error, never a server
error."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.cache import cache
from django.db import connection
from django.db.models import Func
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries as iso_countries
from dsfr.forms import DsfrBaseForm

from catalog import units
from catalog.models import (
    CertificationScheme,
    DataFlag,
    Offer,
    OfferStatus,
    SensitivityLevel,
    ServiceCategory,
)
from catalog.selectors import OfferQuery


def label_of(row) -> str:
    """A policy row's label (levels, flags) in the reader's language."""
    return row.label_en if (get_language() or "fr")[:2] == "en" else row.label_fr


def level_choices(*, grantable_only: bool = True) -> list[tuple[str, str]]:
    levels = SensitivityLevel.objects.order_by("rank")
    if grantable_only:
        levels = levels.filter(grantable=True)
    return [(lv.code, f"{lv.code} — {label_of(lv)}") for lv in levels]


def flag_choices() -> list[tuple[str, str]]:
    return [(flag.code, label_of(flag)) for flag in DataFlag.objects.order_by("code")]


# The list of countries scans every published offer: a few minutes of
# staleness in a filter's choices is harmless, a scan per page view is not.
DATA_COUNTRIES_TTL = 300


def _data_countries() -> list[str]:
    # order_by() drops the model's ordering, which DISTINCT would otherwise
    # include (one row per offer and country instead of one per country).
    return sorted(
        Offer.objects.filter(status=OfferStatus.PUBLISHED)
        .order_by()
        .annotate(country=Func("data_countries", function="unnest"))
        .values_list("country", flat=True)
        .distinct()
    )


def location_choices() -> list[tuple[str, str]]:
    """The European Union, then every country where a published offer keeps
    data: a country nobody offers would only lead to an empty page."""
    key = f"catalog:public:data-countries:v2:{connection.settings_dict['NAME']}"
    present = cache.get_or_set(key, _data_countries, DATA_COUNTRIES_TTL)
    named = sorted(
        ((code, iso_countries.name(code) or code) for code in present if code), key=lambda c: c[1]
    )
    return [("", _("Anywhere")), ("EU", _("European Union (every data location)")), *named]


def unit_choices(*, blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(code, spec.label) for code, spec in units.UNITS.items()]
    return [("", blank), *choices] if blank is not None else choices


class LocationField(forms.ChoiceField):
    """Offers the countries where data is kept today, accepts any ISO 3166
    code or EU like the API (a shared link must not break when the list
    of countries changes)."""

    def to_python(self, value) -> str:
        return super().to_python(value).strip().upper()

    def valid_value(self, value) -> bool:
        return value in ("", "EU") or value in iso_countries


class OfferFilterForm(DsfrBaseForm):
    """The filters shared by the catalogue search and the price comparison."""

    q = forms.CharField(
        label=_("Keywords"),
        required=False,
        max_length=200,
        help_text=_("Offer name, description or provider"),
    )
    level = forms.ChoiceField(label=_("Qualified at least for"), required=False)
    flags = forms.MultipleChoiceField(
        label=_("Data with special requirements"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    category = forms.ChoiceField(
        label=_("Service category"),
        required=False,
        choices=[("", _("All categories")), *ServiceCategory.choices],
    )
    location = LocationField(
        label=_("Data location"),
        required=False,
        help_text=_("Every storage, processing, backup and technical-data location"),
    )
    certification = forms.ChoiceField(
        label=_("Certification held"),
        required=False,
        help_text=_("Valid, verified and covering the offer"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", _("Any level")), *level_choices()]
        self.fields["flags"].choices = flag_choices()
        self.fields["location"].choices = choices = location_choices()
        asked = (self.data.get("location") or "").upper() if self.is_bound else ""
        if asked and asked not in dict(choices) and asked in iso_countries:
            choices.append((asked, iso_countries.name(asked)))
            self.fields["location"].choices = choices
        self.fields["certification"].choices = [
            ("", _("Any certification")),
            *(
                (scheme.code, scheme.name)
                for scheme in CertificationScheme.objects.order_by("name")
            ),
        ]

    def _asked(self) -> dict:
        data = self.cleaned_data
        return {
            "level": data.get("level") or None,
            "flags": tuple(data.get("flags") or ()),
            "category": data.get("category") or None,
            "location": data.get("location") or None,
            "certification": data.get("certification") or None,
            "q": (data.get("q") or "").strip() or None,
        }

    def offer_query(self) -> OfferQuery:
        """The search asked (call after is_valid)."""
        return OfferQuery(**self._asked())


class OfferSearchForm(OfferFilterForm):
    unit = forms.ChoiceField(
        label=_("Priced per"),
        required=False,
        help_text=_("Normalised unit, so that prices compare"),
    )
    min_price = forms.DecimalField(
        label=_("Minimum price (€ excl. VAT per normalised unit)"),
        required=False,
        min_value=Decimal(0),
        max_digits=16,
        decimal_places=6,
    )
    max_price = forms.DecimalField(
        label=_("Maximum price (€ excl. VAT per normalised unit)"),
        required=False,
        min_value=Decimal(0),
        max_digits=16,
        decimal_places=6,
    )
    ordering = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("", _("Relevance, then lowest price")),
            ("price", _("Lowest price first")),
            ("-price", _("Highest price first")),
            ("name", _("Name")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [
            ("", _("Any unit")),
            *sorted(units.NORMALISED_LABELS.items(), key=lambda item: item[1]),
        ]

    def clean(self):
        data = super().clean()
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", _("The maximum price must not be below the minimum price."))
        return data

    def _asked(self) -> dict:
        return {
            **super()._asked(),
            "min_price": self.cleaned_data.get("min_price"),
            "max_price": self.cleaned_data.get("max_price"),
            "ordering": self.cleaned_data.get("ordering") or None,
        }


class CompareForm(OfferFilterForm):
    """A need to price: how much, of what unit, for how long."""

    field_order = [
        "quantity",
        "unit",
        "months",
        "category",
        "level",
        "flags",
        "location",
        "certification",
        "q",
    ]

    quantity = forms.DecimalField(
        label=_("Quantity"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        help_text=_("e.g. 10 for 10 TB"),
    )
    unit = forms.ChoiceField(label=_("Unit"))
    months = forms.IntegerField(label=_("Duration (months)"), min_value=1, max_value=120)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices()
