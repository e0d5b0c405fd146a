"""The composition root of a server process: the web app, plus the worker loops when enabled.

`server` knows nothing of `worker` (an import-linter contract); this module plugs the worker's
notification relay into the `Context` (the `core.ports.Relay` port) for as long as it runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette

from .core.ports import Clock
from .observability import logs
from .server import app as server_app
from .service.bootstrap import build
from .service.context import Context
from .settings import Settings
from .worker.runner import Worker


def worker_loops(
    ctx: Context, tick_seconds: float
) -> Callable[[], AbstractAsyncContextManager[None]]:
    """The deadline scanner and notification relay, running while the app serves."""

    @asynccontextmanager
    async def running() -> AsyncIterator[None]:
        worker = Worker(ctx, tick_seconds)
        ctx.relay = worker.relay
        await worker.start()
        try:
            yield
        finally:
            ctx.relay = None
            await worker.stop()

    return running


def create_app(
    settings: Settings | None = None, *, ctx: Context | None = None, clock: Clock | None = None
) -> Starlette:
    settings = settings or Settings()
    ctx = ctx or build(settings, clock)
    background = worker_loops(ctx, settings.tick_seconds) if settings.worker else None
    return server_app.create_app(settings, ctx=ctx, background=background)


def app_from_env() -> Starlette:
    """Factory for `uvicorn --factory` / multi-process serving: settings from OPENSEQR_*."""
    settings = Settings()
    logs.configure(settings.log_format)
    return create_app(settings)
