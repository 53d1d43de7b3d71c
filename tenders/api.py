"""REST API of the demand side: agencies, tenders and their lifecycle,
shortlists, clarifications, sealed responses, evaluation, awards, orders.
Thin views over ``tenders.services``; scoping in ``tenders.selectors``.

Who gets which refusal, everywhere:
- anonymous callers writing, or reading anything private: 401;
- creating what your kind of organisation does not create (a provider
  publishing a tender, an agency submitting a response): 403;
- an existing object that is not your organisation's (another agency's
  tender, another provider's response or order): 404, so ids reveal
  nothing;
- your organisation's object, but the other party's move (an agency
  accepting its own order): 403."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors as catalog_selectors
from catalog import units
from catalog.api import (
    FEED_LIMIT_PARAMETER,
    FEED_PARAMETER,
    feed_page,
    feed_response,
    list_page_serializer,
)
from catalog.models import Offer, ServiceCategory
from catalog.texts import check_reason
from tenders import selectors, services, sourcing_export, texts
from tenders.models import (
    Agency,
    Award,
    Clarification,
    Complaint,
    Order,
    SourcingFile,
    Tender,
    TenderResponse,
    TenderStatus,
    WithdrawnAward,
)

# --------------------------------------------------------------------------
# Output


class AgencyOutput(serializers.ModelSerializer):
    buyer_category = serializers.CharField(source="buyer_category.code")

    class Meta:
        model = Agency
        fields = ["id", "name", "slug", "siret", "buyer_category"]


class TenderOutput(serializers.ModelSerializer):
    agency = AgencyOutput(read_only=True)
    matching = serializers.SerializerMethodField()
    required_level = serializers.SerializerMethodField()

    class Meta:
        model = Tender
        fields = [
            "id",
            "reference",
            "agency",
            "title",
            "description",
            "category",
            "cpv_code",
            "level",
            "required_level",
            "flags",
            "location_constraint",
            "quantity",
            "unit",
            "duration_months",
            "estimated_value",
            "procedure",
            "response_deadline",
            "weight_price",
            "weight_technical",
            "weight_other",
            "status",
            "status_reason",
            "published_at",
            "closed_at",
            "decided_at",
            "matching",
            "sourcing_file",
            "created_at",
            "updated_at",
        ]

    def get_matching(self, tender) -> dict:
        return {
            "state": tender.matching_state or None,
            "queued_at": tender.matching_queued_at,
            "started_at": tender.matching_started_at,
            "finished_at": tender.matching_finished_at,
            "error": tender.matching_error or None,
        }

    def get_required_level(self, tender) -> str:
        """The stated level, raised to N2 for State bodies' health data."""
        # One query for the levels of a whole page (the context is shared by
        # the rows of a list).
        if "levels" not in self.context:
            self.context["levels"] = selectors.levels_by_code()
        return selectors.required_level(
            agency=tender.agency,
            level=tender.level,
            flags=list(tender.flags),
            levels=self.context["levels"],
        ).code


class ShortlistRow(serializers.Serializer):
    rank = serializers.IntegerField()
    offer = serializers.SerializerMethodField()
    score = serializers.DecimalField(max_digits=7, decimal_places=3)
    estimated_cost = serializers.DecimalField(max_digits=16, decimal_places=2)
    reasons = serializers.SerializerMethodField(
        help_text="Why this offer: {rule, facts, reason}, reason in the request's language."
    )
    warnings = serializers.SerializerMethodField()
    computed_at = serializers.DateTimeField()

    def get_reasons(self, entry) -> list[dict]:
        return texts.with_reasons(entry.reasons)

    def get_warnings(self, entry) -> list[dict]:
        return texts.with_reasons(entry.warnings)

    def get_offer(self, entry) -> dict:
        return {
            "id": entry.offer_id,
            "name": entry.offer.name,
            "provider": {"id": entry.offer.provider_id, "name": entry.offer.provider.name},
        }


class ClarificationOutput(serializers.ModelSerializer):
    asked_by_you = serializers.SerializerMethodField()

    class Meta:
        model = Clarification
        fields = ["id", "question", "answer", "created_at", "answered_at", "asked_by_you"]

    def get_asked_by_you(self, item) -> bool:
        # The asker's identity is never shown; a provider learns only that a
        # question is its own.
        own = self.context.get("provider")
        return bool(own and own.pk == item.provider_id)


