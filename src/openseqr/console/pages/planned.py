"""A section whose pages are not built yet: its navigation entry and a page saying so.

Replace `planned.section("x", ...)` in `pages/__init__.py` by the real module's `SECTION`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..framework import ANYONE, OPERATOR, Section, render, require


def section(slug: str, title: str, merchant: bool = False) -> Section:
    async def page(request: Request) -> Response:
        await require(request, ANYONE if merchant else OPERATOR)
        return render(request, "planned.html", title=title, active=slug)

    def routes() -> list[BaseRoute]:
        return [Route(f"/{slug}", page, name=slug)]

    return Section(slug, title, routes, merchant=merchant)
