from django.contrib import admin

from broker import services
from broker.models import (
    ApiKey,
    ApiToken,
    AuditEvent,
    Notification,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the broker's services: the console shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "actor_label",
        "organisation",
        "action",
        "object_type",
        "object_id",
    ]
    list_filter = ["action", "object_type"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "subject", "created_at", "read_at"]
    list_filter = ["kind"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    """Registered by the organisation (which alone gets the secret, never
    shown here); the operator can deactivate one that misbehaves."""

    list_display = ["id", "url", "provider", "agency", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "provider__name", "agency__name"]
    fields = ["provider", "agency", "url", "event_types", "active", "created_by", "created_at"]
    readonly_fields = fields
    actions = ["deactivate"]

    @admin.action(description="Deactivate the selected endpoints")
    def deactivate(self, request, queryset):
        for endpoint in queryset.filter(active=True):
            services.webhook_endpoint_update(endpoint=endpoint, actor=request.user, active=False)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "at", "status_code", "duration_ms", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "endpoint",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "delivered_at",
    ]
    list_filter = ["status", "event_type"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [WebhookAttemptInline]


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    """Keys are created by their organisation (the key is shown once, to it);
    the operator sees them and can revoke."""

    list_display = [
        "prefix",
        "name",
        "provider",
        "agency",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scopes"]
    search_fields = ["prefix", "name", "provider__name", "agency__name"]
    exclude = ["key_hash"]
    readonly_fields = [
        "provider",
        "agency",
        "name",
        "prefix",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for api_key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(api_key=api_key, actor=request.user)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Members' tokens (the key itself is never stored): the operator sees
    who holds live ones and can revoke, e.g. a leaked one."""

    list_display = ["id", "user", "created_at", "expires_at", "last_used_at", "revoked_at"]
    search_fields = ["user__username", "user__email"]
    exclude = ["key_hash", "password_fingerprint"]
    readonly_fields = ["user", "created_at", "expires_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            services.api_token_revoke(token=token)
