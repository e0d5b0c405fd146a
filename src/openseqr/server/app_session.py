"""Signed-in app sessions for the wallet web app (`/app`): log in once with msisdn + PIN, then
read the wallet and receipts and cancel a payment without sending the PIN again.

Paying still needs the PIN on every payment (`POST /invoices/{ref}/pay`, D-46b): the session
token only lets the app *read* the customer's own data and press Cancel (which moves no money).

* `POST /api/app/v1/login` `{msisdn, pin}` → `{token, expires_at, msisdn, name}`. A wrong PIN
  counts towards the lock exactly like a wrong PIN at payment (3 tries, then locked).
* `GET  /api/app/v1/me` (`Authorization: Bearer <token>`) → the wallet (as `POST /wallet`), with
  merchant names in the history.
* `GET  /api/app/v1/me/invoices/{ref}/receipt` → the receipt of one of the customer's payments,
  with the documents the merchant sent with `submitPaymentReceipt` (spec 7.9, 12.4, D-24).
* `POST /api/app/v1/me/invoices/{ref}/cancel` → the customer pressed Cancel (T14, D-28).

The same token is what every app API call that acts for a customer needs (`app_auth.py`, A-15).
"""

from __future__ import annotations

import base64
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..service import wallet
from . import app_models as m
from .app_api import BASE, invoice_json, wallet_json
from .app_auth import signed_in, signer_of
from .app_http import Operation, client_source, ctx_of

#: Receipt documents larger than this are listed without their content.
MAX_INLINE_DOCUMENT = 512 * 1024
_TEXT_TYPES = ("text/", "application/json", "application/xml")


def _document_json(index: int, doc: Any) -> dict[str, Any]:
    data: bytes = doc.data or b""
    mime = doc.mime_type or "application/octet-stream"
    out: dict[str, Any] = {
        "index": index,
        "mime_type": mime,
        "receipt_type": doc.receipt_type,
        "created_at": doc.created_at.isoformat() if doc.created_at else None,
        "size": len(data),
        "text": None,
        "data_base64": None,
    }
    if len(data) > MAX_INLINE_DOCUMENT:
        return out
    if mime.lower().startswith(_TEXT_TYPES):
        try:
            out["text"] = data.decode("utf-8")
            return out
        except UnicodeDecodeError:
            pass
    out["data_base64"] = base64.b64encode(data).decode("ascii")
    return out


async def login(request: Request, body: m.CredentialsIn) -> dict[str, Any]:
    """Sign in with msisdn + PIN; a wrong PIN counts towards the lock (D-46b)."""
    ctx = ctx_of(request)
    customer = await run_in_threadpool(
        wallet.verify_pin, ctx, body.msisdn, body.pin, client_source(request)
    )
    token, expires = signer_of(request).issue(customer, ctx.now())
    return {
        "token": token,
        "expires_at": expires.isoformat(),
        "msisdn": customer.msisdn,
        "name": customer.name,
    }


async def me(request: Request) -> dict[str, Any]:
    """The signed-in customer's wallet: balances, history (with merchant names), messages."""
    customer = await signed_in(request)
    return wallet_json(await run_in_threadpool(wallet.wallet, ctx_of(request), customer))


def receipt_json(found: wallet.PaymentReceipt) -> dict[str, Any]:
    inv, merchant = found.invoice, found.merchant_name
    invoice = invoice_json(inv, merchant)
    return {
        "invoice": invoice,
        "receipt": {
            "ers_reference": inv.ers_reference,
            "merchant": merchant,
            "amount": invoice["total"],
            "paid_at": inv.paid_at.isoformat() if inv.paid_at else None,
            "title": inv.title,
            "footer": inv.footer,
            "payer_terminal_id": inv.payer_terminal_id,
            "documents": [_document_json(i, d) for i, d in enumerate(found.documents)],
        },
    }


async def receipt(request: Request) -> dict[str, Any]:
    """Receipt of one of the customer's payments, with the merchant's documents (D-24)."""
    customer = await signed_in(request)
    found = await run_in_threadpool(
        wallet.receipt, ctx_of(request), customer, request.path_params["reference"]
    )
    return receipt_json(found)


async def cancel(request: Request) -> dict[str, Any]:
    """The signed-in customer presses Cancel (T14, D-28): CANCELED."""
    customer = await signed_in(request)
    view = await run_in_threadpool(
        wallet.cancel_for, ctx_of(request), request.path_params["reference"], customer
    )
    return invoice_json(view.invoice, view.merchant_name)


OPERATIONS = [
    Operation(
        "POST",
        f"{BASE}/login",
        login,
        login.__doc__ or "",
        m.LoginOut,
        m.CredentialsIn,
        (400, 401, 404, 422, 423),
    ),
    Operation(
        "GET", f"{BASE}/me", me, me.__doc__ or "", m.WalletOut, errors=(401, 423), signed_in=True
    ),
    Operation(
        "GET",
        f"{BASE}/me/invoices/{{reference}}/receipt",
        receipt,
        receipt.__doc__ or "",
        m.ReceiptOut,
        errors=(401, 404, 423),
        signed_in=True,
    ),
    Operation(
        "POST",
        f"{BASE}/me/invoices/{{reference}}/cancel",
        cancel,
        cancel.__doc__ or "",
        m.InvoiceOut,
        errors=(401, 404, 409, 423),
        signed_in=True,
    ),
]


__all__ = ["OPERATIONS", "receipt_json"]
