"""Reports: a reseller's transaction periods, closing a new one, and the STD_RECON reports of
each to download (A-60). A merchant sees only its own periods."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...service import console_admin as use
from ...service.admin import AdminError
from ..framework import (
    ANYONE,
    Section,
    audit,
    bad_request,
    ctx_of,
    form,
    not_found,
    render,
    require,
)
from .params import form_text, path_id, query_text


async def list_periods(request: Request) -> Response:
    principal = await require(request, ANYONE)
    ctx = ctx_of(request)
    resellers = [] if principal.scope else use.list_resellers(ctx)
    reseller_id = principal.scope or query_text(request, "reseller")
    if reseller_id is None and resellers:
        reseller_id = resellers[0].reseller_id
    try:
        periods = use.transaction_periods(ctx, reseller_id) if reseller_id else []
    except AdminError:
        raise not_found("reseller") from None
    rows = [(p, use.reports_of(p)) for p in periods]
    done = query_text(request, "done")
    return render(request, "reports.html", active="reports", resellers=resellers,
                  reseller_id=reseller_id, rows=rows,
                  notice=f"Period {done} closed." if done and done.isdigit() else None)  # fmt: skip


async def close_period(request: Request) -> Response:
    principal = await require(request, ANYONE)
    data = await form(request)
    reseller_id = principal.scope or form_text(data, "reseller")
    if not principal.sees(reseller_id):
        raise not_found("reseller")
    terminal_id = form_text(data, "terminal", required=False) or None
    try:
        period = use.close_period(ctx_of(request), reseller_id, terminal_id)
    except AdminError as exc:
        if str(exc).startswith("no reseller"):
            raise not_found("reseller") from None
        raise bad_request(f"The period was not closed: {exc}") from None
    audit(request, "period.close", period.period_id, {"terminal": terminal_id or ""},
          reseller_id=reseller_id)  # fmt: skip
    return RedirectResponse(f"/console/reports?reseller={reseller_id}&done={period.period_id}",
                            status_code=303)  # fmt: skip


async def download(request: Request) -> Response:
    principal = await require(request, ANYONE)
    period_id = path_id(request, "period_id", "report")
    report_id = path_id(request, "report_id", "report")
    try:
        doc = use.period_report(ctx_of(request), period_id, report_id, principal.scope)
    except AdminError:
        raise not_found("report") from None
    return Response(doc.content, media_type="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{report_id}_{period_id}.xml"'})  # fmt: skip


def routes() -> list[BaseRoute]:
    return [
        Route("/reports", list_periods, methods=["GET"]),
        Route("/reports/close", close_period, methods=["POST"]),
        Route("/reports/{period_id}/{report_id}.xml", download, methods=["GET"]),
    ]


SECTION = Section("reports", "Reports", routes, merchant=True)
