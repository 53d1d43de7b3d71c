"""Throttling of the API: anonymous callers by address and users by
account (DRF's own), and integrations by API key, each key with its own
budget (``API_THROTTLE_KEY``)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import throttling

from broker.models import ApiKey


def _api_key(request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    """Requests made with an API key, counted per key (by its prefix)."""

    scope = "api_key"

    def get_rate(self) -> str:
        # Read at each request, not frozen at import: a deployment (or a
        # test) changes it through the setting alone.
        return settings.API_THROTTLE_KEY

    def get_cache_key(self, request, view) -> str | None:
        key = _api_key(request)
        if key is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.prefix}


class UserRateThrottle(throttling.UserRateThrottle):
    """DRF's per-user throttle, for requests made as a signed-in user. A request made
    with an API key is counted against the key alone: otherwise every key
    an administrator creates would share (and exhaust) that person's
    budget."""

    def get_cache_key(self, request, view) -> str | None:
        # Anonymous callers are AnonRateThrottle's (DRF's own user throttle
        # would count them by address a second time: two more cache round
        # trips per anonymous request, at a rate above anon's).
        if _api_key(request) is not None or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)
