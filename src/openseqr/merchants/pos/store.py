"""The till's own database (stdlib `sqlite3`): its SEQR registration, payments, refunds and
closed periods. A separate merchant system: nothing here is shared with the SEQR server.

P-2/P-3: the terminal id, its random password and the sticker's seqrId are stored here once
registered; every later SEQR call of this till uses them (TERMINALID principal).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .._common.clock import from_iso as _dt
from .._common.clock import utc_now as now
from .._common.receipts import ReceiptStore
from .._common.sqlite import record
from .._common.status import HasStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS config (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payments (
    id                TEXT PRIMARY KEY,
    invoice_reference TEXT UNIQUE,
    amount            TEXT NOT NULL,
    currency          TEXT NOT NULL,
    cashier_id        TEXT,
    items             TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending',
    note              TEXT,
    version           INTEGER NOT NULL DEFAULT 0,
    ers_reference     TEXT,
    receipt_state     TEXT NOT NULL DEFAULT 'none',
    refunded          TEXT NOT NULL DEFAULT '0.00',
    cycle_started_at  TEXT NOT NULL,
    cycles            INTEGER NOT NULL DEFAULT 1,
    paid_at           TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refunds (
    id               TEXT PRIMARY KEY,
    payment_id       TEXT NOT NULL REFERENCES payments(id),
    refund_reference TEXT NOT NULL,
    amount           TEXT NOT NULL,
    cashier_id       TEXT,
    created_at       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS periods (
    period_id   TEXT PRIMARY KEY,
    closed_at   TEXT NOT NULL,
    summary_xml TEXT,
    details_xml TEXT
);
"""


@dataclass(frozen=True)
class Payment(HasStatus):
    id: str
    invoice_reference: str | None
    amount: Decimal
    currency: str
    cashier_id: str | None
    items: list[dict[str, Any]]
    status: str  # an OrderStatus: pending | paid | canceled | failed
    note: str | None
    version: int
    ers_reference: str | None
    receipt_state: str  # none | sending | sent | failed
    refunded: Decimal
    cycle_started_at: datetime
    cycles: int
    paid_at: datetime | None
    created_at: datetime

    @property
    def refundable(self) -> Decimal:
        return self.amount - self.refunded if self.is_paid else Decimal("0.00")


@dataclass(frozen=True)
class Refund:
    id: str
    payment_id: str
    refund_reference: str
    amount: Decimal
    cashier_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class Period:
    period_id: str
    closed_at: datetime
    summary_xml: str | None
    details_xml: str | None


