from rest_framework.routers import DefaultRouter

from broker import api

router = DefaultRouter()
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("webhooks", api.WebhookEndpointViewSet, basename="webhook")
router.register("api-keys", api.ApiKeyViewSet, basename="api-key")
router.register("audit/anchors", api.AuditAnchorViewSet, basename="audit-anchor")

urlpatterns = router.urls
