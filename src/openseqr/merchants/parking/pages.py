"""The parking service's endpoints (see `app` for the routes): module-level functions that
find the service's state on ``request.app.state.parking`` (a `Parking`)."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from openseqr.sdk import InvoiceRow, SeqrClientError, deep_link

from .._common.web import health, render, root_path, set_app_cookie, wants_json
from .service import Parking, Problem
from .store import Ticket
from .tariff import CURRENCY, DEFAULT_MINUTES, DURATIONS, Duration, Zone, duration

log = logging.getLogger("openseqr.merchants.parking")

COOKIE = "parking_ticket"


def parking_of(request: Request) -> Parking:
    return request.app.state.parking


# -- responses ------------------------------------------------------------------------------
def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return render(parking_of(request).env, request, name, status_code, **context)


def message(
    request: Request,
    title: str,
    text: str,
    *,
    code: int | None = None,
    status_code: int = 200,
    retry: str | None = None,
) -> HTMLResponse:
    return page(
        request, "message.html", status_code, title=title, text=text, result_code=code, retry=retry
    )


def problem_response(request: Request, p: Problem, as_json: bool = False) -> Response:
    if as_json:
        return JSONResponse(
            {"error": p.kind, "title": p.title, "message": p.text, "resultCode": p.code},
            p.status_code if p.status_code >= 400 else 409,
        )
    return message(request, p.title, p.text, code=p.code, status_code=p.status_code)


def choose_url(request: Request, token: str, minutes: int | None = None) -> str:
    query = {"token": token, **({"minutes": str(minutes)} if minutes else {})}
    return f"{root_path(request)}/order/choose?{urlencode(query)}"


# -- ordering (ES-3 … ES-9) ---------------------------------------------------------------------
async def order(request: Request) -> Response:
    return page(request, "order.html")


async def choose(request: Request) -> Response:
    token = request.query_params.get("token", "").strip()
    found = await parking_of(request).session_and_zone(token)
    if isinstance(found, Problem):
        return problem_response(request, found)
    _, zone = found
    try:
        selected = int(request.query_params.get("minutes", DEFAULT_MINUTES))
    except ValueError:
        selected = DEFAULT_MINUTES
    return page(
        request,
        "choose.html",
        token=token,
        zone=zone,
        options=[(d, zone.price(d.minutes)) for d in DURATIONS],
        selected=selected if duration(selected) else DEFAULT_MINUTES,
        currency=CURRENCY,
    )


async def pay(request: Request) -> Response:
    form = await request.form()
    token = str(form.get("token", "")).strip()
    as_json = wants_json(request)
    try:
        chosen = duration(int(str(form.get("minutes", DEFAULT_MINUTES))))
    except ValueError:
        chosen = None
    if chosen is None:
        if as_json:
            return JSONResponse({"error": "bad_duration", "message": "Choose a duration."}, 400)
        return message(
            request,
            "Choose a duration",
            "Please choose how long to park.",
            status_code=400,
            retry=choose_url(request, token),
        )
    parking = parking_of(request)
    found = await parking.session_and_zone(token)
    if isinstance(found, Problem):
        return problem_response(request, found, as_json)
    info, zone = found
    await parking.replace_unpaid(token)
    ticket = parking.store.create(
        token=token,
        msisdn=info.get("msisdn"),
        subscriber_key=info.get("subscriberKey"),
        zone=zone.code,
        zone_name=zone.name,
        minutes=chosen.minutes,
        amount=f"{zone.price(chosen.minutes):.2f}",
        currency=CURRENCY,
    )
    try:
        reference = await _send_invoice(parking, ticket, zone, chosen)
    except SeqrClientError as exc:
        parking.store.finish(ticket.id, "failed")
        return problem_response(request, Problem.from_error(exc), as_json)
    response = _trigger_response(request, parking, ticket, reference, zone, chosen, as_json)
    secure = parking.public_url.startswith("https:")
    set_app_cookie(response, request, COOKIE, ticket.secret, max_age=86400, secure=secure)
    return response


async def _send_invoice(parking: Parking, ticket: Ticket, zone: Zone, chosen: Duration) -> str:
    """ES-7/8: ``sendInvoice`` for the ticket; returns the invoice reference (also stored)."""
    price = Decimal(ticket.amount)
    query = urlencode({"ticket": ticket.id})
    sent = await parking.seqr.send_invoice(
        price,
        CURRENCY,
        title=f"Parking zone {zone.code}, {chosen.label}",
        rows=[
            InvoiceRow(
                f"Parking zone {zone.code} ({zone.name}), {chosen.label}",
                quantity=1,
                unit_price=price,
            )
        ],
        client_invoice_id=ticket.id,
        notification_url=f"{parking.notify_base}/seqr/notify?{query}",
        footer="Your ticket code is on this receipt.",
    )
    parking.store.set_reference(ticket.id, sent.reference)
    return str(sent.reference)


def _trigger_response(
    request: Request,
    parking: Parking,
    ticket: Ticket,
    reference: str,
    zone: Zone,
    chosen: Duration,
    as_json: bool,
) -> Response:
    """ES-9: the pay trigger, as JSON for the page's ``fetch()`` or as a page with the link."""
    trigger = deep_link(reference, scheme=parking.trigger_scheme)
    if as_json:
        return JSONResponse(
            {"trigger": trigger, "invoiceReference": reference, "ticket": ticket.id}
        )
    return page(
        request,
        "confirm.html",
        trigger=trigger,
        zone=zone,
        choice=chosen,
        price=Decimal(ticket.amount),
        ticket=ticket,
        back=choose_url(request, ticket.token, chosen.minutes),
    )