class PosStore(ReceiptStore):
    """Thread-safe; one connection. `path=None` keeps everything in memory (tests, demos)."""

    SCHEMA = SCHEMA
    TABLE = "payments"

    def __init__(self, path: str | Path | None = None) -> None:
        super().__init__(path)
        # tills written before the shared status vocabulary called a pending payment "awaiting"
        self._exec("UPDATE payments SET status = 'pending' WHERE status = 'awaiting'")

    # -- registration (config) ---------------------------------------------------------------
    def config(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self._rows("SELECT key, value FROM config")}

    def set_config(self, **values: str | None) -> None:
        with self._lock:
            for key, value in values.items():
                if value is None:
                    self._db.execute("DELETE FROM config WHERE key = ?", (key,))
                else:
                    self._db.execute(
                        "INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT"
                        "(key) DO UPDATE SET value = excluded.value",
                        (key, value),
                    )

    def clear_registration(self) -> None:
        self._exec("DELETE FROM config")

    # -- payments ---------------------------------------------------------------------------
    @staticmethod
    def _payment(r: sqlite3.Row) -> Payment:
        return record(
            Payment,
            r,
            amount=Decimal,
            items=json.loads,
            refunded=Decimal,
            cycle_started_at=lambda v: _dt(v) or now(),
            paid_at=_dt,
            created_at=lambda v: _dt(v) or now(),
        )

    def get(self, payment_id: str) -> Payment | None:
        rows = self._rows("SELECT * FROM payments WHERE id = ?", payment_id)
        return self._payment(rows[0]) if rows else None

    def pending(self) -> list[Payment]:
        return [
            self._payment(r)
            for r in self._rows(
                "SELECT * FROM payments WHERE status = 'pending' AND invoice_reference IS NOT NULL"
            )
        ]

    def recent(self, limit: int = 10) -> list[Payment]:
        return [
            self._payment(r)
            for r in self._rows(
                "SELECT * FROM payments WHERE invoice_reference IS NOT NULL "
                "ORDER BY created_at DESC LIMIT ?",
                limit,
            )
        ]

    def create(
        self, amount: Decimal, currency: str, cashier_id: str | None, items: list[dict[str, Any]]
    ) -> Payment:
        pid = "S" + secrets.token_hex(5).upper()
        ts = now().isoformat()
        self._exec(
            "INSERT INTO payments (id, amount, currency, cashier_id, items, status, "
            "cycle_started_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
            pid,
            f"{amount:.2f}",
            currency,
            cashier_id,
            json.dumps(items),
            ts,
            ts,
            ts,
        )
        p = self.get(pid)
        assert p is not None
        return p

    def delete(self, payment_id: str) -> None:
        self._exec("DELETE FROM payments WHERE id = ? AND invoice_reference IS NULL", payment_id)

    def set_reference(self, payment_id: str, reference: str) -> None:
        ts = now().isoformat()
        self._exec(
            "UPDATE payments SET invoice_reference = ?, cycle_started_at = ?, "
            "updated_at = ? WHERE id = ?",
            reference,
            ts,
            ts,
            payment_id,
        )

    def set_version(self, payment_id: str, version: int) -> None:
        self._exec(
            "UPDATE payments SET version = MAX(version, ?) WHERE id = ?", version, payment_id
        )

    def new_cycle(self, payment_id: str) -> bool:
        ts = now().isoformat()
        return self._update(
            "UPDATE payments SET cycle_started_at = ?, cycles = cycles + 1, "
            "updated_at = ? WHERE id = ? AND status = 'pending'",
            ts,
            ts,
            payment_id,
        )

    def mark_paid(
        self, payment_id: str, ers_reference: str | None, paid_at: datetime | None
    ) -> bool:
        return self._update(
            "UPDATE payments SET status = 'paid', ers_reference = ?, paid_at = ?, updated_at = ? "
            "WHERE id = ? AND status = 'pending'",
            ers_reference,
            (paid_at or now()).isoformat(),
            now().isoformat(),
            payment_id,
        )

    def finish(self, payment_id: str, status: str, note: str | None = None) -> bool:
        return self._update(
            "UPDATE payments SET status = ?, note = COALESCE(?, note), "
            "updated_at = ? WHERE id = ? AND status = 'pending'",
            status,
            note,
            now().isoformat(),
            payment_id,
        )

    # -- refunds ----------------------------------------------------------------------------
    def add_refund(
        self, payment_id: str, refund_reference: str, amount: Decimal, cashier_id: str | None
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO refunds (id, payment_id, refund_reference, amount, cashier_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    "F" + secrets.token_hex(5).upper(),
                    payment_id,
                    refund_reference,
                    f"{amount:.2f}",
                    cashier_id,
                    now().isoformat(),
                ),
            )
            row = db.execute("SELECT refunded FROM payments WHERE id = ?", (payment_id,)).fetchone()
            total = Decimal(row["refunded"]) + amount
            db.execute(
                "UPDATE payments SET refunded = ?, updated_at = ? WHERE id = ?",
                (f"{total:.2f}", now().isoformat(), payment_id),
            )

    def refunds(self, payment_id: str) -> list[Refund]:
        return [
            Refund(
                r["id"],
                r["payment_id"],
                r["refund_reference"],
                Decimal(r["amount"]),
                r["cashier_id"],
                _dt(r["created_at"]) or now(),
            )
            for r in self._rows(
                "SELECT * FROM refunds WHERE payment_id = ? ORDER BY created_at", payment_id
            )
        ]

    # -- periods ----------------------------------------------------------------------------
    def add_period(self, period_id: str, summary_xml: str | None, details_xml: str | None) -> None:
        self._exec(
            "INSERT OR REPLACE INTO periods (period_id, closed_at, summary_xml, "
            "details_xml) VALUES (?, ?, ?, ?)",
            period_id,
            now().isoformat(),
            summary_xml,
            details_xml,
        )

    def period(self, period_id: str) -> Period | None:
        rows = self._rows("SELECT * FROM periods WHERE period_id = ?", period_id)
        if not rows:
            return None
        r = rows[0]
        return Period(
            r["period_id"], _dt(r["closed_at"]) or now(), r["summary_xml"], r["details_xml"]
        )

    def periods(self, limit: int = 10) -> list[Period]:
        return [
            Period(r["period_id"], _dt(r["closed_at"]) or now(), r["summary_xml"], r["details_xml"])
            for r in self._rows("SELECT * FROM periods ORDER BY closed_at DESC LIMIT ?", limit)
        ]
