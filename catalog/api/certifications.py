"""The certificates' API: public once verified; providers declare theirs
with evidence, the operator decides."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from catalog import selectors, services
from catalog.api._common import provider_or_403
from catalog.api.serializers import CertificationInput, CertificationOutput, ReasonInput
from catalog.models import Certification
from core.parsers import BoundedJSONParser

# An edit takes any subset of the input (PUT as PATCH): both are documented
# with the partial component, where nothing is required.
EDIT_INPUT = {
    "multipart/form-data": CertificationInput(partial=True),
    "application/json": CertificationInput(partial=True),
}


@extend_schema_view(partial_update=extend_schema(request=EDIT_INPUT, responses=CertificationOutput))
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
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

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
        provider = provider_or_403(request.user)
        cert = services.certification_create(
            provider=provider, actor=request.user, **self._input(request, False)
        )
        return Response(self._render(cert.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=EDIT_INPUT, responses=CertificationOutput)
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
