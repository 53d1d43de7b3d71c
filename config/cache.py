"""The Redis cache, degrading to "nothing cached" while Redis is down.

The cache holds nothing that must survive (throttling counters, health
probes): losing Redis for a minute should cost throttling precision, not
turn every API request into a 500. Each failure is logged; the broker side
of a Redis outage is covered by the sweepers (broker.tasks)."""

from __future__ import annotations

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _degrading(name: str, fallback):
    def method(self, *args, **kwargs):
        try:
            return getattr(super(ResilientRedisCache, self), name)(*args, **kwargs)
        except UNAVAILABLE as exc:
            logger.warning("cache %s skipped, Redis unavailable: %s", name, exc)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    method.__name__ = name
    return method


def _default(key, default=None, *args, **kwargs):
    return default


class ResilientRedisCache(RedisCache):
    get = _degrading("get", _default)
    set = _degrading("set", None)
    add = _degrading("add", False)
    touch = _degrading("touch", False)
    delete = _degrading("delete", False)
    get_many = _degrading("get_many", {})
    set_many = _degrading("set_many", [])
    delete_many = _degrading("delete_many", None)
    has_key = _degrading("has_key", False)
    clear = _degrading("clear", None)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except UNAVAILABLE as exc:
            # "Not there" is what incr says of a missing key: callers
            # already handle it.
            logger.warning("cache incr skipped, Redis unavailable: %s", exc)
            raise ValueError(f"Key '{key}' not found") from exc
