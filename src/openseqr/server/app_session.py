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

The token is `v1.<payload>.<hmac>` (URL-safe base64; payload: subscriber key, msisdn, expiry),
signed with HMAC-SHA256 under a random key kept in the database (operator switch
`app_session_key`), so every server process on one database accepts it. It is short-lived
(30 minutes) and stateless: signing out is dropping it. A locked wallet's tokens stop working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..core import errors as e
from ..core.records import Customer
from ..service import wallet
from ..service.context import Context
from . import app_models as m
from .app_api import BASE, invoice_json, wallet_json
from .app_http import Operation, ctx_of
from .problems import NotSignedIn

KEY_SWITCH = "app_session_key"
TOKEN_TTL = timedelta(minutes=30)
TOKEN_PREFIX = "v1"
MAX_TOKEN = 512
#: Receipt documents larger than this are listed without their content.
MAX_INLINE_DOCUMENT = 512 * 1024
_TEXT_TYPES = ("text/", "application/json", "application/xml")


@dataclass(frozen=True)
class AppSession:
    subscriber_key: str
    msisdn: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """HMAC signing of session tokens with the key shared through the database."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._key: bytes | None = None

    def key(self, reload: bool = False) -> bytes:
        if self._key is None or reload:
            self._key = wallet.shared_secret(self.ctx, KEY_SWITCH)
        return self._key

    def _mac(self, payload: str, key: bytes) -> str:
        return _b64(hmac.new(key, f"{TOKEN_PREFIX}.{payload}".encode(), hashlib.sha256).digest())

    def issue(self, customer: Customer, now: datetime) -> tuple[str, datetime]:
        expires = now + TOKEN_TTL
        payload = _b64(
            json.dumps(
                {"k": customer.subscriber_key, "m": customer.msisdn, "e": int(expires.timestamp())},
                separators=(",", ":"),
            ).encode()
        )
        return f"{TOKEN_PREFIX}.{payload}.{self._mac(payload, self.key())}", expires

    def verify(self, token: str, now: datetime) -> AppSession:
        parts = token.split(".")
        if len(token) > MAX_TOKEN or not token.isascii() or len(parts) != 3:
            raise NotSignedIn("sign in again")
        if parts[0] != TOKEN_PREFIX:
            raise NotSignedIn("sign in again")
        payload, mac = parts[1], parts[2]
        ok = hmac.compare_digest(mac, self._mac(payload, self.key()))
        if not ok:  # another process may have created the key first (fresh database)
            ok = hmac.compare_digest(mac, self._mac(payload, self.key(reload=True)))
        if not ok:
            raise NotSignedIn("sign in again")
        try:
            data = json.loads(_unb64(payload))
            session = AppSession(
                str(data["k"]),
                str(data["m"]),
                datetime.fromtimestamp(int(data["e"]), tz=now.tzinfo),
            )
        except (ValueError, KeyError, TypeError):
            raise NotSignedIn("sign in again") from None
        if session.expires_at <= now:
            raise NotSignedIn("the session expired; sign in again")
        return session


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn("sign in first")
    return token.strip()


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


def signer_of(request: Request) -> Signer:
    """The app's signer, made on first use (the key is read from the database once)."""
    state = request.app.state
    signer: Signer | None = getattr(state, "app_signer", None)
    if signer is None:
        signer = state.app_signer = Signer(ctx_of(request))
    return signer


def _signed_in(request: Request) -> Customer:
    ctx = ctx_of(request)
    session = signer_of(request).verify(_bearer(request), ctx.now())
    customer = wallet.get_customer(ctx, session.subscriber_key)
    if customer is None:
        raise NotSignedIn("sign in again")
    if customer.locked:
        raise e.PinLocked()
    return customer


async def signed_in(request: Request) -> Customer:
    """The customer whose session token the request carries (401 without a valid one)."""
    return await run_in_threadpool(_signed_in, request)


async def login(request: Request, body: m.CredentialsIn) -> dict[str, Any]:
    """Sign in with msisdn + PIN; a wrong PIN counts towards the lock (D-46b)."""
    ctx = ctx_of(request)
    customer = await run_in_threadpool(wallet.verify_pin, ctx, body.msisdn, body.pin)
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


__all__ = ["OPERATIONS", "Signer", "NotSignedIn", "TOKEN_TTL", "signed_in", "signer_of"]
