"""Records the domain reasons about: plain frozen dataclasses, no behaviour beyond properties.

Storage maps rows to these explicitly; nothing here knows about databases or XML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum

from .money import Money
from .states import WIRE, State, WireStatus


class PaymentMode(str, Enum):
    IMMEDIATE_DEBIT = "IMMEDIATE_DEBIT"
    RESERVATION_DESIRED = "RESERVATION_DESIRED"
    RESERVATION_REQUIRED = "RESERVATION_REQUIRED"
    RESERVATION_REQUIRED_PRELIMINARY_AMOUNT = "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT"

    @property
    def reserves(self) -> bool:
        return self is not PaymentMode.IMMEDIATE_DEBIT


class AckMode(str, Enum):
    NO_ACKNOWLEDGMENT = "NO_ACKNOWLEDGMENT"
    OPTIONAL_ACKNOWLEDGMENT = "OPTIONAL_ACKNOWLEDGMENT"
    REQUIRE_ACKNOWLEDGMENT = "REQUIRE_ACKNOWLEDGMENT"


class TerminalKind(str, Enum):
    CASH_REGISTER = "CASH_REGISTER"  # registerTerminal; one live invoice (D-36)
    ONLINE = "ONLINE"  # operator-created webshop / app / service backend


class PrincipalStatus(str, Enum):
    ACTIVE = "ACTIVE"
    BLOCKED = "BLOCKED"
    UNREGISTERED = "UNREGISTERED"


@dataclass(frozen=True, slots=True)
class Reseller:
    reseller_id: str
    user_id: str
    password_hash: str
    name: str
    currencies: tuple[str, ...] = ("SEK", "EUR", "USD")
    status: PrincipalStatus = PrincipalStatus.ACTIVE
    refunds_allowed: bool = True
    receiver_allows_refunds: bool = True


@dataclass(frozen=True, slots=True)
class Terminal:
    terminal_id: str
    reseller_id: str
    kind: TerminalKind
    name: str
    password_hash: str
    external_terminal_id: str | None = None
    seqr_id: str | None = None
    status: PrincipalStatus = PrincipalStatus.ACTIVE
    ack_mode_default: AckMode = AckMode.NO_ACKNOWLEDGMENT  # D-17
    strict_rows: bool = False  # D-20
    notify_retries: int = 3  # attempts after the first, inside the ack window
    notify_secret: str | None = None  # HMAC signature secret, optional
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Token:
    """A customer token (loyalty card, coupon). Identity is (id, value) (D-09b)."""

    id: str | None
    value: str | None
    status: int = 0
    description: str | None = None

    @property
    def identity(self) -> tuple[str | None, str | None]:
        return (self.id, self.value)


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    description: str | None = None
    discount: Money | None = None
    ean: str | None = None
    quantity: Decimal | None = None
    sku: str | None = None
    tax_rate: Decimal | None = None
    total: Money | None = None
    unit: str | None = None
    unit_price: Money | None = None

    @property
    def net(self) -> Money | None:
        """Row total after its discount (D-20)."""
        if self.total is None:
            return None
        return self.total - self.discount if self.discount is not None else self.total


@dataclass(frozen=True, slots=True)
class Invoice:
    reference: str
    terminal_id: str
    reseller_id: str
    state: State
    version: int  # wire version (8.4)
    payment_mode: PaymentMode
    ack_mode: AckMode
    issue_date: datetime
    total: Money
    created_at: datetime
    title: str | None = None
    client_invoice_id: str | None = None
    rows: tuple[InvoiceRow, ...] = ()
    cashier_id: str | None = None
    footer: str | None = None
    back_url: str | None = None
    notification_url: str | None = None
    commit_timeout: int | None = None  # seconds (reservations)
    tokens: tuple[Token, ...] = ()
    payer: str | None = None  # subscriber key bound by the app
    payer_terminal_id: str | None = None
    viewed_version: int | None = None  # version the payer was shown
    ers_reference: str | None = None
    paid_at: datetime | None = None
    reserved: Money | None = None
    deadline_at: datetime | None = None
    reason: str | None = None  # why cancelled / failed
    acked_version: int = 0
    session_token: str | None = None  # External Service session it belongs to
    refunded: Decimal = Decimal(0)
    settled_at: datetime | None = None  # became final PAID (acknowledged / committed)
    rev: int = 0  # storage revision for compare-and-set; bumped on every write

    @property
    def status(self) -> WireStatus:
        return WIRE[self.state]

    @property
    def currency(self) -> str:
        return self.total.currency


@dataclass(frozen=True, slots=True)
class Refund:
    ers_reference: str
    payment_reference: str
    invoice_reference: str
    terminal_id: str
    reseller_id: str
    amount: Money
    created_at: datetime
    title: str | None = None
    cashier_id: str | None = None
    notification_url: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiptDocument:
    ers_reference: str
    mime_type: str | None
    data: bytes | None
    receipt_type: str | None
    created_at: datetime


class ProviderMode(str, Enum):
    """How the simulated account provider answers for a customer."""

    OK = "ok"
    DECLINE = "decline"  # payment ends FAILED
    UNAVAILABLE = "unavailable"  # result 94 / HTTP 503; nothing moves


@dataclass(frozen=True, slots=True)
class Customer:
    subscriber_key: str
    msisdn: str
    pin_hash: str
    name: str
    payer_terminal_id: str  # the device id shown in receipts
    pin_failures: int = 0
    provider_mode: ProviderMode = ProviderMode.OK
    tokens: tuple[Token, ...] = ()  # stored loyalty cards (D-64)
    created_at: datetime | None = None
    pin_locked_at: datetime | None = None  # when the wallet locked; it unlocks after a cool-down

    @property
    def locked(self) -> bool:
        return self.pin_failures >= MAX_PIN_FAILURES


MAX_PIN_FAILURES = 3  # D-46b


@dataclass(frozen=True, slots=True)
class TransactionPeriod:
    period_id: str
    reseller_id: str
    terminal_id: str | None  # per-terminal period when set
    start_at: datetime
    end_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    """What the app (and the SMS gateway) tells a customer, e.g. a reversal."""

    subscriber_key: str
    text: str
    created_at: datetime
    invoice_reference: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """An outbox row: one POST owed to a merchant (spec 9.2)."""

    notification_id: str
    invoice_reference: str
    terminal_id: str
    url: str
    body: bytes
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    max_attempts: int = 1
    status: str = "pending"  # pending | delivered | failed
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    notification_id: str
    attempt: int
    started_at: datetime
    duration_ms: float
    status_code: int | None
    error: str | None


class EventKind(str, Enum):
    """What an invoice event records (the console and certification tooling read these)."""

    SENT = "sent"
    UPDATED = "updated"
    VIEWED = "viewed"
    PAYING = "paying"
    RESERVED = "reserved"
    PAID = "paid"
    FAILED = "failed"
    ACKNOWLEDGED = "acknowledged"
    COMMITTED = "committed"
    REVERSED = "reversed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    RECEIPT_SUBMITTED = "receipt_submitted"
    NOTIFICATION_ATTEMPT = "notification_attempt"
    NOTIFICATION_REDELIVERED = "notification_redelivered"


class Actor(str, Enum):
    """Who caused an invoice event; `system` is a deadline or the notification relay."""

    TERMINAL = "terminal"
    CUSTOMER = "customer"
    OPERATOR = "operator"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class InvoiceEvent:
    """One line of an invoice's append-only history, written in the transaction of the change.

    `kind` and `actor` hold `EventKind` / `Actor` values (plain strings on the way out of the
    store); `actor_id` is the terminal id, the customer's subscriber key or the operator's name;
    `detail` is small, flat text (amounts, reasons, HTTP status), never a PIN or a secret."""

    event_id: int | None
    invoice_reference: str
    terminal_id: str
    at: datetime
    kind: str
    actor: str
    actor_id: str | None
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Balances:
    """Ledger snapshot used by invariants checks: sum per currency must be zero."""

    per_account: dict[tuple[str, str], Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Service:
    """An External Service definition (D-46a)."""

    service_id: str
    name: str
    terminal_id: str
    order_url: str
    success_url: str
    failure_url: str
    cancel_url: str
    active: bool = True
    created_at: datetime | None = None


class SessionState(str, Enum):
    IN_PROGRESS = "IN_PROGRESS"  # 62
    ACTIVE = "ACTIVE"  # 0
    CANCELLED = "CANCELLED"  # 61
    EXPIRED = "EXPIRED"  # 60


@dataclass(frozen=True, slots=True)
class ClientSession:
    """The TOKEN an app gets when it opens an External Service (D-05, D-06)."""

    token: str
    service_id: str
    terminal_id: str
    subscriber_key: str
    params: tuple[tuple[str, str], ...]
    state: SessionState
    created_at: datetime
    expires_at: datetime
    invoice_reference: str | None = None
