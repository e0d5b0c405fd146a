"""What the webshop does with SEQR, apart from its pages: an order's payment status, from the
notification, the status URL the checkout page polls, or the done page.

One `Webshop` per app, on ``app.state.webshop``; the endpoints in `pages` read it from there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import JSONResponse

from openseqr.sdk import NotificationReceiver, PaymentStatus

from .._common.status import OrderStatus, check_notification_hint, outcome_of
from .cart import CartCookie
from .store import Order, OrderStore

log = logging.getLogger("openseqr.merchants.webshop")


@dataclass
class Webshop:
    """The shop's state: its order store, SEQR client, cart cookie, pages and settings."""

    store: OrderStore
    seqr: Any  # an AsyncSeqrClient (or a stand-in with the same methods, in tests)
    carts: CartCookie
    env: Environment
    public_url: str
    deep_link_scheme: str = "seqr"
    poll_interval_ms: int = 1000

    async def apply_status(self, order: Order, status: PaymentStatus, via: str) -> Order:
        """Record what SEQR says about the order's invoice."""
        outcome = outcome_of(status.status)
        if outcome is OrderStatus.PAID:
            paid_at = status.receipt.payment_date if status.receipt else None
            if self.store.mark_paid(order.id, status.ers_reference, via, paid_at):
                log.info("order %s paid (%s), ersReference %s", order.id, via, status.ers_reference)
        elif outcome is not None:
            self.store.finish(order.id, outcome.value)
        return self.store.get(order.id) or order

    async def on_status(self, status: PaymentStatus, client_invoice_id: str | None) -> None:
        """The receiver's callback: a notification (W-7/W-8) or a status-URL poll (9.4)."""
        order = self.store.by_reference(status.reference or "")
        if order is None:
            log.warning("status for unknown invoice %s", status.reference)
            return
        if status.notification is None:
            await self.apply_status(order, status, "status-url")
            return
        check_notification_hint(status, "order", order.id, log)
        self.store.mark_notified(order.id)
        await self.apply_status(order, status, "notification")


class StatusURL:
    """Spec 9.4: only this shop's invoices; everything else is 404 (the plugin stops)."""

    def __init__(self, store: OrderStore, receiver: NotificationReceiver) -> None:
        self.store = store
        self.receiver = receiver

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            reference = Request(scope).query_params.get("invoiceReference", "").strip()
            if reference and self.store.by_reference(reference) is None:
                response = JSONResponse(
                    {"error": "unknown invoice"},
                    404,
                    headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"},
                )
                await response(scope, receive, send)
                return
        await self.receiver(scope, receive, send)
