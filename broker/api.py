"""REST API of the broker: the caller's notifications, the integrations
of the caller's organisation (webhook endpoints with their delivery log,
API keys), and the anchors of the audit chain (open data, anonymous).

Who gets which refusal on the integrations: anonymous callers 401; a user
who belongs to no organisation 403; another organisation's endpoint, key or
delivery 404, so ids reveal nothing; a member who is not an administrator
creating or revoking a key 403."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from broker import selectors, services, webhooks
from broker.models import (
    ApiKey,
    AuditAnchor,
    Notification,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


class NotificationOutput(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "url", "created_at", "read", "read_at"]

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """In-app notifications of the caller; `?unread=1` for unread only."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationOutput

    def get_queryset(self):
        qs = selectors.notifications_of(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(request=None, responses=NotificationOutput)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.notification_mark_read(notification=self.get_object())
        return Response(NotificationOutput(notification).data)


# --------------------------------------------------------------------------
# Integrations: whose they are


def _organisation_or_403(request) -> selectors.Organisation:
    organisation = selectors.organisation_of(request.user)
    if organisation is None:
        raise PermissionDenied("Only members of a provider or an agency have integrations.")
    return organisation


def _parse(serializer_class, data, **kwargs) -> dict:
    parsed = serializer_class(data=data, **kwargs)
    parsed.is_valid(raise_exception=True)
    return dict(parsed.validated_data)


class _OrganisationOwned(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    # Ids are numbers: /webhooks/abc/ is a 404, never a query with "abc".
    lookup_value_regex = r"\d+"

    @property
    def organisation(self) -> selectors.Organisation:
        if not hasattr(self, "_organisation"):
            self._organisation = _organisation_or_403(self.request)
        return self._organisation


# --------------------------------------------------------------------------
# Webhooks


EVENT_TYPE_HELP = "One or more of: " + ", ".join(webhooks.EVENT_TYPES) + "."


class OrganisationOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["provider", "agency"])
    id = serializers.IntegerField()
    name = serializers.CharField()


def _organisation_output(row) -> dict:
    owner, kind = (row.provider, "provider") if row.provider_id else (row.agency, "agency")
    return {"kind": kind, "id": owner.pk, "name": owner.name}


class WebhookEndpointOutput(serializers.ModelSerializer):
    organisation = serializers.SerializerMethodField()
    event_types = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "organisation", "url", "event_types", "active", "created_at"]

    def get_organisation(self, endpoint) -> OrganisationOutput:
        return _organisation_output(endpoint)


class WebhookEndpointCreatedOutput(WebhookEndpointOutput):
    secret = serializers.CharField(
        help_text="Signs every delivery (HMAC-SHA256). Shown this once: store it now."
    )

    class Meta(WebhookEndpointOutput.Meta):
        fields = [*WebhookEndpointOutput.Meta.fields, "secret"]


class WebhookEndpointInput(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="An http(s) URL on a public address.")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=list(webhooks.EVENT_TYPES)),
        min_length=1,
        max_length=len(webhooks.EVENT_TYPES),
        help_text=EVENT_TYPE_HELP,
    )
    active = serializers.BooleanField(default=True)


class WebhookAttemptOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "at", "status_code", "duration_ms", "error"]


class WebhookDeliveryOutput(serializers.ModelSerializer):
    attempt_log = WebhookAttemptOutput(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_type",
            "event_id",
            "idempotency_key",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_duration_ms",
            "last_error",
            "created_at",
            "delivered_at",
            "payload",
            "attempt_log",
        ]


