"""Resellers and terminals: lists, details, block/unblock, the sticker QR and a new password
(A-60). A merchant sees only its own reseller and terminals, read-only with the sticker; the
actions are the operator's."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...core.records import PrincipalStatus, Terminal
from ...protocol import urls
from ...service import admin
from ...service import console_admin as use
from ..framework import (
    ANYONE,
    OPERATOR,
    Principal,
    Section,
    audit,
    bad_request,
    ctx_of,
    form,
    not_found,
    render,
    require,
)
from .params import path_id
from .qr_download import qr_file


def sticker_code(terminal: Terminal) -> str | None:
    """The U4 sticker content, once the terminal has a SEQR ID (assignSeqrId)."""
    return urls.format_code(urls.TerminalCode(terminal.seqr_id)) if terminal.seqr_id else None


def _terminal(request: Request, principal: Principal) -> Terminal:
    """The terminal of the path, if it belongs to the path's reseller and the principal sees it."""
    reseller_id = path_id(request, "reseller_id", "terminal")
    terminal_id = path_id(request, "terminal_id", "terminal")
    if not principal.sees(reseller_id):
        raise not_found("terminal")
    try:
        terminal = admin.get_terminal(ctx_of(request), terminal_id)
    except admin.AdminError:
        raise not_found("terminal") from None
    if terminal.reseller_id != reseller_id:
        raise not_found("terminal")
    return terminal


def _terminal_url(t: Terminal, done: str = "") -> str:
    return f"/console/resellers/{t.reseller_id}/terminals/{t.terminal_id}" + (
        f"?done={done}" if done else ""
    )


async def list_resellers(request: Request) -> Response:
    principal = await require(request, ANYONE)
    if principal.scope is not None:
        return RedirectResponse(f"/console/resellers/{principal.scope}", status_code=303)
    rows = use.list_resellers(ctx_of(request))
    return render(request, "resellers.html", active="resellers", resellers=rows)


async def show_reseller(request: Request) -> Response:
    principal = await require(request, ANYONE)
    reseller_id = path_id(request, "reseller_id", "reseller")
    if not principal.sees(reseller_id):
        raise not_found("reseller")
    try:
        detail = use.reseller_detail(ctx_of(request), reseller_id)
    except admin.AdminError:
        raise not_found("reseller") from None
    return render(request, "reseller.html", active="resellers", d=detail)


async def show_terminal(request: Request) -> Response:
    principal = await require(request, ANYONE)
    terminal = _terminal(request, principal)
    notice = {"blocked": "Terminal blocked.", "unblocked": "Terminal unblocked."}
    return render(request, "terminal.html", active="resellers", t=terminal,
                  sticker=sticker_code(terminal),
                  notice=notice.get(request.query_params.get("done", "")))  # fmt: skip


async def set_status(request: Request, status: PrincipalStatus) -> Response:
    principal = await require(request, OPERATOR)
    await form(request)
    terminal = _terminal(request, principal)
    try:
        admin.set_terminal_status(ctx_of(request), terminal.terminal_id, status)
    except admin.AdminError as exc:
        raise bad_request(str(exc)) from None
    verb = "block" if status is PrincipalStatus.BLOCKED else "unblock"
    audit(request, f"terminal.{verb}", terminal.terminal_id, reseller_id=terminal.reseller_id)
    return RedirectResponse(_terminal_url(terminal, f"{verb}ed"), status_code=303)


async def block(request: Request) -> Response:
    return await set_status(request, PrincipalStatus.BLOCKED)


async def unblock(request: Request) -> Response:
    return await set_status(request, PrincipalStatus.ACTIVE)


async def reset_password(request: Request) -> Response:
    """Shown once, on this answer only (never stored in clear, never in the audit log)."""
    principal = await require(request, OPERATOR)
    await form(request)
    terminal = _terminal(request, principal)
    password = use.reset_terminal_password(ctx_of(request), terminal.terminal_id)
    audit(request, "terminal.reset_password", terminal.terminal_id,
          reseller_id=terminal.reseller_id)  # fmt: skip
    return render(request, "terminal.html", active="resellers", t=terminal,
                  sticker=sticker_code(terminal), new_password=password)  # fmt: skip


async def sticker(request: Request) -> Response:
    principal = await require(request, ANYONE)
    terminal = _terminal(request, principal)
    code = sticker_code(terminal)
    if code is None:
        raise not_found("sticker")
    return qr_file(code, request.path_params["fmt"], f"sticker-{terminal.terminal_id}")


def routes() -> list[BaseRoute]:
    terminal = "/resellers/{reseller_id}/terminals/{terminal_id}"
    return [
        Route("/resellers", list_resellers, methods=["GET"]),
        Route("/resellers/{reseller_id}", show_reseller, methods=["GET"]),
        Route(terminal, show_terminal, methods=["GET"]),
        Route(terminal + "/block", block, methods=["POST"]),
        Route(terminal + "/unblock", unblock, methods=["POST"]),
        Route(terminal + "/password", reset_password, methods=["POST"]),
        Route(terminal + "/sticker.{fmt}", sticker, methods=["GET"]),
    ]


SECTION = Section("resellers", "Resellers & terminals", routes, merchant=True)
