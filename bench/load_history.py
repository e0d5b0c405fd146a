#!/usr/bin/env python3
"""Bulk loader: seed a database with invoice history, fast, straight into the real schema.

    .venv/bin/python bench/load_history.py --database sqlite:///bench/results/h.db
    .venv/bin/python bench/load_history.py --database postgresql://u:p@127.0.0.1:5432/db \
        --invoices 1000000 --busy 10000

It runs `openseqr migrate`'s code, then creates (through the store, like the server would) a
reseller, cash-register terminals and funded customers of its own, and then writes the history
with `executemany` (SQLite) or `COPY` (PostgreSQL), never through SOAP:

* `--invoices` invoices spread over the past `--days`, oldest first; `--busy` of them on one
  terminal (`BUSY_TERMINAL`), the rest round-robin over `--terminals` other cash registers;
* every invoice is final (one live invoice per cash register is the server's rule, and history
  has none left): 85 % paid and acknowledged, 12 % cancelled (superseded), 3 % failed;
* each paid invoice has its payment transfer in the ledger (customer -x, merchant +x), a
  delivered notification and its delivery attempt; account balances are updated to match, so
  `balances_match_entries` still holds.

The constant columns of each row come from a real `Invoice` record put through the store's own
mapper, so encodings (rows JSON, minor units, datetimes) are the server's. With `--invoices 0`
it only creates the principals, which makes a "fresh" database set up exactly like a loaded one.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from openseqr.core.ledger import PROVIDER, TransferKind, customer_account, merchant_account, move
from openseqr.core.money import Money
from openseqr.core.records import (
    AckMode,
    Customer,
    Invoice,
    InvoiceRow,
    PaymentMode,
    Reseller,
    Terminal,
    TerminalKind,
)
from openseqr.core.states import State
from openseqr.service.security import hash_secret
from openseqr.storage import open_store
from openseqr.storage.migrate import dialect_of, sqlite_path
from openseqr.storage.rows import COLUMNS, POSTGRES, SQLITE, Mapper

RESELLER_ID = "bench_history_shop"
RESELLER_USER, RESELLER_PASSWORD = "9900", "bench-reseller"
BUSY_TERMINAL = "bench_busy_terminal"
TERMINAL_PASSWORD = "bench-terminal"
CUSTOMER_PIN = "2468"
CURRENCY = "SEK"
EXTRA_BALANCE = Decimal("1000000")  # what each customer holds beyond its history, for new payments
PRICE_MINOR = (1500, 500)  # the two invoice rows: 15.00 + 5.00 SEK
BATCH = 20_000


def history_terminal(n: int) -> str:
    return f"bench_hist_{n:05d}"


def customer_msisdn(n: int) -> str:
    return f"4679{n:07d}"


@dataclass(frozen=True)
class Plan:
    invoices: int
    busy: int
    terminals: int
    customers: int
    days: float

    def terminal_of(self, i: int) -> str:
        """Spread `busy` indexes evenly over the run; the others round-robin."""
        if self.busy and (i + 1) * self.busy // self.invoices > i * self.busy // self.invoices:
            return BUSY_TERMINAL
        return history_terminal(i % self.terminals)

    @staticmethod
    def outcome(i: int) -> State:
        k = i % 100
        return State.CANCELLED if k < 12 else State.FAILED if k < 15 else State.PAID

    def paid_per_customer(self) -> list[int]:
        """How many history payments each customer makes (payer = paid index % customers)."""
        counts = [0] * self.customers
        for i in range(self.invoices):
            if self.outcome(i) is State.PAID:
                counts[i % self.customers] += 1
        return counts


# ----------------------------------------------------------------------------- principals


def create_principals(url: str, plan: Plan, now: datetime) -> None:
    """Reseller, terminals and funded customers through the store (idempotent per database)."""
    store = open_store(url)  # migrates first
    try:
        with store.transaction() as tx:
            if tx.get_reseller(RESELLER_ID) is not None:
                return
            tx.upsert_reseller(
                Reseller(RESELLER_ID, RESELLER_USER, hash_secret(RESELLER_PASSWORD), "Bench shop")
            )
            pw = hash_secret(TERMINAL_PASSWORD)  # one hash for all: argon2 is slow on purpose
            names = [BUSY_TERMINAL, *(history_terminal(n) for n in range(plan.terminals))]
            for tid in names:
                tx.insert_terminal(
                    Terminal(tid, RESELLER_ID, TerminalKind.CASH_REGISTER, tid, pw, created_at=now)
                )
            pin = hash_secret(CUSTOMER_PIN)
            for n, paid in enumerate(plan.paid_per_customer()):
                key = f"bench-c-{n:04d}"
                tx.insert_customer(
                    Customer(key, customer_msisdn(n), pin, f"Bench customer {n}",
                             uuid.uuid4().hex[:25], created_at=now)
                )  # fmt: skip
                funds = EXTRA_BALANCE + Decimal(paid * sum(PRICE_MINOR)) / 100
                tx.apply_transfer(
                    move(TransferKind.FUNDING, PROVIDER, customer_account(key),
                         Money.of(funds, CURRENCY), at=now)
                )  # fmt: skip
    finally:
        store.close()


# ----------------------------------------------------------------------------- rows


def template(mapper: Mapper, now: datetime) -> dict[str, Any]:
    """One paid invoice in the benchmark's shape, as the store's mapper encodes it."""
    rows = (
        InvoiceRow("Coffee", quantity=Decimal(1), total=Money.of("15.00", CURRENCY),
                   unit_price=Money.of("15.00", CURRENCY)),
        InvoiceRow("Bun", quantity=Decimal(1), total=Money.of("5.00", CURRENCY),
                   unit_price=Money.of("5.00", CURRENCY)),
    )  # fmt: skip
    inv = Invoice(
        reference="0", terminal_id=BUSY_TERMINAL, reseller_id=RESELLER_ID, state=State.PAID,
        version=2, payment_mode=PaymentMode.IMMEDIATE_DEBIT,
        ack_mode=AckMode.NO_ACKNOWLEDGMENT, issue_date=now,
        total=Money.from_minor(sum(PRICE_MINOR), CURRENCY), created_at=now, title="Bench cafe",
        rows=rows, cashier_id="Till", back_url="http://127.0.0.1:9/back",
        notification_url="http://127.0.0.1:9/notify", viewed_version=1, rev=5,
    )  # fmt: skip
    return mapper.invoice_params(inv)


def history_rows(plan: Plan, mapper: Mapper, end: datetime) -> Iterator[dict[str, list[Any]]]:
    """Batches of rows per table, in COLUMNS order (ledger without its identity column)."""
    base = template(mapper, end)
    step = timedelta(days=plan.days) / max(1, plan.invoices)
    start = end - timedelta(days=plan.days)
    dt = mapper.dt_in
    salt = uuid.uuid4().hex[:6]
    cols = COLUMNS["invoices"]
    batch: dict[str, list[Any]] = {"invoices": [], "ledger": [], "notifications": [],
                                   "attempts": []}  # fmt: skip
    for i in range(plan.invoices):
        at = start + step * i
        ref = f"{at.year:04d}{at.month:02d}{at.day:02d}{i:09d}"
        created = dt(at)
        row = dict(base, reference=ref, terminal_id=plan.terminal_of(i), issue_date=created,
                   created_at=created, client_invoice_id=f"h{i}")  # fmt: skip
        state = plan.outcome(i)
        if state is State.PAID:
            paid, settled = at + timedelta(seconds=5), at + timedelta(seconds=6)
            ers = (f"{paid.year:04d}{paid.month:02d}{paid.day:02d}{paid.hour:02d}"
                   f"{paid.minute:02d}{paid.second:02d}{paid.microsecond // 1000:03d}"
                   f"{i % 10**8:08d}")  # fmt: skip
            payer = f"bench-c-{i % plan.customers:04d}"
            row.update(payer=payer, payer_terminal_id="0" * 25, ers_reference=ers,
                       paid_at=dt(paid), settled_at=dt(settled))  # fmt: skip
            _paid_extras(batch, row, payer, salt, i)
        else:
            row.update(state=state.value, reason="superseded" if state is State.CANCELLED
                       else "insufficient funds", version=2 if state is State.CANCELLED else 3,
                       viewed_version=None if state is State.CANCELLED else 1, rev=2)  # fmt: skip
        batch["invoices"].append(tuple(row[c] for c in cols))
        if len(batch["invoices"]) >= BATCH:
            yield batch
            batch = {k: [] for k in batch}
    if batch["invoices"]:
        yield batch


def _paid_extras(batch, row, payer, salt, i):  # type: ignore[no-untyped-def]
    """The payment's two ledger entries, its delivered notification and the attempt."""
    paid, settled = row["paid_at"], row["settled_at"]
    transfer = f"{salt}{i:026x}"
    amount = row["total_minor"]
    for account, signed in ((customer_account(payer), -amount),
                            (merchant_account(RESELLER_ID), amount)):  # fmt: skip
        batch["ledger"].append((transfer, "payment", account, CURRENCY, signed, row["reference"],
                                row["ers_reference"], paid))  # fmt: skip
    nid = f"{salt}{i:026x}"
    body = f"invoiceReference={row['reference']}&clientInvoiceId={row['client_invoice_id']}"
    batch["notifications"].append((nid, row["reference"], row["terminal_id"],
                                   row["notification_url"], body.encode(), paid, settled, 1, 4,
                                   "delivered", None))  # fmt: skip
    batch["attempts"].append((nid, 1, paid, 3.0, 200, None))


