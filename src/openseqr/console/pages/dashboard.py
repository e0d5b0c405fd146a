"""Dashboard: payments per minute, outcome rates, notification health and load shedding, with
charts of the last hour and day (A-59, A-61). A merchant sees its own numbers."""

from __future__ import annotations

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...service.console_dashboard import Window, dashboard
from ...service.context import Context
from ..charts import Series, stacked_bars
from ..framework import ANYONE, Section, ctx_of, render, require

COLOURS = {"paid": "#1b7a3d", "failed": "#b3261e", "reversed": "#c77700"}


def chart(ctx: Context, window: Window, label_every: int) -> Markup:
    labels = [ctx.local(b.start).strftime("%H:%M") for b in window.buckets]
    series = [
        Series(name, colour, [getattr(b, name) for b in window.buckets])
        for name, colour in COLOURS.items()
    ]
    return stacked_bars(window.label, labels, series, label_every=label_every)


async def page(request: Request) -> Response:
    principal = await require(request, ANYONE)
    ctx = ctx_of(request)
    # Its reads take a while on a busy day: off the event loop, so SOAP calls keep flowing.
    board = await run_in_threadpool(dashboard, ctx, principal.scope)
    return render(request, "dashboard.html", active="dashboard", board=board,
                  hour_chart=chart(ctx, board.hour, 10), day_chart=chart(ctx, board.day, 16),
                  colours=COLOURS, zone=str(ctx.config.zone))  # fmt: skip


def routes() -> list[BaseRoute]:
    return [Route("/dashboard", page, methods=["GET"])]


SECTION = Section("dashboard", "Dashboard", routes, merchant=True)
