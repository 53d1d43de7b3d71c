"""Sealed responses on /tenders/{id}/responses/: providers submit, replace
and withdraw their own; the buyer reads, scores and ranks them only once
the deadline has closed the tender.

A response is named by its public id (a UUID), looked up through
``selectors.response_of`` only: before the deadline, a real id answers
anyone but its provider exactly as a made-up one does
(tests/security/test_response_ids.py)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from catalog import selectors as catalog_selectors
from catalog.models import Offer
from tenders import selectors, services
from tenders.api._common import parse, provider_or_403, require_user
from tenders.api.serializers import RankingOutput, ResponseInput, ResponseOutput, ScoreInput

# The public id in a path: a UUID in its canonical form (Django's own
# ``uuid`` converter); an old integer id does not match, a 404.
RESPONSE_ID = r"(?P<response_id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
RESPONSE_ID_PARAMETER = OpenApiParameter(
    "response_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="The response's public id (the `id` of its answer).",
)


class ResponsesMixin:
    """The responses' actions of TenderViewSet (which gives ``_visible``
    and ``_managed``)."""

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
            provider = provider_or_403(request)
            data = parse(ResponseInput, request.data)
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
        require_user(request)
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

    @extend_schema(parameters=[RESPONSE_ID_PARAMETER], responses=ResponseOutput)
    @action(
        detail=True, methods=["get"], url_path=f"responses/{RESPONSE_ID}", pagination_class=None
    )
    def response_detail(self, request, pk=None, response_id=None):
        require_user(request)
        tender = self._visible(pk)
        response = selectors.response_of(request.user, tender, response_id)
        if response is None:
            raise NotFound()
        return Response(ResponseOutput(response).data)

    @extend_schema(parameters=[RESPONSE_ID_PARAMETER], request=None, responses=ResponseOutput)
    @action(detail=True, methods=["post"], url_path=f"responses/{RESPONSE_ID}/withdraw")
    def response_withdraw(self, request, pk=None, response_id=None):
        require_user(request)
        tender = self._visible(pk)
        # Only the provider's own response exists for it; for anyone else it is a 404.
        provider = catalog_selectors.provider_of(request.user)
        response = selectors.response_of(request.user, tender, response_id) if provider else None
        if response is None:
            raise NotFound()
        return Response(
            ResponseOutput(services.response_withdraw(response=response, actor=request.user)).data
        )

    @extend_schema(parameters=[RESPONSE_ID_PARAMETER], request=ScoreInput, responses=ResponseOutput)
    @action(detail=True, methods=["post"], url_path=f"responses/{RESPONSE_ID}/score")
    def response_score(self, request, pk=None, response_id=None):
        tender = self._managed(pk)
        # The tender's state first (409 until closed, whatever the id), then the id.
        response = services.response_for_buyer(
            tender=tender, user=request.user, public_id=response_id
        )
        if response is None:
            raise NotFound()
        scored = services.response_score(
            response=response, actor=request.user, **parse(ScoreInput, request.data)
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
                    "response": str(r.response.public_id),
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
