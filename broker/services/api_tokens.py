"""A member's own API tokens: issued for a username and password (shown
once, stored as a hash), revoked by their holder, dead on expiry or on any
change of the password."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from broker.models import ApiToken
from broker.services._common import touch_last_used
from broker.services.api_keys import api_key_hash

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# An integration that signs in from many processes gets a token for each;
# past this many live tokens the oldest one goes.
MAX_LIVE_API_TOKENS = 20

# The same SHA-256 of the key as organisation API keys: a key of 256 random
# bits needs no salt nor a slow hash.
api_token_hash = api_key_hash


def api_token_fingerprint(user: User) -> str:
    """An HMAC of the user's password hash (as Django's
    ``get_session_auth_hash``, with a salt of its own): any new password,
    whatever set it, gives another fingerprint. Rotating
    ``DJANGO_SECRET_KEY`` therefore ends every token too."""
    return salted_hmac(
        "broker.ApiToken.password_fingerprint", user.password, algorithm="sha256"
    ).hexdigest()


def api_token_dead(token: ApiToken, *, now: datetime | None = None) -> str | None:
    """Why ``token`` no longer works ("revoked", "expired", "password"),
    or None while it does."""
    now = now or timezone.now()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    if not secrets.compare_digest(token.password_fingerprint, api_token_fingerprint(token.user)):
        return "password"
    return None


@transaction.atomic
def api_token_issue(*, user: User) -> tuple[ApiToken, str]:
    """A new token for ``user`` (already authenticated by its password);
    returns it with the key, which is shown this once. The user's dead
    tokens are deleted (they serve nobody), and beyond
    ``MAX_LIVE_API_TOKENS`` live ones the oldest."""
    now = timezone.now()
    fingerprint = api_token_fingerprint(user)
    mine = ApiToken.objects.filter(user=user)
    mine.filter(
        Q(revoked_at__isnull=False) | Q(expires_at__lte=now) | ~Q(password_fingerprint=fingerprint)
    ).delete()
    oldest = mine.order_by("-created_at", "-id").values_list("pk", flat=True)[
        MAX_LIVE_API_TOKENS - 1 :
    ]
    ApiToken.objects.filter(pk__in=list(oldest)).delete()
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=api_token_hash(key),
        password_fingerprint=fingerprint,
        created_at=now,
        expires_at=now + timedelta(hours=settings.API_TOKEN_TTL_HOURS),
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke at once; revoking again changes nothing."""
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    token.revoked_at = token.revoked_at or now


def api_token_touch(*, token: ApiToken, now: datetime | None = None) -> None:
    touch_last_used(token, now=now)
