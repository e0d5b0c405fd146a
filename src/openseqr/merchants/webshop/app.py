"""The reference webshop: a cinema box office paying with SEQR (spec 4.2, 4.3, 9.3–9.5).

Pages and endpoints:

* ``GET /`` -- the catalogue; ``POST /cart/add``, ``POST /cart/set``, ``GET /cart``: the cart,
  kept in an HMAC-signed cookie (no server state before checkout).
* ``POST /checkout`` -- W-2/M-1: creates the order (SQLite) and calls ``sendInvoice`` with the
  rows, ``clientInvoiceId`` = order id, ``notificationUrl=<public>/seqr/notify?order=<id>`` and
  ``backURL=<public>/done?order=<id>``; redirects to the checkout page.
* ``GET /order/<id>`` -- W-3/M-2: desktop shows the invoice QR ("Scan to pay", the image is
  rendered by the shop itself: ``/order/<id>/qr.svg`` or ``.png``); phones (user agent Android,
  iPhone, iPad, iPod, IEMobile, as the SEQR plugin decides) get a big "Pay with SEQR" button
  linking to ``seqr://SEQR.SE/R<ref>``. An inline script polls the status URL every second
  (W-4) and, once the status is no longer ISSUED, shows "Payment done" and opens the done page.
* ``GET /seqr/status?invoiceReference=<ref>`` -- the status URL of spec 9.4: the JSON the SEQR
  webshop plugin expects (``{"resultCode":0,"resultDescription":"SUCCESS","status":"ISSUED",
  "customerTokens":{},"version":1}``), ``Access-Control-Allow-Origin: *``, 404 for an invoice
  that is not one of this shop's orders. Served by the SDK's ``NotificationReceiver`` (each poll
  is a ``getPaymentStatus``, which also acknowledges a payment the moment it is seen).
* ``POST /seqr/notify?order=<id>`` -- W-7/W-8, 9.3: the SDK's ``NotificationReceiver``
  answers 200, acknowledges with ``getPaymentStatus`` and the shop marks the order paid.
* ``GET /done?order=<id>`` -- W-9/W-10, M-5/M-6, 9.5: the backURL page; a final
  ``getPaymentStatus`` (acknowledging) and the outcome: PAID with the ersReference, CANCELED or
  FAILED (still ISSUED: "waiting", refreshes itself).
* ``POST /order/<id>/cancel`` -- the customer gives up: ``cancel_or_acknowledge`` (if the
  payment won the race, the order is paid after all).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from openseqr.sdk import (
    AsyncSeqrClient,
    InvoiceRow,
    InvoiceStatus,
    NotificationReceiver,
    PaymentStatus,
    SeqrClientError,
    cancel_or_acknowledge_async,
    deep_link,
    qr_png,
    qr_svg,
)

from .._common.web import merchant_app, render, root_path, templates
from .catalogue import CATALOGUE, CURRENCY, MAX_QUANTITY, Product, format_amount
from .store import Order, OrderStore

log = logging.getLogger("openseqr.merchants.webshop")

SHOP_NAME = "Bio Royal"
CART_COOKIE = "bio_cart"
PACKAGE_DIR = Path(__file__).parent

_MOBILE = re.compile(r"Android|iPhone|iPad|iPod|IEMobile", re.I)
_UNSUPPORTED = re.compile(r"BlackBerry|Opera Mini", re.I)


def platform_of(user_agent: str) -> str:
    """``mobile`` / ``unsupported`` / ``desktop``, decided as the SEQR webshop plugin does."""
    if _UNSUPPORTED.search(user_agent or ""):
        return "unsupported"
    return "mobile" if _MOBILE.search(user_agent or "") else "desktop"


class CartCookie:
    """The cart as ``{sku: quantity}`` in a cookie, signed with HMAC-SHA256."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self.secret, payload, hashlib.sha256).hexdigest()

    def dump(self, cart: dict[str, int]) -> str:
        # no "=" padding: a cookie value with "=" gets quoted, and quotes are not undone everywhere
        payload = base64.urlsafe_b64encode(json.dumps(cart).encode()).decode().rstrip("=")
        return f"{payload}.{self._sign(payload.encode())}"

    def load(self, value: str | None) -> dict[str, int]:
        if not value or "." not in value:
            return {}
        payload, _, signature = value.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(payload.encode())):
            return {}
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            k: int(v)
            for k, v in data.items()
            if k in CATALOGUE and isinstance(v, int) and 0 < v <= MAX_QUANTITY
        }


