"""Forms of the provider's catalogue space (company profile, offers,
certificates). They only parse what the browser sends into the plain values
the catalogue services take; every business rule (SIREN/VAT checks, country
codes, stake totals, evidence type and size) is the services' to enforce."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from dsfr.forms import DsfrBaseForm

from catalog import units
from catalog.cpv import CLOUD_CPV_CHOICES
from catalog.models import (
    Certification,
    CertificationScheme,
    CertificationStatus,
    Offer,
    ServiceCategory,
    Subcontractor,
)
from catalog.services import LOCATION_FIELDS, PROVIDER_DECLARABLE_STATUSES
from core.submissions import SubmittedOnceForm

EVIDENCE_CONTENT_TYPES = "application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg"
# The HDS v2 referential's six activities (arrêté du 26 avril 2024).
HDS_ACTIVITY_CHOICES = [
    ("1", _("1. Provision and maintenance of the physical sites")),
    ("2", _("2. Provision and maintenance of the hardware infrastructure")),
    ("3", _("3. Provision and maintenance of the virtual infrastructure platform")),
    ("4", _("4. Provision and maintenance of the application hosting platform")),
    ("5", _("5. Administration and operation of the information system holding health data")),
    ("6", _("6. Backup of health data")),
]
LOCATION_LABELS = {
    "storage_countries": _("Storage countries"),
    "processing_countries": _("Processing countries"),
    "backup_countries": _("Backup and disaster recovery countries"),
    "technical_data_countries": _("Technical data countries"),
    "administration_countries": _("Administration and supervision countries"),
    "support_countries": _("Support countries"),
}
COUNTRY_LIST_HELP = _("ISO 3166-1 alpha-2 codes separated by commas, e.g. FR, DE.")


def country_choices(blank: bool = True) -> list[tuple[str, str]]:
    choices = [(code, f"{name} ({code})") for code, name in countries]
    return [("", _("Choose a country"))] + choices if blank else choices


def country_list(value: str) -> list[str]:
    """'fr, de' → ['FR', 'DE'] (the service checks each code)."""
    return [
        code.strip().upper() for code in (value or "").replace(";", ",").split(",") if code.strip()
    ]


def country_text(codes) -> str:
    return ", ".join(codes or [])


def evidence_help() -> str:
    return _("PDF, PNG or JPEG, at most %(size)s.") % {
        "size": filesizeformat(settings.EVIDENCE_MAX_BYTES)
    }


class CountryListField(forms.CharField):
    """Comma-separated ISO codes, typed as text so the page needs no script."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", COUNTRY_LIST_HELP)
        kwargs.setdefault("max_length", 400)
        super().__init__(**kwargs)


# --------------------------------------------------------------------------
# Company profile


