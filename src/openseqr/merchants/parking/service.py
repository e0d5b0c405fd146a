"""What the parking service does with SEQR, apart from its pages: the ticket's life (issue on
PAID, the receipt, asking the server when no notification came) and who is parking where.

One `Parking` per app, on ``app.state.parking``; the endpoints in `pages` read it from there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from jinja2 import Environment

from openseqr.sdk import (
    InvalidSessionToken,
    PaymentStatus,
    SeqrClientError,
    SeqrError,
    SessionCancelled,
    SessionExpired,
    SessionInProgress,
)

from .._common.receipts import receipt_owed, submit_receipt_once
from .._common.status import OrderStatus, check_notification_hint, outcome_of
from .store import Ticket, TicketStore
from .tariff import Zone

log = logging.getLogger("openseqr.merchants.parking")

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
                return cls(f"session_{error.__name__}", title, text, int(exc.code))
        log.warning("SEQR call failed: %s", exc)
        return cls(
            "unavailable",
            "Service unavailable",
            "We cannot reach the payment service right now. Please try again in a moment.",
            int(code) if code is not None else None,
            503,
        )


@dataclass
class Parking:
    """The parking service's state: its ticket store, SEQR client, pages and settings."""

    store: TicketStore
    seqr: Any  # an AsyncSeqrClient (or a stand-in with the same methods, in tests)
    env: Environment
    zones: dict[str, Zone]
    public_url: str
    notify_base: str  # the invoice's notificationUrl is <notify_base>/seqr/notify?ticket=…
    trigger_scheme: str = "seqr"

    async def send_receipt(self, ticket: Ticket) -> None:
        html = partial(self.env.get_template("receipt.html").render, t=ticket)
        await submit_receipt_once(self.store, self.seqr, ticket, html, log)

    async def apply_status(self, ticket: Ticket, status: PaymentStatus, via: str) -> Ticket:
        """Record what SEQR says about the ticket's invoice; send the receipt once paid."""
        outcome = outcome_of(status.status)
        if outcome is OrderStatus.PAID:
            paid_at = status.receipt.payment_date if status.receipt else None
            if self.store.issue(ticket.id, status.ers_reference, via, paid_at):
                log.info("ticket %s issued (%s)", ticket.id, via)
        elif outcome is not None:
            self.store.finish(ticket.id, outcome.value)
        fresh = self.store.get(ticket.id) or ticket
        await self.send_receipt(fresh)
        return self.store.get(ticket.id) or fresh

    async def resolve(self, ticket: Ticket, via: str) -> Ticket:
        """ES-14 without a processed notification: ask the server (this also acknowledges)."""
        if ticket.is_pending and ticket.invoice_reference:
            status = await self.seqr.get_payment_status(ticket.invoice_reference)
            return await self.apply_status(ticket, status, via)
        if receipt_owed(ticket):
            await self.send_receipt(ticket)
            return self.store.get(ticket.id) or ticket
        return ticket

    async def on_status(self, status: PaymentStatus, client_invoice_id: str | None) -> None:
        """The notification receiver's callback (ES-11/12)."""
        ticket = self.store.by_reference(status.reference or "")
        if ticket is None:
            log.warning("notification for unknown invoice %s", status.reference)
            return
        check_notification_hint(status, "ticket", ticket.id, log)
        self.store.mark_notified(ticket.id)
        await self.apply_status(ticket, status, "notification")

    async def session_and_zone(self, token: str) -> tuple[dict[str, str], Zone] | Problem:
        """ES-5: who is parking, and where (the QR parameter `zone`)."""
        if not token:
            return Problem(
                "no_session", "Open from SEQR", "Scan the parking sign with the SEQR app to start."
            )
        try:
            info = await self.seqr.get_client_session_info(token)
        except SeqrClientError as exc:
            return Problem.from_error(exc)
        zone = self.zones.get(info.get("zone", ""))
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

    async def replace_unpaid(self, token: str) -> None:
        """A new choice replaces an unpaid earlier one of this session (the customer went back)."""
        for old in self.store.pending_for_token(token):
            try:
                await self.seqr.cancel_invoice(old.invoice_reference or "")
                self.store.finish(old.id, OrderStatus.CANCELED.value)
            except SeqrClientError:
                pass  # paid or paying meanwhile: the notification / success page handles it
