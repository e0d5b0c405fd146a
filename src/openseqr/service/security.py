"""Passwords and PINs: a slow KDF at rest, a verified-credential cache on the hot path, and a
throttle for repeated wrong passwords.

The cache maps (principal, stored hash, keyed BLAKE2b of the offered secret under a per-process
random key) to "verified", so a changed password or a re-hash invalidates it by construction, and
neither the plaintext nor an offline-guessable digest of it is kept.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's minimum Argon2id profile: ~20 ms here; slow for guessing, cheap enough per login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def check_secret(stored_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


class VerifiedCredentials:
    """LRU of credentials already checked with the KDF."""

    def __init__(self, size: int = 10_000) -> None:
        self._key = secrets.token_bytes(32)
        self._seen: OrderedDict[tuple[str, str, bytes], None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def verify(self, principal: str, stored_hash: str, secret: str) -> bool:
        key = (principal, stored_hash, hashlib.blake2b(secret.encode(), key=self._key).digest())
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return True
        if not check_secret(stored_hash, secret):
            return False
        with self._lock:
            self._seen[key] = None
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)
        return True


class Throttle:
    """After `free` consecutive failures a principal waits, doubling up to `max_wait` seconds.

    While it waits every attempt fails without touching the KDF, which also keeps a password
    guesser from burning our CPU.
    """

    def __init__(self, free: int = 5, base_wait: float = 1.0, max_wait: float = 60.0) -> None:
        self._free, self._base, self._max = free, base_wait, max_wait
        self._state: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def blocked(self, principal: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            failures, until = self._state.get(principal, (0, 0.0))
        return failures >= self._free and now < until

    def failed(self, principal: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            failures, _ = self._state.get(principal, (0, 0.0))
            failures += 1
            wait = min(self._max, self._base * 2 ** max(0, failures - self._free))
            self._state[principal] = (failures, now + wait)
            if len(self._state) > 100_000:  # bounded memory under a spray of ids
                self._state.clear()

    def succeeded(self, principal: str) -> None:
        with self._lock:
            self._state.pop(principal, None)


class BoundedCache:
    """A small thread-safe LRU for records that carry their own validity (e.g. a version)."""

    def __init__(self, size: int = 10_000) -> None:
        self._items: OrderedDict[str, object] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:  # the caller knows what it put under `key`
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: object) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            if len(self._items) > self._size:
                self._items.popitem(last=False)
