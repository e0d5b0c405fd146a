"""Customers of the sandbox and simulated provider: balances, unlock a locked PIN, top up
(A-60). Operators only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...service import admin
from ...service import console_admin as use
from ..framework import (
    OPERATOR,
    Section,
    audit,
    bad_request,
    ctx_of,
    form,
    not_found,
    render,
    require,
)
from .params import form_text, path_id

DONE = {"unlocked": "PIN unlocked.", "topped-up": "Wallet topped up."}


def _msisdn(request: Request) -> str:
    msisdn = path_id(request, "msisdn", "customer")
    if not msisdn.isdigit():
        raise not_found("customer")
    return msisdn


async def list_customers(request: Request) -> Response:
    await require(request, OPERATOR)
    rows = use.customer_balances(ctx_of(request))
    return render(request, "customers.html", active="customers", customers=rows,
                  notice=DONE.get(request.query_params.get("done", "")))  # fmt: skip


async def unlock(request: Request) -> Response:
    await require(request, OPERATOR)
    await form(request)
    msisdn = _msisdn(request)
    try:
        admin.unlock_customer(ctx_of(request), msisdn)
    except admin.AdminError:
        raise not_found("customer") from None
    audit(request, "customer.unlock", msisdn)
    return RedirectResponse("/console/customers?done=unlocked", status_code=303)


async def top_up(request: Request) -> Response:
    await require(request, OPERATOR)
    data = await form(request)
    msisdn = _msisdn(request)
    amount, currency = form_text(data, "amount"), form_text(data, "currency")
    try:
        balance = use.top_up(ctx_of(request), msisdn, amount, currency)
    except admin.AdminError as exc:
        if str(exc).startswith("no customer"):
            raise not_found("customer") from None
        raise bad_request(f"The top-up was refused: {exc}") from None
    audit(request, "customer.top_up", msisdn,
          {"amount": f"{amount} {currency.upper()}", "balance": str(balance)})  # fmt: skip
    return RedirectResponse("/console/customers?done=topped-up", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/customers", list_customers, methods=["GET"]),
        Route("/customers/{msisdn}/unlock", unlock, methods=["POST"]),
        Route("/customers/{msisdn}/top-up", top_up, methods=["POST"]),
    ]


SECTION = Section("customers", "Customers", routes)
