"""The offers' API: the catalogue list (filters, a summary per row, cursor
pages, or the change feed with ``?since=``), the detail that explains every
check, and the provider's writes (create, edit, publish, withdraw)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Func, IntegerField, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import selectors, services, units
from catalog.api._common import provider_or_403
from catalog.api.serializers import OfferInput, OfferListOutput, OfferOutput
from catalog.errors import CatalogError
from catalog.models import Offer, OfferStatus, ServiceCategory
from catalog.selectors import ORDERINGS
from core.api import (
    FEED_LIMIT_PARAMETER,
    FEED_PARAMETER,
    StrictCursorPagination,
    feed_page,
    feed_response,
    list_page_serializer,
)
from core.money import UNIT_PRICE_EXPONENT, incl_vat

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


def offer_list_values(qs: QuerySet[Offer]) -> QuerySet:
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


def offer_list_render(rows: list[dict], request: Request) -> list[dict]:
    """List rows in ``OfferListOutput``'s shape, from ``offer_list_values``."""
    base = request.build_absolute_uri(request.path)
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
                "unit_price_incl_vat": str(incl_vat(r["unit_price"], exponent=UNIT_PRICE_EXPONENT)),
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


class OfferFilter(serializers.Serializer):
    """The catalogue search as a serializer, for callers that still validate
    a saved search with one: it parses with ``selectors.offer_query_parse``
    (what the list does) and gives what was asked as ``validated_data``."""

    def to_internal_value(self, data):
        try:
            return selectors.offer_query_parse(data).given()
        except CatalogError as error:
            raise serializers.ValidationError(error.fields) from None


class OfferPagination(StrictCursorPagination):
    """Cursor pagination in the order asked."""

    def get_ordering(self, request, queryset, view):
        return ORDERINGS[getattr(view, "offer_ordering", "-id")]


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


# An edit takes any subset of the input (PUT as PATCH): both are documented
# with the partial component, where nothing is required.
@extend_schema_view(partial_update=extend_schema(request=OfferInput, responses=OfferOutput))
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
        # An unknown level matches no offer: it is looked up only when the
        # page is empty (one query fewer on every other page).
        query = selectors.offer_query_parse(request.query_params, check_level=False)
        qs = selectors.offers_search(self.get_queryset(), query)
        self.offer_ordering = query.order_key
        page = self.paginate_queryset(offer_list_values(qs))
        if not page and query.level:
            selectors.offer_level_check(query.level)
        return self.get_paginated_response(offer_list_render(page, request))

    @extend_schema(request=OfferInput, responses={201: OfferOutput})
    def create(self, request, *args, **kwargs):
        provider = provider_or_403(request.user)
        data = OfferInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        subs = [dict(s) for s in values.pop("subcontractors", [])] or None
        offer = services.offer_create(
            provider=provider, actor=request.user, subcontractors=subs, **values
        )
        return Response(self._render(offer.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=OfferInput(partial=True), responses=OfferOutput)
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
