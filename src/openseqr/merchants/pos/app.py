"""The reference point of sale: a café till paying with SEQR (spec 4.4, 8.12, 10.1).

Pages and endpoints:

* ``GET /setup`` -- P-1…P-3: ``POST /setup/register`` takes the reseller credentials, generates a
  random 15-character password and calls ``registerTerminal`` (RESELLERUSER); the terminal id
  and password are kept in the till's own SQLite. ``POST /setup/seqr-id`` calls ``assignSeqrId``
  (TERMINALID). ``GET /sticker`` is the printable static QR ``HTTP://SEQR.SE/Q<seqrId>``
  (``/sticker.svg``, ``/sticker.png``). ``POST /setup/unregister``: ``unregisterTerminal``.
* ``GET /cashier`` -- P-4/P-5: articles, cashier id → ``POST /invoices``: ``sendInvoice``
  (cashier id, rows, ``clientInvoiceId``); the server cancels the till's previous unpaid
  invoice (8.12) and the till records that. Recent payments with a refund form.
* ``GET /payments/<id>/await`` -- P-6…P-8, the "Await customer" view: a script polls
  ``GET /api/payments/<id>/status`` once a second (the till calls ``getPaymentStatus``); after a
  cycle (30 s) it asks "Try again" (``POST /api/payments/<id>/try-again``: another cycle) or
  "Cancel" (``POST /payments/<id>/cancel``: the SDK's ``cancel_or_acknowledge``). Polling goes on
  while the question is shown, so a payment made meanwhile is acknowledged in time.
* ``GET /payments/<id>`` -- P-9: the receipt (amount, ersReference, "SEQR payment", time); the
  till submits the HTML receipt with ``submitPaymentReceipt`` once. ``POST /payments/<id>/refund``
  calls ``refundPayment``.
* ``GET /reconcile`` / ``POST /reconcile`` -- 10.1 "Close & Reconcile": ``markTransactionPeriod``
  with TERMINALID, then ``executeReport`` STD_RECON_006 (summary) and STD_RECON_007 (details),
  shown as tables (``GET /reconcile/<periodId>``).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Route

from .._common.formatting import format_amount, local_time
from .._common.web import merchant_app, templates
from . import pages, sale
from .store import PosStore
from .till import CURRENCY, SHOP_NAME, ReportTable, SetupDefaults, Till, new_password, parse_report

PACKAGE_DIR = Path(__file__).parent


def create_pos_app(
    seqr_url: str,
    reseller_id: str,
    reseller_user: str,
    reseller_password: str | None,
    public_url: str,
    *,
    database_path: str | Path | None = None,
    cycle_seconds: float = 30.0,
    poll_interval_ms: int = 1000,
    report_retry_seconds: float = 3.0,
    external_terminal_id: str = "Café Kronan/Till 1",
    terminal_name: str = "Café Kronan, till 1",
) -> Starlette:
    """The till as a Starlette app.

    ``seqr_url``: the SEQR server. ``reseller_id``/``reseller_user``/``reseller_password``: the
    shop's reseller credentials, pre-filled on the setup page (used only for
    ``registerTerminal``, never stored; ``None`` = type the password). ``public_url``: where
    the till's pages are reached. ``database_path``: the till's SQLite file (``None`` = in
    memory). ``cycle_seconds``: how long the "Await customer" view polls before asking "try
    again?" (spec 4.4: 30 s; shorter in tests). ``poll_interval_ms``: once a second.
    ``report_retry_seconds``: wait before re-asking a report that is not ready (10.1: ~3 s).
    """
    env = templates(
        "openseqr.merchants.pos",
        shop_name=SHOP_NAME,
        stylesheet="pos.css",
        format_amount=format_amount,
        local=lambda dt: local_time(dt, seconds=True),
        Decimal=Decimal,
        currency=CURRENCY,
    )
    defaults = SetupDefaults(
        reseller_id, reseller_user, reseller_password, external_terminal_id, terminal_name
    )
    till = Till(
        store=PosStore(database_path),
        env=env,
        seqr_url=seqr_url,
        defaults=defaults,
        cycle_seconds=cycle_seconds,
        poll_interval_ms=poll_interval_ms,
        report_retry_seconds=report_retry_seconds,
    )
    return merchant_app(
        ROUTES,
        static=PACKAGE_DIR / "static",
        on_shutdown=till.close,
        till=till,
        store=till.store,
        public_url=public_url.rstrip("/"),
    )


ROUTES = [
    Route("/", pages.index),
    Route("/setup", pages.setup),
    Route("/setup/register", pages.register, methods=["POST"]),
    Route("/setup/seqr-id", pages.assign, methods=["POST"]),
    Route("/setup/unregister", pages.unregister, methods=["POST"]),
    Route("/sticker", pages.sticker),
    Route("/sticker.{fmt:str}", pages.sticker_image),
    Route("/cashier", sale.cashier),
    Route("/invoices", sale.new_invoice, methods=["POST"]),
    Route("/payments/{payment_id}", sale.payment_view),
    Route("/payments/{payment_id}/await", sale.await_view),
    Route("/payments/{payment_id}/cancel", sale.cancel, methods=["POST"]),
    Route("/payments/{payment_id}/refund", sale.refund, methods=["POST"]),
    Route("/api/payments/{payment_id}/status", sale.status_api),
    Route("/api/payments/{payment_id}/try-again", sale.try_again, methods=["POST"]),
    Route("/api/payments/{payment_id}/cancel", sale.cancel, methods=["POST"]),
    Route("/reconcile", pages.reconcile_view),
    Route("/reconcile", pages.close_day, methods=["POST"]),
    Route("/reconcile/{period_id}", pages.period_view),
    Route("/health", pages.pos_health),
]

__all__ = ["create_pos_app", "parse_report", "new_password", "SHOP_NAME", "ReportTable"]