LEDGER_COLUMNS = ("transfer_id", "kind", "account", "currency", "amount_minor",
                  "invoice_reference", "ers_reference", "created_at")  # fmt: skip
TABLES = {
    "invoices": ("invoices", COLUMNS["invoices"]),
    "ledger": ("ledger_entries", LEDGER_COLUMNS),
    "notifications": ("notifications", COLUMNS["notifications"]),
    "attempts": ("delivery_attempts", COLUMNS["delivery_attempts"]),
}
# Customers' rows exist (funded above); the merchant's may not. An upsert would check the
# customers' negative delta against the no-overdraft CHECK before seeing the conflict.
BALANCE_DEBIT = "UPDATE account_balances SET balance_minor = balance_minor + {p}"
BALANCE_DEBIT += " WHERE account = {p} AND currency = {p}"
BALANCE_CREDIT = (
    "INSERT INTO account_balances (account, currency, balance_minor) VALUES ({p}, {p}, {p}) "
    "ON CONFLICT (account, currency) "
    "DO UPDATE SET balance_minor = account_balances.balance_minor + excluded.balance_minor"
)


def apply_balances(cur: Any, plan: Plan, p: str) -> None:
    """The history's payments, summed per account (the entries went in with the batches)."""
    per_payment = sum(PRICE_MINOR)
    counts = plan.paid_per_customer()
    debits = [(-c * per_payment, customer_account(f"bench-c-{n:04d}"), CURRENCY)
              for n, c in enumerate(counts) if c]  # fmt: skip
    cur.executemany(BALANCE_DEBIT.format(p=p), debits)
    if sum(counts):
        credit = (merchant_account(RESELLER_ID), CURRENCY, sum(counts) * per_payment)
        cur.execute(BALANCE_CREDIT.format(p=p), credit)


