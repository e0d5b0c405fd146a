"""Seeded load threads for the end-to-end load tests (crash loop, several processes)."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter


class SeededLoad:
    """`threads` threads, each running `_run(rnd)` with its own `random.Random(seed + i)` until
    `stop` is set; `counts` tallies outcomes by name under `lock`."""

    def __init__(self, threads: int, seed: int) -> None:
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.counts: Counter[str] = Counter()
        self.threads = [
            threading.Thread(target=self._run, args=(random.Random(seed + i),), daemon=True)
            for i in range(threads)
        ]

    def _run(self, rnd: random.Random) -> None:
        raise NotImplementedError

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def _count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def wait_for_acks(self, n: int, timeout: float) -> None:
        """Until `n` more payments were acknowledged (`counts["acked"]`), or `timeout` s."""
        with self.lock:
            target = self.counts["acked"] + n
        deadline = time.monotonic() + timeout
        while self.counts["acked"] < target and time.monotonic() < deadline:
            time.sleep(0.05)
