"""The ASGI application: `create_app(settings)` → Starlette. Nothing global, nothing at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from ..core.ports import Clock
from ..service.bootstrap import build
from ..service.context import Context
from ..settings import Settings
from ..worker.runner import Worker
from . import json_api, webapp
from .soap import make_endpoint

SOAP_PATHS = ("/soap/merchant/cashregister-2", "/extclientproxy/service/v2")  # D-42


def create_app(
    settings: Settings | None = None, *, ctx: Context | None = None, clock: Clock | None = None
) -> Starlette:
    settings = settings or Settings()
    ctx = ctx or build(settings, clock)
    soap = make_endpoint(ctx, max_inflight=settings.max_inflight)

    async def index(request: Request) -> PlainTextResponse:
        base = str(request.base_url).rstrip("/")
        return PlainTextResponse(
            "openseqr server\n"
            f"merchant SOAP API: {base}{SOAP_PATHS[0]} (WSDL: ?wsdl)\n"
            f"app API: {base}/api/app/v1/openapi.json\n"
            f"wallet web app: {base}/app\n"
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        worker = Worker(ctx, settings.tick_seconds) if settings.worker else None
        if worker:
            await worker.start()
        try:
            yield
        finally:
            if worker:
                await worker.stop()
            ctx.store.close()

    routes: list[BaseRoute] = [Route(p, soap, methods=["GET", "POST"]) for p in SOAP_PATHS]
    routes += [Route("/", index)] + json_api.routes() + webapp.routes(settings)
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.ctx = ctx
    return app


def app_from_env() -> Starlette:
    """Factory for `uvicorn --factory` / multi-process serving: settings from OPENSEQR_*."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(Settings())
