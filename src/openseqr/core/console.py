"""Records and the storage port of the web console: operator accounts, the console's audit log,
and the invoice search the Invoices page runs (A-54, A-55)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from .records import Invoice, Notification


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    password_hash: str
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One console action: who (an operator or a merchant), when, what, on which object."""

    entry_id: int | None
    at: datetime
    actor_kind: str  # "operator" | "merchant"
    actor: str  # operator name or reseller id
    action: str  # e.g. "login", "notification.redeliver", "refund"
    target: str  # the object acted on ("" for none)
    detail: dict[str, str] = field(default_factory=dict)
    reseller_id: str | None = None  # the merchant whose object it was, when known


@dataclass(frozen=True, slots=True)
class InvoiceSearch:
    """Filters of the Invoices page; every one is served by an index (A-55).

    Results are newest first; `before` is the keyset cursor (created_at, reference) of the
    last row of the previous page."""

    reseller_id: str | None = None  # merchant scope
    reference: str | None = None
    ers_reference: str | None = None
    client_invoice_id: str | None = None
    terminal_id: str | None = None
    state: str | None = None  # an internal state (core.states.State value)
    created_from: datetime | None = None
    created_to: datetime | None = None  # exclusive
    before: tuple[datetime, str] | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class LedgerLine:
    transfer_id: str
    kind: str
    account: str
    currency: str
    amount: Decimal
    created_at: datetime | None


class ConsoleTx(Protocol):
    """What the console reads and writes beyond the payment tables (part of `ports.Tx`)."""

    def get_operator(self, name: str) -> Operator | None: ...
    def insert_operator(self, operator: Operator) -> None: ...
    def update_operator(self, operator: Operator) -> None: ...
    def delete_operator(self, name: str) -> bool: ...
    def list_operators(self) -> list[Operator]: ...
    def append_audit(self, entry: AuditEntry) -> None: ...
    def audit_entries(
        self, reseller_id: str | None, before_id: int | None, limit: int
    ) -> list[AuditEntry]: ...
    def search_invoices(self, search: InvoiceSearch) -> list[Invoice]: ...
    def ledger_of_invoice(self, reference: str) -> list[LedgerLine]: ...
    def notifications_needing_care(
        self, reseller_id: str | None, status: str, limit: int
    ) -> list[Notification]:
        """`status` "failed" (given up) or "pending" (waiting for an attempt), newest first."""
        ...

    def console_secret(self, candidate: str) -> str:
        """The cookie-signing key shared by every server process: `candidate` if none yet."""
        ...