def cart_lines(cart: dict[str, int]) -> tuple[list[dict[str, Any]], Decimal]:
    lines = []
    total = Decimal("0.00")
    for sku, qty in cart.items():
        p: Product = CATALOGUE[sku]
        line_total = p.price * qty
        total += line_total
        lines.append(
            {
                "sku": sku,
                "name": p.name,
                "detail": p.detail,
                "quantity": qty,
                "unit_price": f"{p.price:.2f}",
                "total": f"{line_total:.2f}",
                "tax_rate": p.tax_rate,
            }
        )
    return lines, total


def _local(dt: datetime | None) -> str:
    return dt.astimezone().strftime("%Y-%m-%d %H:%M") if dt else ""


def create_webshop_app(
    seqr_url: str,
    terminal_id: str,
    password: str,
    public_url: str,
    *,
    database_path: str | Path | None = None,
    notify_secret: str | None = None,
    cookie_secret: str | bytes | None = None,
    deep_link_scheme: str = "seqr",
    poll_interval_ms: int = 1000,
    client: Any = None,
) -> Starlette:
    """The webshop as a Starlette app.

    ``seqr_url``: the SEQR server; ``terminal_id``/``password``: the shop's (online) terminal;
    ``public_url``: where the SEQR server and the customer's phone reach this shop (the
    notification URL and the backURL are built on it). ``database_path``: the order database
    (SQLite file; ``None`` = in memory). ``notify_secret``: the terminal's notification secret,
    if it has one. ``cookie_secret``: signs the cart cookie (default: random per process).
    ``deep_link_scheme``: ``seqr`` (the app) or ``seqr-demo``. ``poll_interval_ms``: how often
    the checkout page polls the status URL (the plugin's ``pollFreq``, default 1000).
    ``client``: an ``AsyncSeqrClient`` to use instead of making one (tests).
    """
    public_url = public_url.rstrip("/")
    store = OrderStore(database_path)
    secret = cookie_secret.encode() if isinstance(cookie_secret, str) else cookie_secret
    carts = CartCookie(secret or secrets.token_bytes(32))
    seqr: Any = client or AsyncSeqrClient(
        seqr_url, terminal_id, password, client_id="openseqr webshop 1.0"
    )
    env = templates(
        "openseqr.merchants.webshop",
        shop_name=SHOP_NAME,
        format_amount=format_amount,
        local=_local,
        catalogue=CATALOGUE,
        currency=CURRENCY,
        Decimal=Decimal,
    )

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        cart = carts.load(request.cookies.get(CART_COOKIE))
        return render(env, request, name, status_code, cart_count=sum(cart.values()), **context)

    def message(request: Request, title: str, text: str, status_code: int = 200) -> HTMLResponse:
        return page(request, "message.html", status_code, title=title, text=text)

    def with_cart(response: Response, request: Request, cart: dict[str, int]) -> Response:
        path = request.scope.get("root_path", "") or "/"
        if cart:
            response.set_cookie(
                CART_COOKIE,
                carts.dump(cart),
                max_age=7 * 86400,
                httponly=True,
                samesite="lax",
                path=path,
                secure=public_url.startswith("https:"),
            )
        else:
            response.delete_cookie(CART_COOKIE, path=path)
        return response

    def url(request: Request, path: str) -> str:
        return root_path(request) + path

    # -- payment status → order ------------------------------------------------------------
    async def apply_status(order: Order, status: PaymentStatus, via: str) -> Order:
        if status.status is InvoiceStatus.PAID:
            paid_at = status.receipt.payment_date if status.receipt else None
            if store.mark_paid(order.id, status.ers_reference, via, paid_at):
                log.info("order %s paid (%s), ersReference %s", order.id, via, status.ers_reference)
        elif status.status in (InvoiceStatus.CANCELED, InvoiceStatus.FAILED, InvoiceStatus.EXPIRED):
            store.finish(
                order.id, "failed" if status.status is InvoiceStatus.FAILED else "canceled"
            )
        return store.get(order.id) or order

    async def on_status(status: PaymentStatus, client_invoice_id: str | None) -> None:
        order = store.by_reference(status.reference or "")
        if order is None:
            log.warning("status for unknown invoice %s", status.reference)
            return
        if status.notification is not None:
            hinted = status.notification.query.get("order")
            if hinted and hinted != order.id:
                log.warning(
                    "notification for %s names order %s, invoice belongs to %s",
                    status.reference,
                    hinted,
                    order.id,
                )
            store.mark_notified(order.id)
            await apply_status(order, status, "notification")
        else:
            await apply_status(order, status, "status-url")

    receiver = NotificationReceiver(seqr, on_status=on_status, path=None, secret=notify_secret)

    class StatusURL:
        """Spec 9.4: only this shop's invoices; everything else is 404 (the plugin stops)."""

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
                reference = Request(scope).query_params.get("invoiceReference", "").strip()
                if reference and store.by_reference(reference) is None:
                    response = JSONResponse(
                        {"error": "unknown invoice"},
                        404,
                        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"},
                    )
                    await response(scope, receive, send)
                    return
            await receiver(scope, receive, send)

    # -- catalogue and cart ----------------------------------------------------------------
    async def index(request: Request) -> Response:
        return page(request, "index.html", products=list(CATALOGUE.values()))

    async def cart_view(request: Request) -> Response:
        lines, total = cart_lines(carts.load(request.cookies.get(CART_COOKIE)))
        return page(request, "cart.html", lines=lines, total=total)

    async def cart_add(request: Request) -> Response:
        form = await request.form()
        sku = str(form.get("sku", ""))
        cart = carts.load(request.cookies.get(CART_COOKIE))
        if sku not in CATALOGUE:
            return message(request, "Unknown product", "That product is not for sale.", 400)
        try:
            qty = max(1, int(str(form.get("quantity", "1"))))
        except ValueError:
            qty = 1
        cart[sku] = min(MAX_QUANTITY, cart.get(sku, 0) + qty)
        return with_cart(RedirectResponse(url(request, "/cart"), 303), request, cart)

    async def cart_set(request: Request) -> Response:
        form = await request.form()
        cart = carts.load(request.cookies.get(CART_COOKIE))
        for sku in CATALOGUE:
            raw = form.get(f"qty-{sku}")
            if raw is None:
                continue
            try:
                qty = int(str(raw))
            except ValueError:
                continue
            if qty <= 0:
                cart.pop(sku, None)
            else:
                cart[sku] = min(MAX_QUANTITY, qty)
        remove = str(form.get("remove", ""))
        cart.pop(remove, None)
        return with_cart(RedirectResponse(url(request, "/cart"), 303), request, cart)

    # -- checkout --------------------------------------------------------------------------
    async def checkout(request: Request) -> Response:
        cart = carts.load(request.cookies.get(CART_COOKIE))
        lines, total = cart_lines(cart)
        if not lines:
            return RedirectResponse(url(request, "/cart"), 303)
        platform = platform_of(request.headers.get("user-agent", ""))
        order = store.create(lines, total, CURRENCY, platform)
        rows = [
            InvoiceRow(
                f"{line['name']} ({line['detail']})",
                quantity=line["quantity"],
                unit_price=Decimal(line["unit_price"]),
                sku=line["sku"],
                tax_rate=line["tax_rate"],
            )
            for line in lines
        ]
        try:
            sent = await seqr.send_invoice(
                total,
                CURRENCY,
                title=f"{SHOP_NAME} order {order.id[:8]}",
                rows=rows,
                client_invoice_id=order.id,
                notification_url=f"{public_url}/seqr/notify?{urlencode({'order': order.id})}",
                back_url=f"{public_url}/done?{urlencode({'order': order.id})}",
                footer="Show the order number at the entrance. Enjoy the film!",
            )
        except SeqrClientError as exc:
            log.warning("sendInvoice for order %s failed: %s", order.id, exc)
            store.finish(order.id, "failed")
            return message(
                request,
                "Payment unavailable",
                "We cannot reach SEQR right now. Your cart is kept; please try again in a moment.",
                503,
            )
        store.set_invoice(order.id, sent.reference, sent.qr_code)
        response = RedirectResponse(url(request, f"/order/{order.id}"), 303)
        return with_cart(response, request, {})  # the cart became the order

    def find(request: Request) -> Order | None:
        order_id = request.path_params.get("order_id") or request.query_params.get("order", "")
        return store.get(str(order_id)) if order_id else None

    async def order_page(request: Request) -> Response:
        order = find(request)
        if order is None or not order.invoice_reference:
            return message(request, "Order not found", "We could not find this order.", 404)
        platform = request.query_params.get("platform") or platform_of(
            request.headers.get("user-agent", "")
        )
        status_path = url(
            request, "/seqr/status?" + urlencode({"invoiceReference": order.invoice_reference})
        )
        return page(
            request,
            "checkout.html",
            order=order,
            platform=platform,
            deep_link=deep_link(order.invoice_reference, scheme=deep_link_scheme),
            status_url=status_path,
            done_url=url(request, f"/done?order={order.id}"),
            poll_ms=poll_interval_ms,
        )

    async def qr_image(request: Request) -> Response:
        order = find(request)
        if order is None or not order.qr_code or request.path_params["fmt"] not in ("png", "svg"):
            return Response("not found", 404)
        if request.path_params["fmt"] == "png":
            return Response(
                qr_png(order.qr_code, scale=8),
                media_type="image/png",
                headers={"Cache-Control": "private, max-age=3600"},
            )
        return Response(
            qr_svg(order.qr_code, scale=8),
            media_type="image/svg+xml",
            headers={"Cache-Control": "private, max-age=3600"},
        )

    async def cancel(request: Request) -> Response:
        order = find(request)
        if order is None or not order.invoice_reference:
            return message(request, "Order not found", "We could not find this order.", 404)
        if order.is_pending:
            try:
                status = await cancel_or_acknowledge_async(seqr, order.invoice_reference)
                await apply_status(order, status, "cancel")
            except SeqrClientError as exc:
                log.warning("cancel of order %s failed: %s", order.id, exc)
        return RedirectResponse(url(request, f"/done?order={order.id}"), 303)

    async def done(request: Request) -> Response:
        order = find(request)
        if order is None:
            return message(request, "Order not found", "We could not find this order.", 404)
        error = None
        if order.invoice_reference and order.is_pending:
            # M-6 / 9.5: the backURL is the same for every outcome: ask (this acknowledges).
            try:
                status = await seqr.get_payment_status(order.invoice_reference)
                order = await apply_status(order, status, "done-page")
            except SeqrClientError as exc:
                log.warning("getPaymentStatus for order %s failed: %s", order.id, exc)
                error = "We could not reach SEQR to confirm the payment; this page retries."
        return page(request, "done.html", order=order, error=error)

    async def order_json(request: Request) -> Response:
        order = find(request)
        if order is None:
            return JSONResponse({"error": "not_found"}, 404)
        return JSONResponse(
            {
                "order": order.id,
                "status": order.status,
                "amount": f"{order.amount:.2f}",
                "currency": order.currency,
                "invoiceReference": order.invoice_reference,
                "ersReference": order.ers_reference,
                "acknowledgedVia": order.acknowledged_via,
                "notified": order.notified_at is not None,
                "items": order.items,
            },
            headers={"Cache-Control": "no-store"},
        )

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": "webshop"})

    async def shutdown() -> None:
        if client is None:
            await seqr.aclose()
        store.close()

    routes = [
        Route("/", index),
        Route("/cart", cart_view),
        Route("/cart/add", cart_add, methods=["POST"]),
        Route("/cart/set", cart_set, methods=["POST"]),
        Route("/checkout", checkout, methods=["POST"]),
        Route("/order/{order_id}", order_page),
        Route("/order/{order_id}/qr.{fmt:str}", qr_image),
        Route("/order/{order_id}/cancel", cancel, methods=["POST"]),
        Route("/api/orders/{order_id}", order_json),
        Route("/done", done),
        Route("/health", health),
        Route("/seqr/status", StatusURL(), methods=["GET", "HEAD", "OPTIONS"]),
        Route("/seqr/notify", receiver, methods=["GET", "HEAD", "POST", "OPTIONS"]),
    ]
    return merchant_app(
        routes,
        static=PACKAGE_DIR / "static",
        on_shutdown=shutdown,
        store=store,
        seqr=seqr,
        receiver=receiver,
        public_url=public_url,
    )


__all__ = ["create_webshop_app", "platform_of", "SHOP_NAME", "CartCookie"]