def _delivery_output(delivery: WebhookDelivery, http_status=status.HTTP_200_OK) -> Response:
    delivery = selectors.webhook_deliveries_of(delivery.endpoint).get(pk=delivery.pk)
    return Response(WebhookDeliveryOutput(delivery).data, status=http_status)


ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
DELIVERY_ID = OpenApiParameter("delivery_id", int, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(responses=WebhookEndpointOutput(many=True)),
    retrieve=extend_schema(responses=WebhookEndpointOutput),
    destroy=extend_schema(
        responses={204: OpenApiResponse(description="Deleted, with its delivery log.")}
    ),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _OrganisationOwned):
    """The webhook endpoints of the caller's organisation (see docs/webhooks.md)."""

    serializer_class = WebhookEndpointOutput
    queryset = WebhookEndpoint.objects.none()  # for the schema; get_queryset scopes
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.webhook_endpoints_of(self.organisation)

    @extend_schema(request=WebhookEndpointInput, responses={201: WebhookEndpointCreatedOutput})
    def create(self, request, *args, **kwargs):
        """Register an endpoint; the answer holds its signing `secret`, this once."""
        endpoint = services.webhook_endpoint_create(
            organisation=self.organisation,
            actor=request.user,
            **_parse(WebhookEndpointInput, request.data),
        )
        endpoint = self.get_queryset().get(pk=endpoint.pk)
        return Response(WebhookEndpointCreatedOutput(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookEndpointInput(partial=True), responses=WebhookEndpointOutput)
    def partial_update(self, request, *args, **kwargs):
        endpoint = services.webhook_endpoint_update(
            endpoint=self.get_object(),
            organisation=self.organisation,
            actor=request.user,
            **_parse(WebhookEndpointInput, request.data, partial=True),
        )
        return Response(WebhookEndpointOutput(self.get_queryset().get(pk=endpoint.pk)).data)

    def destroy(self, request, *args, **kwargs):
        services.webhook_endpoint_delete(
            endpoint=self.get_object(), organisation=self.organisation, actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=WebhookDeliveryOutput(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The delivery log, newest first, with every attempt."""
        page = self.paginate_queryset(selectors.webhook_deliveries_of(self.get_object()))
        return self.get_paginated_response(WebhookDeliveryOutput(page, many=True).data)

    @extend_schema(request=None, parameters=[DELIVERY_ID], responses={202: WebhookDeliveryOutput})
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>\d+)/redeliver")
    def redeliver(self, request, pk=None, delivery_id=None):
        """Send a delivery again now: a new attempt, the same idempotency key."""
        delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, endpoint=self.get_object())
        return _delivery_output(
            services.webhook_redeliver(delivery=delivery), status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=None, responses={202: WebhookDeliveryOutput})
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        """Send a `ping` event to this endpoint, to test it."""
        return _delivery_output(
            services.webhook_ping(endpoint=self.get_object()), status.HTTP_202_ACCEPTED
        )


# --------------------------------------------------------------------------
# API keys


class ApiKeyOutput(serializers.ModelSerializer):
    organisation = serializers.SerializerMethodField()
    revoked = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username")

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "organisation",
            "name",
            "prefix",
            "scopes",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked",
            "revoked_at",
        ]

    def get_organisation(self, api_key) -> OrganisationOutput:
        return _organisation_output(api_key)

    def get_revoked(self, api_key) -> bool:
        return api_key.revoked_at is not None


class ApiKeyCreatedOutput(ApiKeyOutput):
    key = serializers.CharField(
        help_text="The full key, for `Authorization: Api-Key <key>`. Shown this once: "
        "only its hash is kept."
    )

    class Meta(ApiKeyOutput.Meta):
        fields = [*ApiKeyOutput.Meta.fields, "key"]


class ApiKeyInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ChoiceField(
        choices=ApiKey.Scopes.choices,
        default=ApiKey.Scopes.READ,
        help_text="`read`, or `read,write` to also create and change.",
    )


def _refuse_api_keys(request) -> None:
    # A key never mints or revokes keys: a leaked key must not outlive its
    # revocation by creating others.
    if isinstance(request.auth, ApiKey):
        raise PermissionDenied("API keys are managed by a signed-in member, not with an API key.")


@extend_schema_view(
    list=extend_schema(responses=ApiKeyOutput(many=True)),
    retrieve=extend_schema(responses=ApiKeyOutput),
)
class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _OrganisationOwned):
    """The API keys of the caller's organisation; administrators create and
    revoke them."""

    serializer_class = ApiKeyOutput
    queryset = ApiKey.objects.none()  # for the schema; get_queryset scopes

    def get_queryset(self):
        return selectors.api_keys_of(self.organisation)

    @extend_schema(request=ApiKeyInput, responses={201: ApiKeyCreatedOutput})
    def create(self, request, *args, **kwargs):
        """Create a key; the answer holds the full `key`, this once."""
        _refuse_api_keys(request)
        api_key, key = services.api_key_create(
            organisation=self.organisation, actor=request.user, **_parse(ApiKeyInput, request.data)
        )
        created = self.get_queryset().get(pk=api_key.pk)
        created.key = key  # in this answer only: the database has its hash
        return Response(ApiKeyCreatedOutput(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiKeyOutput)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        _refuse_api_keys(request)
        api_key = services.api_key_revoke(
            api_key=self.get_object(), organisation=self.organisation, actor=request.user
        )
        return Response(ApiKeyOutput(self.get_queryset().get(pk=api_key.pk)).data)


# --------------------------------------------------------------------------
# Audit anchors (open data)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Anchor",
            value={
                "version": 1,
                "algorithm": "HMAC-SHA256",
                "day": "2026-12-08",
                "published_at": "2026-12-07T23:20:00.412097+00:00",
                "count": 18342,
                "last_event_id": 18377,
                "last_hash": "5d7c1f0e9b3a2c4d6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d",
                "signature": "b1946ac92492d2347c6235b4d2611184e3b0c44298fc1c149afbf4c8996fb924",
                "file": "audit/anchors/2026-12-08.json",
            },
            response_only=True,
        )
    ]
)
class AuditAnchorOutput(serializers.Serializer):
    """An anchor: the signed document of its file, and the file's path."""

    version = serializers.IntegerField()
    algorithm = serializers.CharField(help_text="Of the signature: `HMAC-SHA256`.")
    day = serializers.DateField()
    published_at = serializers.DateTimeField(
        help_text="When the head was read, in UTC, exactly as signed."
    )
    count = serializers.IntegerField(help_text="Events in the chain then.")
    last_event_id = serializers.IntegerField(
        allow_null=True, help_text="The last of them; null for an empty chain."
    )
    last_hash = serializers.CharField(
        help_text="Its SHA-256 chain hash (64 zeros for an empty chain)."
    )
    signature = serializers.CharField(
        help_text="HMAC-SHA256, hex, over the canonical JSON of the other fields but `file` "
        "(sorted keys, no spaces): the operator's key checks it (docs/security.md)."
    )
    file = serializers.CharField(
        help_text="Where the media storage keeps this document as a signed file."
    )

    def to_representation(self, instance: AuditAnchor) -> dict:
        # The document as signed: a time re-rendered in another zone would
        # no longer match its signature.
        return {**services.audit_anchor_document(instance), "file": instance.file}


class AuditAnchorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The daily anchors of the audit chain, newest first: how many events
    the chain held and the hash of the last one, signed. A chain that no
    longer holds an anchored event lost its tail; `manage.py audit_verify`
    checks them all."""

    permission_classes = [AllowAny]
    serializer_class = AuditAnchorOutput

    def get_queryset(self):
        return selectors.audit_anchors()
