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
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..core import errors as e
from ..core.records import Customer
from ..service import wallet
from ..service.context import Context
from .app_api import BadRequest, Handler, error_response, invoice_json

KEY_SWITCH = "app_session_key"
TOKEN_TTL = timedelta(minutes=30)
TOKEN_PREFIX = "v1"
#: Receipt documents larger than this are listed without their content.
MAX_INLINE_DOCUMENT = 512 * 1024
_TEXT_TYPES = ("text/", "application/json", "application/xml")


class NotSignedIn(e.SeqrError):
    """No valid session token (missing, malformed, forged or expired)."""


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
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(token) > 512:
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


def routes(ctx: Context) -> list[Route]:
    signer = Signer(ctx)

    def current(request: Request) -> Customer:
        session = signer.verify(_bearer(request), ctx.now())
        customer = wallet.get_customer(ctx, session.subscriber_key)
        if customer is None:
            raise NotSignedIn("sign in again")
        if customer.locked:
            raise e.PinLocked()
        return customer

    def call(fn: Handler) -> Handler:
        async def endpoint(request: Request) -> JSONResponse:
            try:
                response: JSONResponse = await fn(request)
            except NotSignedIn as exc:
                response = JSONResponse(
                    {"error": "NotSignedIn", "message": str(exc)},
                    401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            except e.SeqrError as exc:
                response = error_response(exc)
            response.headers["Cache-Control"] = "no-store"
            return response

        return endpoint

    async def login(request: Request) -> JSONResponse:
        try:
            data = await request.json()
        except ValueError:
            raise BadRequest("the body must be a JSON object") from None
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
        msisdn, pin = data.get("msisdn"), data.get("pin")
        if not isinstance(msisdn, str) or not msisdn or not isinstance(pin, str) or not pin:
            raise BadRequest("msisdn and pin are required")
        customer = await run_in_threadpool(wallet.verify_pin, ctx, msisdn, pin)
        token, expires = signer.issue(customer, ctx.now())
        return JSONResponse(
            {
                "token": token,
                "expires_at": expires.isoformat(),
                "msisdn": customer.msisdn,
                "name": customer.name,
            }
        )

    def _wallet_json(customer: Customer) -> dict[str, Any]:
        w = wallet.wallet(ctx, customer)
        names = w.merchant_names
        return {
            "msisdn": customer.msisdn,
            "name": customer.name,
            "subscriber_key": customer.subscriber_key,
            "balances": w.balances,
            "invoices": [invoice_json(i, names.get(i.terminal_id, "")) for i in w.invoices],
            "messages": [
                {
                    "text": msg.text,
                    "at": msg.created_at.isoformat(),
                    "invoice_reference": msg.invoice_reference,
                }
                for msg in w.messages
            ],
        }

    async def me(request: Request) -> JSONResponse:
        customer = current(request)
        return JSONResponse(await run_in_threadpool(_wallet_json, customer))

    def _receipt(customer: Customer, reference: str) -> dict[str, Any]:
        found = wallet.receipt(ctx, customer, reference)
        inv, merchant, docs = found.invoice, found.merchant_name, found.documents
        return {
            "invoice": invoice_json(inv, merchant),
            "receipt": {
                "ers_reference": inv.ers_reference,
                "merchant": merchant,
                "amount": invoice_json(inv, merchant)["total"],
                "paid_at": inv.paid_at.isoformat() if inv.paid_at else None,
                "title": inv.title,
                "footer": inv.footer,
                "payer_terminal_id": inv.payer_terminal_id,
                "documents": [_document_json(i, d) for i, d in enumerate(docs)],
            },
        }

    async def receipt(request: Request) -> JSONResponse:
        customer = current(request)
        return JSONResponse(
            await run_in_threadpool(_receipt, customer, request.path_params["reference"])
        )

    async def cancel(request: Request) -> JSONResponse:
        customer = current(request)
        view = await run_in_threadpool(
            wallet.cancel_for, ctx, request.path_params["reference"], customer
        )
        return JSONResponse(invoice_json(view.invoice, view.merchant_name))

    base = "/api/app/v1"
    return [
        Route(f"{base}/login", call(login), methods=["POST"]),
        Route(f"{base}/me", call(me), methods=["GET"]),
        Route(f"{base}/me/invoices/{{reference}}/receipt", call(receipt), methods=["GET"]),
        Route(f"{base}/me/invoices/{{reference}}/cancel", call(cancel), methods=["POST"]),
    ]


__all__ = ["routes", "Signer", "NotSignedIn", "TOKEN_TTL"]
