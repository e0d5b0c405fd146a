"""Passwords and PINs: a slow KDF at rest, a verified-credential cache on the hot path, and a
throttle for repeated wrong passwords per address and per principal, and a bounded pool that
keeps the KDF off the event loop.

The cache maps (principal, stored hash, keyed BLAKE2b of the offered secret under a per-process
random key) to "verified", so a changed password or a re-hash invalidates it by construction, and
neither the plaintext nor an offline-guessable digest of it is kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..core import errors

# OWASP's minimum Argon2id profile: ~20 ms here; slow for guessing, cheap enough per login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_secret(secret: str) -> str:
    return _hasher.hash(_utf8(secret))


def check_secret(stored_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(stored_hash, _utf8(secret))
    except (VerificationError, InvalidHashError):
        return False


def _utf8(secret: str) -> bytes:
    # surrogatepass: a lone surrogate is a wrong password, never a UnicodeEncodeError
    return secret.encode("utf-8", "surrogatepass")


class VerifiedCredentials:
    """LRU of credentials already checked with the KDF."""

    def __init__(self, size: int = 10_000) -> None:
        self._key = secrets.token_bytes(32)
        self._seen: OrderedDict[tuple[str, str, bytes], None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def verify(self, principal: str, stored_hash: str, secret: str) -> bool:
        """Check with the cache, then the KDF on this thread."""
        if self.known(principal, stored_hash, secret):
            return True
        if not check_secret(stored_hash, secret):
            return False
        self.remember(principal, stored_hash, secret)
        return True

    def known(self, principal: str, stored_hash: str, secret: str) -> bool:
        key = self._key_of(principal, stored_hash, secret)
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return True
        return False

    def remember(self, principal: str, stored_hash: str, secret: str) -> None:
        key = self._key_of(principal, stored_hash, secret)
        with self._lock:
            self._seen[key] = None
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)

    def _key_of(self, principal: str, stored_hash: str, secret: str) -> tuple[str, str, bytes]:
        digest = hashlib.blake2b(_utf8(secret), key=self._key).digest()
        return (principal, stored_hash, digest)


@dataclass(frozen=True)
class AuthLimits:
    """Failed-login limits (A-29). `*_free` failures are allowed before a key waits."""

    source_free: int = 50  # per source address (IPv6: per /64), across every principal
    principal_free: int = 5  # per principal, from addresses it never logged in from
    pair_free: int = 5  # per (address, principal): the only limit a known address meets
    base_wait: float = 1.0  # seconds; doubles with every further failure
    max_wait: float = 60.0
    forget_after: float = 600.0  # a key's failures are forgotten after this long without one
    trust_for: float = 7 * 24 * 3600.0  # an address that logged in as a principal stays known
    kdf_threads: int = 1  # concurrent KDF runs per process
    kdf_queue: int = 64  # KDF runs waiting; beyond: 93 SYSTEM_BUSY


class Backoff:
    """Failures per key: after `free` of them the key waits, doubling up to `max_wait`.

    Success does not reset a key (an attacker sharing the key would reset it); failures are
    forgotten `forget_after` seconds after the last wait ended.
    """

    def __init__(self, free: int, limits: AuthLimits, max_keys: int = 100_000) -> None:
        self._free, self._limits, self._max_keys = free, limits, max_keys
        self._state: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: str, now: float) -> bool:
        with self._lock:
            failures, until = self._current(key, now)
        return failures >= self._free and now < until

    def failed(self, key: str, now: float) -> None:
        lim = self._limits
        with self._lock:
            failures = self._current(key, now)[0] + 1
            wait = min(lim.max_wait, lim.base_wait * 2.0 ** min(30, max(0, failures - self._free)))
            self._state[key] = (failures, now + wait)
            if len(self._state) > self._max_keys:  # bounded memory under a spray of keys
                self._state.clear()

    def _current(self, key: str, now: float) -> tuple[int, float]:
        failures, until = self._state.get(key, (0, 0.0))
        if failures and now > until + self._limits.forget_after:
            del self._state[key]
            return 0, 0.0
        return failures, until


class AuthThrottle:
    """Failed authentication limited per source address and per principal (A-29).

    A principal under attack stays open to the addresses it has logged in from before, so the
    real terminal keeps working while guessers elsewhere are refused without touching the KDF.
    A known address still meets its own (address, principal) limit.
    """

    def __init__(self, limits: AuthLimits | None = None) -> None:
        self.limits = limits = limits or AuthLimits()
        self._sources = Backoff(limits.source_free, limits)
        self._principals = Backoff(limits.principal_free, limits)
        self._pairs = Backoff(limits.pair_free, limits)
        self._known: OrderedDict[str, float] = OrderedDict()  # "source|principal" -> until
        self._lock = threading.Lock()

    def refusal(self, source: str, principal: str, now: float | None = None) -> str | None:
        """Why an attempt is refused before the KDF runs, or None if it may proceed. A refused
        attempt counts against its address, so an address that keeps knocking stays refused;
        not against the principal, whose owner may be the one knocking."""
        now = time.monotonic() if now is None else now
        reason = self._reason(source, principal, now)
        if reason is not None:
            self._sources.failed(source, now)
        return reason

    def _reason(self, source: str, principal: str, now: float) -> str | None:
        if self._pairs.blocked(f"{source}|{principal}", now):
            return "too many wrong passwords from this address; wait and try again"
        if self._is_known(source, principal, now):
            return None
        if self._sources.blocked(source, now):
            return "too many failed logins from this address; wait and try again"
        if self._principals.blocked(principal, now):
            return "too many wrong passwords for this principal; wait and try again"
        return None

    def failed(self, source: str, principal: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._pairs.failed(f"{source}|{principal}", now)
        self._sources.failed(source, now)
        self._principals.failed(principal, now)

    def succeeded(self, source: str, principal: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._known[f"{source}|{principal}"] = now + self.limits.trust_for
            self._known.move_to_end(f"{source}|{principal}")
            if len(self._known) > 100_000:
                self._known.popitem(last=False)

    def _is_known(self, source: str, principal: str, now: float) -> bool:
        with self._lock:
            until = self._known.get(f"{source}|{principal}")
        return until is not None and now < until


class KdfPool:
    """Runs the KDF off the event loop on a few threads, with a bounded queue (A-29)."""

    def __init__(self, threads: int = 1, queue: int = 64) -> None:
        self._executor = ThreadPoolExecutor(max(1, threads), thread_name_prefix="kdf")
        self._max_pending = max(1, threads) + max(0, queue)
        self._pending = 0
        self._lock = threading.Lock()

    async def check(self, stored_hash: str, secret: str) -> bool:
        with self._lock:
            if self._pending >= self._max_pending:
                raise errors.Busy("too many password checks in progress; try again")
            self._pending += 1
        try:
            return await asyncio.wrap_future(
                self._executor.submit(check_secret, stored_hash, secret)
            )
        finally:
            with self._lock:
                self._pending -= 1


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
