"""The till's sale endpoints: the cashier (P-4/P-5), "Await customer" (P-6 … P-8), the receipt
and refunds (P-9, 4.7). Module-level functions reading ``request.app.state.till`` (a `Till`)."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from openseqr.sdk import InvoiceRow, SeqrClientError, cancel_or_acknowledge_async

from .._common.clock import utc_now
from .._common.receipts import receipt_owed
from .._common.web import redirect, wants_json
from .pages import message, not_registered, page, till_of
from .store import Payment
from .till import CURRENCY, PHASE_TEXT, SHOP_NAME, NotRegistered, describe, parse_money

log = logging.getLogger("openseqr.merchants.pos")


def find_payment(request: Request) -> Payment | None:
    return till_of(request).store.get(request.path_params["payment_id"])


def unknown_payment(request: Request) -> Response:
    return message(request, "Unknown payment", "There is no such payment.", 404)


# -- cashier (P-4, P-5) -------------------------------------------------------------------------
async def cashier(request: Request) -> Response:
    if "terminal_id" not in till_of(request).store.config():
        return not_registered(request)
    recent = till_of(request).store.recent(10)
    return page(request, "cashier.html", recent=recent, error=request.query_params.get("error"))


def _refused(request: Request, text: str, code: int = 400) -> Response:
    if wants_json(request):
        return JSONResponse({"error": text}, code)
    recent = till_of(request).store.recent(10)
    return page(request, "cashier.html", code, recent=recent, error=text)


def sale_items(form: Any) -> list[dict[str, Any]] | str:
    """The cashier's rows (up to six) as invoice items, or what is wrong with them."""
    items: list[dict[str, Any]] = []
    for i in range(1, 7):
        desc = str(form.get(f"desc{i}", "")).strip()
        price = parse_money(form.get(f"price{i}", ""))
        if not desc and price is None:
            continue
        try:
            qty = int(str(form.get(f"qty{i}", "1") or "1"))
        except ValueError:
            qty = 0
        if not desc or price is None or price <= 0 or qty <= 0:
            return f"Row {i}: give a description, a quantity and a price above 0."
        total = f"{price * qty:.2f}"
        items.append(
            {"description": desc, "quantity": qty, "unit_price": f"{price:.2f}", "total": total}
        )
    return items or "Enter at least one article."


async def new_invoice(request: Request) -> Response:
    till = till_of(request)
    form = await request.form()
    items = sale_items(form)
    if isinstance(items, str):
        return _refused(request, items)
    total = sum((Decimal(i["total"]) for i in items), Decimal("0.00"))
    cashier_id = str(form.get("cashier_id", "")).strip() or None
    try:
        client = till.terminal()
    except NotRegistered:
        return not_registered(request)
    previous = till.store.pending()
    p = till.store.create(total, CURRENCY, cashier_id, items)
    rows = [
        InvoiceRow(i["description"], quantity=i["quantity"], unit_price=Decimal(i["unit_price"]))
        for i in items
    ]
    try:
        sent = await client.send_invoice(
            total,
            CURRENCY,
            title=SHOP_NAME,
            cashier_id=cashier_id,
            client_invoice_id=p.id,
            rows=rows,
            footer="Thank you for your visit!",
            issue_date=utc_now(),
        )
    except SeqrClientError as exc:
        till.store.delete(p.id)
        return _refused(request, f"SEQR refused the invoice: {describe(exc)}", 502)
    till.store.set_reference(p.id, sent.reference)
    await _settle_superseded(request, previous, p.id)
    if wants_json(request):
        return JSONResponse(till.payment_json(till.store.get(p.id) or p))
    return redirect(request, f"/payments/{p.id}/await")


async def _settle_superseded(request: Request, previous: list[Payment], new_id: str) -> None:
    """8.12: the new invoice supersedes the till's previous unpaid one -- find out what became
    of each (a payment that made it is acknowledged right here)."""
    till = till_of(request)
    for old in previous:
        try:
            st = await till.terminal().get_payment_status(old.invoice_reference or "", old.version)
            await till.apply_status(old, st, note=f"superseded by {new_id}")
        except SeqrClientError as exc:
            log.warning("status of superseded %s: %s", old.id, exc)


