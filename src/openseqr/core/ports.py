"""The ports the service layer talks to. Storage adapters implement `Store`/`Tx` for SQLite and
PostgreSQL; the same contract suite runs against both.

Rules every adapter keeps:
* `Store.transaction(write=True)` is one database transaction; it commits when the block ends
  normally and rolls back on any exception. SQLite takes the write lock up front
  (`BEGIN IMMEDIATE`) so read-modify-write cannot interleave; PostgreSQL runs READ COMMITTED and
  `lock_invoice` uses `SELECT … FOR UPDATE`.
* `save_invoice` is compare-and-set on `rev`: it writes only if the stored `rev` equals
  `expected_rev`, stores `rev = expected_rev + 1`, and returns whether it wrote.
* Money is stored as integer minor units; `Decimal` in, `Decimal` out.
* `now` is always a parameter; no SQL `now()`. Datetimes must be aware (naive ones raise
  `ValueError`); they come back as aware UTC datetimes.
* `insert_*` of an existing key raises `DuplicateKey` and leaves the transaction usable;
  `update_*` of a row that does not exist raises `LookupError` (`storage.NotFound`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from .console import ConsoleTx
from .ledger import Transfer
from .money import Money
from .records import (
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


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


@dataclass(frozen=True, slots=True)
class SettledTransaction:
    """A row of a reconciliation report (D-34b): a payment or a refund that became final."""

    kind: str  # "payment" | "refund"
    terminal_id: str
    cashier_id: str | None
    amount: Money  # refunds negative
    ers_reference: str
    settled_at: datetime


class ConsoleReads(Protocol):
    """What the console reads beyond the request paths (A-59): time windows across every
    terminal (or one merchant's: `reseller_id`), and whole lists an operator pages through."""

    def invoice_states_between(
        self, since: datetime, until: datetime, reseller_id: str | None = None
    ) -> dict[str, int]:
        """Invoices created in [since, until), per state they are in now."""
        ...

    def count_pending_notifications(self, reseller_id: str | None = None) -> tuple[int, int]:
        """(pending, of which already failed at least once and are being retried)."""
        ...

    def failed_notifications_since(
        self, since: datetime, reseller_id: str | None = None
    ) -> int: ...

    def delivery_delays_since(self, since: datetime, reseller_id: str | None = None) -> list[float]:
        """Seconds from enqueueing to the end of each 2xx attempt started since `since`."""
        ...

    def list_resellers(self) -> list[Reseller]: ...
    def balances_of(self, account: str) -> dict[str, Decimal]: ...
    def periods_of_reseller(self, reseller_id: str, limit: int) -> list[TransactionPeriod]:
        """Newest end first."""
        ...


class Tx(ConsoleTx, ConsoleReads, Protocol):
    # principals
    def get_reseller(self, reseller_id: str) -> Reseller | None: ...
    def upsert_reseller(self, reseller: Reseller) -> None: ...
    def principals_version(self) -> int:
        """A counter every write of a reseller or terminal bumps in the same transaction, so a
        process can cache principals and know, with one tiny read, that they are current."""
        ...

    def get_terminal(self, terminal_id: str) -> Terminal | None: ...
    def insert_terminal(self, terminal: Terminal) -> None: ...
    def update_terminal(self, terminal: Terminal) -> None: ...
    def terminal_by_seqr_id(self, seqr_id: str) -> Terminal | None:
        """Case-insensitive match (D-53)."""
        ...

    def list_terminals(self, reseller_id: str) -> list[Terminal]: ...

    # customers (the simulated account provider's subscribers)
    def get_customer(self, subscriber_key: str) -> Customer | None: ...
    def lock_customer(self, subscriber_key: str) -> Customer | None:
        """Like get_customer, holding a row lock until the transaction ends (PostgreSQL), so
        counters such as wrong-PIN attempts never lose an update."""
        ...

    def customer_by_msisdn(self, msisdn: str) -> Customer | None: ...
    def insert_customer(self, customer: Customer) -> None: ...
    def update_customer(self, customer: Customer) -> None: ...
    def list_customers(self) -> list[Customer]: ...

    # invoices
    def insert_invoice(self, invoice: Invoice) -> None:
        """Raises `DuplicateKey` if the reference exists."""
        ...

    def get_invoice(self, reference: str) -> Invoice | None: ...
    def lock_invoice(self, reference: str) -> Invoice | None:
        """Like get_invoice, holding a row lock until the transaction ends (PostgreSQL)."""
        ...

    def lock_invoice_unless_busy(self, reference: str) -> Invoice | None:
        """Like lock_invoice, but None at once when another transaction holds the row (its
        holder decides; PostgreSQL `SKIP LOCKED`). SQLite writers never overlap."""
        ...

    def save_invoice(self, invoice: Invoice, expected_rev: int) -> bool:
        """False (nothing written) if the row is missing or its rev moved on; raises
        `DuplicateKey` if the invoice's ers_reference belongs to another invoice."""
        ...

    def latest_invoice(self, terminal_id: str) -> Invoice | None: ...
    def live_invoices(self, terminal_id: str) -> list[Invoice]:
        """Invoices in issued/viewed/awaiting_ack/paying/reserved state."""
        ...

    def invoice_by_ers_reference(self, ers_reference: str) -> Invoice | None: ...
    def due_invoices(self, now: datetime, limit: int) -> list[Invoice]:
        """deadline_at <= now, oldest deadline first (no state filter: clear deadline_at
        when no deadline runs any more)."""
        ...

    def invoices_of_customer(self, subscriber_key: str, limit: int) -> list[Invoice]:
        """Invoices with payer == subscriber_key, newest first."""
        ...

    # refunds and receipt documents
    def insert_refund(self, refund: Refund) -> None: ...
    def get_refund(self, ers_reference: str) -> Refund | None: ...
    def refunds_of_invoice(self, invoice_reference: str) -> list[Refund]: ...
    def insert_receipt_document(self, doc: ReceiptDocument) -> None: ...
    def receipt_documents(self, ers_reference: str) -> list[ReceiptDocument]: ...

    # ledger
    def apply_transfer(self, transfer: Transfer) -> None:
        """Insert the entries and move balances; raise `core.errors.InsufficientFunds` (and
        change nothing) if an account of `ledger.NO_OVERDRAFT_PREFIXES` would go below zero."""
        ...

    def balance(self, account: str, currency: str) -> Decimal: ...
    def source_failures(
        self, source: str, subscriber_key: str
    ) -> dict[str, tuple[int, datetime | None]]:
        """Wrong PINs counted for a client address, for all wallets (key '') and for this
        wallet (its subscriber key), and when the last one came; a key without any is absent."""
        ...

    def count_source_failure(
        self, source: str, subscriber_key: str, now: datetime, quiet_since: datetime
    ) -> int:
        """One more wrong PIN (the count restarts at 1 if the last one was at or before
        `quiet_since`); returns the count. Locks the row until commit."""
        ...

    def forget_source_failures(self, source: str, subscriber_key: str) -> None: ...

    def lock_balance(self, account: str, currency: str) -> Decimal:
        """The balance, its row locked until the transaction ends (a decision's input)."""
        ...

    def entry_sums(self) -> dict[str, Decimal]:
        """Sum of all ledger entries per currency (always zero when balanced)."""
        ...

    def balances_match_entries(self) -> bool:
        """Every stored balance equals the sum of its account's entries."""
        ...

    # notification outbox
    def enqueue_notification(self, notification: Notification) -> None: ...
    def claim_notifications(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[Notification]:
        """Pending rows with next_attempt_at <= now; moves their next_attempt_at to
        lease_until so a concurrent relay skips them (PostgreSQL: FOR UPDATE SKIP LOCKED)."""
        ...

    def update_notification(self, notification: Notification) -> None: ...
    def record_attempt(self, attempt: DeliveryAttempt) -> None: ...
    def get_notification(self, notification_id: str) -> Notification | None: ...
    def list_notifications(
        self, invoice_reference: str | None = None, limit: int = 100
    ) -> list[Notification]:
        """Oldest first."""
        ...

    def attempts_of(self, notification_id: str) -> list[DeliveryAttempt]: ...
    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this transaction has committed (never when it rolls back)."""
        ...

    def count_owed_notifications(self) -> int:
        """How many rows are still owed (status pending), counted on the partial index."""
        ...

    # reconciliation
    def insert_period(self, period: TransactionPeriod) -> None: ...
    def get_period(self, period_id: str) -> TransactionPeriod | None: ...
    def last_period_end(self, reseller_id: str, terminal_id: str | None) -> datetime | None: ...
    def settled_transactions(
        self, reseller_id: str, terminal_id: str | None, start: datetime, end: datetime
    ) -> list[SettledTransaction]:
        """Payments with settled_at in [start, end) (state paid, not reversed) and refunds
        created in [start, end), of the reseller (or one terminal), ordered by time."""
        ...

    # invoice event history (append-only; written in the transaction of the change)
    def append_event(self, event: InvoiceEvent) -> None: ...
    def append_events(self, events: Sequence[InvoiceEvent]) -> None:
        """Several at once, in order (one round trip on PostgreSQL)."""
        ...

    def invoice_events(self, reference: str) -> list[InvoiceEvent]:
        """Oldest first: ordered by `at`, then `event_id`."""
        ...

    def purge_events(self, cutoff: datetime, limit: int) -> int:
        """Retention: delete, of the `limit` oldest rows, those before `cutoff`; how many."""
        ...

    # customer messages (SMS / app inbox)
    def insert_message(self, message: CustomerMessage) -> None: ...
    def messages_of(self, subscriber_key: str, limit: int = 50) -> list[CustomerMessage]:
        """Newest first."""
        ...

    # External Services and client sessions
    def upsert_service(self, service: Service) -> None: ...
    def get_service(self, service_id: str) -> Service | None: ...
    def list_services(self) -> list[Service]: ...
    def insert_session(self, session: ClientSession) -> None: ...
    def get_session(self, token: str) -> ClientSession | None: ...
    def update_session(self, session: ClientSession) -> None: ...

    # operator switches (e.g. the simulated account provider's global mode)
    def get_switch(self, name: str) -> str | None: ...
    def set_switch(self, name: str, value: str) -> None: ...


class Store(Protocol):
    def transaction(self, write: bool = True) -> AbstractContextManager[Tx]: ...

    def durable(self) -> Awaitable[None] | None:
        """On an event loop: None when every commit so far is durable, else an awaitable done
        once it is (a store may defer fsyncs to group them, A-73). Await it before anything
        shows a commit to the outside: a response, a notification."""
        ...

    def wait_durable(self, timeout: float | None = None) -> bool:
        """The blocking `durable()`; False if `timeout` passed first."""
        ...

    def close(self) -> None: ...


class Relay(Protocol):
    """Where committed notification rows go in this process (the worker's relay implements it;
    the composition root plugs it into the `Context`). Both methods are thread-safe."""

    def offer(self, owned: Sequence[tuple[Notification, str | None]]) -> bool:
        """Take rows already leased to this process, each with its terminal's signing secret;
        False when the relay cannot (their lease then lapses and any relay's poll sends them)."""
        ...

    def wake(self) -> None:
        """Rows were enqueued that nobody holds: look for due rows now, not at the next poll."""
        ...


class DuplicateKey(Exception):
    """A unique key (e.g. a generated reference) already exists; the caller retries."""