class ProviderProfileForm(DsfrBaseForm):
    name = forms.CharField(label=_("Legal name"), max_length=200)
    siren = forms.CharField(
        label=_("SIREN"),
        max_length=11,
        required=False,
        help_text=_("9 digits, for companies registered in France."),
    )
    vat_number = forms.CharField(
        label=_("Intra-EU VAT number"),
        max_length=20,
        required=False,
        help_text=_("e.g. FR + 2-digit key + SIREN."),
    )
    registered_office_country = forms.ChoiceField(label=_("Registered office country"))
    central_administration_country = forms.ChoiceField(label=_("Central administration country"))
    main_establishment_country = forms.ChoiceField(label=_("Main establishment country"))
    is_sme = forms.BooleanField(label=_("Small or medium-sized enterprise (SME)"), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    SEATS = (
        "registered_office_country",
        "central_administration_country",
        "main_establishment_country",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.SEATS:
            self.fields[field].choices = country_choices()
            self.fields[field].help_text = _("SecNumCloud 3.2 §19.6 requires it in the EU.")
        self._bound_fields_cache.clear()  # bound fields copy help_text when made

    @classmethod
    def initial_for(cls, provider) -> dict:
        return {field: getattr(provider, field) for field in cls.base_fields}


class StakeForm(DsfrBaseForm):
    holder_name = forms.CharField(label=_("Holder name"), max_length=200, required=False)
    holder_country = forms.ChoiceField(label=_("Holder country"), required=False)
    capital_pct = forms.DecimalField(
        label=_("Share of capital (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
    )
    voting_pct = forms.DecimalField(
        label=_("Share of voting rights (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
        help_text=_("Empty: same as the share of capital."),
    )
    has_veto = forms.BooleanField(label=_("Holds a veto right"), required=False)
    has_board_majority = forms.BooleanField(label=_("Holds the board majority"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder_country"].choices = country_choices()

    def as_stake(self) -> dict | None:
        """The service's row, or None for an untouched or deleted row."""
        data = self.cleaned_data
        if not data or data.get("DELETE"):
            return None
        if not (data.get("holder_name") or "").strip() and data.get("capital_pct") is None:
            return None
        stake = {
            key: data.get(key)
            for key in ("holder_name", "holder_country", "has_veto", "has_board_majority")
        }
        stake["capital_pct"] = data.get("capital_pct") if data.get("capital_pct") is not None else 0
        if data.get("voting_pct") is not None:
            stake["voting_pct"] = data["voting_pct"]
        return stake


StakeFormSet = forms.formset_factory(
    StakeForm, extra=2, can_delete=True, max_num=50, absolute_max=60
)


# --------------------------------------------------------------------------
# Offers


class OfferForm(DsfrBaseForm, SubmittedOnceForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = forms.ChoiceField(label=_("Service category"), choices=ServiceCategory.choices)
    cpv_code = forms.ChoiceField(
        label=_("CPV code"),
        choices=CLOUD_CPV_CHOICES,
        help_text=_("Common procurement vocabulary code buyers search with."),
    )
    unit = forms.ChoiceField(label=_("Unit of sale"), choices=units.UNIT_CHOICES)
    unit_price = forms.DecimalField(
        label=_("Unit price (EUR excl. VAT)"), min_value=0, max_digits=12, decimal_places=4
    )
    price_is_illustrative = forms.BooleanField(
        label=_("The price is illustrative, not contractual"), required=False
    )
    minimum_commitment = forms.DecimalField(
        label=_("Minimum commitment (in units of sale)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    minimum_months = forms.IntegerField(
        label=_("Minimum term (months)"), min_value=0, max_value=120, required=False
    )
    capacity = forms.DecimalField(
        label=_("Capacity (in units of sale)"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("Maximum quantity that can be ordered; empty for no limit."),
    )
    sla_pct = forms.DecimalField(
        label=_("Availability commitment (SLA, %)"),
        min_value=0,
        max_value=100,
        max_digits=6,
        decimal_places=3,
        required=False,
    )
    storage_countries = CountryListField(label=LOCATION_LABELS["storage_countries"])
    processing_countries = CountryListField(label=LOCATION_LABELS["processing_countries"])
    backup_countries = CountryListField(label=LOCATION_LABELS["backup_countries"])
    technical_data_countries = CountryListField(label=LOCATION_LABELS["technical_data_countries"])
    administration_countries = CountryListField(label=LOCATION_LABELS["administration_countries"])
    support_countries = CountryListField(label=LOCATION_LABELS["support_countries"])
    support_documented = forms.BooleanField(
        label=_("Support arrangements outside the EU are documented"), required=False
    )
    dr_support = forms.BooleanField(
        label=_("The offer supports Diffusion Restreinte (II 901) homologation"), required=False
    )

    GENERAL = ("name", "description", "category", "cpv_code")
    PRICING = (
        "unit",
        "unit_price",
        "price_is_illustrative",
        "minimum_commitment",
        "minimum_months",
        "capacity",
        "sla_pct",
    )
    LOCATIONS = (*LOCATION_FIELDS, "support_documented", "dr_support")

    def groups(self) -> list[tuple[str, list]]:
        """Fields by fieldset, for the template."""
        return [
            (_("Service"), [self[f] for f in self.GENERAL]),
            (_("Price and commitment"), [self[f] for f in self.PRICING]),
            (_("Locations and support"), [self[f] for f in self.LOCATIONS]),
        ]

    @classmethod
    def initial_for(cls, offer: Offer) -> dict:
        initial = {
            field: getattr(offer, field)
            for field in cls.base_fields
            if field not in LOCATION_FIELDS and field != "submission_key"
        }
        initial.update({field: country_text(getattr(offer, field)) for field in LOCATION_FIELDS})
        return initial

    def as_offer(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("submission_key", None)  # the view's, not the offer's
        for field in LOCATION_FIELDS:
            data[field] = country_list(data[field])
        data["minimum_commitment"] = data["minimum_commitment"] or 0
        data["minimum_months"] = data["minimum_months"] or 0
        return data


class SubcontractorForm(DsfrBaseForm):
    name = forms.CharField(label=_("Subcontractor name"), max_length=200, required=False)
    country = forms.ChoiceField(label=_("Subcontractor country"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Subcontractor.Role.choices, required=False)
    has_data_access = forms.BooleanField(label=_("Can access customer data"), required=False)
    catalog_offer = forms.IntegerField(
        label=_("Catalogue offer number (optional)"),
        min_value=1,
        required=False,
        help_text=_(
            "When the subcontractor's service is in the catalogue: the number in its page address "
            "/offres/<number>/. The offer is then only as qualified as that service."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()

    def as_subcontractor(self) -> dict | None:
        data = self.cleaned_data
        if not data or data.get("DELETE") or not (data.get("name") or "").strip():
            return None
        return {
            "name": data["name"],
            "country": data["country"],
            "role": data["role"] or "other",
            "has_data_access": data["has_data_access"],
            "catalog_offer": data.get("catalog_offer"),
        }


SubcontractorFormSet = forms.formset_factory(
    SubcontractorForm, extra=1, can_delete=True, max_num=30, absolute_max=40
)


# --------------------------------------------------------------------------
# Certificates


class CertificationForm(DsfrBaseForm, SubmittedOnceForm):
    scheme = forms.ChoiceField(label=_("Scheme"))
    scheme_version = forms.CharField(
        label=_("Scheme version"),
        max_length=20,
        required=False,
        help_text=_("e.g. 3.2 for SecNumCloud, 2.0 for HDS, 2022 for ISO/IEC 27001."),
    )
    assurance = forms.CharField(
        label=_("Assurance level"),
        max_length=20,
        required=False,
        help_text=_("e.g. type2 for BSI C5, substantial or high for EUCS."),
    )
    reference = forms.CharField(label=_("Certificate reference"), max_length=100)
    status = forms.ChoiceField(label=_("Status"))
    issued_on = forms.DateField(
        label=_("Issued on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Required for a valid certificate."),
    )
    scope_offers = forms.MultipleChoiceField(
        label=_("Offers covered"), required=False, widget=forms.CheckboxSelectMultiple
    )
    scope_countries = CountryListField(label=_("Sites covered (countries)"))
    hds_activities = forms.MultipleChoiceField(
        label=_("HDS activities covered"),
        required=False,
        choices=HDS_ACTIVITY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Health data hosting (HDS) certificates only."),
    )
    evidence = forms.FileField(label=_("Evidence file"), required=False)
    evidence_url = forms.URLField(
        label=_("Public register entry"),
        required=False,
        assume_scheme="https",
        help_text=_("e.g. the ANSSI or ANS register page listing the certificate."),
    )

    def __init__(self, *args, provider, instance: Certification | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["scheme"].choices = [("", _("Choose a scheme"))] + [
            (scheme.code, scheme.name) for scheme in CertificationScheme.objects.order_by("name")
        ]
        statuses = [
            (value, label)
            for value, label in CertificationStatus.choices
            if value in PROVIDER_DECLARABLE_STATUSES
            or (instance is not None and value == instance.status)
        ]
        self.fields["status"].choices = statuses
        self.fields["status"].help_text = _(
            "In progress (J0 to J2) qualifies for nothing yet. Suspension, revocation and expiry are "
            "recorded by the operator."
        )
        self.fields["scope_offers"].choices = [
            (str(pk), name)
            for pk, name in provider.offers.order_by("name", "pk").values_list("pk", "name")
        ]
        evidence = self.fields["evidence"]
        evidence.help_text = evidence_help()
        if instance is not None and instance.evidence:
            evidence.help_text = f"{evidence.help_text} " + str(
                _("Leave empty to keep the current file.")
            )
        evidence.widget.attrs.update({"class": "fr-upload", "accept": EVIDENCE_CONTENT_TYPES})
        evidence.widget.group_class = "fr-upload-group fr-input-group"
        self._bound_fields_cache.clear()  # bound fields copy help_text when made

    @classmethod
    def initial_for(cls, cert: Certification) -> dict:
        return {
            "scheme": cert.scheme.code,
            "scheme_version": cert.scheme_version,
            "assurance": cert.assurance,
            "reference": cert.reference,
            "status": cert.status,
            "issued_on": cert.issued_on,
            "expires_on": cert.expires_on,
            "scope_offers": [str(o.pk) for o in cert.scope_offers.all()],
            "scope_countries": country_text(cert.scope_countries),
            "hds_activities": [str(a) for a in cert.hds_activities],
            "evidence_url": cert.evidence_url,
        }

    def clean(self):
        data = super().clean()
        needs_evidence = self.instance is None or not (
            self.instance.evidence or self.instance.evidence_url
        )
        if needs_evidence and not data.get("evidence") and not data.get("evidence_url"):
            self.add_error(
                "evidence",
                _(
                    "Attach the certificate (or give its public register entry) so that "
                    "the operator can verify it."
                ),
            )
        return data

    def as_certification(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("submission_key", None)  # the view's, not the certificate's
        data["scope_offers"] = [int(pk) for pk in data["scope_offers"]]
        data["hds_activities"] = [int(a) for a in data["hds_activities"]]
        data["scope_countries"] = country_list(data["scope_countries"])
        if not data.get("evidence"):
            data.pop("evidence", None)
        if self.instance is not None and data.get("status") == self.instance.status:
            # An unchanged status the provider may not declare (e.g. expired)
            # is not a declaration.
            data.pop("status")
        return data
