"""Invoices: search (indexed filters, keyset pages), the detail page, refunds (merchants and
operators) and notification redelivery from the detail page."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...core import errors
from ...core.console import InvoiceSearch
from ...core.invoicing import AmountDraft, InvoiceDraft
from ...core.states import State
from ...service import console as use
from ..framework import (
    ANYONE,
    Section,
    audit,
    bad_request,
    ctx_of,
    field_of,
    form,
    not_found,
    query,
    render,
    require,
)
from .params import path_id

PAGE_SIZE = 50
STATES = [s.value for s in State]
FILTERS = ("reference", "ers_reference", "client_invoice_id", "terminal", "state", "from", "to")


def _date(request: Request, name: str) -> datetime | None:
    value = query(request, name)
    if value is None:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise bad_request(f"The {name} date is not a date (YYYY-MM-DD).") from None
    if not 1970 <= day.year <= 8999:
        raise bad_request(f"The {name} date is out of range.")
    return datetime.combine(day, time(), tzinfo=UTC)


def _cursor(request: Request) -> tuple[datetime, str] | None:
    value = query(request, "before")
    if value is None:
        return None
    at, _, reference = value.partition("~")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise bad_request("The page cursor is not valid.") from None
    if moment.tzinfo is None or not reference.isdigit():
        raise bad_request("The page cursor is not valid.")
    return moment, reference


def search_of(request: Request, scope: str | None) -> InvoiceSearch:
    state = query(request, "state")
    if state is not None and state not in STATES:
        raise bad_request("Unknown state.")
    to = _date(request, "to")
    return InvoiceSearch(
        reseller_id=scope,
        reference=query(request, "reference"),
        ers_reference=query(request, "ers_reference"),
        client_invoice_id=query(request, "client_invoice_id"),
        terminal_id=query(request, "terminal"),
        state=state,
        created_from=_date(request, "from"),
        created_to=to + timedelta(days=1) if to else None,
        before=_cursor(request),
        limit=PAGE_SIZE + 1,
    )


async def list_invoices(request: Request) -> Response:
    principal = await require(request, ANYONE)
    search = search_of(request, principal.scope)
    rows = use.search_invoices(ctx_of(request), search)
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    filters = {k: request.query_params.get(k, "")[:200] for k in FILTERS}
    next_cursor = f"{rows[-1].created_at.isoformat()}~{rows[-1].reference}" if more else None
    return render(request, "invoices.html", active="invoices", invoices=rows, states=STATES,
                  filters=filters, next_cursor=next_cursor)  # fmt: skip


async def show_invoice(request: Request) -> Response:
    principal = await require(request, ANYONE)
    reference = path_id(request, "reference", "invoice")
    try:
        detail = use.invoice_detail(ctx_of(request), principal.scope, reference[:64])
    except use.Missing:
        raise not_found("invoice") from None
    message = {"refunded": "Refund made.", "redelivered": "Notification queued for redelivery."}
    return render(request, "invoice.html", active="invoices", d=detail,
                  notice=message.get(request.query_params.get("done", "")))  # fmt: skip


async def refund_invoice(request: Request) -> Response:
    principal = await require(request, ANYONE)
    data = await form(request)
    reference = path_id(request, "reference", "invoice")
    amount_text = field_of(data, "amount")
    try:
        amount = Decimal(amount_text)
    except InvalidOperation:
        raise bad_request("The amount is not a number.") from None
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -4:  # type: ignore[operator]
        raise bad_request("The amount must be a positive number.")
    ctx = ctx_of(request)
    try:
        invoice, refund = use.refund(ctx, principal.scope, reference, InvoiceDraft(
            total=AmountDraft(amount, field_of(data, "currency")),
            title=field_of(data, "reason", required=False) or None))  # fmt: skip
    except use.Missing:
        raise not_found("invoice") from None
    except errors.DomainError as exc:
        raise bad_request(f"The refund was refused: {exc}") from None
    audit(request, "invoice.refund", reference,
          {"amount": f"{amount} {refund.amount.currency}", "refund": refund.ers_reference},
          reseller_id=invoice.reseller_id)  # fmt: skip
    return RedirectResponse(f"/console/invoices/{reference}?done=refunded", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/invoices", list_invoices, methods=["GET"]),
        Route("/invoices/{reference}", show_invoice, methods=["GET"]),
        Route("/invoices/{reference}/refund", refund_invoice, methods=["POST"]),
    ]


SECTION = Section("invoices", "Invoices", routes, merchant=True)
