"""The till's page helpers and its setup (P-1 … P-3) and reconciliation (10.1) endpoints:
module-level functions that find the till's state on ``request.app.state.till`` (a `Till`).
The sale endpoints are in `sale`."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from openseqr.sdk import AsyncResellerClient, SeqrClientError, qr_png, qr_svg, terminal_qr

from .._common.clock import utc_now
from .._common.web import health, redirect, render
from .till import NotRegistered, Till, describe, new_password, parse_report

log = logging.getLogger("openseqr.merchants.pos")


def till_of(request: Request) -> Till:
    return request.app.state.till


# -- responses ------------------------------------------------------------------------------
def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    cfg = till_of(request).store.config()
    env = till_of(request).env
    return render(
        env, request, name, status_code, cfg=cfg, registered="terminal_id" in cfg, **context
    )


def message(
    request: Request, title: str, text: str, status_code: int = 200, back: str = "/cashier"
) -> HTMLResponse:
    return page(request, "message.html", status_code, title=title, text=text, back=back)


def not_registered(request: Request) -> Response:
    return redirect(request, "/setup")


def is_registered(request: Request) -> bool:
    return "terminal_id" in till_of(request).store.config()


# -- setup (P-1 … P-3) --------------------------------------------------------------------------
async def index(request: Request) -> Response:
    return redirect(request, "/cashier" if is_registered(request) else "/setup")


def setup_page(request: Request, status_code: int = 200, **fields: Any) -> HTMLResponse:
    """The setup page, its form pre-filled with the till's defaults unless `fields` say else."""
    d = till_of(request).defaults
    cfg = till_of(request).store.config()
    context: dict[str, Any] = {
        "reseller_id": d.reseller_id,
        "reseller_user": d.reseller_user,
        "reseller_password": d.reseller_password or "",
        "external_terminal_id": d.external_terminal_id,
        "terminal_name": d.terminal_name,
        "sticker": terminal_qr(cfg["seqr_id"]) if "seqr_id" in cfg else None,
        "error": request.query_params.get("error"),
    }
    return page(request, "setup.html", status_code, **(context | fields))


async def setup(request: Request) -> Response:
    return setup_page(request)


async def register(request: Request) -> Response:
    till, d = till_of(request), till_of(request).defaults
    form = await request.form()
    rid = str(form.get("reseller_id") or d.reseller_id).strip()
    user = str(form.get("reseller_user") or d.reseller_user).strip()
    pw = str(form.get("reseller_password") or d.reseller_password or "")
    ext = str(form.get("external_terminal_id") or d.external_terminal_id).strip()
    name = str(form.get("name") or d.terminal_name).strip()
    password = new_password()
    try:
        async with AsyncResellerClient(
            till.seqr_url, rid, user, pw, client_id="openseqr pos 1.0"
        ) as reseller:
            reg = await reseller.register_terminal(ext, name, password=password)
    except SeqrClientError as exc:
        log.warning("registerTerminal failed: %s", exc)
        return setup_page(
            request,
            400,
            reseller_id=rid,
            reseller_user=user,
            reseller_password="",
            external_terminal_id=ext,
            terminal_name=name,
            sticker=None,
            error=f"Registration failed: {describe(exc)}",
        )
    till.store.clear_registration()
    till.store.set_config(
        terminal_id=reg.terminal_id,
        password=reg.password,
        external_terminal_id=ext,
        name=name,
        reseller_id=rid,
        registered_at=utc_now().isoformat(),
    )
    return redirect(request, "/setup")


async def assign(request: Request) -> Response:
    till = till_of(request)
    form = await request.form()
    seqr_id = str(form.get("seqr_id", "")).strip()
    try:
        await till.terminal().assign_seqr_id(seqr_id)
    except NotRegistered:
        return not_registered(request)
    except SeqrClientError as exc:
        cfg = till.store.config()
        return setup_page(
            request,
            400,
            reseller_id=cfg.get("reseller_id", till.defaults.reseller_id),
            reseller_password="",
            external_terminal_id=cfg.get("external_terminal_id", ""),
            terminal_name=cfg.get("name", ""),
            sticker=None,
            error=f"The SEQR ID was refused: {describe(exc)}",
        )
    till.store.set_config(seqr_id=seqr_id)
    return redirect(request, "/setup")


async def unregister(request: Request) -> Response:
    till = till_of(request)
    try:
        await till.terminal().unregister_terminal()
    except NotRegistered:
        return not_registered(request)
    except SeqrClientError as exc:
        return message(request, "Unregistering failed", describe(exc), 502, back="/setup")
    till.store.clear_registration()
    return redirect(request, "/setup")


async def sticker(request: Request) -> Response:
    cfg = till_of(request).store.config()
    if "seqr_id" not in cfg:
        return redirect(request, "/setup")
    return page(request, "sticker.html", sticker=terminal_qr(cfg["seqr_id"]))


async def sticker_image(request: Request) -> Response:
    cfg = till_of(request).store.config()
    if "seqr_id" not in cfg:
        return Response("no SEQR ID assigned", 404)
    code = terminal_qr(cfg["seqr_id"])
    if request.path_params["fmt"] == "png":
        return Response(qr_png(code, scale=10), media_type="image/png")
    if request.path_params["fmt"] == "svg":
        return Response(qr_svg(code, scale=10), media_type="image/svg+xml")
    return Response("not found", 404)


async def pos_health(request: Request) -> Response:
    return health("pos", registered=is_registered(request))


# -- close & reconcile (10.1) -------------------------------------------------------------------
def reconcile_page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    fields: dict[str, Any] = {"period": None, "summary": None, "details": None, "error": None}
    periods = till_of(request).store.periods(10)
    return page(request, "reconcile.html", status_code, periods=periods, **(fields | context))


async def reconcile_view(request: Request) -> Response:
    if not is_registered(request):
        return not_registered(request)
    return reconcile_page(request, error=request.query_params.get("error"))


async def close_day(request: Request) -> Response:
    till = till_of(request)
    try:
        period_id, summary, details = await till.close_period()
    except NotRegistered:
        return not_registered(request)
    except SeqrClientError as exc:
        return reconcile_page(request, 502, error=f"Reconciliation failed: {describe(exc)}")
    till.store.add_period(period_id, summary, details)
    return redirect(request, f"/reconcile/{period_id}")


async def period_view(request: Request) -> Response:
    period = till_of(request).store.period(request.path_params["period_id"])
    if period is None:
        return message(
            request, "Unknown period", "There is no such period.", 404, back="/reconcile"
        )
    return reconcile_page(
        request,
        period=period,
        summary=parse_report(period.summary_xml),
        details=parse_report(period.details_xml),
    )
