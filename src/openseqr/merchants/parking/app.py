"""The reference External Service: city parking (spec 4.1, ES-1 … ES-14), built only on the SDK.

Pages (all work at 320×480, every view before the payment has a way back):

* ``GET /order#TOKEN`` -- ES-3. A shell whose inline script reads ``location.hash`` and opens
  ``/order/choose?token=TOKEN`` (clients without JavaScript submit the ``data-seqr-order`` form,
  docs/service-authors.md). "Leave" = ``SEQR-ACTION://WIZARD/CANCEL``.
* ``GET /order/choose?token=`` -- ES-4/5/6: ``getClientSessionInfo`` → zone from the QR
  parameter, durations with prices. A clear message for an expired (60), closed (61) or unknown
  (63) session.
* ``POST /order/pay`` -- ES-7/8/9: ``sendInvoice`` with ``clientInvoiceId`` = ticket id and
  ``notificationUrl=<public_url>/seqr/notify?ticket=<id>``; answers the trigger
  ``seqr://SEQR.SE/R<ref>``: JSON ``{"trigger": …}`` for the page's ``fetch()``, otherwise a
  page with the plain link (and "Back").
* ``POST /seqr/notify`` -- ES-11/12: the SDK's ``NotificationReceiver`` acknowledges with
  ``getPaymentStatus``; on PAID the ticket is issued and ``submitPaymentReceipt`` sends an HTML
  receipt with the ticket code.
* ``GET /success#TOKEN_<ref>`` -- ES-13/14 (D-04, D-56): shows the ticket (zone, valid from/until,
  code); calls ``getPaymentStatus`` itself if the notification has not been processed yet.
* ``GET /failure#TOKEN``, ``GET /cancel#TOKEN``: the alternative endings, with "Try again".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from openseqr.sdk import (
    WIZARD_CANCEL,
    AsyncSeqrClient,
    InvalidSessionToken,
    InvoiceRow,
    InvoiceStatus,
    NotificationReceiver,
    PaymentStatus,
    SeqrClientError,
    SeqrError,
    SessionCancelled,
    SessionExpired,
    SessionInProgress,
    deep_link,
)

from .._common.web import merchant_app, render, root_path, templates
from .store import Ticket, TicketStore
from .tariff import CURRENCY, DEFAULT_MINUTES, DURATIONS, ZONES, Zone, duration, format_amount

log = logging.getLogger("openseqr.merchants.parking")

SERVICE_NAME = "City parking"
COOKIE = "parking_ticket"
PACKAGE_DIR = Path(__file__).parent

#: result code → (short title, what the customer should do)
SESSION_MESSAGES: dict[type[SeqrError], tuple[str, str]] = {
    SessionExpired: (
        "Session expired",
        "Your parking session has expired. Scan the parking sign again to start a new one.",
    ),
    SessionCancelled: (
        "Session closed",
        "This parking session was closed. Scan the parking sign again to park.",
    ),
    SessionInProgress: (
        "Almost there",
        "SEQR has not confirmed who you are yet. Please try again in a moment.",
    ),
    InvalidSessionToken: (
        "Link not valid",
        "This page was not opened from a valid SEQR session. Scan the parking sign again.",
    ),
}


@dataclass(frozen=True)
class Problem:
    """Why the service cannot go on; shown as a page (or JSON to the page's script)."""

    kind: str
    title: str
    text: str
    code: int | None = None  # the SEQR result code behind it, if any
    status_code: int = 200  # a session problem is a normal page for the customer

    @classmethod
    def from_error(cls, exc: SeqrClientError) -> Problem:
        code = getattr(exc, "code", None)
        for error, (title, text) in SESSION_MESSAGES.items():
            if isinstance(exc, error):
                return cls(f"session_{error.__name__}", title, text, int(code))
        log.warning("SEQR call failed: %s", exc)
        return cls(
            "unavailable",
            "Service unavailable",
            "We cannot reach the payment service right now. Please try again in a moment.",
            int(code) if code is not None else None,
            503,
        )


def _local(dt: datetime | None) -> str:
    return dt.astimezone().strftime("%Y-%m-%d %H:%M") if dt else ""


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def create_parking_app(
    seqr_url: str,
    terminal_id: str,
    password: str,
    public_url: str,
    *,
    notify_secret: str | None = None,
    notify_base_url: str | None = None,
    database_path: str | Path | None = None,
    zones: dict[str, Zone] | None = None,
    trigger_scheme: str = "seqr",
    client: Any = None,
) -> Starlette:
    """The parking service as a Starlette app.

    ``seqr_url``: the SEQR server; ``terminal_id``/``password``: the terminal the service is
    registered with; ``public_url``: where the SEQR server reaches this app (notification URL).
    ``notify_secret``: the terminal's notification secret, if it has one (signed notifications).
    ``notify_base_url``: where the SEQR server posts notifications, if not ``public_url`` (e.g.
    through a proxy); the invoice's notificationUrl is ``<notify_base_url>/seqr/notify?ticket=``.
    ``database_path``: the ticket database (SQLite file; ``None`` = in memory).
    ``trigger_scheme``: ``seqr`` (the app), or ``seqr-demo`` for the demo app.
    ``client``: an ``AsyncSeqrClient`` to use instead of making one (tests).
    """
    public_url = public_url.rstrip("/")
    notify_base = (notify_base_url or public_url).rstrip("/")
    zones = ZONES if zones is None else zones
    store = TicketStore(database_path)
    seqr: AsyncSeqrClient = client or AsyncSeqrClient(
        seqr_url, terminal_id, password, client_id="openseqr parking 1.0"
    )
    env = templates(
        "openseqr.merchants.parking",
        # The SEQR server's bridge lets the browser wallet catch our seqr:// triggers; it does
        # nothing in a native app or the headless wallet (docs/wallet-app.md).
        bridge_url=seqr_url.rstrip("/") + "/app/static/seqr-bridge.js",
        wizard_cancel=WIZARD_CANCEL,
        service_name=SERVICE_NAME,
        format_amount=format_amount,
        local=_local,
    )

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return render(env, request, name, status_code, **context)

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
            request,
            "message.html",
            status_code,
            title=title,
            text=text,
            result_code=code,
            retry=retry,
        )

    def problem_response(request: Request, p: Problem, as_json: bool = False) -> Response:
        if as_json:
            return JSONResponse(
                {"error": p.kind, "title": p.title, "message": p.text, "resultCode": p.code},
                p.status_code if p.status_code >= 400 else 409,
            )
        return message(request, p.title, p.text, code=p.code, status_code=p.status_code)

    # -- the ticket's life --------------------------------------------------------------------
    async def send_receipt(ticket: Ticket) -> None:
        if not ticket.is_paid or not ticket.ers_reference or not store.claim_receipt(ticket.id):
            return
        html = env.get_template("receipt.html").render(t=ticket)
        try:
            await seqr.submit_payment_receipt(ticket.ers_reference, html)
        except SeqrClientError as exc:
            log.warning("submitPaymentReceipt for ticket %s failed: %s", ticket.id, exc)
            store.receipt_done(ticket.id, ok=False)
            return
        store.receipt_done(ticket.id, ok=True)

    async def apply_status(ticket: Ticket, status: PaymentStatus, via: str) -> Ticket:
        if status.status is InvoiceStatus.PAID:
            paid_at = status.receipt.payment_date if status.receipt else None
            if store.issue(ticket.id, status.ers_reference, via, paid_at):
                log.info("ticket %s issued (%s)", ticket.id, via)
        elif status.status in (InvoiceStatus.FAILED, InvoiceStatus.CANCELED):
            store.finish(
                ticket.id, "failed" if status.status is InvoiceStatus.FAILED else "canceled"
            )
        fresh = store.get(ticket.id) or ticket
        await send_receipt(fresh)
        return store.get(ticket.id) or fresh

    async def resolve(ticket: Ticket, via: str) -> Ticket:
        """ES-14 without a processed notification: ask the server (this also acknowledges)."""
        if ticket.status == "pending" and ticket.invoice_reference:
            status = await seqr.get_payment_status(ticket.invoice_reference)
            return await apply_status(ticket, status, via)
        if ticket.is_paid and ticket.receipt_state in ("none", "failed"):
            await send_receipt(ticket)
            return store.get(ticket.id) or ticket
        return ticket

    async def on_status(status: PaymentStatus, client_invoice_id: str | None) -> None:
        ticket = store.by_reference(status.reference or "")
        if ticket is None:
            log.warning("notification for unknown invoice %s", status.reference)
            return
        hinted = status.notification.query.get("ticket") if status.notification else None
        if hinted and hinted != ticket.id:
            log.warning(
                "notification for %s names ticket %s, invoice belongs to %s",
                status.reference,
                hinted,
                ticket.id,
            )
        store.mark_notified(ticket.id)
        await apply_status(ticket, status, "notification")

    receiver = NotificationReceiver(
        seqr, on_status=on_status, path="/seqr/notify", secret=notify_secret
    )

    # -- pages --------------------------------------------------------------------------------
    async def order(request: Request) -> Response:
        return page(request, "order.html")

    async def session_and_zone(token: str) -> tuple[dict[str, str], Zone] | Problem:
        """ES-5: who is parking, and where (the QR parameter `zone`)."""
        if not token:
            return Problem(
                "no_session", "Open from SEQR", "Scan the parking sign with the SEQR app to start."
            )
        try:
            info = await seqr.get_client_session_info(token)
        except SeqrClientError as exc:
            return Problem.from_error(exc)
        zone = zones.get(info.get("zone", ""))
        if zone is None:
            where = info.get("zone")
            return Problem(
                "unknown_zone",
                "Unknown zone",
                f"Zone {where} is not one of our parking zones."
                if where
                else "This parking sign does not name a zone.",
            )
        return info, zone

    async def choose(request: Request) -> Response:
        token = request.query_params.get("token", "").strip()
        found = await session_and_zone(token)
        if isinstance(found, Problem):
            return problem_response(request, found)
        info, zone = found
        try:
            selected = int(request.query_params.get("minutes", DEFAULT_MINUTES))
        except ValueError:
            selected = DEFAULT_MINUTES
        options = [(d, zone.price(d.minutes)) for d in DURATIONS]
        return page(
            request,
            "choose.html",
            token=token,
            zone=zone,
            options=options,
            selected=selected if duration(selected) else DEFAULT_MINUTES,
            currency=CURRENCY,
        )

    async def pay(request: Request) -> Response:
        form = await request.form()
        token = str(form.get("token", "")).strip()
        as_json = _wants_json(request)
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
                retry=_choose_url(request, token),
            )
        found = await session_and_zone(token)
        if isinstance(found, Problem):
            return problem_response(request, found, as_json)
        info, zone = found
        # A new choice replaces an unpaid earlier one of this session (the customer went back).
        for old in store.pending_for_token(token):
            try:
                await seqr.cancel_invoice(old.invoice_reference or "")
                store.finish(old.id, "canceled")
            except SeqrClientError:
                pass  # paid or paying meanwhile: the notification / success page handles it
        price = zone.price(chosen.minutes)
        ticket = store.create(
            token=token,
            msisdn=info.get("msisdn"),
            subscriber_key=info.get("subscriberKey"),
            zone=zone.code,
            zone_name=zone.name,
            minutes=chosen.minutes,
            amount=f"{price:.2f}",
            currency=CURRENCY,
        )
        title = f"Parking zone {zone.code}, {chosen.label}"
        try:
            sent = await seqr.send_invoice(
                price,
                CURRENCY,
                title=title,
                rows=[
                    InvoiceRow(
                        f"Parking zone {zone.code} ({zone.name}), {chosen.label}",
                        quantity=1,
                        unit_price=price,
                    )
                ],
                client_invoice_id=ticket.id,
                notification_url=f"{notify_base}/seqr/notify?{urlencode({'ticket': ticket.id})}",
                footer="Your ticket code is on this receipt.",
            )
        except SeqrClientError as exc:
            store.finish(ticket.id, "failed")
            return problem_response(request, Problem.from_error(exc), as_json)
        store.set_reference(ticket.id, sent.reference)
        trigger = deep_link(sent.reference, scheme=trigger_scheme)
        if as_json:
            response: Response = JSONResponse(
                {"trigger": trigger, "invoiceReference": sent.reference, "ticket": ticket.id}
            )
        else:
            response = page(
                request,
                "confirm.html",
                trigger=trigger,
                zone=zone,
                choice=chosen,
                price=price,
                ticket=ticket,
                back=_choose_url(request, token, chosen.minutes),
            )
        response.set_cookie(
            COOKIE,
            ticket.secret,
            max_age=86400,
            httponly=True,
            samesite="lax",
            secure=public_url.startswith("https:"),
            path=request.scope.get("root_path", "") or "/",
        )
        return response

    async def cookie_ticket(request: Request) -> Ticket | None:
        secret = request.cookies.get(COOKIE)
        return store.by_secret(secret) if secret else None

    async def show_ticket(request: Request, ticket: Ticket | None, via: str) -> Response:
        if ticket is not None:
            try:
                ticket = await resolve(ticket, via)
            except SeqrClientError as exc:
                log.warning("getPaymentStatus for ticket %s failed: %s", ticket.id, exc)
        return page(request, "success.html", ticket=ticket)

    async def success(request: Request) -> Response:
        return await show_ticket(request, await cookie_ticket(request), "success-page")

    async def ticket_view(request: Request) -> Response:
        ticket = _matching(store, request)
        if ticket is None:
            return message(
                request,
                "Ticket not found",
                "We could not find this parking ticket.",
                status_code=404,
            )
        return await show_ticket(request, ticket, "success-page")

    async def ticket_json(request: Request) -> Response:
        ticket = _matching(store, request)
        if ticket is None:
            return JSONResponse({"error": "not_found"}, 404)
        try:
            ticket = await resolve(ticket, "success-page")
        except SeqrClientError as exc:
            return JSONResponse({"error": "unavailable", "message": str(exc)}, 503)
        return JSONResponse(_ticket_json(ticket), headers={"Cache-Control": "no-store"})

    async def ending(request: Request, template: str) -> Response:
        ticket = await cookie_ticket(request)
        if ticket is not None and ticket.status == "pending":
            try:
                ticket = await resolve(ticket, "result-page")
            except SeqrClientError:
                pass
        return page(request, template, ticket=ticket)

    async def failure(request: Request) -> Response:
        return await ending(request, "failure.html")

    async def cancel(request: Request) -> Response:
        return await ending(request, "cancel.html")

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": "parking"})

    async def shutdown() -> None:
        if client is None:
            await seqr.aclose()
        store.close()

    routes = [
        Route("/", order),
        Route("/order", order),
        Route("/order/choose", choose),
        Route("/order/pay", pay, methods=["POST"]),
        Route("/success", success),
        Route("/ticket", ticket_view),
        Route("/api/ticket", ticket_json),
        Route("/failure", failure),
        Route("/cancel", cancel),
        Route("/health", health),
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


def _choose_url(request: Request, token: str, minutes: int | None = None) -> str:
    root = root_path(request)
    query = {"token": token, **({"minutes": str(minutes)} if minutes else {})}
    return f"{root}/order/choose?{urlencode(query)}"


def _matching(store: TicketStore, request: Request) -> Ticket | None:
    """A ticket is shown only to whoever knows both its session TOKEN and invoice reference."""
    token = request.query_params.get("token", "")
    reference = request.query_params.get("reference", "")
    ticket = store.by_reference(reference) if reference else None
    return ticket if ticket is not None and token and ticket.token == token else None


def _ticket_json(t: Ticket) -> dict[str, Any]:
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


__all__ = ["create_parking_app", "SERVICE_NAME", "Problem"]
