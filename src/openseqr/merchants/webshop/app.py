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

import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route

from openseqr.sdk import AsyncSeqrClient, NotificationReceiver

from .._common.formatting import format_amount, local_time
from .._common.web import merchant_app, templates
from . import pages
from .cart import CartCookie, platform_of
from .catalogue import CATALOGUE, CURRENCY
from .pages import SHOP_NAME
from .service import StatusURL, Webshop
from .store import OrderStore

PACKAGE_DIR = Path(__file__).parent


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
    secret = cookie_secret.encode() if isinstance(cookie_secret, str) else cookie_secret
    seqr = client or AsyncSeqrClient(
        seqr_url, terminal_id, password, client_id="openseqr webshop 1.0"
    )
    env = templates(
        "openseqr.merchants.webshop",
        shop_name=SHOP_NAME,
        stylesheet="webshop.css",
        format_amount=format_amount,
        local=local_time,
        catalogue=CATALOGUE,
        currency=CURRENCY,
        Decimal=Decimal,
    )
    shop = Webshop(
        store=OrderStore(database_path),
        seqr=seqr,
        carts=CartCookie(secret or secrets.token_bytes(32)),
        env=env,
        public_url=public_url,
        deep_link_scheme=deep_link_scheme,
        poll_interval_ms=poll_interval_ms,
    )
    receiver = NotificationReceiver(seqr, on_status=shop.on_status, path=None, secret=notify_secret)

    async def shutdown() -> None:
        if client is None:
            await seqr.aclose()
        shop.store.close()

    return merchant_app(
        routes(StatusURL(shop.store, receiver), receiver),
        static=PACKAGE_DIR / "static",
        on_shutdown=shutdown,
        webshop=shop,
        store=shop.store,
        seqr=seqr,
        receiver=receiver,
        public_url=public_url,
    )


def routes(status_url: StatusURL, receiver: NotificationReceiver) -> list[Route]:
    return [
        Route("/", pages.index),
        Route("/cart", pages.cart_view),
        Route("/cart/add", pages.cart_add, methods=["POST"]),
        Route("/cart/set", pages.cart_set, methods=["POST"]),
        Route("/checkout", pages.checkout, methods=["POST"]),
        Route("/order/{order_id}", pages.order_page),
        Route("/order/{order_id}/qr.{fmt:str}", pages.qr_image),
        Route("/order/{order_id}/cancel", pages.cancel, methods=["POST"]),
        Route("/api/orders/{order_id}", pages.order_json),
        Route("/done", pages.done),
        Route("/health", pages.webshop_health),
        Route("/seqr/status", status_url, methods=["GET", "HEAD", "OPTIONS"]),
        Route("/seqr/notify", receiver, methods=["GET", "HEAD", "POST", "OPTIONS"]),
    ]


__all__ = ["create_webshop_app", "platform_of", "SHOP_NAME", "CartCookie"]