# ----------------------------------------------------------------------------- writers


def load_sqlite(url: str, plan: Plan, end: datetime, progress: bool) -> None:
    import sqlite3

    conn = sqlite3.connect(sqlite_path(url), isolation_level=None, timeout=60)
    conn.execute("PRAGMA synchronous=OFF")  # a loader: one fsync at the end is enough
    conn.execute("PRAGMA cache_size=-262144")  # 256 MiB: index pages stay in memory
    conn.execute("PRAGMA foreign_keys=ON")
    sql = {k: f"INSERT INTO {t} ({', '.join(c)}) VALUES ({', '.join('?' * len(c))})"
           for k, (t, c) in TABLES.items()}  # fmt: skip
    try:
        for n, batch in enumerate(history_rows(plan, SQLITE, end)):
            conn.execute("BEGIN IMMEDIATE")
            for key, rows in batch.items():
                conn.executemany(sql[key], rows)
            conn.execute("COMMIT")
            _progress(progress, (n + 1) * BATCH, plan.invoices)
        conn.execute("BEGIN IMMEDIATE")
        apply_balances(conn, plan, "?")
        conn.execute("COMMIT")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("ANALYZE")
    finally:
        conn.close()


def load_postgres(url: str, plan: Plan, end: datetime, progress: bool) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        for n, batch in enumerate(history_rows(plan, POSTGRES, end)):
            with conn.transaction(), conn.cursor() as cur:
                for key, rows in batch.items():
                    table, cols = TABLES[key]
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for r in rows:
                            copy.write_row(r)
            _progress(progress, (n + 1) * BATCH, plan.invoices)
        with conn.transaction(), conn.cursor() as cur:
            apply_balances(cur, plan, "%s")
        for table, _ in TABLES.values():
            conn.execute(f"VACUUM ANALYZE {table}")


def _progress(show: bool, done: int, total: int) -> None:
    if show:
        print(f"  loaded {min(done, total):,}/{total:,} invoices", file=sys.stderr, flush=True)


def load(url: str, plan: Plan, progress: bool = False) -> float:
    """Create the principals and the history; returns the seconds it took."""
    t0 = time.monotonic()
    now = datetime.now(UTC)
    create_principals(url, plan, now)
    if plan.invoices:
        end = now - timedelta(days=1)  # history ends before anything the server creates today
        writer = load_sqlite if dialect_of(url) == "sqlite" else load_postgres
        writer(url, plan, end, progress)
    return time.monotonic() - t0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database", required=True, help="sqlite:///path.db or postgresql://…")
    p.add_argument("--invoices", type=int, default=1_000_000)
    p.add_argument("--busy", type=int, default=10_000, help="invoices on BUSY_TERMINAL")
    p.add_argument("--terminals", type=int, default=1000, help="other history terminals")
    p.add_argument("--customers", type=int, default=20, help="history payers (PIN 2468)")
    p.add_argument("--days", type=float, default=365.0, help="how far back history goes")
    args = p.parse_args(argv)
    if args.invoices < 0 or not 0 <= args.busy <= args.invoices or args.terminals < 1:
        p.error("need 0 <= --busy <= --invoices and --terminals >= 1")
    if not 1 <= args.customers <= 9999:
        p.error("--customers must be 1..9999")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = Plan(args.invoices, args.busy, args.terminals, args.customers, args.days)
    seconds = load(args.database, plan, progress=True)
    rate = args.invoices / seconds if seconds else 0
    print(f"loaded {args.invoices:,} invoices in {seconds:.1f} s ({rate:,.0f}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
