"""The app-side JSON API (D-46): what the SEQR app (our wallet simulator) asks the server.

Module-level endpoints: each reads the service context from `request.app.state.ctx`, so any of
them can be mounted and tested alone. Errors are problem JSON from `problems.py`, the edge's one
error table; request and answer shapes are the models of `app_models.py`. PINs are never logged
or echoed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..core import errors as e
from ..core.records import ClientSession, Invoice, SessionState
from ..protocol import urls
from ..service import sessions, wallet
from . import app_models as m
from .app_auth import carries_token, signed_in
from .app_http import Operation, QueryParam, client_source, ctx_of
from .problems import BadRequest

BASE = "/api/app/v1"


# -- the JSON shapes, built once ---------------------------------------------------------------
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


def session_json(s: ClientSession) -> dict[str, Any]:
    return {
        "token": s.token,
        "service_id": s.service_id,
        "state": s.state.value,
        "expires_at": s.expires_at.isoformat(),
    }


def wallet_json(w: wallet.Wallet) -> dict[str, Any]:
    """The customer's wallet, with the merchant's name on every invoice."""
    customer = w.customer
    return {
        "msisdn": customer.msisdn,
        "name": customer.name,
        "subscriber_key": customer.subscriber_key,
        "balances": w.balances,
        "invoices": [invoice_json(i, w.merchant_names.get(i.terminal_id, "")) for i in w.invoices],
        "messages": [
            {
                "text": msg.text,
                "at": msg.created_at.isoformat(),
                "invoice_reference": msg.invoice_reference,
            }
            for msg in w.messages
        ],
    }


def _view_json(view: wallet.InvoiceView) -> dict[str, Any]:
    return invoice_json(view.invoice, view.merchant_name)


def scan_json(result: wallet.InvoiceView | wallet.Waiting | wallet.ServiceOpened) -> dict[str, Any]:
    if isinstance(result, wallet.InvoiceView):
        return {"kind": "invoice", "invoice": _view_json(result)}
    if isinstance(result, wallet.Waiting):
        return {"kind": "waiting", "terminal": result.terminal_name, "seqr_id": result.seqr_id}
    s = result.service
    return {
        "kind": "service",
        "service": {"id": s.service_id, "name": s.name},
        "session": session_json(result.session),
        "order_url": result.order_url,
        "success_url": s.success_url,
        "failure_url": s.failure_url,
        "cancel_url": s.cancel_url,
    }


# -- endpoints ---------------------------------------------------------------------------------
async def scan(request: Request, body: m.ScanIn) -> dict[str, Any]:
    """Resolve a scanned QR or opened link (invoice, terminal sticker, service) for the
    signed-in customer: binds them as payer or opens a service session with their identity."""
    customer = await signed_in(request)
    result = await run_in_threadpool(
        wallet.scan, ctx_of(request), body.code, customer, confirm_identity=body.confirm_identity
    )
    return scan_json(result)


async def get_invoice(request: Request) -> dict[str, Any]:
    """Show an invoice. Signed in, fetching binds the customer as payer (T2) and attaches their
    stored tokens (D-64); without a token it only shows it, binding nobody. `?msisdn=` without
    a token is refused (401) rather than ignored, so an old client learns it must sign in."""
    customer = None
    if carries_token(request) or "msisdn" in request.query_params:
        customer = await signed_in(request)
    view = await run_in_threadpool(
        wallet.view_invoice, ctx_of(request), request.path_params["reference"], customer
    )
    return _view_json(view)


async def pay(request: Request, body: m.PayIn) -> dict[str, Any]:
    """Pay with the PIN (the PIN is the proof; one call). A-40: with an instant provider and a
    PIN this process has verified, on the event loop like a SOAP call (a short transaction);
    a PIN that needs the KDF, or a slow provider, in the thread pool."""
    ctx = ctx_of(request)
    args = (ctx, request.path_params["reference"], body.msisdn, body.pin, body.version)
    source = client_source(request)
    if not ctx.config.provider_latency:
        try:
            return _view_json(wallet.pay(*args, source=source, kdf=False))
        except wallet.NeedsKdf:
            pass  # nothing was written; the KDF runs off the loop
    return _view_json(await run_in_threadpool(wallet.pay, *args, source=source))


async def cancel(request: Request, body: m.CredentialsIn) -> dict[str, Any]:
    """The customer pressed Cancel in the payment screen (D-28); the PIN proves who they are."""
    view = await run_in_threadpool(
        wallet.cancel,
        ctx_of(request),
        request.path_params["reference"],
        body.msisdn,
        body.pin,
        client_source(request),
    )
    return _view_json(view)


async def my_wallet(request: Request, body: m.CredentialsIn) -> dict[str, Any]:
    """Balances, history and messages of a customer (msisdn + PIN)."""
    ctx = ctx_of(request)
    customer = await run_in_threadpool(
        wallet.verify_pin, ctx, body.msisdn, body.pin, client_source(request)
    )
    return wallet_json(await run_in_threadpool(wallet.wallet, ctx, customer))


async def cancel_session(request: Request) -> dict[str, Any]:
    """SEQR-ACTION://WIZARD/CANCEL or the user closed the service view (D-06). Ending a session
    grants nothing, so the service page may do it too; with a token, only the owner's (A-15)."""
    owner = await signed_in(request) if carries_token(request) else None
    s = await run_in_threadpool(
        sessions.set_session_state,
        ctx_of(request),
        request.path_params["token"],
        SessionState.CANCELLED,
        owner,
    )
    return session_json(s)


