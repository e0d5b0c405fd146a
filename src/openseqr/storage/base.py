"""`SqlTx`: the `core.ports.Tx` contract written once over a DB-API-ish connection.

Both sqlite3 and psycopg connections have `execute(sql, params) -> cursor` with `fetchone`,
`fetchall` and `rowcount`, so every method lives here; a dialect subclass supplies the queries,
the mapper, and the three things that really differ: `_unique_guard` (how a unique violation
inside an UPDATE becomes `DuplicateKey` without poisoning the transaction), `_savepoint`, and
`claim_notifications`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from decimal import Decimal
from typing import Any

from openseqr.core.errors import InsufficientFunds
from openseqr.core.ledger import NO_OVERDRAFT_PREFIXES, Transfer
from openseqr.core.money import Money
from openseqr.core.ports import DuplicateKey, SettledTransaction
from openseqr.core.records import (
    ClientSession,
    Customer,
    CustomerMessage,
    DeliveryAttempt,
    Invoice,
    InvoiceEvent,
    Notification,
    ReceiptDocument,
    Refund,
    Reseller,
    Service,
    Terminal,
    TransactionPeriod,
)

from .console import ConsoleSql
from .console_reads import ConsoleReads
from .queries import Queries, save_columns
from .rows import Mapper, changed_invoice_columns, from_minor, to_minor

log = logging.getLogger("openseqr.storage")


class NotFound(LookupError):
    """An `update_*` named a row that does not exist (a bug in the caller, never retried)."""


class SqlTx(ConsoleSql, ConsoleReads):
    __slots__ = ("_c", "_q", "_m", "_after", "_invoices_read")

    def __init__(self, conn: Any, queries: Queries, mapper: Mapper) -> None:
        self._c = conn
        self._q = queries
        self._m = mapper
        self._after: list[Callable[[], None]] | None = None
        # reference -> (rev, record) as stored, for invoices read or saved in this transaction
        self._invoices_read: dict[str, tuple[int, Invoice]] = {}

    def after_commit(self, action: Callable[[], None]) -> None:
        if self._after is None:
            self._after = []
        self._after.append(action)

    def committed(self) -> None:
        """The store calls this once the transaction committed; a failing action is logged,
        never raised: the caller's change is durable whatever an observer does."""
        for action in self._after or ():
            try:
                action()
            except Exception:
                log.exception("an after-commit action failed")

    # -- dialect hooks -------------------------------------------------------------------------
    def _unique_guard(self, what: str) -> AbstractContextManager[None]:
        """Around a statement that may hit a unique index: raise DuplicateKey, tx still usable."""
        raise NotImplementedError

    def _savepoint(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def claim_notifications(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[Notification]:
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------------------
    def _insert(self, sql: str, params: dict[str, Any], what: str) -> None:
        if self._c.execute(sql, params).rowcount != 1:
            raise DuplicateKey(f"{what} already exists")

    def _update(self, sql: str, params: dict[str, Any], what: str, *, unique: bool = True) -> None:
        """`unique=False`: the row's unique columns never change, so no guard (on PostgreSQL a
        savepoint, two round trips)."""
        with self._unique_guard(what) if unique else nullcontext():
            count = self._c.execute(sql, params).rowcount
        if count != 1:
            raise NotFound(f"{what} does not exist")

    # -- principals ----------------------------------------------------------------------------
    def get_reseller(self, reseller_id: str) -> Reseller | None:
        row = self._c.execute(self._q.get_reseller, {"reseller_id": reseller_id}).fetchone()
        return None if row is None else self._m.reseller(row)

    def upsert_reseller(self, reseller: Reseller) -> None:
        self._c.execute(self._q.upsert_reseller, self._m.reseller_params(reseller))
        self._c.execute(self._q.bump_principals_version)

    def principals_version(self) -> int:
        row = self._c.execute(self._q.principals_version).fetchone()
        return 0 if row is None else int(row[0])

    def get_terminal(self, terminal_id: str) -> Terminal | None:
        row = self._c.execute(self._q.get_terminal, {"terminal_id": terminal_id}).fetchone()
        return None if row is None else self._m.terminal(row)

    def insert_terminal(self, terminal: Terminal) -> None:
        params = self._m.terminal_params(terminal)
        self._insert(
            self._q.insert_terminal, params, f"terminal {terminal.terminal_id} or its SEQR ID"
        )
        self._c.execute(self._q.bump_principals_version)

    def update_terminal(self, terminal: Terminal) -> None:
        params = self._m.terminal_params(terminal)
        self._update(self._q.update_terminal, params, f"terminal {terminal.terminal_id}")
        self._c.execute(self._q.bump_principals_version)

    def terminal_by_seqr_id(self, seqr_id: str) -> Terminal | None:
        row = self._c.execute(
            self._q.terminal_by_seqr_id, {"seqr_id_norm": seqr_id.lower()}
        ).fetchone()
        return None if row is None else self._m.terminal(row)

    def list_terminals(self, reseller_id: str) -> list[Terminal]:
        rows = self._c.execute(self._q.list_terminals, {"reseller_id": reseller_id}).fetchall()
        return [self._m.terminal(r) for r in rows]

    # -- customers -----------------------------------------------------------------------------
    def get_customer(self, subscriber_key: str) -> Customer | None:
        row = self._c.execute(self._q.get_customer, {"subscriber_key": subscriber_key}).fetchone()
        return None if row is None else self._m.customer(row)

    def lock_customer(self, subscriber_key: str) -> Customer | None:
        row = self._c.execute(self._q.lock_customer, {"subscriber_key": subscriber_key}).fetchone()
        return None if row is None else self._m.customer(row)

    def customer_by_msisdn(self, msisdn: str) -> Customer | None:
        row = self._c.execute(self._q.customer_by_msisdn, {"msisdn": msisdn}).fetchone()
        return None if row is None else self._m.customer(row)

    def insert_customer(self, customer: Customer) -> None:
        params = self._m.customer_params(customer)
        self._insert(
            self._q.insert_customer, params, f"customer {customer.subscriber_key} or MSISDN"
        )

    def update_customer(self, customer: Customer) -> None:
        params = self._m.customer_params(customer)
        self._update(self._q.update_customer, params, f"customer {customer.subscriber_key}")

    def list_customers(self) -> list[Customer]:
        return [self._m.customer(r) for r in self._c.execute(self._q.list_customers).fetchall()]

    # -- invoices ------------------------------------------------------------------------------
    def insert_invoice(self, invoice: Invoice) -> None:
        params = self._m.invoice_params(invoice)
        self._insert(
            self._q.insert_invoice, params, f"invoice {invoice.reference} or its ERS reference"
        )

    def get_invoice(self, reference: str) -> Invoice | None:
        row = self._c.execute(self._q.get_invoice, {"reference": reference}).fetchone()
        return None if row is None else self._read(self._m.invoice(row))

    def lock_invoice(self, reference: str) -> Invoice | None:
        row = self._c.execute(self._q.lock_invoice, {"reference": reference}).fetchone()
        return None if row is None else self._read(self._m.invoice(row))

    def lock_invoice_unless_busy(self, reference: str) -> Invoice | None:
        params = {"reference": reference}
        row = self._c.execute(self._q.lock_invoice_unless_busy, params).fetchone()
        return None if row is None else self._read(self._m.invoice(row))

    def _read(self, invoice: Invoice) -> Invoice:
        self._invoices_read[invoice.reference] = (invoice.rev, invoice)
        return invoice

    def save_invoice(self, invoice: Invoice, expected_rev: int) -> bool:
        rev, stored = self._invoices_read.get(invoice.reference, (None, None))
        if stored is not None and rev == expected_rev:
            # only the columns that changed: SQLite rewrites every index on a SET column
            columns = changed_invoice_columns(stored, invoice)
            sql = save_columns(self._q.dialect, columns)
            params = self._m.invoice_params(invoice, encode_rows="rows_json" in columns)
        else:
            sql, params = self._q.save_invoice, self._m.invoice_params(invoice)
        params["rev"] = expected_rev + 1
        params["expected_rev"] = expected_rev
        ers = invoice.ers_reference
        # Only a new ERS reference can hit its unique index: an unchanged one needs no guard,
        # which on PostgreSQL saves a savepoint's two round trips on every save after payment.
        new_ers = ers is not None and (stored is None or stored.ers_reference != ers)
        with self._unique_guard(f"ERS reference {ers}") if new_ers else nullcontext():
            saved = bool(self._c.execute(sql, params).rowcount == 1)
        if saved:
            self._invoices_read[invoice.reference] = (expected_rev + 1, invoice)
        return saved

    def latest_invoice(self, terminal_id: str) -> Invoice | None:
        row = self._c.execute(self._q.latest_invoice, {"terminal_id": terminal_id}).fetchone()
        return None if row is None else self._m.invoice(row)

    def live_invoices(self, terminal_id: str) -> list[Invoice]:
        rows = self._c.execute(self._q.live_invoices, {"terminal_id": terminal_id}).fetchall()
        return [self._read(self._m.invoice(r)) for r in rows]  # superseded: a narrow save

    def invoice_by_ers_reference(self, ers_reference: str) -> Invoice | None:
        params = {"ers_reference": ers_reference}
        row = self._c.execute(self._q.invoice_by_ers_reference, params).fetchone()
        return None if row is None else self._m.invoice(row)

    def due_invoices(self, now: datetime, limit: int) -> list[Invoice]:
        params = {"now": self._m.dt_in(now), "limit": limit}
        return [self._m.invoice(r) for r in self._c.execute(self._q.due_invoices, params)]

    def invoices_of_customer(self, subscriber_key: str, limit: int) -> list[Invoice]:
        params = {"payer": subscriber_key, "limit": limit}
        return [self._m.invoice(r) for r in self._c.execute(self._q.invoices_of_customer, params)]

    # -- refunds and receipt documents ---------------------------------------------------------
    def insert_refund(self, refund: Refund) -> None:
        params = self._m.refund_params(refund)
        self._insert(self._q.insert_refund, params, f"refund {refund.ers_reference}")

    def get_refund(self, ers_reference: str) -> Refund | None:
        row = self._c.execute(self._q.get_refund, {"ers_reference": ers_reference}).fetchone()
        return None if row is None else self._m.refund(row)

    def refunds_of_invoice(self, invoice_reference: str) -> list[Refund]:
        params = {"invoice_reference": invoice_reference}
        return [self._m.refund(r) for r in self._c.execute(self._q.refunds_of_invoice, params)]

    def insert_receipt_document(self, doc: ReceiptDocument) -> None:
        self._c.execute(self._q.insert_receipt_document, self._m.receipt_params(doc))

    def receipt_documents(self, ers_reference: str) -> list[ReceiptDocument]:
        params = {"ers_reference": ers_reference}
        return [self._m.receipt(r) for r in self._c.execute(self._q.receipt_documents, params)]

    # -- ledger --------------------------------------------------------------------------------
    def apply_transfer(self, transfer: Transfer) -> None:
        deltas: dict[tuple[str, str], int] = {}
        for e in transfer.entries:
            key = (e.account, e.currency)
            deltas[key] = deltas.get(key, 0) + to_minor(e.amount, e.currency)
        # One global order (account, currency) so concurrent transfers lock rows in the same
        # order (no deadlocks in PostgreSQL). A checked debit may fail; if anything was applied
        # before it, the savepoint undoes that, so InsufficientFunds leaves no trace.
        steps = sorted((k, d) for k, d in deltas.items() if d != 0)
        checked = [
            i
            for i, ((acc, _), d) in enumerate(steps)
            if d < 0 and acc.startswith(NO_OVERDRAFT_PREFIXES)
        ]
        q, c = self._q, self._c
        with self._savepoint() if checked and checked[-1] > 0 else nullcontext():
            for i, ((account, currency), delta) in enumerate(steps):
                params = {"account": account, "currency": currency, "delta": delta}
                if i in checked:
                    if c.execute(q.balance_debit, params).rowcount != 1:
                        have = self.balance(account, currency)
                        raise InsufficientFunds(
                            f"{account} holds {have} {currency}, "
                            f"cannot pay {from_minor(-delta, currency)}"
                        )
                else:
                    c.execute(q.balance_add, params)
        transfer_id = uuid.uuid4().hex
        base = {
            "transfer_id": transfer_id,
            "kind": transfer.kind.value,
            "invoice_reference": transfer.invoice_reference,
            "ers_reference": transfer.ers_reference,
            "created_at": self._m.opt_in(transfer.created_at),
        }
        rows = [
            {**base, "account": e.account, "currency": e.currency,
             "amount_minor": to_minor(e.amount, e.currency)}
            for e in transfer.entries
        ]  # fmt: skip
        c.cursor().executemany(q.insert_entry, rows)

    def balance(self, account: str, currency: str) -> Decimal:
        return self._balance(self._q.balance, account, currency)

    def source_failures(
        self, source: str, subscriber_key: str
    ) -> dict[str, tuple[int, datetime | None]]:
        params = {"source": source, "subscriber_key": subscriber_key}
        rows = self._c.execute(self._q.source_failures, params).fetchall()
        return {key: (int(n), self._m.opt_out(last)) for key, n, last in rows}

    def count_source_failure(
        self, source: str, subscriber_key: str, now: datetime, quiet_since: datetime
    ) -> int:
        params = {"source": source, "subscriber_key": subscriber_key, "now": self._m.dt_in(now),
                  "quiet_since": self._m.dt_in(quiet_since)}  # fmt: skip
        return int(self._c.execute(self._q.count_source_failure, params).fetchone()[0])

    def forget_source_failures(self, source: str, subscriber_key: str) -> None:
        params = {"source": source, "subscriber_key": subscriber_key}
        self._c.execute(self._q.forget_source_failures, params)

    def lock_balance(self, account: str, currency: str) -> Decimal:
        return self._balance(self._q.lock_balance, account, currency)

    def _balance(self, query: str, account: str, currency: str) -> Decimal:
        row = self._c.execute(query, {"account": account, "currency": currency}).fetchone()
        return from_minor(0 if row is None else row[0], currency)

    def entry_sums(self) -> dict[str, Decimal]:
        rows = self._c.execute(self._q.entry_sums).fetchall()
        return {cur: from_minor(int(total), cur) for cur, total in rows}

    def balances_match_entries(self) -> bool:
        return bool(self._c.execute(self._q.balance_mismatches).fetchone()[0] == 0)

    # -- notification outbox -------------------------------------------------------------------
    def enqueue_notification(self, notification: Notification) -> None:
        params = self._m.notification_params(notification)
        self._insert(
            self._q.enqueue_notification, params, f"notification {notification.notification_id}"
        )

    def update_notification(self, notification: Notification) -> None:
        params = self._m.notification_params(notification)
        what = f"notification {notification.notification_id}"
        self._update(self._q.update_notification, params, what, unique=False)

    def record_attempt(self, attempt: DeliveryAttempt) -> None:
        params = self._m.attempt_params(attempt)
        what = f"attempt {attempt.attempt} of notification {attempt.notification_id}"
        self._insert(self._q.record_attempt, params, what)

    def get_notification(self, notification_id: str) -> Notification | None:
        params = {"notification_id": notification_id}
        row = self._c.execute(self._q.get_notification, params).fetchone()
        return None if row is None else self._m.notification(row)

    def list_notifications(
        self, invoice_reference: str | None = None, limit: int = 100
    ) -> list[Notification]:
        if invoice_reference is None:
            cur = self._c.execute(self._q.list_notifications, {"limit": limit})
        else:
            params = {"invoice_reference": invoice_reference, "limit": limit}
            cur = self._c.execute(self._q.list_notifications_of_invoice, params)
        return [self._m.notification(r) for r in cur.fetchall()]

    def attempts_of(self, notification_id: str) -> list[DeliveryAttempt]:
        params = {"notification_id": notification_id}
        return [self._m.attempt(r) for r in self._c.execute(self._q.attempts_of, params)]

    def count_owed_notifications(self) -> int:
        return int(self._c.execute(self._q.count_owed_notifications).fetchone()[0])

    # -- reconciliation ------------------------------------------------------------------------
    def insert_period(self, period: TransactionPeriod) -> None:
        params = self._m.period_params(period)
        self._insert(self._q.insert_period, params, f"transaction period {period.period_id}")

    def get_period(self, period_id: str) -> TransactionPeriod | None:
        row = self._c.execute(self._q.get_period, {"period_id": period_id}).fetchone()
        return None if row is None else self._m.period(row)

    def last_period_end(self, reseller_id: str, terminal_id: str | None) -> datetime | None:
        if terminal_id is None:
            sql, params = self._q.last_period_end_of_reseller, {"reseller_id": reseller_id}
        else:
            sql = self._q.last_period_end_of_terminal
            params = {"reseller_id": reseller_id, "terminal_id": terminal_id}
        return self._m.opt_out(self._c.execute(sql, params).fetchone()[0])

    def settled_transactions(
        self, reseller_id: str, terminal_id: str | None, start: datetime, end: datetime
    ) -> list[SettledTransaction]:
        params = {
            "reseller_id": reseller_id,
            "terminal_id": terminal_id,
            "start": self._m.dt_in(start),
            "end": self._m.dt_in(end),
        }
        sql = self._q.settled_of_reseller if terminal_id is None else self._q.settled_of_terminal
        dt_out = self._m.dt_out
        return [
            SettledTransaction(kind, term, cashier, Money.from_minor(minor, cur), ers, dt_out(at))
            for kind, term, cashier, cur, minor, ers, at in self._c.execute(sql, params)
        ]

    # -- invoice event history -----------------------------------------------------------------
    def append_event(self, event: InvoiceEvent) -> None:
        self._c.execute(self._q.append_event, self._m.event_params(event))

    def append_events(self, events: Sequence[InvoiceEvent]) -> None:
        if len(events) == 1:
            self.append_event(events[0])
        elif events:  # psycopg pipelines executemany: one round trip for all
            self._c.cursor().executemany(self._q.append_event, map(self._m.event_params, events))

    def invoice_events(self, reference: str) -> list[InvoiceEvent]:
        params = {"invoice_reference": reference}
        return [self._m.event(r) for r in self._c.execute(self._q.invoice_events, params)]

    def purge_events(self, cutoff: datetime, limit: int) -> int:
        params = {"cutoff": self._m.dt_in(cutoff), "limit": limit}
        return int(self._c.execute(self._q.purge_events, params).rowcount)

    # -- customer messages ---------------------------------------------------------------------
    def insert_message(self, message: CustomerMessage) -> None:
        self._c.execute(self._q.insert_message, self._m.message_params(message))

    def messages_of(self, subscriber_key: str, limit: int = 50) -> list[CustomerMessage]:
        params = {"subscriber_key": subscriber_key, "limit": limit}
        return [self._m.message(r) for r in self._c.execute(self._q.messages_of, params)]

    # -- External Services and client sessions -------------------------------------------------
    def upsert_service(self, service: Service) -> None:
        self._c.execute(self._q.upsert_service, self._m.service_params(service))

    def get_service(self, service_id: str) -> Service | None:
        row = self._c.execute(self._q.get_service, {"service_id": service_id}).fetchone()
        return None if row is None else self._m.service(row)

    def list_services(self) -> list[Service]:
        return [self._m.service(r) for r in self._c.execute(self._q.list_services).fetchall()]

    def insert_session(self, session: ClientSession) -> None:
        params = self._m.session_params(session)
        self._insert(self._q.insert_session, params, "client session token")

    def get_session(self, token: str) -> ClientSession | None:
        row = self._c.execute(self._q.get_session, {"token": token}).fetchone()
        return None if row is None else self._m.session(row)

    def update_session(self, session: ClientSession) -> None:
        params = self._m.session_params(session)
        self._update(self._q.update_session, params, "client session", unique=False)

    # -- operator switches ---------------------------------------------------------------------
    def get_switch(self, name: str) -> str | None:
        row = self._c.execute(self._q.get_switch, {"name": name}).fetchone()
        return None if row is None else str(row[0])

    def set_switch(self, name: str, value: str) -> None:
        self._c.execute(self._q.set_switch, {"name": name, "value": value})
