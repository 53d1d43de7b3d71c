"""REST API of the catalogue (/api/v1/providers, offers, certifications,
policy). Thin: parse input, call the same services as the HTML views, render.
Scoping lives in ``catalog.selectors``."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Func, IntegerField, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services, units
from catalog.models import (
    Attestation,
    AttestationKind,
    Certification,
    CertificationStatus,
    DataFlag,
    ExclusionGround,
    MemberRole,
    Offer,
    OfferStatus,
    Provider,
    SensitivityLevel,
    ServiceCategory,
    Subcontractor,
    SupplierDeclaration,
)
from catalog.texts import check_reason

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
        return str((offer.unit_price * (1 + settings.VAT_RATE)).quantize(Decimal("0.0001")))

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


_LOCATIONS = ("storage", "processing", "backup", "technical_data", "administration", "support")
OFFER_LIST_VALUES = (
    "id",
    "provider_id",
    "provider__name",
    "provider__slug",
    "provider__status",
    "name",
    "description",
    "category",
    "cpv_code",
    "unit",
    "unit_price",
    "price_is_illustrative",
    "normalised_unit",
    "normalised_price",
    "minimum_commitment",
    "minimum_months",
    "capacity",
    "sla_pct",
    *(f"{loc}_countries" for loc in _LOCATIONS),
    "support_documented",
    "dr_support",
    "status",
    "assessment__level",
    "assessment__flags",
    "assessment__policy_version",
    "assessment__assessed_at",
    "created_at",
    "updated_at",
)


def offer_list_values(qs):
    """The list's columns only (no checks JSON, no search document, no
    prefetches): the passed checks and the bodies using each offer counted
    in SQL, for the page's rows: one query."""
    return (
        qs.prefetch_related(None)
        .values(*OFFER_LIST_VALUES)
        .annotate(
            used_by_count=selectors.offers_used_by_count(),
            checks_total=Coalesce(
                Func(
                    F("assessment__checks"),
                    function="jsonb_array_length",
                    output_field=IntegerField(),
                ),
                0,
            ),
            checks_passed=Coalesce(
                Func(
                    # the true "passed" values only, not copies of the check objects
                    # (half the server time of '$[*] ? (@.passed == true)' per row)
                    Func(
                        F("assessment__checks"),
                        Value("$[*].passed ? (@ == true)"),
                        function="jsonb_path_query_array",
                    ),
                    function="jsonb_array_length",
                    output_field=IntegerField(),
                ),
                0,
            ),
        )
    )


def _dec(value) -> str | None:
    return None if value is None else f"{value:f}"


def offer_list_render(rows: list[dict], request) -> list[dict]:
    """List rows in ``OfferListOutput``'s shape, from ``offer_list_values``."""
    base = request.build_absolute_uri(request.path)
    vat = 1 + settings.VAT_RATE
    cents = Decimal("0.0001")
    zone = timezone.get_current_timezone()

    def stamp(value):  # DRF's DateTimeField output, without its per-call checks
        if value is None:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    labels = units.NORMALISED_LABELS
    out = []
    for r in rows:
        level = r["assessment__level"]
        unit = r["normalised_unit"]
        out.append(
            {
                "id": r["id"],
                "url": f"{base}{r['id']}/",
                "provider": {
                    "id": r["provider_id"],
                    "name": r["provider__name"],
                    "slug": r["provider__slug"],
                    "status": r["provider__status"],
                },
                "name": r["name"],
                "description": r["description"],
                "category": r["category"],
                "cpv_code": r["cpv_code"],
                "unit": r["unit"],
                "unit_price": _dec(r["unit_price"]),
                "unit_price_incl_vat": str((r["unit_price"] * vat).quantize(cents)),
                "price_is_illustrative": r["price_is_illustrative"],
                "normalised_price": {
                    "amount": str(r["normalised_price"]),
                    "unit": unit,
                    "label": labels.get(unit, unit),
                    "currency": "EUR",
                    "vat": "excluded",
                },
                "minimum_commitment": _dec(r["minimum_commitment"]),
                "minimum_months": r["minimum_months"],
                "capacity": _dec(r["capacity"]),
                "sla_pct": _dec(r["sla_pct"]),
                "locations": {loc: r[f"{loc}_countries"] for loc in _LOCATIONS},
                "support_documented": r["support_documented"],
                "dr_support": r["dr_support"],
                "status": r["status"],
                "assessment": None
                if level is None
                else {
                    "level": level,
                    "flags": r["assessment__flags"],
                    "policy_version": r["assessment__policy_version"],
                    "assessed_at": stamp(r["assessment__assessed_at"]),
                    "checks_passed": r["checks_passed"],
                    "checks_failed": r["checks_total"] - r["checks_passed"],
                },
                "used_by_count": r["used_by_count"],
                "created_at": stamp(r["created_at"]),
                "updated_at": stamp(r["updated_at"]),
            }
        )
    return out


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
    name = serializers.CharField(max_length=200, required=False)
    siren = serializers.CharField(max_length=11, required=False, allow_blank=True)
    vat_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    registered_office_country = serializers.CharField(max_length=2, required=False)
    central_administration_country = serializers.CharField(max_length=2, required=False)
    main_establishment_country = serializers.CharField(max_length=2, required=False)
    is_sme = serializers.BooleanField(required=False)
    website = serializers.URLField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    stakes = StakeSerializer(many=True, required=False)


