"""The API's own credentials.

``Authorization: Api-Key <key>``: an organisation's key for integrations.
The key acts with the rights of the member who created it, for as long as
that member is active and still belongs to the key's organisation. A key
with the ``read`` scope is refused on every unsafe method (403).

``Authorization: Token <key>``: a member's own token (``ApiToken``), from
``POST /api/v1/auth/token/``; refused once expired, revoked, or issued
under a password that has since changed."""

from __future__ import annotations

import hmac

from django.utils.translation import gettext as _
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


TOKEN_KEYWORD = "Token"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """DRF's ``TokenAuthentication`` header and messages, over
    ``broker.models.ApiToken`` (stored hashed, with an end)."""

    def authenticate(self, request):
        words = authentication.get_authorization_header(request).split()
        if not words or words[0].lower() != TOKEN_KEYWORD.lower().encode():
            return None  # another scheme (Api-Key, session) or none
        if len(words) == 1:
            raise AuthenticationFailed(_("Invalid token header. No credentials provided."))
        if len(words) > 2:
            raise AuthenticationFailed(
                _("Invalid token header. Token string should not contain spaces.")
            )
        try:
            key = words[1].decode("ascii")
        except UnicodeError:
            raise AuthenticationFailed(
                _("Invalid token header. Token string should not contain invalid characters.")
            ) from None
        token = selectors.api_token_for_hash(services.api_token_hash(key))
        if token is None:
            raise AuthenticationFailed(_("Invalid token."))
        dead = services.api_token_dead(token)
        if dead == "revoked":
            raise AuthenticationFailed(_("This token has been revoked."))
        if dead == "expired":
            raise AuthenticationFailed(
                _("This token has expired; ask for a new one (POST /api/v1/auth/token/).")
            )
        if dead == "password":
            raise AuthenticationFailed(
                _(
                    "The password of this account changed after this token was issued; "
                    "ask for a new one (POST /api/v1/auth/token/)."
                )
            )
        if not token.user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        services.api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return TOKEN_KEYWORD


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema shows the scheme (the name DRF's token scheme had)."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A member's token: `Authorization: Token <token>`, from "
            "`POST /api/v1/auth/token/`. It expires (30 days after issue by default), "
            "ends when the account's password changes, and `DELETE /api/v1/auth/token/` "
            "revokes it.",
        }
