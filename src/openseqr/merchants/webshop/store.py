"""The webshop's own order database (stdlib `sqlite3`): a separate merchant system.

An order is created at checkout (status `pending`, with the invoice reference) and becomes
`paid` (with the ersReference), `canceled` or `failed` once `getPaymentStatus` says so --
whoever sees it first: the notification receiver, the status URL poll, or the done page.
Transitions are compare-and-set from `pending`, so each is recorded exactly once.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .._common.clock import from_iso as _dt
from .._common.clock import utc_now
from .._common.sqlite import MerchantDatabase, record
from .._common.status import HasStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id                TEXT PRIMARY KEY,
    items             TEXT NOT NULL,
    amount            TEXT NOT NULL,
    currency          TEXT NOT NULL,
    platform          TEXT NOT NULL,
    invoice_reference TEXT UNIQUE,
    qr_code           TEXT,
    status            TEXT NOT NULL DEFAULT 'pending',
    ers_reference     TEXT,
    acknowledged_via  TEXT,
    notified_at       TEXT,
    paid_at           TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
"""


def _now() -> str:
    return utc_now().isoformat()


@dataclass(frozen=True)
class Order(HasStatus):
    id: str
    items: list[dict[str, Any]]  # {sku, name, detail, quantity, unit_price, total}
    amount: Decimal
    currency: str
    platform: str
    invoice_reference: str | None
    qr_code: str | None
    status: str  # an OrderStatus: pending | paid | canceled | failed
    ers_reference: str | None
    acknowledged_via: str | None
    notified_at: datetime | None
    paid_at: datetime | None
    created_at: datetime


class OrderStore(MerchantDatabase):
    """Thread-safe; one connection. `path=None` keeps the orders in memory (tests, demos)."""

    SCHEMA = SCHEMA

    @staticmethod
    def _order(row: sqlite3.Row) -> Order:
        return record(
            Order,
            row,
            items=json.loads,
            amount=Decimal,
            notified_at=_dt,
            paid_at=_dt,
            created_at=lambda v: _dt(v) or utc_now(),
        )

    def _one(self, sql: str, *args: object) -> Order | None:
        row = self._row(sql, *args)
        return self._order(row) if row else None

    def get(self, order_id: str) -> Order | None:
        return self._one("SELECT * FROM orders WHERE id = ?", order_id)

    def by_reference(self, reference: str) -> Order | None:
        return self._one("SELECT * FROM orders WHERE invoice_reference = ?", reference)

    def all(self) -> list[Order]:
        return [self._order(r) for r in self._rows("SELECT * FROM orders ORDER BY created_at")]

    def create(
        self, items: list[dict[str, Any]], amount: Decimal, currency: str, platform: str
    ) -> Order:
        order_id = secrets.token_hex(8)  # unguessable: the id is the customer's only key
        now = _now()
        self._exec(
            "INSERT INTO orders (id, items, amount, currency, platform, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            order_id,
            json.dumps(items),
            f"{amount:.2f}",
            currency,
            platform,
            now,
            now,
        )
        order = self.get(order_id)
        assert order is not None
        return order

    def set_invoice(self, order_id: str, reference: str, qr_code: str) -> None:
        self._update(
            "UPDATE orders SET invoice_reference = ?, qr_code = ?, updated_at = ? WHERE id = ?",
            reference,
            qr_code,
            _now(),
            order_id,
        )

    def mark_paid(
        self, order_id: str, ers_reference: str | None, via: str, paid_at: datetime | None
    ) -> bool:
        """pending → paid; True only for the caller that recorded it."""
        return self._update(
            "UPDATE orders SET status = 'paid', ers_reference = ?, acknowledged_via = ?, "
            "paid_at = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
            ers_reference,
            via,
            (paid_at or utc_now()).isoformat(),
            _now(),
            order_id,
        )

    def finish(self, order_id: str, status: str) -> bool:
        """pending → canceled | failed."""
        return self._update(
            "UPDATE orders SET status = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
            status,
            _now(),
            order_id,
        )

    def mark_notified(self, order_id: str) -> None:
        self._update(
            "UPDATE orders SET notified_at = COALESCE(notified_at, ?) WHERE id = ?",
            _now(),
            order_id,
        )
