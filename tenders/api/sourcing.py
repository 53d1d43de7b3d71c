"""Sourcing files on /sourcing-files/: an agency's saved catalogue
searches, locked into a procurement record, exported as CSV."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from tenders import selectors, services, sourcing_export
from tenders.api._common import agency_or_403, parse
from tenders.models import SourcingFile


class SourcingFileInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    filters = serializers.DictField(
        required=False,
        default=dict,
        help_text=(
            "The parameters of GET /api/v1/offers/: level, flags (a list or a comma-separated string), category, "
            "location, certification, min_price, max_price, q, ordering. Stored normalised."
        ),
    )


class SourcingOfferBrief(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    provider = serializers.SerializerMethodField()
    unit = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=4)
    normalised_price = serializers.DecimalField(max_digits=18, decimal_places=6)
    normalised_unit = serializers.CharField()
    level = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField()

    def get_provider(self, offer) -> dict:
        return {"id": offer.provider_id, "name": offer.provider.name}

    def _assessment(self, offer):
        return getattr(offer, "assessment", None)

    def get_level(self, offer) -> str | None:
        assessment = self._assessment(offer)
        return assessment.level if assessment else None

    def get_flags(self, offer) -> list[str]:
        assessment = self._assessment(offer)
        return sorted(assessment.flags) if assessment else []


class SourcingFileOutput(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    verified = serializers.SerializerMethodField(
        help_text="Locked files: the SHA-256 recomputed from the stored "
        "snapshot matches the one recorded at lock time."
    )
    tenders = serializers.SerializerMethodField()
    orders = serializers.SerializerMethodField()

    class Meta:
        model = SourcingFile
        fields = [
            "id",
            "name",
            "filters",
            "status",
            "created_at",
            "locked_at",
            "policy_version",
            "snapshot_sha256",
            "verified",
            "tenders",
            "orders",
        ]

    def get_status(self, item) -> str:
        return "locked" if item.is_locked else "open"

    def get_verified(self, item) -> bool | None:
        return selectors.sourcing_file_verify(item) if item.is_locked else None

    def get_tenders(self, item) -> list[dict]:
        return [
            {"id": t.pk, "reference": t.reference, "title": t.title, "status": t.status}
            for t in item.tenders.all()
        ]

    def get_orders(self, item) -> list[dict]:
        return [
            {"id": o.pk, "reference": o.reference, "offer": o.offer_id, "status": o.status}
            for o in item.orders.all()
        ]


SOURCING_LIVE_LIMIT = 200


class SourcingFileDetail(SourcingFileOutput):
    live_results = serializers.SerializerMethodField(
        help_text=(
            f"Open files: what the search returns now (at most {SOURCING_LIVE_LIMIT} offers). Null once locked."
        )
    )
    live_results_count = serializers.SerializerMethodField()
    snapshot = serializers.SerializerMethodField(
        help_text=(
            "Locked files: the frozen document whose canonical JSON the SHA-256 digests; each check also carries "
            "its `reason` in the request's language (not part of the digest). Null while open."
        )
    )

    class Meta(SourcingFileOutput.Meta):
        fields = [*SourcingFileOutput.Meta.fields, "live_results", "live_results_count", "snapshot"]

    def _live(self, item):
        if "live" not in self.context:
            self.context["live"] = selectors.sourcing_results(item.filters).select_related(
                "assessment"
            )
        return self.context["live"]

    @extend_schema_field(SourcingOfferBrief(many=True, allow_null=True))
    def get_live_results(self, item) -> list[dict] | None:
        if item.is_locked:
            return None
        return SourcingOfferBrief(self._live(item)[:SOURCING_LIVE_LIMIT], many=True).data

    def get_live_results_count(self, item) -> int | None:
        return None if item.is_locked else self._live(item).count()

    def get_snapshot(self, item) -> dict | None:
        if not item.is_locked:
            return None
        return {**item.snapshot, "offers": selectors.sourcing_snapshot_offers(item)}


class SourcingFileViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """An agency's saved catalogue searches ("sourcing files"). Open files
    show their live results and feed the daily digest; a locked file is a
    frozen, SHA-256-digested procurement record (audit chain), exported as
    CSV, from which a direct purchase or a tender can start."""

    serializer_class = SourcingFileOutput
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SourcingFile.objects.none()
        agency_or_403(self.request)
        return (
            selectors.sourcing_files_of(self.request.user)
            .prefetch_related("tenders", "orders")
            .order_by("-id")
        )

    def _render(self, item: SourcingFile, http_status=status.HTTP_200_OK) -> Response:
        item = self.get_queryset().get(pk=item.pk)
        return Response(
            SourcingFileDetail(item, context={"request": self.request}).data, status=http_status
        )

    @extend_schema(responses=SourcingFileDetail)
    def retrieve(self, request, *args, **kwargs):
        return self._render(self.get_object())

    @extend_schema(request=SourcingFileInput, responses={201: SourcingFileDetail})
    def create(self, request, *args, **kwargs):
        agency = agency_or_403(request)
        data = parse(SourcingFileInput, request.data)
        item = services.sourcing_file_save(
            agency=agency, actor=request.user, name=data["name"], filters=data["filters"]
        )
        return self._render(item, status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.sourcing_file_delete(sourcing_file=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=SourcingFileDetail)
    @action(detail=True, methods=["post"])
    def lock(self, request, pk=None):
        """Freeze the result now (offers, assessments, prices, policy
        version), digest it (SHA-256) and record it in the audit chain."""
        return self._render(
            services.sourcing_file_lock(sourcing_file=self.get_object(), actor=request.user)
        )


class SourcingFileExportView(APIView):
    """GET /api/v1/sourcing-files/{id}/export.csv: a locked file's frozen
    result as CSV, one row per offer (columns documented in
    tenders.sourcing_export); 409 while the file is open."""

    @extend_schema(
        operation_id="sourcing_files_export_csv", responses={(200, "text/csv"): OpenApiTypes.STR}
    )
    def get(self, request, pk: int):
        agency_or_403(request)
        item = selectors.sourcing_files_of(request.user).filter(pk=pk).first()
        if item is None:
            raise NotFound()
        return sourcing_export.csv_response(item)
