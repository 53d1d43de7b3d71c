"""Supplier declarations (DUME exclusion grounds) and attestations: private
to their provider and the operator."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from catalog import selectors, services
from catalog.api._common import provider_or_403
from catalog.api.serializers import ProviderBrief
from catalog.models import (
    Attestation,
    AttestationKind,
    ExclusionGround,
    Provider,
    SupplierDeclaration,
)
from core.parsers import BoundedJSONParser


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
        provider = provider_or_403(request.user)
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
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": AttestationInput, "application/json": AttestationInput},
        responses={201: AttestationOutput},
    )
    def create(self, request, *args, **kwargs):
        provider = provider_or_403(request.user)
        data = AttestationInput(data=request.data)
        data.is_valid(raise_exception=True)
        attestation = services.attestation_create(
            provider=provider, actor=request.user, **data.validated_data
        )
        return Response(AttestationOutput(attestation).data, status=status.HTTP_201_CREATED)
