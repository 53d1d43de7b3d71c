"""Direct purchases below the threshold on /orders/: agencies order,
providers accept or decline."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from catalog import selectors as catalog_selectors
from tenders import selectors, services
from tenders.api._common import agency_or_403, parse, require_user, sourcing_file_of
from tenders.api.serializers import (
    DecisionReasonInput,
    OptionalReasonInput,
    OrderInput,
    OrderOutput,
)
from tenders.models import Order


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
        require_user(self.request)
        return selectors.orders_visible_to(self.request.user).order_by("-id")

    @extend_schema(request=OrderInput, responses={201: OrderOutput})
    def create(self, request, *args, **kwargs):
        agency = agency_or_403(request)
        data = parse(OrderInput, request.data)
        offer = (
            catalog_selectors.offers_visible_to(request.user).filter(pk=data.pop("offer")).first()
        )
        if offer is None:
            raise services.TenderError(_("Unknown offer."), fields={"offer": ["Unknown offer."]})
        sourcing_file = sourcing_file_of(request, data.pop("sourcing_file", None))
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
            reason=parse(DecisionReasonInput, request.data)["reason"],
        )
        return Response(OrderOutput(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(request=OptionalReasonInput, responses=OrderOutput)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self._party(pk, side="agency")
        reason = parse(OptionalReasonInput, request.data)["reason"]
        order = services.order_cancel(order=order, actor=request.user, reason=reason)
        return Response(OrderOutput(self.get_queryset().get(pk=order.pk)).data)