# -- the endings (ES-13/14) ---------------------------------------------------------------------
def cookie_ticket(request: Request) -> Ticket | None:
    secret = request.cookies.get(COOKIE)
    return parking_of(request).store.by_secret(secret) if secret else None


def matching_ticket(request: Request) -> Ticket | None:
    """A ticket is shown only to whoever knows both its session TOKEN and invoice reference."""
    token = request.query_params.get("token", "")
    reference = request.query_params.get("reference", "")
    ticket = parking_of(request).store.by_reference(reference) if reference else None
    return ticket if ticket is not None and token and ticket.token == token else None


async def show_ticket(request: Request, ticket: Ticket | None, via: str) -> Response:
    if ticket is not None:
        try:
            ticket = await parking_of(request).resolve(ticket, via)
        except SeqrClientError as exc:
            log.warning("getPaymentStatus for ticket %s failed: %s", ticket.id, exc)
    return page(request, "success.html", ticket=ticket)


async def success(request: Request) -> Response:
    return await show_ticket(request, cookie_ticket(request), "success-page")


async def ticket_view(request: Request) -> Response:
    ticket = matching_ticket(request)
    if ticket is None:
        return message(
            request, "Ticket not found", "We could not find this parking ticket.", status_code=404
        )
    return await show_ticket(request, ticket, "success-page")


async def ticket_json(request: Request) -> Response:
    ticket = matching_ticket(request)
    if ticket is None:
        return JSONResponse({"error": "not_found"}, 404)
    try:
        ticket = await parking_of(request).resolve(ticket, "success-page")
    except SeqrClientError as exc:
        return JSONResponse({"error": "unavailable", "message": str(exc)}, 503)
    return JSONResponse(ticket_as_json(ticket), headers={"Cache-Control": "no-store"})


def ticket_as_json(t: Ticket) -> dict[str, Any]:
    return {
        "ticket": t.id,
        "status": t.status,
        "zone": t.zone,
        "zone_name": t.zone_name,
        "minutes": t.minutes,
        "amount": t.amount,
        "currency": t.currency,
        "invoice_reference": t.invoice_reference,
        "code": t.code,
        "valid_from": t.valid_from.isoformat() if t.valid_from else None,
        "valid_until": t.valid_until.isoformat() if t.valid_until else None,
        "receipt": t.receipt_state,
    }


async def _ending(request: Request, template: str) -> Response:
    ticket = cookie_ticket(request)
    if ticket is not None and ticket.is_pending:
        try:
            ticket = await parking_of(request).resolve(ticket, "result-page")
        except SeqrClientError:
            pass
    return page(request, template, ticket=ticket)


async def failure(request: Request) -> Response:
    return await _ending(request, "failure.html")


async def cancel(request: Request) -> Response:
    return await _ending(request, "cancel.html")


async def parking_health(request: Request) -> Response:
    return health("parking")
