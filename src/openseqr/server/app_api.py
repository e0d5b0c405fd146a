"""The app-side JSON API (D-46): what the SEQR app (our wallet simulator) asks the server.

Errors are 4xx/5xx with `{"error": <name>, "message": <text>}`; the status table below is this
edge's single mapping from domain errors. PINs are never logged or echoed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..core import errors as e
from ..core.records import ClientSession, Invoice, SessionState
from ..protocol import urls
from ..service import sessions, wallet
from ..service.context import Context
from .openapi import OPENAPI

HTTP_STATUS: dict[type[e.SeqrError], int] = {
    e.UnknownCustomer: 404,
    e.WrongPin: 401,
    e.PinLocked: 423,
    e.InvoiceNotFound: 404,
    e.InvoiceChanged: 409,
    e.InvalidTransition: 409,
    e.UnknownSession: 404,
    e.ProviderUnavailable: 503,
    e.Busy: 503,
}


class BadRequest(e.SeqrError):
    """The request body is not what this endpoint expects."""


HTTP_STATUS[BadRequest] = 400


def _status(exc: e.SeqrError) -> int:
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 400


def error_response(exc: e.SeqrError) -> JSONResponse:
    return JSONResponse({"error": type(exc).__name__, "message": str(exc)}, _status(exc))


def _money(amount: Decimal | None, currency: str) -> dict[str, str] | None:
    return None if amount is None else {"value": f"{amount:.2f}", "currency": currency}


def invoice_json(inv: Invoice, merchant_name: str) -> dict[str, Any]:
    return {
        "reference": inv.reference,
        "status": inv.status.value,
        "version": inv.version,
        "merchant": merchant_name,
        "title": inv.title,
        "total": _money(inv.total.amount, inv.currency),
        "rows": [
            {
                "description": r.description,
                "quantity": str(r.quantity) if r.quantity is not None else None,
                "total": _money(r.total.amount, r.total.currency) if r.total else None,
            }
            for r in inv.rows
        ],
        "footer": inv.footer,
        "back_url": inv.back_url,
        "payment_mode": inv.payment_mode.value,
        "awaiting_merchant": inv.status.value == "PENDING_ISSUER_ACKNOWLEDGE",
        "ers_reference": inv.ers_reference,
        "paid_at": inv.paid_at.isoformat() if inv.paid_at else None,
        "reason": inv.reason,
        "refunded": _money(inv.refunded, inv.currency) if inv.refunded else None,
    }


def _session_json(s: ClientSession) -> dict[str, Any]:
    return {
        "token": s.token,
        "service_id": s.service_id,
        "state": s.state.value,
        "expires_at": s.expires_at.isoformat(),
    }


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise BadRequest("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def _field(data: dict[str, Any], name: str, required: bool = True) -> Any:
    value = data.get(name)
    if required and (value is None or value == ""):
        raise BadRequest(f"{name} is required")
    if value is not None and not isinstance(value, (str, int)):
        raise BadRequest(f"{name} must be a string")
    return str(value) if value is not None else None


Handler = Callable[[Request], Awaitable[JSONResponse]]


def routes(ctx: Context) -> list[Route]:
    def call(fn: Handler) -> Handler:
        async def endpoint(request: Request) -> JSONResponse:
            try:
                return await fn(request)
            except e.SeqrError as exc:
                return error_response(exc)

        return endpoint

    async def scan(request: Request) -> JSONResponse:
        data = await _body(request)
        code = _field(data, "code")
        msisdn = _field(data, "msisdn", required=False)
        confirm = data.get("confirm_identity", True)
        if not isinstance(confirm, bool):
            raise BadRequest("confirm_identity must be a boolean")
        customer = (
            await run_in_threadpool(wallet.customer_by_msisdn, ctx, msisdn) if msisdn else None
        )
        result = await run_in_threadpool(wallet.scan, ctx, code, customer, confirm_identity=confirm)
        if isinstance(result, wallet.InvoiceView):
            return JSONResponse(
                {"kind": "invoice", "invoice": invoice_json(result.invoice, result.merchant_name)}
            )
        if isinstance(result, wallet.Waiting):
            return JSONResponse(
                {"kind": "waiting", "terminal": result.terminal_name, "seqr_id": result.seqr_id}
            )
        s = result.service
        return JSONResponse(
            {
                "kind": "service",
                "service": {"id": s.service_id, "name": s.name},
                "session": _session_json(result.session),
                "order_url": result.order_url,
                "success_url": s.success_url,
                "failure_url": s.failure_url,
                "cancel_url": s.cancel_url,
            }
        )

    async def get_invoice(request: Request) -> JSONResponse:
        msisdn = request.query_params.get("msisdn")
        customer = (
            await run_in_threadpool(wallet.customer_by_msisdn, ctx, msisdn) if msisdn else None
        )
        view = await run_in_threadpool(
            wallet.view_invoice, ctx, request.path_params["reference"], customer
        )
        return JSONResponse(invoice_json(view.invoice, view.merchant_name))

    async def pay(request: Request) -> JSONResponse:
        data = await _body(request)
        version = data.get("version")
        if version is not None and not isinstance(version, int):
            raise BadRequest("version must be an integer")
        view = await run_in_threadpool(
            wallet.pay,
            ctx,
            request.path_params["reference"],
            _field(data, "msisdn"),
            _field(data, "pin"),
            version,
        )
        return JSONResponse(invoice_json(view.invoice, view.merchant_name))

    async def cancel(request: Request) -> JSONResponse:
        data = await _body(request)
        view = await run_in_threadpool(
            wallet.cancel,
            ctx,
            request.path_params["reference"],
            _field(data, "msisdn"),
            _field(data, "pin"),
        )
        return JSONResponse(invoice_json(view.invoice, view.merchant_name))

    async def my_wallet(request: Request) -> JSONResponse:
        data = await _body(request)
        customer = await run_in_threadpool(
            wallet.verify_pin, ctx, _field(data, "msisdn"), _field(data, "pin")
        )
        w = await run_in_threadpool(wallet.wallet, ctx, customer)
        return JSONResponse(
            {
                "msisdn": customer.msisdn,
                "name": customer.name,
                "subscriber_key": customer.subscriber_key,
                "balances": w.balances,
                "invoices": [invoice_json(i, "") for i in w.invoices],
                "messages": [
                    {
                        "text": msg.text,
                        "at": msg.created_at.isoformat(),
                        "invoice_reference": msg.invoice_reference,
                    }
                    for msg in w.messages
                ],
            }
        )

    async def cancel_session(request: Request) -> JSONResponse:
        """SEQR-ACTION://WIZARD/CANCEL or the user closed the service view (D-06)."""
        s = await run_in_threadpool(
            sessions.set_session_state, ctx, request.path_params["token"], SessionState.CANCELLED
        )
        return JSONResponse(_session_json(s))

    async def confirm_session(request: Request) -> JSONResponse:
        """The app confirmed the user's identity for a session opened with
        `confirm_identity: false`: IN_PROGRESS (62) → ACTIVE (0). Idempotent for ACTIVE."""
        s = await run_in_threadpool(
            sessions.set_session_state, ctx, request.path_params["token"], SessionState.ACTIVE
        )
        if s.state is not SessionState.ACTIVE:
            raise e.InvalidTransition(f"the session is {s.state.value}")
        return JSONResponse(_session_json(s))

    async def parse(request: Request) -> JSONResponse:
        """Classify a code without side effects (the app decides what to do with it)."""
        data = await _body(request)
        try:
            code = urls.parse_code(_field(data, "code"))
        except urls.InvalidCode as exc:
            raise BadRequest(str(exc)) from None
        return JSONResponse({"kind": type(code).__name__, "code": urls.format_code(code)})

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(OPENAPI)

    base = "/api/app/v1"
    return [
        Route(f"{base}/openapi.json", openapi, methods=["GET"]),
        Route(f"{base}/scan", call(scan), methods=["POST"]),
        Route(f"{base}/codes/parse", call(parse), methods=["POST"]),
        Route(f"{base}/invoices/{{reference}}", call(get_invoice), methods=["GET"]),
        Route(f"{base}/invoices/{{reference}}/pay", call(pay), methods=["POST"]),
        Route(f"{base}/invoices/{{reference}}/cancel", call(cancel), methods=["POST"]),
        Route(f"{base}/wallet", call(my_wallet), methods=["POST"]),
        Route(f"{base}/sessions/{{token}}/cancel", call(cancel_session), methods=["POST"]),
        Route(f"{base}/sessions/{{token}}/confirm", call(confirm_session), methods=["POST"]),
    ]


__all__ = ["routes", "invoice_json", "error_response"]
