"""REST API of the broker: the caller's notifications."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from broker import selectors, services
from broker.models import Notification


class NotificationOutput(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "url", "created_at", "read", "read_at"]

    def get_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """In-app notifications of the caller; `?unread=1` for unread only."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationOutput

    def get_queryset(self):
        qs = selectors.notifications_of(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.notification_mark_read(notification=self.get_object())
        return Response(NotificationOutput(notification).data)
