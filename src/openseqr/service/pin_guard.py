"""Wrong PINs per client address (A-22): a source that guesses is refused before any wallet
counts its guesses, so one attacker cannot lock somebody else's wallet.

Kept in the process, with times from the injected clock: a restart forgives, which is no worse
than the attacker moving to a new address.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta


class SourceLockout:
    def __init__(self, max_sources: int = 100_000) -> None:
        self._failures: dict[str, tuple[int, datetime]] = {}  # source -> (count, last failure)
        self._max = max_sources
        self._lock = threading.Lock()

    def refused(self, source: str | None, now: datetime, tries: int, cooldown: timedelta) -> bool:
        """True while `source` has used up its `tries` and its last failure is recent."""
        if source is None:
            return False
        with self._lock:
            count, last = self._failures.get(source, (0, now))
            if now - last >= cooldown:
                self._failures.pop(source, None)
                return False
        return count >= tries

    def failed(self, source: str | None, now: datetime) -> int:
        """Count a wrong PIN from `source`; returns how many it has sent (0 without a source)."""
        if source is None:
            return 0
        with self._lock:
            count, _ = self._failures.get(source, (0, now))
            if len(self._failures) >= self._max:  # bounded memory under a spray of addresses
                self._failures.clear()
            self._failures[source] = (count + 1, now)
        return count + 1
