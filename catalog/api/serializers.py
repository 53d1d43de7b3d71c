"""The catalogue API's serializers: outputs (what a reader gets) and inputs
(what a writer may send; the services validate the rest)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog import selectors, units
from catalog.models import (
    Certification,
    CertificationStatus,
    Offer,
    Provider,
    ServiceCategory,
    Subcontractor,
)
from catalog.texts import check_reason
from core.money import UNIT_PRICE_EXPONENT, incl_vat

# --------------------------------------------------------------------------
# Output


class StakeSerializer(serializers.Serializer):
    holder_name = serializers.CharField(max_length=200)
    holder_country = serializers.CharField(max_length=2)
    capital_pct = serializers.DecimalField(max_digits=5, decimal_places=2)
    voting_pct = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    has_veto = serializers.BooleanField(default=False)
    has_board_majority = serializers.BooleanField(default=False)


class ProviderOutput(serializers.ModelSerializer):
    stakes = StakeSerializer(many=True, read_only=True)

    class Meta:
        model = Provider
        fields = [
            "id",
            "name",
            "slug",
            "siren",
            "vat_number",
            "registered_office_country",
            "central_administration_country",
            "main_establishment_country",
            "is_sme",
            "website",
            "description",
            "status",
            "stakes",
            "created_at",
            "updated_at",
        ]


class ProviderBrief(serializers.ModelSerializer):
    class Meta:
        model = Provider
        fields = ["id", "name", "slug", "status"]


class SubcontractorSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    country = serializers.CharField(max_length=2)
    role = serializers.ChoiceField(
        choices=Subcontractor.Role.choices, default=Subcontractor.Role.OTHER
    )
    has_data_access = serializers.BooleanField(default=False)
    catalog_offer = serializers.IntegerField(
        required=False, allow_null=True, source="catalog_offer_id"
    )


class CertificationBrief(serializers.Serializer):
    id = serializers.IntegerField()
    scheme = serializers.CharField(source="scheme.code")
    scheme_version = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.CharField()
    verification = serializers.CharField()
    expires_on = serializers.DateField()


class CheckOutput(serializers.Serializer):
    level = serializers.CharField(allow_null=True)
    flag = serializers.CharField(allow_null=True)
    rule = serializers.CharField()
    passed = serializers.BooleanField()
    reason = serializers.CharField(
        help_text="In the request's language (Accept-Language: fr or en)."
    )
    facts = serializers.DictField()


class AssessmentOutput(serializers.Serializer):
    level = serializers.CharField()
    flags = serializers.ListField(child=serializers.CharField())
    policy_version = serializers.IntegerField()
    assessed_at = serializers.DateTimeField()
    checks = serializers.SerializerMethodField()
    relied_certificates = serializers.ListField(child=serializers.DictField())

    @extend_schema_field(CheckOutput(many=True))
    def get_checks(self, assessment) -> list[dict]:
        lang = get_language()
        return [{**check, "reason": check_reason(check, lang)} for check in assessment.checks]


class UsedByOutput(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()
    since = serializers.DateField(
        help_text="Date of the body's first public award or accepted order of the offer."
    )


class OfferOutput(serializers.ModelSerializer):
    provider = ProviderBrief(read_only=True)
    used_by = serializers.SerializerMethodField(
        help_text="Public bodies that awarded (award public) or ordered "
        "(order accepted) this offer."
    )
    used_by_count = serializers.SerializerMethodField()
    normalised_price = serializers.SerializerMethodField()
    unit_price_incl_vat = serializers.SerializerMethodField()
    locations = serializers.SerializerMethodField()
    subcontractors = SubcontractorSerializer(many=True, read_only=True)
    certifications = CertificationBrief(many=True, read_only=True)
    assessment = serializers.SerializerMethodField()

    class Meta:
        model = Offer
        fields = [
            "id",
            "provider",
            "name",
            "description",
            "category",
            "cpv_code",
            "unit",
            "unit_price",
            "unit_price_incl_vat",
            "price_is_illustrative",
            "normalised_price",
            "minimum_commitment",
            "minimum_months",
            "capacity",
            "sla_pct",
            "locations",
            "support_documented",
            "dr_support",
            "subcontractors",
            "certifications",
            "status",
            "assessment",
            "used_by",
            "used_by_count",
            "created_at",
            "updated_at",
        ]

    def _used_by(self, offer) -> list[dict]:
        # Read for the whole list at once (the ListSerializer's rows), kept
        # in the serialization's context: two queries per page, not per row.
        known = self.context.setdefault("used_by", {})
        if offer.pk not in known:
            rows = (
                self.parent.instance
                if isinstance(self.parent, serializers.ListSerializer)
                else [offer]
            )
            ids = [row.pk for row in rows if row.pk not in known] or [offer.pk]
            found = selectors.offers_used_by(ids)
            known.update({pk: found.get(pk, []) for pk in ids})
        return known[offer.pk]

    @extend_schema_field(UsedByOutput(many=True))
    def get_used_by(self, offer) -> list[dict]:
        return UsedByOutput(self._used_by(offer), many=True).data

    def get_used_by_count(self, offer) -> int:
        return len(self._used_by(offer))

    def get_normalised_price(self, offer) -> dict:
        return {
            "amount": str(offer.normalised_price),
            "unit": offer.normalised_unit,
            "label": units.NORMALISED_LABELS.get(offer.normalised_unit, offer.normalised_unit),
            "currency": "EUR",
            "vat": "excluded",
        }

    def get_unit_price_incl_vat(self, offer) -> str:
        return str(incl_vat(offer.unit_price, exponent=UNIT_PRICE_EXPONENT))

    def get_locations(self, offer) -> dict:
        return offer.location_map()

    @extend_schema_field(AssessmentOutput(allow_null=True))
    def get_assessment(self, offer) -> dict | None:
        assessment = getattr(offer, "assessment", None)
        if assessment is None:
            return None
        return AssessmentOutput(assessment).data


# The list's own row: the assessment as a summary (level, flags, version,
# counts of passed and failed checks) and a link to the detail, which keeps
# the explained checks. Rendered straight from ``.values()`` rows by
# ``offer_list_render`` (no per-field serializer work: ~40 rendered check
# sentences per row cost ~1.2 ms); these serializers only document it.


class AssessmentSummaryOutput(serializers.Serializer):
    level = serializers.CharField()
    flags = serializers.ListField(child=serializers.CharField())
    policy_version = serializers.IntegerField()
    assessed_at = serializers.DateTimeField()
    checks_passed = serializers.IntegerField(
        help_text="Checks passed; the offer's `url` explains each one."
    )
    checks_failed = serializers.IntegerField(
        help_text="Checks failed (often those of higher levels)."
    )


class OfferListOutput(serializers.ModelSerializer):
    url = serializers.URLField(
        help_text="The offer's detail: its explained assessment, certificates, "
        "subcontractors and the public bodies using it."
    )
    provider = ProviderBrief(read_only=True)
    normalised_price = serializers.SerializerMethodField()
    unit_price_incl_vat = serializers.SerializerMethodField()
    locations = serializers.SerializerMethodField()
    assessment = AssessmentSummaryOutput(allow_null=True, read_only=True)
    used_by_count = serializers.IntegerField()

    class Meta:
        model = Offer
        fields = [
            "id",
            "url",
            "provider",
            "name",
            "description",
            "category",
            "cpv_code",
            "unit",
            "unit_price",
            "unit_price_incl_vat",
            "price_is_illustrative",
            "normalised_price",
            "minimum_commitment",
            "minimum_months",
            "capacity",
            "sla_pct",
            "locations",
            "support_documented",
            "dr_support",
            "status",
            "assessment",
            "used_by_count",
            "created_at",
            "updated_at",
        ]

    get_normalised_price = OfferOutput.get_normalised_price
    get_unit_price_incl_vat = OfferOutput.get_unit_price_incl_vat
    get_locations = OfferOutput.get_locations


class CertificationOutput(serializers.ModelSerializer):
    provider = ProviderBrief(read_only=True)
    scheme = serializers.CharField(source="scheme.code")
    scope_offers = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Certification
        fields = [
            "id",
            "provider",
            "scheme",
            "scheme_version",
            "assurance",
            "reference",
            "status",
            "issued_on",
            "expires_on",
            "scope_offers",
            "scope_countries",
            "hds_activities",
            "evidence",
            "evidence_sha256",
            "evidence_url",
            "verification",
            "verified_at",
            "verification_reason",
            "created_at",
            "updated_at",
        ]

    def get_scope_offers(self, cert) -> list[int]:
        return sorted(o.pk for o in cert.scope_offers.all())

    def get_evidence(self, cert) -> str | None:
        # The file itself is for the operator; the public sees its digest.
        request = self.context.get("request")
        if not cert.evidence:
            return None
        user = getattr(request, "user", None)
        own = selectors.provider_of(user) if user else None
        if selectors.is_operator(user) or (own and own.pk == cert.provider_id):
            return cert.evidence.name
        return None


# --------------------------------------------------------------------------
# Input


class ProviderInput(serializers.Serializer):
    """A provider's profile. What the creation requires is required here;
    an edit parses it partial (any subset)."""

    name = serializers.CharField(max_length=200)
    siren = serializers.CharField(max_length=11, required=False, allow_blank=True)
    vat_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    registered_office_country = serializers.CharField(max_length=2)
    central_administration_country = serializers.CharField(max_length=2)
    main_establishment_country = serializers.CharField(max_length=2)
    is_sme = serializers.BooleanField(required=False)
    website = serializers.URLField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    stakes = StakeSerializer(many=True, required=False)


COUNTRY_LIST = serializers.ListField(
    child=serializers.CharField(max_length=2), required=False, max_length=60
)


class OfferInput(serializers.Serializer):
    """An offer. What the creation requires is required here; an edit parses
    it partial (any subset)."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    category = serializers.ChoiceField(choices=ServiceCategory.choices)
    cpv_code = serializers.CharField(max_length=10)
    unit = serializers.ChoiceField(choices=units.UNIT_CHOICES)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=Decimal(0))
    price_is_illustrative = serializers.BooleanField(required=False)
    minimum_commitment = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), required=False
    )
    minimum_months = serializers.IntegerField(min_value=0, max_value=120, required=False)
    capacity = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False, allow_null=True
    )
    sla_pct = serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
        allow_null=True,
    )
    storage_countries = COUNTRY_LIST
    processing_countries = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, max_length=60
    )
    backup_countries = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, max_length=60
    )
    technical_data_countries = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, max_length=60
    )
    administration_countries = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, max_length=60
    )
    support_countries = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, max_length=60
    )
    support_documented = serializers.BooleanField(required=False)
    dr_support = serializers.BooleanField(required=False)
    subcontractors = SubcontractorSerializer(many=True, required=False)
    status = serializers.ChoiceField(
        choices=[("draft", "draft"), ("published", "published")], required=False
    )


class CertificationInput(serializers.Serializer):
    """A certificate. What the creation requires is required here; an edit
    parses it partial (any subset)."""

    scheme = serializers.CharField(max_length=30)
    scheme_version = serializers.CharField(max_length=20, required=False, allow_blank=True)
    assurance = serializers.CharField(max_length=20, required=False, allow_blank=True)
    reference = serializers.CharField(max_length=100)
    status = serializers.ChoiceField(choices=CertificationStatus.choices, required=False)
    issued_on = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True)
    scope_offers = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=1000
    )
    scope_countries = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, max_length=60
    )
    hds_activities = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=6
    )
    evidence = serializers.FileField(required=False)
    evidence_url = serializers.URLField(required=False, allow_blank=True)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
