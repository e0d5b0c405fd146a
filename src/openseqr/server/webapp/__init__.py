"""The wallet web app at `/app`: the SEQR app's behaviour (spec 12) in a browser.

One HTML shell (Jinja2) plus static JS/CSS, all served by us — no build step, no CDN, works
offline. The page talks to the app JSON API (`/api/app/v1/...`, D-46) and the signed-in session
endpoints of `app_session`. External Service pages are shown in an `<iframe>` and hand their
payment triggers to the app through `/app/static/seqr-bridge.js` (see docs/wallet-app.md).
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from ...service.sandbox import DEMO_CUSTOMERS
from ...settings import Settings

HERE = Path(__file__).parent
APP_PATH = "/app"

#: The shell may frame any http(s) service page; everything else comes from us.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "frame-src http: https:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class _Static(StaticFiles):
    """Static files; the bridge is loaded by service pages from other origins."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        if path == "seqr-bridge.js":
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Cache-Control"] = "public, max-age=300"
        else:
            response.headers.setdefault("Cache-Control", "no-cache")
        return response


def routes(settings: Settings) -> list[BaseRoute]:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
    )
    demo = (
        [{"name": c.name, "msisdn": c.msisdn, "pin": c.pin} for c in DEMO_CUSTOMERS]
        if settings.sandbox
        else []
    )

    async def shell(request: Request) -> Response:
        html = env.get_template("app.html").render(
            static=f"{APP_PATH}/static", api="/api/app/v1", demo=demo, sandbox=settings.sandbox
        )
        return HTMLResponse(
            html,
            headers={
                "Content-Security-Policy": CSP,
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "Permissions-Policy": "camera=(self)",
            },
        )

    async def slash(request: Request) -> Response:
        return RedirectResponse(APP_PATH, 308)

    return [
        Route(APP_PATH, shell, methods=["GET", "HEAD"]),
        Route(APP_PATH + "/", slash, methods=["GET", "HEAD"]),
        Mount(APP_PATH + "/static", app=_Static(directory=HERE / "static"), name="app-static"),
    ]


__all__ = ["routes", "APP_PATH", "CSP"]
