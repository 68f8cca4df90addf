"""The launch/state/nonce cache: in-process by default, Redis by URL for several processes."""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from typing import Any

from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.session import SessionService


class CacheUnavailable(Exception):
    """The shared cache cannot be reached (Redis down or restarting): answered with a 503."""


class Cache(ABC):
    """A small key-value store with expiry and an atomic take (for single-use values)."""

    @abstractmethod
    def get(self, key: str) -> Any: ...

    @abstractmethod
    def set(self, key: str, value: Any, ttl: int | None = None) -> None: ...

    @abstractmethod
    def take(self, key: str) -> Any:
        """Return the value and delete it in one step: two racing readers never both get it."""

    def add(self, key: str, value: Any, ttl: int) -> bool:
        """Set only if absent; True when this call set it (first use wins)."""
        raise NotImplementedError


class MemoryCache(Cache):
    """One process only: fine for the development server and a single gunicorn worker."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[float | None, Any]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> tuple[float | None, Any] | None:
        item = self._data.get(key)
        if item and item[0] is not None and item[0] < time.time():
            del self._data[key]
            return None
        return item

    def get(self, key: str) -> Any:
        with self._lock:
            item = self._live(key)
            return item[1] if item else None

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        with self._lock:
            self._data[key] = (time.time() + ttl if ttl else None, value)

    def take(self, key: str) -> Any:
        with self._lock:
            item = self._live(key)
            self._data.pop(key, None)
            return item[1] if item else None

    def add(self, key: str, value: Any, ttl: int) -> bool:
        with self._lock:
            if self._live(key):
                return False
            self._data[key] = (time.time() + ttl, value)
            return True


class RedisCache(Cache):
    """Shared by every server process behind a load balancer."""

    def __init__(self, url: str, prefix: str = "packager-lti:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix
        self._errors = (redis.RedisError,)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        # A Redis outage is an operational state, not a bug: logins fail with a clean 503
        # page (and the log line) instead of a 500, and work again once Redis is back.
        try:
            return getattr(self._redis, method)(*args, **kwargs)
        except self._errors as exc:
            raise CacheUnavailable(f"Redis: {exc}") from exc

    def get(self, key: str) -> Any:
        raw = self._call("get", self._prefix + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        self._call("set", self._prefix + key, json.dumps(value), ex=ttl)

    def take(self, key: str) -> Any:
        raw = self._call("getdel", self._prefix + key)
        return None if raw is None else json.loads(raw)

    def add(self, key: str, value: Any, ttl: int) -> bool:
        return bool(self._call("set", self._prefix + key, json.dumps(value), ex=ttl, nx=True))


def make_cache(url: str | None) -> Cache:
    return RedisCache(url) if url else MemoryCache()


class CacheStorage(LaunchDataStorage[Any]):
    """pylti1p3's launch data storage over our cache, scoped by the lti1p3-session-id cookie."""

    def __init__(self, cache: Cache) -> None:
        super().__init__()
        self._cache = cache

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        return self._cache.get(self._prepare_key(key))

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        self._cache.set(self._prepare_key(key), value, exp)

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def take_value(self, key: str) -> Any:
        return self._cache.take(self._prepare_key(key))


class OneTimeNonceSession(SessionService):
    """pylti1p3 only checks that a nonce exists; here the check consumes it (no replays)."""

    data_storage: CacheStorage

    def check_nonce(self, nonce: str) -> bool:
        return bool(self.data_storage.take_value(self._get_key("nonce", nonce)))