class ResponseOutput(serializers.ModelSerializer):
    provider = serializers.SerializerMethodField()
    offer = serializers.SerializerMethodField()
    receipt = serializers.SerializerMethodField()

    class Meta:
        model = TenderResponse
        fields = [
            "id",
            "tender",
            "provider",
            "offer",
            "total_price",
            "technical_answer",
            "attachment_sha256",
            "status",
            "submitted_at",
            "withdrawn_at",
            "technical_score",
            "other_score",
            "receipt",
        ]

    def get_provider(self, response) -> dict:
        return {"id": response.provider_id, "name": response.provider.name}

    def get_offer(self, response) -> dict:
        return {"id": response.offer_id, "name": response.offer.name}

    def get_receipt(self, response) -> dict:
        return {"submitted_at": response.submitted_at, "sha256": response.receipt_sha256}


class AwardOutput(serializers.ModelSerializer):
    tender = serializers.SerializerMethodField()
    supplier = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(
        help_text=(
            "awarded (standstill running or over, not signed), contract_signed, or withdrawn (before signature; "
            "in the ?since= feed only, the award's facts kept under its id)"
        )
    )

    class Meta:
        model = Award
        fields = [
            "id",
            "tender",
            "supplier",
            "amount",
            "awarded_at",
            "standstill_ends_at",
            "contract_signed_at",
            "status",
        ]

    def get_status(self, award) -> str:
        if isinstance(award, WithdrawnAward):
            return "withdrawn"
        return "contract_signed" if award.contract_signed_at else "awarded"

    def to_representation(self, award):
        if isinstance(award, WithdrawnAward):
            # The history row speaks for the award it was, under that award's id.
            return {
                "id": award.award_id,
                "tender": self.get_tender(award),
                "supplier": self.get_supplier(award),
                "amount": str(award.amount),
                "awarded_at": serializers.DateTimeField().to_representation(award.awarded_at),
                "standstill_ends_at": serializers.DateTimeField().to_representation(
                    award.standstill_ends_at
                )
                if award.standstill_ends_at
                else None,
                "contract_signed_at": None,
                "status": "withdrawn",
            }
        return super().to_representation(award)

    def get_tender(self, award) -> dict:
        return {
            "id": award.tender_id,
            "reference": award.tender.reference,
            "title": award.tender.title,
            "agency": award.tender.agency.name,
        }

    def get_supplier(self, award) -> dict:
        return {
            "id": award.response.provider_id,
            "name": award.response.provider.name,
            "offer": {"id": award.response.offer_id, "name": award.response.offer.name},
        }


class OrderOutput(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    provider = serializers.CharField(source="provider.name")
    offer = serializers.SerializerMethodField()
    total_incl_vat = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "reference",
            "agency",
            "provider",
            "offer",
            "quantity",
            "duration_months",
            "unit_price",
            "normalised_price",
            "total",
            "total_incl_vat",
            "level",
            "flags",
            "status",
            "status_reason",
            "placed_at",
            "decided_at",
            "sourcing_file",
        ]

    def get_offer(self, order) -> dict:
        return {"id": order.offer_id, "name": order.offer.name, "unit": order.offer.unit}

    def get_total_incl_vat(self, order) -> str:
        return str((order.total * (1 + settings.VAT_RATE)).quantize(Decimal("0.01")))


TenderPage = list_page_serializer("TenderPage", TenderOutput(many=True))
AwardPage = list_page_serializer("AwardPage", AwardOutput(many=True))

ShortlistOutput = inline_serializer(
    "Shortlist",
    fields={
        "matching": serializers.DictField(
            help_text="state, queued_at, started_at, finished_at, error"
        ),
        "results": ShortlistRow(many=True),
    },
)
WhyNotOutput = inline_serializer(
    "WhyNot",
    fields={
        "offer": serializers.IntegerField(),
        "eligible": serializers.BooleanField(),
        "estimated_cost": serializers.DecimalField(
            max_digits=16, decimal_places=2, allow_null=True
        ),
        "failures": serializers.ListField(child=serializers.DictField()),
    },
)
RankingOutput = inline_serializer(
    "RankingRow",
    many=True,
    fields={
        "rank": serializers.IntegerField(),
        "response": serializers.IntegerField(),
        "provider": serializers.CharField(),
        "total_price": serializers.DecimalField(max_digits=16, decimal_places=2),
        "price_score": serializers.DecimalField(max_digits=7, decimal_places=3),
        "technical_score": serializers.DecimalField(max_digits=7, decimal_places=3),
        "other_score": serializers.DecimalField(max_digits=7, decimal_places=3),
        "total": serializers.DecimalField(max_digits=7, decimal_places=3),
    },
)


