"""The provider directory's API: anyone reads the active providers; the
administrators of a provider edit its profile (identity, seats, ownership)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from catalog import selectors, services
from catalog.api.serializers import ProviderInput, ProviderOutput
from catalog.models import MemberRole


# An edit takes any subset of the input (PUT as PATCH): both are documented
# with the partial component, where nothing is required.
@extend_schema_view(partial_update=extend_schema(request=ProviderInput, responses=ProviderOutput))
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

    @extend_schema(request=ProviderInput(partial=True), responses=ProviderOutput)
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
