"""What every console page uses: `require`, `form`, `audit`, `render`, `query` and `Section`.

See the package docstring for how a page is written with them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from jinja2 import Environment
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute

from ..core.console import AuditEntry
from ..core.records import PrincipalStatus
from ..service.context import Context
from .sessions import Session, SessionCodec, stamp_of

log = logging.getLogger(__name__)

OPERATOR = "operator"
MERCHANT = "merchant"
ANYONE = "anyone"  # an operator, or a merchant within its own scope
MAX_FIELD = 512  # characters in one query parameter or form field
_UNCHECKED = object()  # request.state has no principal yet


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is signed in. A merchant sees only its own reseller's objects (`scope`)."""

    kind: str  # OPERATOR | MERCHANT
    name: str  # operator name, or the merchant's reseller id

    @property
    def scope(self) -> str | None:
        """The reseller id every query must be limited to; None for an operator (all)."""
        return self.name if self.kind == MERCHANT else None

    def sees(self, reseller_id: str | None) -> bool:
        return self.kind == OPERATOR or (reseller_id is not None and reseller_id == self.name)


@dataclass(frozen=True)
class Section:
    """One entry of the navigation and the routes behind it (paths relative to /console)."""

    slug: str  # first path segment: /console/<slug>
    title: str
    routes: Callable[[], list[BaseRoute]]
    merchant: bool = False  # shown to (and reachable by) merchants, scoped to their reseller

    @property
    def path(self) -> str:
        return f"/console/{self.slug}"


@dataclass
class ConsoleState:
    ctx: Context
    templates: Environment
    sessions: SessionCodec
    sections: list[Section]
    sandbox: bool


class NotSignedIn(Exception):
    """No valid session: the browser is sent to the login page."""


class CsrfRejected(Exception):
    """A form without the session's CSRF token (403)."""


def console_of(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state


def ctx_of(request: Request) -> Context:
    return console_of(request).ctx


def not_found(what: str = "page") -> HTTPException:
    """The answer for anything unknown *or outside the principal's scope* (never 403)."""
    return HTTPException(404, f"No such {what}.")


def bad_request(message: str) -> HTTPException:
    return HTTPException(400, message)


async def require(request: Request, role: str = OPERATOR) -> Principal:
    """The signed-in principal if it may use a page for `role`; else login, or 404."""
    principal = current_principal(request)
    if principal is None:
        raise NotSignedIn()
    if role == OPERATOR and principal.kind != OPERATOR:
        raise not_found()  # a merchant does not learn which operator pages exist
    return principal


def current_principal(request: Request) -> Principal | None:
    cached = getattr(request.state, "principal", _UNCHECKED)
    if cached is not _UNCHECKED:
        return cast(Principal | None, cached)
    console = console_of(request)
    session = console.sessions.read(request)
    principal = _check(console.ctx, session) if session is not None else None
    request.state.principal = principal
    return principal


def _check(ctx: Context, session: Session) -> Principal | None:
    if session.kind is None or session.name is None:
        return None
    with ctx.store.transaction(write=False) as tx:
        if session.kind == OPERATOR:
            operator = tx.get_operator(session.name)
            valid = operator is not None and operator.active and (
                stamp_of(operator.password_hash) == session.stamp)  # fmt: skip
        elif session.kind == MERCHANT:
            reseller = tx.get_reseller(session.name)
            valid = reseller is not None and reseller.status is PrincipalStatus.ACTIVE and (
                stamp_of(reseller.password_hash) == session.stamp)  # fmt: skip
        else:
            valid = False
    return Principal(session.kind, session.name) if valid else None


async def form(request: Request) -> FormData:
    """The POSTed form. Its CSRF token was checked before the endpoint ran (`csrf_guard`)."""
    return await request.form(max_files=0, max_fields=64)


def field_of(
    data: Mapping[str, Any], name: str, *, required: bool = True, strip: bool = True
) -> str:
    """One text field, bounded; 400 when required and missing or when too long."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise bad_request(f"{name} is required.")
        return ""
    if not isinstance(value, str) or len(value) > MAX_FIELD or "\x00" in value:
        raise bad_request(f"{name} is not valid.")  # PostgreSQL refuses a NUL in text
    return value.strip() if strip else value


def query(request: Request, name: str) -> str | None:
    """One query parameter, bounded and stripped; None when absent or empty."""
    value = request.query_params.get(name)
    if value is None or not value.strip():
        return None
    if len(value) > MAX_FIELD:
        raise bad_request(f"The {name} filter is too long.")
    if not value.isprintable():  # a NUL would reach PostgreSQL as an error
        raise bad_request(f"The {name} filter is not valid.")
    return value.strip()


def audit(
    request: Request,
    action: str,
    target: str = "",
    detail: Mapping[str, str] | None = None,
    reseller_id: str | None = None,
) -> None:
    """Record a console action in the audit log (its own short write transaction)."""
    principal = current_principal(request)
    ctx = ctx_of(request)
    entry = AuditEntry(
        None,
        ctx.now(),
        principal.kind if principal else OPERATOR,
        principal.name if principal else "",
        action,
        target,
        dict(detail or {}),
        reseller_id if reseller_id is not None else (principal.scope if principal else None),
    )
    with ctx.store.transaction() as tx:
        tx.append_audit(entry)


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    """A page of the console layout, with the principal, the navigation and the CSRF token."""
    console = console_of(request)
    principal = current_principal(request)
    session = console.sessions.read(request)
    csrf = values.pop("csrf_override", None) or (session.csrf if session else "")
    nav = [
        s
        for s in console.sections
        if principal is not None and (principal.kind == OPERATOR or s.merchant)
    ]
    html = console.templates.get_template(template).render(
        request=request,
        principal=principal,
        nav=nav,
        csrf=csrf,
        sandbox=console.sandbox,
        **values,
    )
    return HTMLResponse(html, status_code=status_code)