# --------------------------------------------------------------------------
# Input


class TenderInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    category = serializers.ChoiceField(choices=ServiceCategory.choices, required=False)
    cpv_code = serializers.CharField(max_length=10, required=False)
    level = serializers.CharField(max_length=2, required=False)
    flags = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=10
    )
    location_constraint = serializers.CharField(max_length=2, required=False, allow_blank=True)
    quantity = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    unit = serializers.ChoiceField(choices=units.UNIT_CHOICES, required=False)
    duration_months = serializers.IntegerField(min_value=1, max_value=120, required=False)
    estimated_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("1"), required=False
    )
    response_deadline = serializers.DateTimeField(required=False)
    weight_price = serializers.IntegerField(min_value=0, max_value=100, required=False)
    weight_technical = serializers.IntegerField(min_value=0, max_value=100, required=False)
    weight_other = serializers.IntegerField(min_value=0, max_value=100, required=False)


@extend_schema_field({"type": "integer", "minimum": 1, "nullable": True, "example": None})
class SourcingFileRef(serializers.IntegerField):
    """The id of one of the caller's agency's locked sourcing files (the
    schema example is null: a real id depends on the caller)."""


class TenderCreateInput(TenderInput):
    sourcing_file = SourcingFileRef(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="A locked sourcing file of your agency this tender starts from; "
        "its filters give the category, level, flags and location by "
        "default.",
    )


class DecisionReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class OptionalReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AwardInput(serializers.Serializer):
    response = serializers.IntegerField(min_value=1)


class QuestionInput(serializers.Serializer):
    question = serializers.CharField(max_length=5000)


class AnswerInput(serializers.Serializer):
    answer = serializers.CharField(max_length=10000)


class ResponseInput(serializers.Serializer):
    offer = serializers.IntegerField(min_value=1)
    total_price = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=Decimal("0.01")
    )
    technical_answer = serializers.CharField(max_length=50000)
    attachment = serializers.FileField(required=False)


class ScoreInput(serializers.Serializer):
    technical_score = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100), required=False
    )
    other_score = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100), required=False
    )


class OrderInput(serializers.Serializer):
    offer = serializers.IntegerField(min_value=1)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    duration_months = serializers.IntegerField(min_value=1, max_value=120)
    level = serializers.CharField(max_length=2, default="N0")
    flags = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=10
    )
    sourcing_file = SourcingFileRef(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="A locked sourcing file of your agency whose result holds this offer.",
    )


def _parse(serializer_class, data, **kwargs) -> dict:
    parsed = serializer_class(data=data, **kwargs)
    parsed.is_valid(raise_exception=True)
    return dict(parsed.validated_data)


def _require_user(request):
    if not request.user.is_authenticated:
        raise NotAuthenticated()


def _agency_or_403(request) -> Agency:
    _require_user(request)
    agency = selectors.agency_of(request.user)
    if agency is None:
        raise PermissionDenied("Only members of a public agency can do this.")
    return agency


def _sourcing_file_of(request, pk: int | None) -> SourcingFile | None:
    if pk is None:
        return None
    item = selectors.sourcing_files_of(request.user).filter(pk=pk).first()
    if item is None:
        raise services.TenderError(
            _("Unknown sourcing file."), fields={"sourcing_file": ["Unknown sourcing file."]}
        )
    return item


def _provider_or_403(request):
    _require_user(request)
    provider = catalog_selectors.provider_of(request.user)
    if provider is None:
        raise PermissionDenied("Only members of a provider can do this.")
    return provider


# --------------------------------------------------------------------------
# Standstill: the decision notice, complaints, withdrawal and signature


class ComplaintOutput(serializers.ModelSerializer):
    provider = serializers.SerializerMethodField()
    has_attachment = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "tender",
            "award_ref",
            "provider",
            "text",
            "has_attachment",
            "attachment_sha256",
            "status",
            "filed_at",
            "answer",
            "answered_at",
        ]

    def get_provider(self, item) -> dict:
        return {"id": item.provider_id, "name": item.provider.name}

    def get_has_attachment(self, item) -> bool:
        return bool(item.attachment)