COUNTRY_LIST = serializers.ListField(
    child=serializers.CharField(max_length=2), required=False, max_length=60
)


class OfferInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    category = serializers.ChoiceField(choices=ServiceCategory.choices, required=False)
    cpv_code = serializers.CharField(max_length=10, required=False)
    unit = serializers.ChoiceField(choices=units.UNIT_CHOICES, required=False)
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=4, min_value=Decimal(0), required=False
    )
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
    scheme = serializers.CharField(max_length=30, required=False)
    scheme_version = serializers.CharField(max_length=20, required=False, allow_blank=True)
    assurance = serializers.CharField(max_length=20, required=False, allow_blank=True)
    reference = serializers.CharField(max_length=100, required=False)
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


class OfferFilter(serializers.Serializer):
    level = serializers.CharField(required=False)
    flags = serializers.CharField(required=False)
    category = serializers.ChoiceField(choices=ServiceCategory.choices, required=False)
    location = serializers.CharField(required=False)
    certification = serializers.CharField(required=False)
    min_price = serializers.DecimalField(
        max_digits=16, decimal_places=6, min_value=Decimal(0), required=False
    )
    max_price = serializers.DecimalField(
        max_digits=16, decimal_places=6, min_value=Decimal(0), required=False
    )
    q = serializers.CharField(required=False, max_length=200)
    ordering = serializers.ChoiceField(
        choices=["price", "-price", "name", "-name", "-id", "id"], required=False
    )
    status = serializers.ChoiceField(choices=OfferStatus.choices, required=False)

    def validate_level(self, value):
        # The catalogue list defers this lookup (``defer_level`` in the
        # context): an unknown level matches no offer, so it looks the level
        # up only when its page is empty (``level_check``): one query fewer.
        if not self.context.get("defer_level"):
            self.level_check(value)
        return value

    @staticmethod
    def level_check(value) -> None:
        if not SensitivityLevel.objects.filter(code=value).exists():
            codes = ", ".join(SensitivityLevel.objects.values_list("code", flat=True))
            raise serializers.ValidationError(f"Unknown level; use one of {codes}.")

    def validate_flags(self, value):
        flags = [f.strip().upper() for f in value.split(",") if f.strip()]
        known = set(DataFlag.objects.values_list("code", flat=True))
        unknown = [f for f in flags if f not in known]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown flags {unknown}; use {', '.join(sorted(known))}."
            )
        return flags

    def validate_location(self, value):
        value = value.strip().upper()
        if value != "EU":
            try:
                services._country("location", value)
            except services.CatalogError:
                raise serializers.ValidationError(
                    "Use an ISO 3166-1 alpha-2 country code or EU."
                ) from None
        return value

    def validate(self, data):
        if (
            data.get("min_price") is not None
            and data.get("max_price") is not None
            and data["min_price"] > data["max_price"]
        ):
            raise serializers.ValidationError({"max_price": ["Must not be below min_price."]})
        return data


