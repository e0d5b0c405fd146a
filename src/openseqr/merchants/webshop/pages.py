"""The webshop's endpoints (see `app` for the routes): module-level functions that find the
shop's state on ``request.app.state.webshop`` (a `Webshop`)."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from openseqr.sdk import (
    InvoiceRow,
    SeqrClientError,
    cancel_or_acknowledge_async,
    deep_link,
    qr_png,
    qr_svg,
)

from .._common.web import health, redirect, render, root_path, set_app_cookie
from .cart import cart_lines, platform_of
from .catalogue import CATALOGUE, CURRENCY, MAX_QUANTITY
from .service import Webshop
from .store import Order

log = logging.getLogger("openseqr.merchants.webshop")

SHOP_NAME = "Bio Royal"
CART_COOKIE = "bio_cart"


def shop_of(request: Request) -> Webshop:
    return request.app.state.webshop


# -- responses ------------------------------------------------------------------------------
def cart_of(request: Request) -> dict[str, int]:
    return shop_of(request).carts.load(request.cookies.get(CART_COOKIE))


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    count = sum(cart_of(request).values())
    return render(shop_of(request).env, request, name, status_code, cart_count=count, **context)


def message(request: Request, title: str, text: str, status_code: int = 200) -> HTMLResponse:
    return page(request, "message.html", status_code, title=title, text=text)


def order_not_found(request: Request) -> HTMLResponse:
    return message(request, "Order not found", "We could not find this order.", 404)


def with_cart(response: Response, request: Request, cart: dict[str, int]) -> Response:
    shop = shop_of(request)
    if cart:
        secure = shop.public_url.startswith("https:")
        value = shop.carts.dump(cart)
        set_app_cookie(response, request, CART_COOKIE, value, max_age=7 * 86400, secure=secure)
    else:
        response.delete_cookie(CART_COOKIE, path=request.scope.get("root_path", "") or "/")
    return response


def find_order(request: Request) -> Order | None:
    order_id = request.path_params.get("order_id") or request.query_params.get("order", "")
    return shop_of(request).store.get(str(order_id)) if order_id else None


# -- catalogue and cart ---------------------------------------------------------------------
async def index(request: Request) -> Response:
    return page(request, "index.html", products=list(CATALOGUE.values()))


async def cart_view(request: Request) -> Response:
    lines, total = cart_lines(cart_of(request))
    return page(request, "cart.html", lines=lines, total=total)


async def cart_add(request: Request) -> Response:
    form = await request.form()
    sku = str(form.get("sku", ""))
    cart = cart_of(request)
    if sku not in CATALOGUE:
        return message(request, "Unknown product", "That product is not for sale.", 400)
    try:
        qty = max(1, int(str(form.get("quantity", "1"))))
    except ValueError:
        qty = 1
    cart[sku] = min(MAX_QUANTITY, cart.get(sku, 0) + qty)
    return with_cart(redirect(request, "/cart"), request, cart)


async def cart_set(request: Request) -> Response:
    form = await request.form()
    cart = cart_of(request)
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
    cart.pop(str(form.get("remove", "")), None)
    return with_cart(redirect(request, "/cart"), request, cart)


# -- checkout (W-2 … W-4, M-1, M-2) ---------------------------------------------------------------
async def checkout(request: Request) -> Response:
    shop = shop_of(request)
    lines, total = cart_lines(cart_of(request))
    if not lines:
        return redirect(request, "/cart")
    platform = platform_of(request.headers.get("user-agent", ""))
    order = shop.store.create(lines, total, CURRENCY, platform)
    try:
        sent = await shop.seqr.send_invoice(
            total,
            CURRENCY,
            title=f"{SHOP_NAME} order {order.id[:8]}",
            rows=invoice_rows(lines),
            client_invoice_id=order.id,
            notification_url=f"{shop.public_url}/seqr/notify?{urlencode({'order': order.id})}",
            back_url=f"{shop.public_url}/done?{urlencode({'order': order.id})}",
            footer="Show the order number at the entrance. Enjoy the film!",
        )
    except SeqrClientError as exc:
        log.warning("sendInvoice for order %s failed: %s", order.id, exc)
        shop.store.finish(order.id, "failed")
        return message(
            request,
            "Payment unavailable",
            "We cannot reach SEQR right now. Your cart is kept; please try again in a moment.",
            503,
        )
    shop.store.set_invoice(order.id, sent.reference, sent.qr_code)
    return with_cart(
        redirect(request, f"/order/{order.id}"), request, {}
    )  # the cart became the order


def invoice_rows(lines: list[dict[str, Any]]) -> list[InvoiceRow]:
    return [
        InvoiceRow(
            f"{line['name']} ({line['detail']})",
            quantity=line["quantity"],
            unit_price=Decimal(line["unit_price"]),
            sku=line["sku"],
            tax_rate=line["tax_rate"],
        )
        for line in lines
    ]


async def order_page(request: Request) -> Response:
    order = find_order(request)
    if order is None or not order.invoice_reference:
        return order_not_found(request)
    shop = shop_of(request)
    platform = request.query_params.get("platform") or platform_of(
        request.headers.get("user-agent", "")
    )
    root = root_path(request)
    status_query = urlencode({"invoiceReference": order.invoice_reference})
    return page(
        request,
        "checkout.html",
        order=order,
        platform=platform,
        deep_link=deep_link(order.invoice_reference, scheme=shop.deep_link_scheme),
        status_url=f"{root}/seqr/status?{status_query}",
        done_url=f"{root}/done?order={order.id}",
        poll_ms=shop.poll_interval_ms,
    )


async def qr_image(request: Request) -> Response:
    order = find_order(request)
    fmt = request.path_params["fmt"]
    if order is None or not order.qr_code or fmt not in ("png", "svg"):
        return Response("not found", 404)
    headers = {"Cache-Control": "private, max-age=3600"}
    if fmt == "png":
        return Response(qr_png(order.qr_code, scale=8), media_type="image/png", headers=headers)
    return Response(qr_svg(order.qr_code, scale=8), media_type="image/svg+xml", headers=headers)


# -- the outcome (W-9/W-10, M-5/M-6, 9.5) ---------------------------------------------------------
async def cancel(request: Request) -> Response:
    order = find_order(request)
    if order is None or not order.invoice_reference:
        return order_not_found(request)
    if order.is_pending:
        shop = shop_of(request)
        try:
            status = await cancel_or_acknowledge_async(shop.seqr, order.invoice_reference)
            await shop.apply_status(order, status, "cancel")
        except SeqrClientError as exc:
            log.warning("cancel of order %s failed: %s", order.id, exc)
    return redirect(request, f"/done?order={order.id}")


async def done(request: Request) -> Response:
    order = find_order(request)
    if order is None:
        return order_not_found(request)
    error = None
    if order.invoice_reference and order.is_pending:
        # M-6 / 9.5: the backURL is the same for every outcome: ask (this acknowledges).
        shop = shop_of(request)
        try:
            status = await shop.seqr.get_payment_status(order.invoice_reference)
            order = await shop.apply_status(order, status, "done-page")
        except SeqrClientError as exc:
            log.warning("getPaymentStatus for order %s failed: %s", order.id, exc)
            error = "We could not reach SEQR to confirm the payment; this page retries."
    return page(request, "done.html", order=order, error=error)


async def order_json(request: Request) -> Response:
    order = find_order(request)
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


async def webshop_health(request: Request) -> Response:
    return health("webshop")
