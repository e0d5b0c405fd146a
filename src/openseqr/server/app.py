"""The ASGI application: `create_app(settings)` → Starlette. Nothing global, nothing at import.

Background loops (the worker) are passed in by the composition root, `openseqr.runtime`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from ..console import create_console
from ..core.ports import Clock
from ..observability import multiproc, scrape
from ..observability.requests import RequestLog, RequestObserver
from ..service.bootstrap import build
from ..service.context import Context
from ..settings import Settings
from . import json_api, webapp
from .edge import Edge, EdgeApp
from .limits import EdgeLimits
from .soap import SoapEndpoint

SOAP_PATHS = ("/soap/merchant/cashregister-2", "/extclientproxy/service/v2")  # D-42


def create_app(
    settings: Settings | None = None,
    *,
    ctx: Context | None = None,
    clock: Clock | None = None,
    background: Callable[[], AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    settings = settings or Settings()
    ctx = ctx or build(settings, clock)
    soap = SoapEndpoint(ctx, max_inflight=settings.max_inflight)

    async def index(request: Request) -> PlainTextResponse:
        base = str(request.base_url).rstrip("/")
        return PlainTextResponse(
            "openseqr server\n"
            f"merchant SOAP API: {base}{SOAP_PATHS[0]} (WSDL: ?wsdl)\n"
            f"app API: {base}/api/app/v1/openapi.json\n"
            f"wallet web app: {base}/app\n"
            f"console: {base}/console/\n"
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            if background is None:
                yield
            else:
                async with background():
                    yield
        finally:
            ctx.store.close()
            multiproc.process_exit()

    routes: list[BaseRoute] = [Route(p, soap.endpoint, methods=["GET", "POST"]) for p in SOAP_PATHS]
    routes += [Route("/", index)] + json_api.routes() + webapp.routes(settings)
    routes.append(Mount("/console", app=create_console(ctx, settings.sandbox)))
    routes.append(Route("/metrics", scrape.endpoint(_pending(ctx), settings.metrics_token)))
    request_log = RequestLog(settings.log_format) if settings.request_log else None
    observer = RequestObserver(SOAP_PATHS, request_log)
    limits = EdgeLimits.from_settings(settings)
    direct = {path: soap.post for path in SOAP_PATHS}

    def edge(inner: ASGIApp) -> ASGIApp:
        return Edge(inner, limits, observer, direct, durable=ctx.store.durable)

    app = EdgeApp(edge, routes=routes, lifespan=lifespan)
    app.state.database_url = settings.resolved_database_url()
    app.state.ctx = ctx
    return app


def _pending(ctx: Context) -> Callable[[], int]:
    def pending() -> int:
        with ctx.store.transaction(write=False) as tx:
            return tx.count_owed_notifications()

    return pending
