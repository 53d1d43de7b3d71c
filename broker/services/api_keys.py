"""Organisation API keys: created (shown once, stored as a hash), revoked,
touched when used."""

from __future__ import annotations

import hashlib
import secrets
import string
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from broker.models import ApiKey
from broker.services._common import BrokerError, _admins_only, _invalid
from broker.services.audit import audit_append

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from broker.selectors import Organisation


API_KEY_PREFIX = "gc_live_"
API_KEY_PREFIX_LENGTH = len(API_KEY_PREFIX) + 8
MAX_LIVE_API_KEYS = 50
# last_used_at is written at most this often per key: a busy integration
# does not turn every read into a write.
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_prefix_of(key: str) -> str | None:
    """The visible prefix of a well-formed key (``gc_live_xxxxxxxx_…``)."""
    if (
        len(key) > API_KEY_PREFIX_LENGTH + 1
        and key.startswith(API_KEY_PREFIX)
        and key[API_KEY_PREFIX_LENGTH] == "_"
    ):
        return key[:API_KEY_PREFIX_LENGTH]
    return None


@transaction.atomic
def api_key_create(
    *, organisation: Organisation, actor: User, name: str, scopes: str
) -> tuple[ApiKey, str]:
    """Create a key for the organisation; returns it with the full key,
    which is shown this once and stored only as its SHA-256."""
    _admins_only(organisation, _("Only an administrator of %(name)s can create API keys."))
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise _invalid("name", _("A name of 1 to 100 characters is required."))
    if scopes not in ApiKey.Scopes.values:
        raise _invalid(
            "scopes", _("Use one of %(names)s.") % {"names": ", ".join(ApiKey.Scopes.values)}
        )
    if (
        ApiKey.objects.filter(organisation.rows, revoked_at__isnull=True).count()
        >= MAX_LIVE_API_KEYS
    ):
        raise BrokerError(
            _("An organisation has at most %(maximum)s live API keys; revoke one first.")
            % {"maximum": MAX_LIVE_API_KEYS},
            code="limit_reached",
            http_status=409,
        )
    for _attempt in range(5):
        prefix = API_KEY_PREFIX + "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    else:  # 36^8 prefixes: five collisions in a row mean something else is wrong
        raise BrokerError(
            _("Could not allocate a key prefix; try again."), code="conflict", http_status=409
        )
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        **organisation.owner_fields,
        name=name,
        prefix=prefix,
        key_hash=api_key_hash(key),
        scopes=scopes,
        created_by=actor,
    )
    audit_append(
        actor=actor,
        organisation=organisation.name,
        action="api_key.create",
        object_type="apikey",
        object_id=api_key.pk,
        data={"prefix": prefix, "name": name, "scopes": scopes},
    )
    return api_key, key


@transaction.atomic
def api_key_revoke(
    *, api_key: ApiKey, actor: User, organisation: Organisation | None = None
) -> ApiKey:
    """Revoke a key at once; revoking it again changes nothing.
    ``organisation`` is the caller's, who must be one of its administrators;
    None when the operator revokes (Django admin)."""
    if organisation is not None:
        _admins_only(organisation, _("Only an administrator of %(name)s can revoke API keys."))
    locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_append(
            actor=actor,
            organisation=organisation.name if organisation else "operator",
            action="api_key.revoke",
            object_type="apikey",
            object_id=locked.pk,
            data={"prefix": locked.prefix},
        )
    return locked


def api_key_touch(*, api_key: ApiKey, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < API_KEY_TOUCH_INTERVAL:
        return
    # Conditional: of concurrent requests, one writes.
    ApiKey.objects.filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - API_KEY_TOUCH_INTERVAL)
    ).update(last_used_at=now)
    api_key.last_used_at = now
