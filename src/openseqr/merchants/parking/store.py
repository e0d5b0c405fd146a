"""The parking service's own ticket database (stdlib `sqlite3`): a separate merchant system.

A ticket row is created when the customer presses "Pay" (status `pending`, with the invoice
reference), becomes `paid` with a ticket code and validity once `getPaymentStatus` says PAID
(whoever sees it first: the notification handler or the success page), or `failed`/`canceled`.
Transitions are compare-and-set, so the ticket is issued and the receipt sent exactly once.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .._common.clock import from_iso as _dt
from .._common.clock import to_iso as _iso
from .._common.clock import utc_now as _now
from .._common.receipts import ReceiptStore
from .._common.sqlite import record
from .._common.status import HasStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    id                TEXT PRIMARY KEY,
    secret            TEXT NOT NULL,
    token             TEXT NOT NULL,
    msisdn            TEXT,
    subscriber_key    TEXT,
    zone              TEXT NOT NULL,
    zone_name         TEXT NOT NULL,
    minutes           INTEGER NOT NULL,
    amount            TEXT NOT NULL,
    currency          TEXT NOT NULL,
    invoice_reference TEXT UNIQUE,
    status            TEXT NOT NULL DEFAULT 'pending',
    code              TEXT,
    valid_from        TEXT,
    valid_until       TEXT,
    ers_reference     TEXT,
    acknowledged_via  TEXT,
    notified_at       TEXT,
    receipt_state     TEXT NOT NULL DEFAULT 'none',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_token ON tickets (token);
"""

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_ticket_code(zone: str) -> str:
    return f"P{zone}-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


@dataclass(frozen=True)
class Ticket(HasStatus):
    id: str
    secret: str
    token: str
    msisdn: str | None
    subscriber_key: str | None
    zone: str
    zone_name: str
    minutes: int
    amount: str
    currency: str
    invoice_reference: str | None
    status: str  # an OrderStatus: pending | paid | failed | canceled
    code: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    ers_reference: str | None
    acknowledged_via: str | None
    notified_at: datetime | None
    receipt_state: str  # none | sending | sent | failed
    created_at: datetime


class TicketStore(ReceiptStore):
    """Thread-safe; one connection. `path=None` keeps the tickets in memory (tests, demos)."""

    SCHEMA = SCHEMA
    TABLE = "tickets"

    # -- reads ------------------------------------------------------------------------------
    def _one(self, sql: str, *args: object) -> Ticket | None:
        row = self._row(sql, *args)
        return self._ticket(row) if row else None

    @staticmethod
    def _ticket(row: sqlite3.Row) -> Ticket:
        return record(
            Ticket,
            row,
            valid_from=_dt,
            valid_until=_dt,
            notified_at=_dt,
            created_at=lambda v: _dt(v) or _now(),
        )

    def get(self, ticket_id: str) -> Ticket | None:
        return self._one("SELECT * FROM tickets WHERE id = ?", ticket_id)

    def by_secret(self, secret: str) -> Ticket | None:
        return self._one("SELECT * FROM tickets WHERE secret = ?", secret)

    def by_reference(self, reference: str) -> Ticket | None:
        return self._one("SELECT * FROM tickets WHERE invoice_reference = ?", reference)

    def pending_for_token(self, token: str) -> list[Ticket]:
        rows = self._rows(
            "SELECT * FROM tickets WHERE token = ? AND status = 'pending' "
            "AND invoice_reference IS NOT NULL",
            token,
        )
        return [self._ticket(r) for r in rows]

    # -- writes -----------------------------------------------------------------------------
    def create(
        self,
        *,
        token: str,
        msisdn: str | None,
        subscriber_key: str | None,
        zone: str,
        zone_name: str,
        minutes: int,
        amount: str,
        currency: str,
    ) -> Ticket:
        ticket_id = "T" + secrets.token_hex(6).upper()
        now = _iso(_now())
        self._exec(
            "INSERT INTO tickets (id, secret, token, msisdn, subscriber_key, zone, zone_name,"
            " minutes, amount, currency, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ticket_id,
            secrets.token_urlsafe(24),
            token,
            msisdn,
            subscriber_key,
            zone,
            zone_name,
            minutes,
            amount,
            currency,
            now,
            now,
        )
        ticket = self.get(ticket_id)
        assert ticket is not None
        return ticket

    def set_reference(self, ticket_id: str, reference: str) -> None:
        self._update(
            "UPDATE tickets SET invoice_reference = ?, updated_at = ? WHERE id = ?",
            reference,
            _iso(_now()),
            ticket_id,
        )

    def issue(
        self, ticket_id: str, ers_reference: str | None, via: str, paid_at: datetime | None = None
    ) -> bool:
        """pending → paid with a new ticket code; True only for the caller that issued it."""
        start = _now() if paid_at is None else paid_at.astimezone(UTC)
        ticket = self.get(ticket_id)
        if ticket is None:
            return False
        until = start + timedelta(minutes=ticket.minutes)
        return self._update(
            "UPDATE tickets SET status = 'paid', code = ?, valid_from = ?, valid_until = ?,"
            " ers_reference = ?, acknowledged_via = ?, updated_at = ?"
            " WHERE id = ? AND status = 'pending'",
            new_ticket_code(ticket.zone),
            _iso(start),
            _iso(until),
            ers_reference,
            via,
            _iso(_now()),
            ticket_id,
        )

    def finish(self, ticket_id: str, status: str) -> bool:
        """pending → failed | canceled."""
        return self._update(
            "UPDATE tickets SET status = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
            status,
            _iso(_now()),
            ticket_id,
        )

    def mark_notified(self, ticket_id: str) -> None:
        self._update(
            "UPDATE tickets SET notified_at = COALESCE(notified_at, ?) WHERE id = ?",
            _iso(_now()),
            ticket_id,
        )
