"""Page rendering and the Starlette app shell shared by the merchants' web apps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles


def templates(package: str, **template_globals: Any) -> Environment:
    """The Jinja environment of `package`'s ``templates/`` folder (HTML autoescaped); the
    shared page skeleton ``_page.html`` of this package's ``templates/`` is found as well."""
    loader = ChoiceLoader(
        [PackageLoader(package, "templates"), PackageLoader(__package__ or "", "templates")]
    )
    env = Environment(loader=loader, autoescape=select_autoescape(["html"]))
    env.globals.update(template_globals)
    return env


def root_path(request: Request) -> str:
    """Where the app is mounted (``""`` at the top), to prefix the app's own URLs with."""
    return request.scope.get("root_path", "").rstrip("/")


def render(
    env: Environment, request: Request, name: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Template `name` as an uncached HTML page; templates get ``root`` (see `root_path`)."""
    html = env.get_template(name).render(root=root_path(request), **context)
    return HTMLResponse(html, status_code, headers={"Cache-Control": "no-store"})


def wants_json(request: Request) -> bool:
    """The page's own script asks (``Accept: application/json``), not a browser navigation."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def redirect(request: Request, path: str) -> RedirectResponse:
    """303 to the app's own `path` (``/cashier``), wherever the app is mounted."""
    return RedirectResponse(root_path(request) + path, 303)


def set_app_cookie(
    response: Response, request: Request, name: str, value: str, *, max_age: int, secure: bool
) -> None:
    """An HTTP-only, same-site cookie for the app's own path."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path=request.scope.get("root_path", "") or "/",
    )


def health(service: str, **extra: Any) -> JSONResponse:
    """The ``/health`` answer launchers wait for."""
    return JSONResponse({"status": "ok", "service": service, **extra})


def merchant_app(
    routes: Sequence[BaseRoute],
    *,
    static: Path,
    on_shutdown: Callable[[], Awaitable[None]],
    **state: Any,
) -> Starlette:
    """A Starlette app of `routes` plus ``/static`` (the folder `static`); `state` is set on
    ``app.state`` and `on_shutdown` runs when the app stops (close clients and the store)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await on_shutdown()

    mount = Mount("/static", app=StaticFiles(directory=static), name="static")
    app = Starlette(routes=[*routes, mount], lifespan=lifespan)
    for key, value in state.items():
        setattr(app.state, key, value)
    return app