# -- await customer (P-6 … P-8) -----------------------------------------------------------------
async def await_view(request: Request) -> Response:
    till, p = till_of(request), find_payment(request)
    if p is None:
        return unknown_payment(request)
    if not p.is_pending:
        return redirect(request, f"/payments/{p.id}")
    phase, remaining = till.phase_of(p)
    return page(
        request,
        "await.html",
        p=p,
        phase=phase,
        remaining=remaining,
        text=PHASE_TEXT[phase],
        cycle_seconds=till.cycle_seconds,
        poll_ms=till.poll_interval_ms,
    )


async def status_api(request: Request) -> Response:
    till, p = till_of(request), find_payment(request)
    if p is None:
        return JSONResponse({"error": "not_found"}, 404)
    try:
        p = await till.refresh(p)
    except NotRegistered:
        return JSONResponse({"error": "not_registered"}, 409)
    except SeqrClientError as exc:
        log.warning("getPaymentStatus for %s failed: %s", p.id, exc)
        return JSONResponse(till.payment_json(p, "error") | {"detail": describe(exc)})
    return JSONResponse(till.payment_json(p), headers={"Cache-Control": "no-store"})


async def try_again(request: Request) -> Response:
    till, p = till_of(request), find_payment(request)
    if p is None:
        return JSONResponse({"error": "not_found"}, 404)
    till.store.new_cycle(p.id)
    return JSONResponse(till.payment_json(till.store.get(p.id) or p))


async def cancel(request: Request) -> Response:
    till, p = till_of(request), find_payment(request)
    if p is None:
        return unknown_payment(request)
    if p.is_pending and p.invoice_reference:
        try:
            status = await cancel_or_acknowledge_async(till.terminal(), p.invoice_reference)
            p = await till.apply_status(p, status, note="canceled by the cashier")
        except NotRegistered:
            return not_registered(request)
        except SeqrClientError as exc:
            log.warning("cancel of %s failed: %s", p.id, exc)
    if wants_json(request):
        return JSONResponse(till.payment_json(p))
    return redirect(request, f"/payments/{p.id}")


# -- receipt and refunds (P-9, 4.7) -------------------------------------------------------------
def payment_page(request: Request, p: Payment, status_code: int = 200, **context: Any) -> Response:
    refunds = till_of(request).store.refunds(p.id)
    fields = {"error": request.query_params.get("error")} | context
    return page(request, "payment.html", status_code, p=p, refunds=refunds, **fields)


async def payment_view(request: Request) -> Response:
    till, p = till_of(request), find_payment(request)
    if p is None:
        return unknown_payment(request)
    if p.is_pending:
        return redirect(request, f"/payments/{p.id}/await")
    if receipt_owed(p):
        try:
            await till.send_receipt(p)
        except NotRegistered:
            pass
        p = till.store.get(p.id) or p
    return payment_page(request, p)


async def refund(request: Request) -> Response:
    till, p = till_of(request), find_payment(request)
    if p is None:
        return unknown_payment(request)
    form = await request.form()
    amount = parse_money(form.get("amount", "")) if form.get("amount") else p.refundable
    cashier_id = str(form.get("cashier_id", "")).strip() or p.cashier_id
    if not p.is_paid or not p.ers_reference or amount is None or not 0 < amount <= p.refundable:
        return payment_page(
            request, p, 400, error=f"Refund between 0.01 and {p.refundable:.2f} kr."
        )
    try:
        ref = await till.terminal().refund_payment(
            p.ers_reference, amount, CURRENCY, title=f"Refund {SHOP_NAME}", cashier_id=cashier_id
        )
    except NotRegistered:
        return not_registered(request)
    except SeqrClientError as exc:
        return payment_page(request, p, 502, error=f"Refund refused: {describe(exc)}")
    till.store.add_refund(p.id, ref, amount, cashier_id)
    return redirect(request, f"/payments/{p.id}")
