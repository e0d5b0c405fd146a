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

import asyncio
import logging
import secrets
import string
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from openseqr.sdk import (
    AsyncResellerClient,
    AsyncSeqrClient,
    InvoiceRow,
    InvoiceStatus,
    PaymentStatus,
    ReportNotReady,
    SeqrClientError,
    cancel_or_acknowledge_async,
    qr_png,
    qr_svg,
    terminal_qr,
)

from .._common.web import merchant_app, render, root_path, templates
from .store import Payment, PosStore, now

log = logging.getLogger("openseqr.merchants.pos")

SHOP_NAME = "Café Kronan"
CURRENCY = "SEK"
PACKAGE_DIR = Path(__file__).parent
SUMMARY_REPORT = "Reconciliation/STD_RECON_006.xml"
DETAILS_REPORT = "Reconciliation/STD_RECON_007.xml"
_ALPHABET = string.ascii_letters + string.digits

#: What the cashier sees for each state (P-7).
PHASE_TEXT = {
    "waiting": "Please wait for the customer to complete the payment in the phone.",
    "ask": "No payment yet. Try again, or cancel the payment?",
    "paid": "Payment completed.",
    "canceled": "The payment was canceled.",
    "failed": "The payment failed.",
    "error": "An error occurred. Still trying…",
}