class ComplaintInput(serializers.Serializer):
    text = serializers.CharField(max_length=20000)
    attachment = serializers.FileField(required=False)


class ComplaintAnswerInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["upheld", "dismissed"])
    answer = serializers.CharField(max_length=20000)


def _ranked(row) -> dict | None:
    if row is None:
        return None
    return {
        "rank": row.rank,
        "response": row.response.pk,
        "provider": row.response.provider.name,
        "price_score": str(row.price_score),
        "technical_score": str(row.technical_score),
        "other_score": str(row.other_score),
        "total": str(row.total),
    }


def decision_body(notice: selectors.DecisionNotice) -> dict:
    award = notice.award
    return {
        "tender": notice.tender.pk,
        "status": notice.tender.status,
        "award": None
        if award is None
        else {
            "id": award.pk,
            "supplier": award.response.provider.name,
            "amount": str(award.amount),
            "awarded_at": award.awarded_at,
            "standstill_ends_at": award.standstill_ends_at,
            "contract_signed_at": award.contract_signed_at,
        },
        "standstill_running": notice.standstill_running,
        "withdrawn_awards": [
            {
                "award_id": w.award_id,
                "supplier": w.response.provider.name,
                "awarded_at": w.awarded_at,
                "withdrawn_at": w.withdrawn_at,
                "reason": w.reason,
            }
            for w in notice.withdrawn
        ],
        "own": _ranked(notice.own),
        "winner": _ranked(notice.winner),
        "ranking": [_ranked(r) for r in notice.ranking],
    }


DecisionOutput = inline_serializer(
    "DecisionNotice",
    fields={
        "tender": serializers.IntegerField(),
        "status": serializers.CharField(),
        "award": serializers.DictField(
            allow_null=True,
            help_text="id, supplier, amount, awarded_at, standstill_ends_at, contract_signed_at",
        ),
        "standstill_running": serializers.BooleanField(),
        "withdrawn_awards": serializers.ListField(child=serializers.DictField()),
        "own": serializers.DictField(
            allow_null=True, help_text="The reader's rank and scores (a tenderer)."
        ),
        "winner": serializers.DictField(
            allow_null=True, help_text="The winner's rank and scores (tenderers, buyer)."
        ),
        "ranking": serializers.ListField(
            child=serializers.DictField(), help_text="Every response (buyer only)."
        ),
    },
)


class StandstillMixin:
    """The award decision's actions on /tenders/{id}/ (TenderViewSet): the
    notice, complaints, withdrawal of the award, signature."""

    @extend_schema(responses=DecisionOutput)
    @action(detail=True, methods=["get"], pagination_class=None)
    def decision(self, request, pk=None):
        """The award decision: the winner, the standstill, withdrawn awards;
        a tenderer's own rank and scores; the buyer's full ranking."""
        tender = self._visible(pk)
        return Response(decision_body(selectors.decision_notice(request.user, tender)))

    @extend_schema(methods=["GET"], responses=ComplaintOutput(many=True))
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": ComplaintInput, "application/json": ComplaintInput},
        responses={201: ComplaintOutput},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def complaints(self, request, pk=None):
        """Tenderers file a complaint during the standstill; the buyer reads
        them all, a provider its own."""
        _require_user(request)
        tender = self._visible(pk)
        if request.method == "POST":
            provider = _provider_or_403(request)
            data = _parse(ComplaintInput, request.data)
            item = services.complaint_file(
                tender=tender,
                provider=provider,
                actor=request.user,
                text=data["text"],
                attachment=data.get("attachment"),
            )
            return Response(ComplaintOutput(item).data, status=status.HTTP_201_CREATED)
        return Response(
            ComplaintOutput(selectors.complaints_visible_to(request.user, tender), many=True).data
        )

    @extend_schema(request=ComplaintAnswerInput, responses=ComplaintOutput)
    @action(detail=True, methods=["post"], url_path=r"complaints/(?P<complaint_id>\d+)/answer")
    def complaint_answer(self, request, pk=None, complaint_id=None):
        tender = self._managed(pk)
        item = Complaint.objects.filter(pk=complaint_id, tender=tender).first()
        if item is None:
            raise NotFound()
        data = _parse(ComplaintAnswerInput, request.data)
        item = services.complaint_answer(complaint=item, actor=request.user, **data)
        return Response(
            ComplaintOutput(Complaint.objects.select_related("provider").get(pk=item.pk)).data
        )

    @extend_schema(request=DecisionReasonInput, responses=TenderOutput)
    @action(detail=True, methods=["post"], url_path="withdraw-award")
    def withdraw_award(self, request, pk=None):
        """Withdraw the award before signature; the evaluation resumes."""
        tender = self._managed(pk)
        reason = _parse(DecisionReasonInput, request.data)["reason"]
        services.award_withdraw(tender=tender, actor=request.user, reason=reason)
        return self._render(tender)

    @extend_schema(request=None, responses=TenderOutput)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Mark the contract signed: after the standstill, no complaint open."""
        tender = self._managed(pk)
        services.tender_contract_sign(tender=tender, actor=request.user)
        return self._render(tender)


# --------------------------------------------------------------------------
# Views


class AgencyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Public bodies buying through the window."""

    serializer_class = AgencyOutput
    queryset = Agency.objects.select_related("buyer_category").order_by("-id")


