"""Sign in and sign out. Operators use their console account; merchants sign in as
`resellerId/userId` with the RESELLERUSER password they use for SOAP (A-56)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..core import errors
from ..core.records import PrincipalStatus
from ..service.auth import source_of
from ..service.operators import DEMO_OPERATOR, sign_in_merchant, sign_in_operator
from .framework import (
    MERCHANT,
    OPERATOR,
    Principal,
    audit,
    console_of,
    current_principal,
    field_of,
    form,
    render,
)
from .sessions import Session, stamp_of


async def login_page(request: Request) -> Response:
    return _login_form(request, error=None)


def _login_form(request: Request, error: str | None, status_code: int = 200) -> Response:
    console = console_of(request)
    session = console.sessions.read(request)
    if session is None or session.kind is not None:
        session = Session.anonymous()
    request.state.principal = None
    demo = DEMO_OPERATOR if console.sandbox else None
    response = render(
        request, "login.html", status_code, error=error, demo=demo, csrf_override=session.csrf
    )
    console.sessions.write(request, response, session)
    return response


async def login(request: Request) -> Response:
    data = await form(request)
    login_name = field_of(data, "login", required=False)
    password = field_of(data, "password", required=False, strip=False)
    if not login_name or not password:
        return _login_form(request, "Enter your name and password.", 400)
    ctx = console_of(request).ctx
    source = source_of(request.client.host if request.client else None)
    try:
        if "/" in login_name:
            kind, name = MERCHANT, await sign_in_merchant(ctx, login_name, password, source)
            with ctx.store.transaction(write=False) as tx:
                reseller = tx.get_reseller(name)
            if reseller is None or reseller.status is not PrincipalStatus.ACTIVE:
                raise errors.AuthenticationFailed()
            stamp = stamp_of(reseller.password_hash)
        else:
            operator = await sign_in_operator(ctx, login_name, password, source)
            kind, name, stamp = OPERATOR, operator.name, stamp_of(operator.password_hash)
    except errors.Busy:
        return _login_form(request, "The server is busy; try again in a moment.", 503)
    except errors.DomainError as exc:
        return _login_form(request, _login_message(exc), 401)
    session = Session(Session.anonymous().csrf, kind, name, stamp)  # a fresh CSRF token
    response = RedirectResponse("/console/", status_code=303)
    console_of(request).sessions.write(request, response, session)
    request.state.principal = Principal(kind, name)
    audit(request, "login")
    return response


def _login_message(exc: errors.DomainError) -> str:
    text = str(exc)
    if "wait" in text:  # the throttle's refusal says what to do
        return text[0].upper() + text[1:] + "."
    return "Wrong name or password."


async def logout(request: Request) -> Response:
    if current_principal(request) is not None:
        audit(request, "logout")
    response = RedirectResponse("/console/login", status_code=303)
    console_of(request).sessions.clear(request, response)
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
