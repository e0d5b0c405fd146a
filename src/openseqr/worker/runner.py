"""Background loops of a server process: the deadline scanner and the notification relay."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from ..service.context import Context
from ..service.deadlines import expire_due
from .notifier import NotificationRelay

log = logging.getLogger("openseqr.worker")


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
        while not self._stop.is_set():
            try:
                expire_due(self.ctx)
            except Exception:
                log.exception("deadline scan failed")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.tick_seconds)