class FeedInput(serializers.Serializer):
    since = serializers.CharField(allow_blank=True, max_length=100)
    limit = serializers.IntegerField(min_value=1, max_value=selectors.FEED_MAX_LIMIT, default=100)

    def validate_since(self, value):
        try:
            selectors.feed_cursor_decode(value)
        except ValueError:
            raise serializers.ValidationError(
                "Not a cursor of this feed; start with since=0."
            ) from None
        return value


FEED_PARAMETER = OpenApiParameter(
    "since",
    str,
    description="Change feed: '0' for the beginning, then the `cursor` of the last page "
    "(or simply follow its `next` URL). Returns what changed after it, in "
    "commit order, each object once.",
)
FEED_LIMIT_PARAMETER = OpenApiParameter("limit", int, description="Change feed page size (≤ 500).")


def feed_page(request, *, entities: tuple[str, ...]) -> selectors.FeedPage:
    params = FeedInput(data=request.query_params)
    params.is_valid(raise_exception=True)
    return selectors.changes_since(
        entities=entities,
        cursor=params.validated_data["since"],
        limit=params.validated_data["limit"],
    )


def feed_response(request, page: selectors.FeedPage, results: list) -> Response:
    """A change-feed page in the shape of the list it replaces (``next``,
    ``previous``, ``results``), plus the bare ``cursor`` and ``has_more``.
    ``next`` is always the URL to poll next: on the last page it returns
    nothing new until something changes."""
    query = request.query_params.copy()
    query["since"] = page.cursor
    following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return Response(
        {
            "next": following,
            "previous": None,
            "results": results,
            "cursor": page.cursor,
            "has_more": page.has_more,
        }
    )


def list_page_serializer(name: str, results: serializers.Field) -> type[serializers.Serializer]:
    """The schema of a list that is also a change feed (``?since=``): a
    cursor page, with ``cursor`` and ``has_more`` when it is the feed."""
    fields = {
        "next": serializers.URLField(
            allow_null=True, help_text="The next page; in the change feed, the URL to poll next."
        ),
        "previous": serializers.URLField(
            allow_null=True, help_text="Always null in the change feed."
        ),
        "results": results,
        "cursor": serializers.CharField(
            required=False, help_text="Change feed only: the cursor to pass as `since` next."
        ),
        "has_more": serializers.BooleanField(
            required=False,
            help_text="Change feed only: more changes are waiting (poll `next` now).",
        ),
    }
    return extend_schema_serializer(many=False)(type(name, (serializers.Serializer,), fields))


class OfferRemoved(serializers.Serializer):
    """Change feed only: an offer that is no longer visible (withdrawn,
    suspended, its provider struck off). Delete it from a mirror."""

    id = serializers.IntegerField()
    removed = serializers.BooleanField(help_text="Always true.")


# A list page holds list rows; a change-feed page (``?since=``) the full
# offers (mirrors keep the explained assessment) and the removed ones.
OfferPage = list_page_serializer(
    "OfferPage",
    PolymorphicProxySerializer(
        component_name="OfferListOrFeedItem",
        serializers=[OfferListOutput, OfferOutput, OfferRemoved],
        resource_type_field_name=None,
        many=True,
    ),
)


