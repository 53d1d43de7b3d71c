"""``Authorization: Api-Key <key>``: an organisation's key for integrations.

The key acts with the rights of the member who created it, for as long as
that member is active and still belongs to the key's organisation. A key
with the ``read`` scope is refused on every unsafe method (403)."""

from __future__ import annotations

import hmac

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import SAFE_METHODS

from broker import selectors, services

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        words = authentication.get_authorization_header(request).split()
        if not words or words[0].lower() != KEYWORD.lower().encode():
            return None  # another scheme (Token, session) or none
        if len(words) != 2:
            raise AuthenticationFailed(f"Give the key after '{KEYWORD} ', as one word.")
        try:
            key = words[1].decode("ascii")
        except UnicodeError:
            raise AuthenticationFailed("Invalid API key.") from None
        prefix = services.api_key_prefix_of(key)
        api_key = selectors.api_key_for_prefix(prefix) if prefix else None
        # The prefix is public; the rest is compared as a hash, in constant time.
        if api_key is None or not hmac.compare_digest(api_key.key_hash, services.api_key_hash(key)):
            raise AuthenticationFailed("Invalid API key.")
        if api_key.revoked_at is not None:
            raise AuthenticationFailed("This API key has been revoked.")
        if not api_key.created_by.is_active:
            raise AuthenticationFailed(
                "The member who created this API key is no longer active; "
                "an administrator must create a new key."
            )
        if not (api_key.creator_in_provider or api_key.creator_in_agency):
            raise AuthenticationFailed(
                "The member who created this API key no longer belongs to its "
                "organisation; an administrator must create a new key."
            )
        if request.method not in SAFE_METHODS and not api_key.can_write:
            raise PermissionDenied("This API key is read-only.")
        services.api_key_touch(api_key=api_key)
        return api_key.created_by, api_key

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema shows the scheme."""

    target_class = ApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An organisation's API key: `Authorization: Api-Key gc_live_…`. Keys with the "
            "`read` scope are refused on POST, PUT, PATCH and DELETE.",
        }
