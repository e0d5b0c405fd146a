"""The console's Starlette app, mounted at /console by `server.app` (A-54).

Every POST route of every section is wrapped by `csrf_guard` here, at registration, so no page
can forget the check; errors become console pages (never a traceback), and every answer carries
a strict Content-Security-Policy: the console's own CSS and JS only.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..service.context import Context
from . import auth
from .framework import (
    ConsoleState,
    CsrfRejected,
    NotSignedIn,
    Section,
    console_of,
    current_principal,
    render,
)
from .pages import SECTIONS
from .sessions import SessionCodec, csrf_matches

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
MAX_FORM_BYTES = 64 * 1024
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")  # fmt: skip


def csrf_guard(endpoint: Route) -> Route:
    """The same route, refusing a POST whose form lacks the session's CSRF token (403)."""
    inner = endpoint.endpoint

    async def guarded(request: Request) -> Response:
        if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
            raise HTTPException(413, "The form is too large.")
        data = await request.form(max_files=0, max_fields=64)
        if not csrf_matches(console_of(request).sessions.read(request), data.get("csrf")):
            raise CsrfRejected()
        response: Response = await inner(request)
        return response

    return Route(endpoint.path, guarded, methods=sorted(endpoint.methods or ()),
                 name=endpoint.name)  # fmt: skip


def protect(routes: list[BaseRoute]) -> list[BaseRoute]:
    return [
        csrf_guard(r) if isinstance(r, Route) and "POST" in (r.methods or ()) else r for r in routes
    ]


async def home(request: Request) -> Response:
    principal = current_principal(request)
    if principal is None:
        return RedirectResponse("/console/login", status_code=303)
    sections = console_of(request).sections
    first = next(s for s in sections if principal.kind == "operator" or s.merchant)
    return RedirectResponse(first.path, status_code=303)


async def _signed_out(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/console/login", status_code=303)


async def _csrf(request: Request, exc: Exception) -> Response:
    message = ("This form was not sent from your current console session (its security token "
               "is missing or out of date). Go back, reload the page and try again.")  # fmt: skip
    return render(request, "error.html", 403, title="Form refused", message=message)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = {404: "Not found", 400: "Bad request", 405: "Not allowed"}.get(exc.status_code, "Error")
    return render(request, "error.html", exc.status_code, title=title, message=exc.detail)


class _Headers(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        try:
            response = await call_next(request)
        except Exception:  # a bug: logged once, answered with a page, never a traceback
            log.exception("console error on %s", request.url.path)
            response = render(request, "error.html", 500, title="Error",
                              message="Something went wrong; it has been logged.")  # fmt: skip
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def all_routes(sections: list[Section]) -> list[BaseRoute]:
    """Every route of the console, POST routes wrapped by the CSRF guard."""
    routes: list[BaseRoute] = [Route("/", home), *auth.routes()]
    for section in sections:
        routes += section.routes()
    return protect(routes)


def create_console(ctx: Context, sandbox: bool, sections: list[Section] | None = None) -> Starlette:
    sections = SECTIONS if sections is None else sections
    with ctx.store.transaction() as tx:
        secret = tx.console_secret(secrets.token_urlsafe(32))
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
    )
    routes = all_routes(sections)
    routes.append(Mount("/static", StaticFiles(directory=HERE / "static"), name="static"))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(_Headers)],
        exception_handlers={
            NotSignedIn: _signed_out,
            CsrfRejected: _csrf,
            HTTPException: _http,
        },
    )
    app.state.console = ConsoleState(ctx, templates, SessionCodec(secret), sections, sandbox)
    return app