class TenderViewSet(
    StandstillMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Tenders: public once published; agencies manage their own."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = TenderOutput
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    # Ids are numbers: /tenders/abc/ is a 404, never a query with "abc".
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        qs = selectors.tenders_visible_to(self.request.user).order_by("-id")
        wanted = self.request.query_params.get("status")
        if self.action == "list" and wanted in TenderStatus.values:
            qs = qs.filter(status=wanted)
        return qs

    def _managed(self, pk) -> Tender:
        _require_user(self.request)
        tender = selectors.tenders_managed_by(self.request.user).filter(pk=pk).first()
        if tender is None:
            raise NotFound()
        return tender

    def _visible(self, pk) -> Tender:
        tender = selectors.tenders_visible_to(self.request.user).filter(pk=pk).first()
        if tender is None:
            raise NotFound()
        # Every request that depends on the deadline checks it itself.
        return services.tender_close_if_due(tender=tender)

    def _render(self, tender: Tender, http_status=status.HTTP_200_OK) -> Response:
        return Response(
            TenderOutput(selectors.tender_for_output(tender.pk)).data, status=http_status
        )

    @extend_schema(
        parameters=[
            FEED_PARAMETER,
            FEED_LIMIT_PARAMETER,
            OpenApiParameter("status", str, enum=TenderStatus.values),
        ],
        responses=TenderPage,
    )
    def list(self, request, *args, **kwargs):
        # Nothing waits for the beat: tenders past their deadline are closed
        # before they are listed (one cheap query when none is due).
        services.tenders_close_due()
        if "since" in request.query_params:
            # The change feed; drafts never appear, whoever asks.
            page = feed_page(request, entities=("tender",))
            ids = list(dict.fromkeys(reversed([e.entity_id for e in page.events])))[::-1]
            visible = {t.pk: t for t in self.get_queryset().filter(pk__in=ids)}
            return feed_response(
                request, page, [TenderOutput(visible[i]).data for i in ids if i in visible]
            )
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self._render(self._visible(kwargs["pk"]))

    @extend_schema(request=TenderCreateInput, responses={201: TenderOutput})
    def create(self, request, *args, **kwargs):
        agency = _agency_or_403(request)
        data = _parse(TenderCreateInput, request.data)
        sourcing_file = _sourcing_file_of(request, data.pop("sourcing_file", None))
        tender = services.tender_create(
            agency=agency, actor=request.user, sourcing_file=sourcing_file, **data
        )
        return self._render(tender, status.HTTP_201_CREATED)

    @extend_schema(request=TenderInput, responses=TenderOutput)
    def update(self, request, *args, **kwargs):
        tender = self._managed(kwargs["pk"])
        tender = services.tender_update(
            tender=tender, actor=request.user, **_parse(TenderInput, request.data, partial=True)
        )
        return self._render(tender)

    @extend_schema(request=None, responses=TenderOutput)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._render(services.tender_publish(tender=self._managed(pk), actor=request.user))

    @extend_schema(request=DecisionReasonInput, responses=TenderOutput)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        tender = self._managed(pk)
        reason = _parse(DecisionReasonInput, request.data)["reason"]
        return self._render(
            services.tender_cancel(tender=tender, actor=request.user, reason=reason)
        )

    @extend_schema(request=DecisionReasonInput, responses=TenderOutput)
    @action(detail=True, methods=["post"])
    def unsuccessful(self, request, pk=None):
        tender = self._managed(pk)
        reason = _parse(DecisionReasonInput, request.data)["reason"]
        return self._render(
            services.tender_declare_unsuccessful(tender=tender, actor=request.user, reason=reason)
        )

    @extend_schema(request=AwardInput, responses={201: AwardOutput})
    @action(detail=True, methods=["post"])
    def award(self, request, pk=None):
        tender = self._managed(pk)
        response_id = _parse(AwardInput, request.data)["response"]
        response = TenderResponse.objects.filter(pk=response_id, tender=tender).first()
        if response is None:
            raise services.TenderError(
                _("No such response for this tender."), fields={"response": ["Unknown response."]}
            )
        award = services.tender_award(tender=tender, actor=request.user, response=response)
        award = Award.objects.select_related(
            "tender__agency", "response__provider", "response__offer"
        ).get(pk=award.pk)
        return Response(AwardOutput(award).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ShortlistOutput)
    @action(detail=True, methods=["get"], pagination_class=None)
    def shortlist(self, request, pk=None):
        """Matching state and the shortlist with "why this offer"."""
        tender = self._visible(pk)
        rows = selectors.shortlist_of(tender)
        return Response(
            {
                "matching": TenderOutput().get_matching(tender),
                "results": ShortlistRow(rows, many=True).data,
            }
        )

    @extend_schema(
        parameters=[OpenApiParameter("offer", int, required=True)], responses=WhyNotOutput
    )
    @action(detail=True, methods=["get"], url_path="why-not", pagination_class=None)
    def why_not(self, request, pk=None):
        """For one of the caller's offers: every requirement it fails, rule by rule."""
        provider = _provider_or_403(request)
        tender = self._visible(pk)
        try:
            offer_id = int(request.query_params.get("offer", ""))
        except ValueError:
            raise services.TenderError(
                _("An offer id is required."), fields={"offer": ["An offer id is required."]}
            ) from None
        offer = Offer.objects.filter(pk=offer_id, provider=provider).first()
        if offer is None:
            raise NotFound()
        failures, cost = selectors.offer_why_not(tender, offer)
        lang = get_language()
        for failure in failures:
            for check in failure["facts"].get("failed_checks", []):
                check["reason"] = check_reason(check, lang)
        return Response(
            {
                "offer": offer_id,
                "eligible": not failures,
                "estimated_cost": str(cost) if cost is not None else None,
                "failures": texts.with_reasons(failures, lang),
            }
        )

    @extend_schema(methods=["GET"], responses=ClarificationOutput(many=True))
    @extend_schema(methods=["POST"], request=QuestionInput, responses={201: ClarificationOutput})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def clarifications(self, request, pk=None):
        tender = self._visible(pk)
        provider = catalog_selectors.provider_of(request.user)
        if request.method == "POST":
            provider = _provider_or_403(request)
            question = _parse(QuestionInput, request.data)["question"]
            item = services.clarification_ask(
                tender=tender, provider=provider, actor=request.user, question=question
            )
            return Response(
                ClarificationOutput(item, context={"provider": provider}).data,
                status=status.HTTP_201_CREATED,
            )
        items = selectors.clarifications_of(tender)
        agency = selectors.agency_of(request.user)
        if not (agency and agency.pk == tender.agency_id):
            # Others see answered questions, and a provider its own pending ones.
            items = (
                items.exclude(answer="")
                if provider is None
                else items.filter(~Q(answer="") | Q(provider_id=provider.pk))
            )
        return Response(ClarificationOutput(items, many=True, context={"provider": provider}).data)

    @extend_schema(request=AnswerInput, responses=ClarificationOutput)
    @action(
        detail=True, methods=["post"], url_path=r"clarifications/(?P<clarification_id>\d+)/answer"
    )
    def answer(self, request, pk=None, clarification_id=None):
        tender = self._managed(pk)
        item = Clarification.objects.filter(pk=clarification_id, tender=tender).first()
        if item is None:
            raise NotFound()
        item = services.clarification_answer(
            clarification=item,
            actor=request.user,
            answer=_parse(AnswerInput, request.data)["answer"],
        )
        return Response(ClarificationOutput(item).data)

    @extend_schema(methods=["GET"], responses=ResponseOutput(many=True))
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": ResponseInput, "application/json": ResponseInput},
        responses={201: ResponseOutput},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def responses(self, request, pk=None):
        """Providers submit (or replace) their own sealed response; the agency
        reads the responses only once the tender is closed."""
        tender = self._visible(pk)
        if request.method == "POST":
            provider = _provider_or_403(request)
            data = _parse(ResponseInput, request.data)
            offer = Offer.objects.filter(pk=data["offer"], provider=provider).first()
            if offer is None:
                raise services.TenderError(
                    _("Respond with one of your own offers."),
                    fields={"offer": ["Not one of your offers."]},
                )
            response = services.response_submit(
                tender=tender,
                provider=provider,
                actor=request.user,
                offer=offer,
                total_price=data["total_price"],
                technical_answer=data["technical_answer"],
                attachment=data.get("attachment"),
            )
            return Response(ResponseOutput(response).data, status=status.HTTP_201_CREATED)
        _require_user(request)
        if catalog_selectors.provider_of(request.user) is None:
            if selectors.responses_sealed(tender):
                # The same answer whether there are zero responses or fifty.
                deadline = timezone.localtime(tender.response_deadline)
                raise services.TenderError(
                    _("Responses are sealed until the deadline (%(deadline)s).")
                    % {"deadline": format(deadline, "%Y-%m-%d %H:%M %Z")},
                    code="sealed",
                    http_status=403,
                )
            agency = selectors.agency_of(request.user)
            if not (
                (agency and agency.pk == tender.agency_id)
                or catalog_selectors.is_operator(request.user)
            ):
                raise PermissionDenied("Only the buyer reads the responses.")
        responses = selectors.responses_visible_to(request.user, tender)
        return Response(ResponseOutput(responses, many=True).data)

    @extend_schema(responses=ResponseOutput)
    @action(
        detail=True,
        methods=["get"],
        url_path=r"responses/(?P<response_id>\d+)",
        pagination_class=None,
    )
    def response_detail(self, request, pk=None, response_id=None):
        _require_user(request)
        tender = self._visible(pk)
        response = (
            selectors.responses_visible_to(request.user, tender).filter(pk=response_id).first()
        )
        if response is None:
            raise NotFound()
        return Response(ResponseOutput(response).data)

    @extend_schema(request=None, responses=ResponseOutput)
    @action(detail=True, methods=["post"], url_path=r"responses/(?P<response_id>\d+)/withdraw")
    def response_withdraw(self, request, pk=None, response_id=None):
        _require_user(request)
        tender = self._visible(pk)
        # Only the provider's own response exists for it; for anyone else it is a 404.
        provider = catalog_selectors.provider_of(request.user)
        response = (
            TenderResponse.objects.filter(pk=response_id, tender=tender, provider=provider).first()
            if provider
            else None
        )
        if response is None:
            raise NotFound()
        return Response(
            ResponseOutput(services.response_withdraw(response=response, actor=request.user)).data
        )

    @extend_schema(request=ScoreInput, responses=ResponseOutput)
    @action(detail=True, methods=["post"], url_path=r"responses/(?P<response_id>\d+)/score")
    def response_score(self, request, pk=None, response_id=None):
        tender = self._managed(pk)
        response = TenderResponse.objects.filter(pk=response_id, tender=tender).first()
        if response is None:
            raise NotFound()
        scored = services.response_score(
            response=response, actor=request.user, **_parse(ScoreInput, request.data)
        )
        return Response(ResponseOutput(scored).data)

    @extend_schema(responses=RankingOutput)
    @action(detail=True, methods=["get"], pagination_class=None)
    def ranking(self, request, pk=None):
        """Price score (lowest ÷ price × weight), entered scores, total, rank."""
        tender = self._managed(pk)
        tender = services.tender_close_if_due(tender=tender)
        if selectors.responses_sealed(tender):
            raise services.TenderError(
                _("Responses are sealed until the deadline."), code="sealed", http_status=403
            )
        ranked = selectors.ranking(
            list(selectors.responses_visible_to(request.user, tender)), tender
        )
        return Response(
            [
                {
                    "rank": r.rank,
                    "response": r.response.pk,
                    "provider": r.response.provider.name,
                    "total_price": str(r.response.total_price),
                    "price_score": str(r.price_score),
                    "technical_score": str(r.technical_score),
                    "other_score": str(r.other_score),
                    "total": str(r.total),
                }
                for r in ranked
            ]
        )


class AwardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Public awards; `?since=` is their change feed."""

    serializer_class = AwardOutput
    queryset = Award.objects.select_related(
        "tender__agency", "response__provider", "response__offer"
    ).order_by("-id")
    lookup_value_regex = r"\d+"

    @extend_schema(parameters=[FEED_PARAMETER, FEED_LIMIT_PARAMETER], responses=AwardPage)
    def list(self, request, *args, **kwargs):
        if "since" in request.query_params:
            page = feed_page(request, entities=("award",))
            ids = list(dict.fromkeys(e.entity_id for e in page.events))
            found = {a.pk: a for a in self.get_queryset().filter(pk__in=ids)}
            # An award withdrawn before signature: its history row, same id.
            found.update(
                {
                    w.award_id: w
                    for w in WithdrawnAward.objects.filter(
                        award_id__in=set(ids) - set(found)
                    ).select_related("tender__agency", "response__provider", "response__offer")
                }
            )
            return feed_response(
                request, page, [AwardOutput(found[i]).data for i in ids if i in found]
            )
        return super().list(request, *args, **kwargs)


class OrderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Direct purchases below the threshold: agencies order, providers
    accept or decline."""

    serializer_class = OrderOutput
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        _require_user(self.request)
        return selectors.orders_visible_to(self.request.user).order_by("-id")

    @extend_schema(request=OrderInput, responses={201: OrderOutput})
    def create(self, request, *args, **kwargs):
        agency = _agency_or_403(request)
        data = _parse(OrderInput, request.data)
        offer = (
            catalog_selectors.offers_visible_to(request.user).filter(pk=data.pop("offer")).first()
        )
        if offer is None:
            raise services.TenderError(_("Unknown offer."), fields={"offer": ["Unknown offer."]})
        sourcing_file = _sourcing_file_of(request, data.pop("sourcing_file", None))
        order = services.order_place(
            agency=agency, actor=request.user, offer=offer, sourcing_file=sourcing_file, **data
        )
        return Response(
            OrderOutput(self.get_queryset().get(pk=order.pk)).data, status=status.HTTP_201_CREATED
        )

    def _party(self, pk, *, side: str) -> Order:
        """An order of the caller's organisation (else 404) on which ``side``
        ("provider" or "agency") moves (else 403)."""
        order = self.get_queryset().filter(pk=pk).first()
        if order is None:
            raise NotFound()
        if side == "provider":
            own = catalog_selectors.provider_of(self.request.user)
            allowed = own is not None and own.pk == order.provider_id
        else:
            own = selectors.agency_of(self.request.user)
            allowed = own is not None and own.pk == order.agency_id
        if not allowed:
            raise PermissionDenied(f"Only the order's {side} can do this.")
        return order

    @extend_schema(request=None, responses=OrderOutput)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        order = services.order_accept(order=self._party(pk, side="provider"), actor=request.user)
        return Response(OrderOutput(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(request=DecisionReasonInput, responses=OrderOutput)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        order = self._party(pk, side="provider")
        order = services.order_decline(
            order=order,
            actor=request.user,
            reason=_parse(DecisionReasonInput, request.data)["reason"],
        )
        return Response(OrderOutput(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(request=OptionalReasonInput, responses=OrderOutput)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self._party(pk, side="agency")
        reason = _parse(OptionalReasonInput, request.data)["reason"]
        order = services.order_cancel(order=order, actor=request.user, reason=reason)
        return Response(OrderOutput(self.get_queryset().get(pk=order.pk)).data)


# --------------------------------------------------------------------------
# Sourcing files: saved catalogue searches, locked for the procurement record


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
        _agency_or_403(self.request)
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
        agency = _agency_or_403(request)
        data = _parse(SourcingFileInput, request.data)
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
        _agency_or_403(request)
        item = selectors.sourcing_files_of(request.user).filter(pk=pk).first()
        if item is None:
            raise NotFound()
        return sourcing_export.csv_response(item)