ORDERINGS = {
    "price": ("normalised_price", "id"),
    "-price": ("-normalised_price", "-id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "id": ("id",),
    "-id": ("-id",),
}


class OfferPagination(CursorPagination):
    """Cursor pagination (no COUNT(*), no deep OFFSET) in the order asked."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_ordering(self, request, queryset, view):
        return ORDERINGS[getattr(view, "offer_ordering", "-id")]


# --------------------------------------------------------------------------
# Views


def _provider_or_403(user) -> Provider:
    if not user.is_authenticated:
        raise NotAuthenticated()
    provider = selectors.provider_of(user)
    if provider is None:
        raise PermissionDenied("Only members of a provider can manage catalogue entries.")
    return provider


class ProviderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Directory of providers. Members of a provider edit their own profile
    (identity, seats, ownership); anyone may read the active ones."""

    lookup_value_regex = r"\d+"

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = ProviderOutput

    def get_queryset(self):
        if self.request.method in ("PUT", "PATCH"):
            return selectors.providers_editable_by(self.request.user)
        return selectors.providers_visible_to(self.request.user).order_by("-id")

    @extend_schema(request=ProviderInput, responses={201: ProviderOutput})
    def create(self, request, *args, **kwargs):
        data = ProviderInput(data=request.data)
        data.is_valid(raise_exception=True)
        provider = services.provider_create(actor=request.user, **data.validated_data)
        return Response(ProviderOutput(provider).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProviderInput, responses=ProviderOutput)
    def update(self, request, *args, **kwargs):
        provider = self.get_object()
        # Identity, seats and ownership commit the company: its administrators
        # edit them, as on the web page (catalog/views/provider.py).
        membership = getattr(request.user, "provider_membership", None)
        if membership is None or membership.role != MemberRole.ADMIN:
            raise PermissionDenied("Only an administrator of the provider can edit its profile.")
        data = ProviderInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        provider = services.provider_update(
            provider=provider, actor=request.user, **data.validated_data
        )
        return Response(ProviderOutput(provider).data)


OFFER_FILTER_PARAMETERS = [
    OpenApiParameter("level", str, description="Qualified for this level or higher (N0..N3)."),
    OpenApiParameter("flags", str, description="Comma-separated: HEALTH, PERSONAL_DATA."),
    OpenApiParameter("category", str, enum=ServiceCategory.values),
    OpenApiParameter(
        "location", str, description="Every data location within this country, or EU."
    ),
    OpenApiParameter(
        "certification",
        str,
        description="Holds a valid verified certificate of this scheme covering the offer.",
    ),
    OpenApiParameter("min_price", float, description="Normalised price, EUR excl. VAT."),
    OpenApiParameter("max_price", float, description="Normalised price, EUR excl. VAT."),
    OpenApiParameter(
        "q", str, description="Full text over offer name, description and provider name."
    ),
    OpenApiParameter("ordering", str, enum=list(ORDERINGS)),
    OpenApiParameter("status", str, enum=OfferStatus.values),
]


class OfferViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The catalogue of offers. The list gives each offer's assessment as a
    summary and its ``url``; the detail explains every check."""

    lookup_value_regex = r"\d+"

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = OfferOutput
    pagination_class = OfferPagination

    def get_queryset(self):
        if self.request.method in ("PUT", "PATCH", "POST"):
            return selectors.offers_editable_by(self.request.user)
        return selectors.offers_visible_to(self.request.user)

    @extend_schema(
        parameters=[*OFFER_FILTER_PARAMETERS, FEED_PARAMETER, FEED_LIMIT_PARAMETER],
        responses=OfferPage,
    )
    def list(self, request, *args, **kwargs):
        if "since" in request.query_params:
            return self._feed(request)
        params = OfferFilter(data=request.query_params, context={"defer_level": True})
        params.is_valid(raise_exception=True)
        filters = dict(params.validated_data)
        ordering = filters.pop("ordering", None)
        wanted_status = filters.pop("status", None)
        qs = selectors.offers_filter(self.get_queryset(), **filters)
        if wanted_status:
            qs = qs.filter(status=wanted_status)
        self.offer_ordering = ordering or ("price" if not filters.get("q") else "-id")
        page = self.paginate_queryset(offer_list_values(qs))
        if not page and filters.get("level"):
            try:
                OfferFilter.level_check(filters["level"])
            except serializers.ValidationError as error:
                raise serializers.ValidationError({"level": error.detail}) from None
        return self.get_paginated_response(offer_list_render(page, request))

    @extend_schema(request=OfferInput, responses={201: OfferOutput})
    def create(self, request, *args, **kwargs):
        provider = _provider_or_403(request.user)
        data = OfferInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        subs = [dict(s) for s in values.pop("subcontractors", [])] or None
        offer = services.offer_create(
            provider=provider, actor=request.user, subcontractors=subs, **values
        )
        return Response(self._render(offer.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=OfferInput, responses=OfferOutput)
    def update(self, request, *args, **kwargs):
        offer = self.get_object()
        data = OfferInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        target = values.pop("status", None)
        subs = values.pop("subcontractors", None)
        with transaction.atomic():
            offer = services.offer_update(
                offer=offer,
                actor=request.user,
                subcontractors=[dict(s) for s in subs] if subs is not None else None,
                **values,
            )
            if target == OfferStatus.PUBLISHED:
                services.offer_publish(offer=offer, actor=request.user)
        return Response(self._render(offer.pk))

    @extend_schema(request=None, responses=OfferOutput)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        offer = (
            selectors.offers_editable_by(request.user).filter(pk=pk).first()
            if request.user.is_authenticated
            else None
        )
        if offer is None:
            return self._missing(request)
        services.offer_publish(offer=offer, actor=request.user)
        return Response(self._render(offer.pk))

    @extend_schema(request=None, responses=OfferOutput)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        offer = (
            selectors.offers_editable_by(request.user).filter(pk=pk).first()
            if request.user.is_authenticated
            else None
        )
        if offer is None:
            return self._missing(request)
        services.offer_withdraw(offer=offer, actor=request.user)
        return Response(self._render(offer.pk))

    def _feed(self, request):
        """The change feed: offers changed after the cursor, each once, in
        the order of its last change; an offer no longer visible comes as
        ``{"id", "removed": true}``."""
        page = feed_page(request, entities=("offer", "provider"))
        ids = selectors.offer_ids_of_changes(page.events)
        visible = {o.pk: o for o in self.get_queryset().filter(pk__in=ids)}
        results = [
            OfferOutput(visible[i], context={"request": request}).data
            if i in visible
            else {"id": i, "removed": True}
            for i in ids
        ]
        return feed_response(request, page, results)

    def _missing(self, request):
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        raise NotFound()

    def _render(self, offer_id: int) -> dict:
        offer = selectors.offers_visible_to(self.request.user).get(pk=offer_id)
        return OfferOutput(offer, context={"request": self.request}).data


class CertificationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Certificates: public once verified. Providers declare theirs with
    evidence (multipart upload); any edit sends it back to verification.
    Operators verify, reject or revoke."""

    lookup_value_regex = r"\d+"

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = CertificationOutput
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        if self.request.method in ("PUT", "PATCH"):
            return selectors.certifications_editable_by(self.request.user)
        return selectors.certifications_visible_to(self.request.user).order_by("-id")

    def _input(self, request, partial: bool) -> dict:
        data = request.data
        if hasattr(data, "getlist"):  # multipart: lists arrive as repeated keys
            plain = {k: data.get(k) for k in data}
            for key in ("scope_offers", "scope_countries", "hds_activities"):
                if key in data:
                    plain[key] = [
                        v for item in data.getlist(key) for v in str(item).split(",") if v != ""
                    ]
            data = plain
        parsed = CertificationInput(data=data, partial=partial)
        parsed.is_valid(raise_exception=True)
        return dict(parsed.validated_data)

    @extend_schema(
        request={"multipart/form-data": CertificationInput, "application/json": CertificationInput},
        responses={201: CertificationOutput},
    )
    def create(self, request, *args, **kwargs):
        provider = _provider_or_403(request.user)
        cert = services.certification_create(
            provider=provider, actor=request.user, **self._input(request, False)
        )
        return Response(self._render(cert.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": CertificationInput, "application/json": CertificationInput},
        responses=CertificationOutput,
    )
    def update(self, request, *args, **kwargs):
        cert = self.get_object()
        cert = services.certification_update(
            certification=cert, actor=request.user, **self._input(request, True)
        )
        return Response(self._render(cert.pk))

    def _operator_cert(self, request, pk) -> Certification:
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        if not selectors.is_operator(request.user):
            raise PermissionDenied("Only the broker operator verifies certificates.")
        return self.get_object()

    @extend_schema(request=None, responses=CertificationOutput)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        cert = services.certification_verify(
            certification=self._operator_cert(request, pk), actor=request.user
        )
        return Response(self._render(cert.pk))

    @extend_schema(request=ReasonInput, responses=CertificationOutput)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        cert = self._operator_cert(request, pk)
        reason = ReasonInput(data=request.data)
        reason.is_valid(raise_exception=True)
        cert = services.certification_reject(
            certification=cert, actor=request.user, reason=reason.validated_data["reason"]
        )
        return Response(self._render(cert.pk))

    @extend_schema(request=ReasonInput, responses=CertificationOutput)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        cert = self._operator_cert(request, pk)
        reason = ReasonInput(data=request.data)
        reason.is_valid(raise_exception=True)
        cert = services.certification_revoke(
            certification=cert, actor=request.user, reason=reason.validated_data["reason"]
        )
        return Response(self._render(cert.pk))

    def _render(self, cert_id: int) -> dict:
        cert = selectors.certifications_visible_to(self.request.user).get(pk=cert_id)
        return CertificationOutput(cert, context={"request": self.request}).data


class PolicyView(APIView):
    """The sensitivity policy in force: levels, flags, certification
    requirements, with the version every assessment records."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(
        operation_id="policy_retrieve",
        responses=inline_serializer(
            "Policy",
            fields={
                "version": serializers.IntegerField(),
                "levels": serializers.ListField(child=serializers.DictField()),
                "flags": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request):
        current = selectors.policy_current()
        lang = (get_language() or "fr")[:2]
        labels = {
            lv.code: (lv.label_fr if lang == "fr" else lv.label_en)
            for lv in SensitivityLevel.objects.all()
        }
        return Response(
            {
                "version": current.version,
                "levels": [
                    {
                        "code": lv.code,
                        "rank": lv.rank,
                        "label": labels.get(lv.code, lv.code),
                        "grantable": lv.grantable,
                        "data_zone": lv.data_zone,
                        "administration_zone": lv.administration_zone,
                        "support_zone": lv.support_zone,
                        "requires_eu_control": lv.requires_eu_control,
                        "max_non_eu_holder_pct": lv.max_non_eu_holder_pct,
                        "max_non_eu_total_pct": lv.max_non_eu_total_pct,
                        "forbid_non_eu_data_subcontractors": lv.forbid_non_eu_data_subcontractors,
                        "requires_dr_support": lv.requires_dr_support,
                        "certification_requirements": [
                            r.__dict__ for r in lv.certification_requirements
                        ],
                    }
                    for lv in current.levels
                ],
                "flags": [flag.__dict__ for flag in current.flags],
            }
        )


# --------------------------------------------------------------------------
# Supplier declarations (DUME exclusion grounds) and attestations: private
# to their provider and the operator.


class DeclarationOutput(serializers.ModelSerializer):
    provider = ProviderBrief(read_only=True)
    any_ground_applies = serializers.BooleanField(read_only=True)
    valid = serializers.SerializerMethodField(help_text="Signed, not expired, no ground applies.")

    class Meta:
        model = SupplierDeclaration
        fields = [
            "id",
            "provider",
            "grounds",
            "any_ground_applies",
            "comment",
            "signer_name",
            "signed_at",
            "valid_until",
            "content_sha256",
            "valid",
        ]

    def get_valid(self, declaration) -> bool:
        return (
            not declaration.any_ground_applies and declaration.valid_until >= timezone.localdate()
        )


class DeclarationInput(serializers.Serializer):
    grounds = serializers.DictField(
        child=serializers.BooleanField(),
        help_text=(
            "Every exclusion ground ("
            + ", ".join(ExclusionGround.values)
            + ") answered: true when it applies."
        ),
    )
    signer_name = serializers.CharField(max_length=200)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class AttestationOutput(serializers.ModelSerializer):
    provider = ProviderBrief(read_only=True)
    has_document = serializers.SerializerMethodField()
    expired = serializers.SerializerMethodField()

    class Meta:
        model = Attestation
        fields = [
            "id",
            "provider",
            "kind",
            "reference",
            "issued_on",
            "expires_on",
            "has_document",
            "document_sha256",
            "uploaded_at",
            "expired",
        ]

    def get_has_document(self, attestation) -> bool:
        return bool(attestation.document)

    def get_expired(self, attestation) -> bool:
        return attestation.expires_on < timezone.localdate()


class AttestationInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AttestationKind.choices)
    reference = serializers.CharField(max_length=100)
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True)
    document = serializers.FileField(required=False)


ComplianceOutput = inline_serializer(
    "SupplierCompliance",
    fields={
        "provider": ProviderBrief(),
        "compliant": serializers.BooleanField(),
        "problems": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField())
        ),
        "declaration": DeclarationOutput(allow_null=True),
        "attestations": AttestationOutput(many=True),
    },
)

EXPIRING_PARAMETER = OpenApiParameter(
    "expiring_within",
    int,
    description="Only the current documents expiring within this many days "
    "(expired ones included), soonest first.",
)
PROVIDER_PARAMETER = OpenApiParameter(
    "provider", int, description="Operators: one provider's documents."
)


class _SupplierDocumentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAuthenticated]
    lookup_value_regex = r"\d+"
    visible = None  # selector
    expiring = None  # selector

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.serializer_class.Meta.model.objects.none()
        qs = type(self).visible(self.request.user)
        provider = self.request.query_params.get("provider", "")
        if provider.isdigit():
            qs = qs.filter(provider_id=int(provider))
        days = self.request.query_params.get("expiring_within", "")
        if self.action == "list" and days:
            if not days.isdigit() or int(days) > 3660:
                raise services.CatalogError(
                    _("A number of days (0 to 3660)."),
                    fields={"expiring_within": ["A number of days (0 to 3660)."]},
                )
            qs = type(self).expiring(qs, within_days=int(days))
        return qs.order_by("-id")

    @extend_schema(parameters=[EXPIRING_PARAMETER, PROVIDER_PARAMETER])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class DeclarationViewSet(_SupplierDocumentViewSet):
    """Declarations on honour of the exclusion grounds (Code de la commande
    publique L2141-1 to L2141-11): signed by an administrator of the
    provider, valid SUPPLIER_DECLARATION_VALIDITY_MONTHS months."""

    serializer_class = DeclarationOutput
    visible = staticmethod(selectors.declarations_visible_to)
    expiring = staticmethod(selectors.declarations_expiring)

    @extend_schema(request=DeclarationInput, responses={201: DeclarationOutput})
    def create(self, request, *args, **kwargs):
        provider = _provider_or_403(request.user)
        data = DeclarationInput(data=request.data)
        data.is_valid(raise_exception=True)
        declaration = services.declaration_sign(
            provider=provider, actor=request.user, **data.validated_data
        )
        return Response(DeclarationOutput(declaration).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[PROVIDER_PARAMETER], responses=ComplianceOutput)
    @action(detail=False, methods=["get"], pagination_class=None)
    def compliance(self, request):
        """Whether the provider may respond and accept orders now, and why not."""
        provider = selectors.provider_of(request.user)
        wanted = request.query_params.get("provider", "")
        if selectors.is_operator(request.user) and wanted.isdigit():
            provider = Provider.objects.filter(pk=int(wanted)).first()
            if provider is None:
                raise NotFound()
        if provider is None:
            raise PermissionDenied(
                "Only members of a provider (or the operator, with ?provider=) can do this."
            )
        problems = services.provider_compliance_problems(provider)
        return Response(
            {
                "provider": ProviderBrief(provider).data,
                "compliant": not problems,
                "problems": problems,
                "declaration": (
                    DeclarationOutput(d).data
                    if (d := selectors.declaration_current(provider))
                    else None
                ),
                "attestations": AttestationOutput(
                    list(selectors.attestations_current(provider).values()), many=True
                ).data,
            }
        )


class AttestationViewSet(_SupplierDocumentViewSet):
    """Periodic attestations (URSSAF « attestation de vigilance » every six
    months, Code du travail L8222-1 / D8222-5; tax; K-bis under three
    months), each with its expiry; the latest of each kind counts."""

    serializer_class = AttestationOutput
    visible = staticmethod(selectors.attestations_visible_to)
    expiring = staticmethod(selectors.attestations_expiring)
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": AttestationInput, "application/json": AttestationInput},
        responses={201: AttestationOutput},
    )
    def create(self, request, *args, **kwargs):
        provider = _provider_or_403(request.user)
        data = AttestationInput(data=request.data)
        data.is_valid(raise_exception=True)
        attestation = services.attestation_create(
            provider=provider, actor=request.user, **data.validated_data
        )
        return Response(AttestationOutput(attestation).data, status=status.HTTP_201_CREATED)
