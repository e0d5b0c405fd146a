"""Background loops of a server process: the deadline scanner and the notification relay."""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress

from ..service.context import Context
from ..service.deadlines import expire_due
from ..service.events import PURGE_BATCH, purge_batch
from .notifier import NotificationRelay

log = logging.getLogger("openseqr.worker")

PURGE_INTERVAL = 60.0  # seconds between retention purges, unless the last batch was full


class Worker:
    def __init__(self, ctx: Context, tick_seconds: float = 0.25) -> None:
        self.ctx = ctx
        self.tick_seconds = tick_seconds
        self.relay = NotificationRelay(ctx)  # the composition root plugs it in as ctx.relay
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._deadlines(), name="openseqr-deadlines"),
            asyncio.create_task(self.relay.run(self._stop), name="openseqr-relay"),
        ]

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        await self.relay.aclose()

    async def _deadlines(self) -> None:
        next_purge = time.monotonic()
        while not self._stop.is_set():
            try:
                expire_due(self.ctx)
            except Exception:
                log.exception("deadline scan failed")
            if time.monotonic() >= next_purge:
                next_purge = self._purge_events()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.tick_seconds)

    def _purge_events(self) -> float:
        """One small batch of the event retention (A-49); when does the next one run: at the
        next tick while batches come back full, else after the interval."""
        try:
            behind = purge_batch(self.ctx) >= PURGE_BATCH
        except Exception:
            log.exception("invoice event purge failed")
            behind = False
        return time.monotonic() + (0 if behind else PURGE_INTERVAL)