def new_password(length: int = 15) -> str:
    """P-2: a random terminal password, 15 characters [A-Za-z0-9] as in the samples."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def format_amount(amount: Decimal | str, currency: str = CURRENCY) -> str:
    value = Decimal(amount)
    return f"{value:.2f} kr" if currency == "SEK" else f"{value:.2f} {currency}"


def _local(dt: datetime | None) -> str:
    return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S") if dt else ""


@dataclass(frozen=True)
class ReportTable:
    root: str
    meta: dict[str, str]
    columns: list[str]
    rows: list[dict[str, str]]


def parse_report(xml_text: str | None) -> ReportTable | None:
    """A reconciliation report (spec 10.3) as a table: ``Meta`` fields, one dict per ``Row``."""
    if not xml_text:
        return None
    root = ET.fromstring(xml_text.encode())
    meta_el = root.find("Meta")
    meta = {c.tag: (c.text or "") for c in meta_el} if meta_el is not None else {}
    rows = [{c.tag: (c.text or "") for c in row} for row in root.findall("Row")]
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    return ReportTable(root.tag, meta, columns, rows)


class NotRegistered(Exception):
    """The till has no SEQR terminal yet (open /setup)."""


def _money(raw: Any) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return value.quantize(Decimal("0.01")) if value.is_finite() else None


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
    public_url = public_url.rstrip("/")
    store = PosStore(database_path)
    env = templates(
        "openseqr.merchants.pos",
        shop_name=SHOP_NAME,
        format_amount=format_amount,
        local=_local,
        Decimal=Decimal,
        currency=CURRENCY,
    )
    clients: dict[str, AsyncSeqrClient] = {}
    locks: dict[str, asyncio.Lock] = {}

    def terminal() -> AsyncSeqrClient:
        cfg = store.config()
        if "terminal_id" not in cfg:
            raise NotRegistered()
        key = cfg["terminal_id"]
        if key not in clients:
            clients[key] = AsyncSeqrClient(
                seqr_url, cfg["terminal_id"], cfg["password"], client_id="openseqr pos 1.0"
            )
        return clients[key]

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        cfg = store.config()
        return render(
            env, request, name, status_code, cfg=cfg, registered="terminal_id" in cfg, **context
        )

    def message(
        request: Request, title: str, text: str, status_code: int = 200, back: str = "/cashier"
    ) -> HTMLResponse:
        return page(request, "message.html", status_code, title=title, text=text, back=back)

    def go(request: Request, path: str) -> RedirectResponse:
        return RedirectResponse(root_path(request) + path, 303)

    def not_registered(request: Request) -> Response:
        return go(request, "/setup")

    # -- status → payment ------------------------------------------------------------------
    def receipt_html(p: Payment) -> str:
        return env.get_template("receipt_doc.html").render(p=p, cfg=store.config())

    async def send_receipt(p: Payment) -> None:
        if not p.is_paid or not p.ers_reference or not store.claim_receipt(p.id):
            return
        try:
            await terminal().submit_payment_receipt(p.ers_reference, receipt_html(p))
        except SeqrClientError as exc:
            log.warning("submitPaymentReceipt for %s failed: %s", p.id, exc)
            store.receipt_done(p.id, ok=False)
            return
        store.receipt_done(p.id, ok=True)

    async def apply_status(p: Payment, status: PaymentStatus, note: str | None = None) -> Payment:
        store.set_version(p.id, status.version)
        if status.status is InvoiceStatus.PAID:
            paid_at = status.receipt.payment_date if status.receipt else None
            if store.mark_paid(p.id, status.ers_reference, paid_at):
                log.info("payment %s PAID, ersReference %s", p.id, status.ers_reference)
        elif status.status in (InvoiceStatus.CANCELED, InvoiceStatus.EXPIRED):
            store.finish(p.id, "canceled", note)
        elif status.status is InvoiceStatus.FAILED:
            store.finish(p.id, "failed", note)
        fresh = store.get(p.id) or p
        await send_receipt(fresh)
        return store.get(p.id) or fresh

    async def refresh(p: Payment) -> Payment:
        """One poll (P-7); serialised per payment so that overlapping polls cannot race."""
        lock = locks.setdefault(p.id, asyncio.Lock())
        async with lock:
            p = store.get(p.id) or p
            if p.is_awaiting and p.invoice_reference:
                status = await terminal().get_payment_status(p.invoice_reference, p.version)
                p = await apply_status(p, status)
            elif p.is_paid and p.receipt_state in ("none", "failed"):
                await send_receipt(p)
                p = store.get(p.id) or p
            return p

    def phase_of(p: Payment) -> tuple[str, float]:
        if p.status in ("paid", "canceled", "failed"):
            return p.status, 0.0
        elapsed = (now() - p.cycle_started_at).total_seconds()
        remaining = max(0.0, cycle_seconds - elapsed)
        return ("ask" if remaining <= 0 else "waiting"), remaining

    def payment_json(p: Payment, phase: str, remaining: float) -> dict[str, Any]:
        return {
            "payment": p.id,
            "invoiceReference": p.invoice_reference,
            "status": p.status,
            "phase": phase,
            "message": PHASE_TEXT[phase],
            "remaining": round(remaining, 1),
            "cycle": p.cycles,
            "amount": f"{p.amount:.2f}",
            "currency": p.currency,
            "ersReference": p.ers_reference,
            "receipt": p.receipt_state,
            "note": p.note,
        }

    # -- setup (P-1…P-3) -------------------------------------------------------------------
    async def index(request: Request) -> Response:
        return go(request, "/cashier" if "terminal_id" in store.config() else "/setup")

    async def setup(request: Request) -> Response:
        return page(
            request,
            "setup.html",
            reseller_id=reseller_id,
            reseller_user=reseller_user,
            reseller_password=reseller_password or "",
            external_terminal_id=external_terminal_id,
            terminal_name=terminal_name,
            sticker=terminal_qr(store.config()["seqr_id"]) if "seqr_id" in store.config() else None,
            error=request.query_params.get("error"),
        )

    async def register(request: Request) -> Response:
        form = await request.form()
        rid = str(form.get("reseller_id") or reseller_id).strip()
        user = str(form.get("reseller_user") or reseller_user).strip()
        pw = str(form.get("reseller_password") or reseller_password or "")
        ext = str(form.get("external_terminal_id") or external_terminal_id).strip()
        name = str(form.get("name") or terminal_name).strip()
        password = new_password()
        try:
            async with AsyncResellerClient(
                seqr_url, rid, user, pw, client_id="openseqr pos 1.0"
            ) as reseller:
                reg = await reseller.register_terminal(ext, name, password=password)
        except SeqrClientError as exc:
            log.warning("registerTerminal failed: %s", exc)
            return page(
                request,
                "setup.html",
                400,
                reseller_id=rid,
                reseller_user=user,
                reseller_password="",
                external_terminal_id=ext,
                terminal_name=name,
                sticker=None,
                error=f"Registration failed: {_describe(exc)}",
            )
        store.clear_registration()
        store.set_config(
            terminal_id=reg.terminal_id,
            password=reg.password,
            external_terminal_id=ext,
            name=name,
            reseller_id=rid,
            registered_at=now().isoformat(),
        )
        return go(request, "/setup")

    async def assign(request: Request) -> Response:
        form = await request.form()
        seqr_id = str(form.get("seqr_id", "")).strip()
        try:
            await terminal().assign_seqr_id(seqr_id)
        except NotRegistered:
            return not_registered(request)
        except SeqrClientError as exc:
            cfg = store.config()
            return page(
                request,
                "setup.html",
                400,
                reseller_id=cfg.get("reseller_id", reseller_id),
                reseller_user=reseller_user,
                reseller_password="",
                external_terminal_id=cfg.get("external_terminal_id", ""),
                terminal_name=cfg.get("name", ""),
                sticker=None,
                error=f"The SEQR ID was refused: {_describe(exc)}",
            )
        store.set_config(seqr_id=seqr_id)
        return go(request, "/setup")

    async def unregister(request: Request) -> Response:
        try:
            await terminal().unregister_terminal()
        except NotRegistered:
            return not_registered(request)
        except SeqrClientError as exc:
            return message(request, "Unregistering failed", _describe(exc), 502, back="/setup")
        store.clear_registration()
        return go(request, "/setup")

    async def sticker(request: Request) -> Response:
        cfg = store.config()
        if "seqr_id" not in cfg:
            return go(request, "/setup")
        return page(request, "sticker.html", sticker=terminal_qr(cfg["seqr_id"]))

    async def sticker_image(request: Request) -> Response:
        cfg = store.config()
        if "seqr_id" not in cfg:
            return Response("no SEQR ID assigned", 404)
        code = terminal_qr(cfg["seqr_id"])
        if request.path_params["fmt"] == "png":
            return Response(qr_png(code, scale=10), media_type="image/png")
        if request.path_params["fmt"] == "svg":
            return Response(qr_svg(code, scale=10), media_type="image/svg+xml")
        return Response("not found", 404)

    # -- cashier (P-4, P-5) ----------------------------------------------------------------
    async def cashier(request: Request) -> Response:
        if "terminal_id" not in store.config():
            return not_registered(request)
        return page(
            request,
            "cashier.html",
            recent=store.recent(10),
            error=request.query_params.get("error"),
        )

    async def new_invoice(request: Request) -> Response:
        form = await request.form()
        wants_json = "application/json" in request.headers.get("accept", "")
        items: list[dict[str, Any]] = []
        for i in range(1, 7):
            desc = str(form.get(f"desc{i}", "")).strip()
            price = _money(form.get(f"price{i}", ""))
            if not desc and price is None:
                continue
            try:
                qty = int(str(form.get(f"qty{i}", "1") or "1"))
            except ValueError:
                qty = 0
            if not desc or price is None or price <= 0 or qty <= 0:
                return _bad(
                    request,
                    wants_json,
                    f"Row {i}: give a description, a quantity and a price above 0.",
                )
            items.append(
                {
                    "description": desc,
                    "quantity": qty,
                    "unit_price": f"{price:.2f}",
                    "total": f"{price * qty:.2f}",
                }
            )
        if not items:
            return _bad(request, wants_json, "Enter at least one article.")
        total = sum((Decimal(i["total"]) for i in items), Decimal("0.00"))
        cashier_id = str(form.get("cashier_id", "")).strip() or None
        try:
            client = terminal()
        except NotRegistered:
            return not_registered(request)
        previous = store.awaiting()
        p = store.create(total, CURRENCY, cashier_id, items)
        try:
            sent = await client.send_invoice(
                total,
                CURRENCY,
                title=SHOP_NAME,
                cashier_id=cashier_id,
                client_invoice_id=p.id,
                rows=[
                    InvoiceRow(
                        i["description"],
                        quantity=i["quantity"],
                        unit_price=Decimal(i["unit_price"]),
                    )
                    for i in items
                ],
                footer="Thank you for your visit!",
                issue_date=now(),
            )
        except SeqrClientError as exc:
            store.delete(p.id)
            return _bad(request, wants_json, f"SEQR refused the invoice: {_describe(exc)}", 502)
        store.set_reference(p.id, sent.reference)
        # 8.12: the new invoice supersedes the till's previous unpaid one -- find out what
        # became of each (a payment that made it is acknowledged right here).
        for old in previous:
            try:
                st = await terminal().get_payment_status(old.invoice_reference or "", old.version)
                await apply_status(old, st, note=f"superseded by {p.id}")
            except SeqrClientError as exc:
                log.warning("status of superseded %s: %s", old.id, exc)
        if wants_json:
            fresh = store.get(p.id) or p
            return JSONResponse(payment_json(fresh, *phase_of(fresh)))
        return go(request, f"/payments/{p.id}/await")

    def _bad(request: Request, wants_json: bool, text: str, code: int = 400) -> Response:
        if wants_json:
            return JSONResponse({"error": text}, code)
        return page(request, "cashier.html", code, recent=store.recent(10), error=text)

    # -- await customer (P-6…P-8) -----------------------------------------------------------
    def find(request: Request) -> Payment | None:
        return store.get(request.path_params["payment_id"])

    async def await_view(request: Request) -> Response:
        p = find(request)
        if p is None:
            return message(request, "Unknown payment", "There is no such payment.", 404)
        if not p.is_awaiting:
            return go(request, f"/payments/{p.id}")
        phase, remaining = phase_of(p)
        return page(
            request,
            "await.html",
            p=p,
            phase=phase,
            remaining=remaining,
            text=PHASE_TEXT[phase],
            cycle_seconds=cycle_seconds,
            poll_ms=poll_interval_ms,
        )

    async def status_api(request: Request) -> Response:
        p = find(request)
        if p is None:
            return JSONResponse({"error": "not_found"}, 404)
        try:
            p = await refresh(p)
        except NotRegistered:
            return JSONResponse({"error": "not_registered"}, 409)
        except SeqrClientError as exc:
            log.warning("getPaymentStatus for %s failed: %s", p.id, exc)
            _, remaining = phase_of(p)
            return JSONResponse(payment_json(p, "error", remaining) | {"detail": _describe(exc)})
        return JSONResponse(payment_json(p, *phase_of(p)), headers={"Cache-Control": "no-store"})

    async def try_again(request: Request) -> Response:
        p = find(request)
        if p is None:
            return JSONResponse({"error": "not_found"}, 404)
        store.new_cycle(p.id)
        p = store.get(p.id) or p
        return JSONResponse(payment_json(p, *phase_of(p)))

    async def cancel(request: Request) -> Response:
        p = find(request)
        if p is None:
            return message(request, "Unknown payment", "There is no such payment.", 404)
        if p.is_awaiting and p.invoice_reference:
            try:
                status = await cancel_or_acknowledge_async(terminal(), p.invoice_reference)
                p = await apply_status(p, status, note="canceled by the cashier")
            except NotRegistered:
                return not_registered(request)
            except SeqrClientError as exc:
                log.warning("cancel of %s failed: %s", p.id, exc)
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(payment_json(p, *phase_of(p)))
        return go(request, f"/payments/{p.id}")

    # -- receipt and refunds (P-9, 4.7) ----------------------------------------------------
    async def payment_view(request: Request) -> Response:
        p = find(request)
        if p is None:
            return message(request, "Unknown payment", "There is no such payment.", 404)
        if p.is_awaiting:
            return go(request, f"/payments/{p.id}/await")
        if p.is_paid and p.receipt_state in ("none", "failed"):
            try:
                await send_receipt(p)
            except NotRegistered:
                pass
            p = store.get(p.id) or p
        return page(
            request,
            "payment.html",
            p=p,
            refunds=store.refunds(p.id),
            error=request.query_params.get("error"),
        )

    async def refund(request: Request) -> Response:
        p = find(request)
        if p is None:
            return message(request, "Unknown payment", "There is no such payment.", 404)
        form = await request.form()
        amount = _money(form.get("amount", "")) if form.get("amount") else p.refundable
        cashier_id = str(form.get("cashier_id", "")).strip() or p.cashier_id
        if (
            not p.is_paid
            or not p.ers_reference
            or amount is None
            or amount <= 0
            or amount > p.refundable
        ):
            return page(
                request,
                "payment.html",
                400,
                p=p,
                refunds=store.refunds(p.id),
                error=f"Refund between 0.01 and {p.refundable:.2f} kr.",
            )
        try:
            ref = await terminal().refund_payment(
                p.ers_reference,
                amount,
                CURRENCY,
                title=f"Refund {SHOP_NAME}",
                cashier_id=cashier_id,
            )
        except NotRegistered:
            return not_registered(request)
        except SeqrClientError as exc:
            return page(
                request,
                "payment.html",
                502,
                p=p,
                refunds=store.refunds(p.id),
                error=f"Refund refused: {_describe(exc)}",
            )
        store.add_refund(p.id, ref, amount, cashier_id)
        return go(request, f"/payments/{p.id}")

    # -- close & reconcile (10.1) ----------------------------------------------------------
    async def reconcile_view(request: Request) -> Response:
        if "terminal_id" not in store.config():
            return not_registered(request)
        return page(
            request,
            "reconcile.html",
            periods=store.periods(10),
            period=None,
            summary=None,
            details=None,
            error=request.query_params.get("error"),
        )

    async def run_report(
        client: AsyncSeqrClient, report: str, period_id: str, terminal_id: str
    ) -> str:
        for attempt in range(5):
            try:
                return (await client.execute_report(report, period_id, terminal_id)).text
            except ReportNotReady:
                if attempt == 4:
                    raise
                await asyncio.sleep(report_retry_seconds)
        raise AssertionError("unreachable")

    async def close_day(request: Request) -> Response:
        try:
            client = terminal()
        except NotRegistered:
            return not_registered(request)
        terminal_id = store.config()["terminal_id"]
        try:
            period_id = await client.mark_transaction_period(terminal_id)
            summary = await run_report(client, SUMMARY_REPORT, period_id, terminal_id)
            details = await run_report(client, DETAILS_REPORT, period_id, terminal_id)
        except SeqrClientError as exc:
            return page(
                request,
                "reconcile.html",
                502,
                periods=store.periods(10),
                period=None,
                summary=None,
                details=None,
                error=f"Reconciliation failed: {_describe(exc)}",
            )
        store.add_period(period_id, summary, details)
        return go(request, f"/reconcile/{period_id}")

    async def period_view(request: Request) -> Response:
        period = store.period(request.path_params["period_id"])
        if period is None:
            return message(
                request, "Unknown period", "There is no such period.", 404, back="/reconcile"
            )
        return page(
            request,
            "reconcile.html",
            periods=store.periods(10),
            period=period,
            summary=parse_report(period.summary_xml),
            details=parse_report(period.details_xml),
            error=None,
        )

    async def health(request: Request) -> Response:
        return JSONResponse(
            {"status": "ok", "service": "pos", "registered": "terminal_id" in store.config()}
        )

    async def shutdown() -> None:
        for c in clients.values():
            await c.aclose()
        store.close()

    routes = [
        Route("/", index),
        Route("/setup", setup),
        Route("/setup/register", register, methods=["POST"]),
        Route("/setup/seqr-id", assign, methods=["POST"]),
        Route("/setup/unregister", unregister, methods=["POST"]),
        Route("/sticker", sticker),
        Route("/sticker.{fmt:str}", sticker_image),
        Route("/cashier", cashier),
        Route("/invoices", new_invoice, methods=["POST"]),
        Route("/payments/{payment_id}", payment_view),
        Route("/payments/{payment_id}/await", await_view),
        Route("/payments/{payment_id}/cancel", cancel, methods=["POST"]),
        Route("/payments/{payment_id}/refund", refund, methods=["POST"]),
        Route("/api/payments/{payment_id}/status", status_api),
        Route("/api/payments/{payment_id}/try-again", try_again, methods=["POST"]),
        Route("/api/payments/{payment_id}/cancel", cancel, methods=["POST"]),
        Route("/reconcile", reconcile_view),
        Route("/reconcile", close_day, methods=["POST"]),
        Route("/reconcile/{period_id}", period_view),
        Route("/health", health),
    ]
    return merchant_app(
        routes,
        static=PACKAGE_DIR / "static",
        on_shutdown=shutdown,
        store=store,
        public_url=public_url,
    )


def _describe(exc: SeqrClientError) -> str:
    code = getattr(exc, "code", None)
    text = getattr(exc, "description", None) or str(exc)
    return f"{text} (result code {int(code)})" if code is not None else text


__all__ = ["create_pos_app", "parse_report", "new_password", "SHOP_NAME", "ReportTable"]