async def confirm_session(request: Request) -> dict[str, Any]:
    """The app confirmed the user's identity for a session opened with
    `confirm_identity: false`: IN_PROGRESS (62) → ACTIVE (0). Idempotent for ACTIVE.
    Only the session's own customer, signed in, may confirm it (never the merchant)."""
    owner = await signed_in(request)
    s = await run_in_threadpool(
        sessions.set_session_state,
        ctx_of(request),
        request.path_params["token"],
        SessionState.ACTIVE,
        owner,
    )
    if s.state is not SessionState.ACTIVE:
        raise e.InvalidTransition(f"the session is {s.state.value}")
    return session_json(s)


async def parse(request: Request, body: m.CodeIn) -> dict[str, Any]:
    """Classify a code without side effects (the app decides what to do with it)."""
    try:
        code = urls.parse_code(body.code)
    except urls.InvalidCode as exc:
        raise BadRequest(str(exc)) from None
    return {"kind": type(code).__name__, "code": urls.format_code(code)}


MSISDN_QUERY = QueryParam(
    "msisdn", "no longer names a customer: without a token it is refused (401); sign in (A-15)"
)

OPERATIONS = [
    Operation(
        "POST",
        f"{BASE}/scan",
        scan,
        scan.__doc__ or "",
        m.ScanOut,
        m.ScanIn,
        (400, 401, 404, 409, 422, 423),
        signed_in=True,
    ),
    Operation(
        "POST", f"{BASE}/codes/parse", parse, "Classify a code", m.ParsedCode, m.CodeIn, (400, 422)
    ),
    Operation(
        "GET",
        f"{BASE}/invoices/{{reference}}",
        get_invoice,
        "Show an invoice; signed in, the customer is bound as payer",
        m.InvoiceOut,
        errors=(401, 404, 423),
        query=(MSISDN_QUERY,),
        token_optional=True,
    ),
    Operation(
        "POST",
        f"{BASE}/invoices/{{reference}}/pay",
        pay,
        "Pay with the PIN; version = the invoice version the app showed",
        m.InvoiceOut,
        m.PayIn,
        (400, 401, 404, 409, 422, 423, 503),
    ),
    Operation(
        "POST",
        f"{BASE}/invoices/{{reference}}/cancel",
        cancel,
        "The customer cancels the payment",
        m.InvoiceOut,
        m.CredentialsIn,
        (400, 401, 404, 409, 422, 423),
    ),
    Operation(
        "POST",
        f"{BASE}/wallet",
        my_wallet,
        "Balances, history and messages of a customer",
        m.WalletOut,
        m.CredentialsIn,
        (400, 401, 404, 422, 423),
    ),
    Operation(
        "POST",
        f"{BASE}/sessions/{{token}}/cancel",
        cancel_session,
        "Leave an External Service (SEQR-ACTION://WIZARD/CANCEL)",
        m.SessionOut,
        errors=(401, 404, 423),
        token_optional=True,
    ),
    Operation(
        "POST",
        f"{BASE}/sessions/{{token}}/confirm",
        confirm_session,
        "Confirm the user's identity for a session opened with confirm_identity=false "
        "(IN_PROGRESS → ACTIVE); only by the session's own customer",
        m.SessionOut,
        errors=(401, 404, 409, 423),
        signed_in=True,
    ),
]


__all__ = ["OPERATIONS", "invoice_json", "session_json", "wallet_json", "scan_json", "BASE"]
