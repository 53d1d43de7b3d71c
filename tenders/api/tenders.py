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

from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from catalog import selectors as catalog_selectors
from catalog.models import Offer
from catalog.texts import check_reason
from core.api import FEED_LIMIT_PARAMETER, FEED_PARAMETER, feed_page, feed_response
from core.parsers import BoundedJSONParser
from tenders import selectors, services, texts
from tenders.api._common import (
    agency_or_403,
    parse,
    provider_or_403,
    require_user,
    sourcing_file_of,
)
from tenders.api.responses import ResponsesMixin
from tenders.api.serializers import (
    AgencyOutput,
    AnswerInput,
    AwardInput,
    AwardOutput,
    AwardPage,
    ClarificationOutput,
    DecisionReasonInput,
    QuestionInput,
    ShortlistOutput,
    ShortlistRow,
    TenderCreateInput,
    TenderInput,
    TenderOutput,
    TenderPage,
    WhyNotOutput,
)
from tenders.api.standstill import StandstillMixin
from tenders.models import (
    Agency,
    Award,
    Clarification,
    Tender,
    TenderStatus,
    WithdrawnAward,
)


class AgencyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Public bodies buying through the window."""

    serializer_class = AgencyOutput
    queryset = Agency.objects.select_related("buyer_category").order_by("-id")


# An edit takes any subset of the input (PUT as PATCH): both are documented
# with the partial component, where nothing is required.
@extend_schema_view(partial_update=extend_schema(request=TenderInput, responses=TenderOutput))
class TenderViewSet(
    StandstillMixin,
    ResponsesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Tenders: public once published; agencies manage their own."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = TenderOutput
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]
    # Ids are numbers: /tenders/abc/ is a 404, never a query with "abc".
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        qs = selectors.tenders_visible_to(self.request.user).order_by("-id")
        wanted = self.request.query_params.get("status")
        if self.action == "list" and wanted in TenderStatus.values:
            qs = qs.filter(status=wanted)
        return qs

    def _managed(self, pk) -> Tender:
        require_user(self.request)
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
        agency = agency_or_403(request)
        data = parse(TenderCreateInput, request.data)
        sourcing_file = sourcing_file_of(request, data.pop("sourcing_file", None))
        tender = services.tender_create(
            agency=agency, actor=request.user, sourcing_file=sourcing_file, **data
        )
        return self._render(tender, status.HTTP_201_CREATED)

    @extend_schema(request=TenderInput(partial=True), responses=TenderOutput)
    def update(self, request, *args, **kwargs):
        tender = self._managed(kwargs["pk"])
        tender = services.tender_update(
            tender=tender, actor=request.user, **parse(TenderInput, request.data, partial=True)
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
        reason = parse(DecisionReasonInput, request.data)["reason"]
        return self._render(
            services.tender_cancel(tender=tender, actor=request.user, reason=reason)
        )

    @extend_schema(request=DecisionReasonInput, responses=TenderOutput)
    @action(detail=True, methods=["post"])
    def unsuccessful(self, request, pk=None):
        tender = self._managed(pk)
        reason = parse(DecisionReasonInput, request.data)["reason"]
        return self._render(
            services.tender_declare_unsuccessful(tender=tender, actor=request.user, reason=reason)
        )

    @extend_schema(request=AwardInput, responses={201: AwardOutput})
    @action(detail=True, methods=["post"])
    def award(self, request, pk=None):
        tender = self._managed(pk)
        public_id = parse(AwardInput, request.data)["response"]
        # The tender's state first (409 until closed, whatever the id), then the id.
        response = services.response_for_buyer(
            tender=tender, user=request.user, public_id=public_id
        )
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
        provider = provider_or_403(request)
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
            provider = provider_or_403(request)
            question = parse(QuestionInput, request.data)["question"]
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
            answer=parse(AnswerInput, request.data)["answer"],
        )
        return Response(ClarificationOutput(item).data)


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
