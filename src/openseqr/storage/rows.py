"""Row <-> record mapping, written once for both dialects.

A `Mapper` turns records into parameter dicts (keys = column names) and result tuples (columns
in the order of the `*_COLUMNS` tuples below, which `queries.sql` expands as `{invoices}` etc.)
back into records. The only dialect difference is how a datetime travels: SQLite gets fixed-width
ISO-8601 UTC text, PostgreSQL gets the aware datetime itself (TIMESTAMPTZ, session in UTC).

Money is integer minor units plus a currency; amounts inside JSON (invoice rows) are decimal
strings. Empty tuples are stored as NULL so hot reads skip JSON parsing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from typing import Any

from openseqr.core.money import MINOR_DIGITS, Money
from openseqr.core.records import (
    AckMode,
    ClientSession,
    Customer,
    CustomerMessage,
    DeliveryAttempt,
    Invoice,
    InvoiceEvent,
    InvoiceRow,
    Notification,
    PaymentMode,
    PrincipalStatus,
    ProviderMode,
    ReceiptDocument,
    Refund,
    Reseller,
    Service,
    SessionState,
    Terminal,
    TerminalKind,
    Token,
    TransactionPeriod,
)
from openseqr.core.states import State

Row = tuple[Any, ...]
Params = dict[str, Any]

RESELLERS = ("reseller_id", "user_id", "password_hash", "name", "currencies", "status",
             "refunds_allowed", "receiver_allows_refunds")  # fmt: skip
TERMINALS = ("terminal_id", "reseller_id", "kind", "name", "password_hash",
             "external_terminal_id", "seqr_id", "seqr_id_norm", "status", "ack_mode_default",
             "strict_rows", "notify_retries", "notify_secret", "created_at")  # fmt: skip
CUSTOMERS = ("subscriber_key", "msisdn", "pin_hash", "name", "payer_terminal_id",
             "pin_failures", "provider_mode", "tokens_json", "created_at",
             "pin_locked_at")  # fmt: skip
INVOICES = ("reference", "terminal_id", "reseller_id", "state", "version", "payment_mode",
            "ack_mode", "issue_date", "currency", "total_minor", "created_at", "title",
            "client_invoice_id", "rows_json", "cashier_id", "footer", "back_url",
            "notification_url", "commit_timeout", "tokens_json", "payer", "payer_terminal_id",
            "viewed_version", "ers_reference", "paid_at", "reserved_minor", "deadline_at",
            "reason", "acked_version", "session_token", "refunded_minor", "settled_at",
            "rev")  # fmt: skip
REFUNDS = ("ers_reference", "payment_reference", "invoice_reference", "terminal_id",
           "reseller_id", "currency", "amount_minor", "created_at", "title", "cashier_id",
           "notification_url")  # fmt: skip
RECEIPT_DOCUMENTS = ("ers_reference", "mime_type", "data", "receipt_type", "created_at")
NOTIFICATIONS = ("notification_id", "invoice_reference", "terminal_id", "url", "body",
                 "created_at", "next_attempt_at", "attempts", "max_attempts", "status",
                 "last_error")  # fmt: skip
DELIVERY_ATTEMPTS = ("notification_id", "attempt", "started_at", "duration_ms", "status_code",
                     "error")  # fmt: skip
TRANSACTION_PERIODS = ("period_id", "reseller_id", "terminal_id", "start_at", "end_at")
CUSTOMER_MESSAGES = ("subscriber_key", "message_text", "created_at", "invoice_reference")
SERVICES = ("service_id", "name", "terminal_id", "order_url", "success_url", "failure_url",
            "cancel_url", "active", "created_at")  # fmt: skip
INVOICE_EVENTS = ("invoice_reference", "terminal_id", "at", "kind", "actor", "actor_id",
                  "detail_json")  # fmt: skip
CLIENT_SESSIONS = ("token", "service_id", "terminal_id", "subscriber_key", "params_json",
                   "state", "created_at", "expires_at", "invoice_reference")  # fmt: skip

#: Column lists by table, for `{table}` / `{table:values}` / `{table:set}` in queries.sql.
COLUMNS: dict[str, tuple[str, ...]] = {
    "resellers": RESELLERS,
    "terminals": TERMINALS,
    "customers": CUSTOMERS,
    "invoices": INVOICES,
    "refunds": REFUNDS,
    "receipt_documents": RECEIPT_DOCUMENTS,
    "notifications": NOTIFICATIONS,
    "delivery_attempts": DELIVERY_ATTEMPTS,
    "transaction_periods": TRANSACTION_PERIODS,
    "customer_messages": CUSTOMER_MESSAGES,
    "services": SERVICES,
    "client_sessions": CLIENT_SESSIONS,
    "invoice_events": INVOICE_EVENTS,
}


#: `json.dumps(x, separators=(",", ":"))` without building an encoder on every call
_compact = json.JSONEncoder(separators=(",", ":")).encode


# -- scalar codecs ---------------------------------------------------------------------------
def to_minor(amount: Decimal, currency: str) -> int:
    """Exact integer minor units; refuses amounts with more digits than the currency has."""
    scaled = amount.scaleb(MINOR_DIGITS[currency])
    minor = int(scaled)
    if minor != scaled:
        raise ValueError(f"{amount} {currency} is not a whole number of minor units")
    if not -_BIGINT <= minor < _BIGINT:
        raise ValueError(f"{amount} {currency} does not fit a 64-bit minor-unit column")
    return minor


_BIGINT = 2**63


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-MINOR_DIGITS[currency])


def money_minor(money: Money, currency: str) -> int:
    if money.currency != currency:
        raise ValueError(f"{money} stored in a {currency} column")
    return to_minor(money.amount, currency)


# One write stores the same `now` several times (row, history, outbox); equal instants in other
# zones hash and compare equal, and have the same UTC text.
@lru_cache(maxsize=256)
def iso_utc(value: datetime) -> str:
    """SQLite form: fixed width, so comparing text compares instants."""
    tz = value.tzinfo
    if tz is UTC:  # the clock's own: no conversion to make
        return value.isoformat(timespec="microseconds")
    if tz is None:
        raise ValueError(f"naive datetime given to the store: {value!r}")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def aware_utc(value: datetime) -> datetime:
    """PostgreSQL form: the datetime itself (aware; TIMESTAMPTZ)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime given to the store: {value!r}")
    return value


def _money_json(m: Money | None) -> list[str] | None:
    return None if m is None else [str(m.amount), m.currency]


def _json_money(v: list[str] | None) -> Money | None:
    return None if v is None else Money(Decimal(v[0]), v[1])


def _dec(v: str | None) -> Decimal | None:
    return None if v is None else Decimal(v)


def tokens_json(tokens: tuple[Token, ...]) -> str | None:
    if not tokens:
        return None
    return json.dumps([[t.id, t.value, t.status, t.description] for t in tokens])


@lru_cache(maxsize=4096)  # results are immutable; status polling re-reads the same rows
def json_tokens(text: str | None) -> tuple[Token, ...]:
    if text is None:
        return ()
    return tuple(Token(i, v, s, d) for i, v, s, d in json.loads(text))


def rows_json(rows: tuple[InvoiceRow, ...]) -> str | None:
    if not rows:
        return None
    out = []
    for r in rows:
        d = {
            "description": r.description,
            "discount": _money_json(r.discount),
            "ean": r.ean,
            "quantity": None if r.quantity is None else str(r.quantity),
            "sku": r.sku,
            "tax_rate": None if r.tax_rate is None else str(r.tax_rate),
            "total": _money_json(r.total),
            "unit": r.unit,
            "unit_price": _money_json(r.unit_price),
        }
        out.append({k: v for k, v in d.items() if v is not None})
    return _compact(out)


@lru_cache(maxsize=4096)
def json_rows(text: str | None) -> tuple[InvoiceRow, ...]:
    if text is None:
        return ()
    return tuple(
        InvoiceRow(
            description=d.get("description"),
            discount=_json_money(d.get("discount")),
            ean=d.get("ean"),
            quantity=_dec(d.get("quantity")),
            sku=d.get("sku"),
            tax_rate=_dec(d.get("tax_rate")),
            total=_json_money(d.get("total")),
            unit=d.get("unit"),
            unit_price=_json_money(d.get("unit_price")),
        )
        for d in json.loads(text)
    )


_INVOICE_FIELDS = tuple(f.name for f in fields(Invoice) if f.name != "rev")
_invoice_values = attrgetter(*_INVOICE_FIELDS)
_FIELD_COLUMNS = {  # where a column's name is not the field's (money is stored per currency)
    "total": ("currency", "total_minor", "reserved_minor", "refunded_minor"),
    "rows": ("rows_json",),
    "tokens": ("tokens_json",),
    "reserved": ("reserved_minor",),
    "refunded": ("refunded_minor",),
}
_INVOICE_ORDER = {c: i for i, c in enumerate(INVOICES)}


def changed_invoice_columns(before: Invoice, after: Invoice) -> tuple[str, ...]:
    """The columns (in `INVOICES` order, `rev` aside) whose value differs between two
    snapshots of one invoice."""
    changed: set[str] = set()
    pairs = zip(_INVOICE_FIELDS, _invoice_values(before), _invoice_values(after), strict=True)
    for name, a, b in pairs:
        if a is not b and a != b:
            changed.update(_FIELD_COLUMNS.get(name, (name,)))
    return tuple(sorted(changed, key=_INVOICE_ORDER.__getitem__))


# -- records ---------------------------------------------------------------------------------
class Mapper:
    """Record <-> row conversion; `dt_in`/`dt_out` are the dialect's datetime codec."""

    def __init__(self, dt_in: Callable[[datetime], Any], dt_out: Callable[[Any], datetime]) -> None:
        self.dt_in = dt_in
        self.dt_out = dt_out
        # an invoice polled again and again is the same row until it changes (rev).
        self._invoices = lru_cache(maxsize=1024)(self._invoice)

    def opt_in(self, value: datetime | None) -> Any:
        return None if value is None else self.dt_in(value)

    def opt_out(self, value: Any) -> datetime | None:
        return None if value is None else self.dt_out(value)

    # principals
    def reseller_params(self, r: Reseller) -> Params:
        return {
            "reseller_id": r.reseller_id, "user_id": r.user_id,
            "password_hash": r.password_hash, "name": r.name,
            "currencies": ",".join(r.currencies), "status": r.status.value,
            "refunds_allowed": r.refunds_allowed,
            "receiver_allows_refunds": r.receiver_allows_refunds,
        }  # fmt: skip

    def reseller(self, row: Row) -> Reseller:
        return Reseller(
            row[0], row[1], row[2], row[3], tuple(row[4].split(",")) if row[4] else (),
            PrincipalStatus(row[5]), bool(row[6]), bool(row[7]),
        )  # fmt: skip

    def terminal_params(self, t: Terminal) -> Params:
        return {
            "terminal_id": t.terminal_id, "reseller_id": t.reseller_id, "kind": t.kind.value,
            "name": t.name, "password_hash": t.password_hash,
            "external_terminal_id": t.external_terminal_id, "seqr_id": t.seqr_id,
            "seqr_id_norm": None if t.seqr_id is None else t.seqr_id.lower(),
            "status": t.status.value, "ack_mode_default": t.ack_mode_default.value,
            "strict_rows": t.strict_rows, "notify_retries": t.notify_retries,
            "notify_secret": t.notify_secret, "created_at": self.opt_in(t.created_at),
        }  # fmt: skip

    def terminal(self, row: Row) -> Terminal:
        return Terminal(
            row[0], row[1], TerminalKind(row[2]), row[3], row[4], row[5], row[6],
            PrincipalStatus(row[8]), AckMode(row[9]), bool(row[10]), row[11], row[12],
            self.opt_out(row[13]),
        )  # fmt: skip

    def customer_params(self, c: Customer) -> Params:
        return {
            "subscriber_key": c.subscriber_key, "msisdn": c.msisdn, "pin_hash": c.pin_hash,
            "name": c.name, "payer_terminal_id": c.payer_terminal_id,
            "pin_failures": c.pin_failures, "provider_mode": c.provider_mode.value,
            "tokens_json": tokens_json(c.tokens), "created_at": self.opt_in(c.created_at),
            "pin_locked_at": self.opt_in(c.pin_locked_at),
        }  # fmt: skip

    def customer(self, row: Row) -> Customer:
        return Customer(
            row[0], row[1], row[2], row[3], row[4], row[5], ProviderMode(row[6]),
            json_tokens(row[7]), self.opt_out(row[8]), self.opt_out(row[9]),
        )  # fmt: skip

    # invoices
    def invoice_params(self, i: Invoice, *, encode_rows: bool = True) -> Params:
        """`encode_rows=False` (an update that does not set `rows_json`): None in its place."""
        cur = i.total.currency
        opt_in = self.opt_in
        return {
            "reference": i.reference, "terminal_id": i.terminal_id,
            "reseller_id": i.reseller_id, "state": i.state.value, "version": i.version,
            "payment_mode": i.payment_mode.value, "ack_mode": i.ack_mode.value,
            "issue_date": self.dt_in(i.issue_date), "currency": cur,
            "total_minor": to_minor(i.total.amount, cur),
            "created_at": self.dt_in(i.created_at), "title": i.title,
            "client_invoice_id": i.client_invoice_id,
            "rows_json": rows_json(i.rows) if encode_rows else None,
            "cashier_id": i.cashier_id, "footer": i.footer, "back_url": i.back_url,
            "notification_url": i.notification_url, "commit_timeout": i.commit_timeout,
            "tokens_json": tokens_json(i.tokens), "payer": i.payer,
            "payer_terminal_id": i.payer_terminal_id, "viewed_version": i.viewed_version,
            "ers_reference": i.ers_reference, "paid_at": opt_in(i.paid_at),
            "reserved_minor": None if i.reserved is None else money_minor(i.reserved, cur),
            "deadline_at": opt_in(i.deadline_at), "reason": i.reason,
            "acked_version": i.acked_version, "session_token": i.session_token,
            "refunded_minor": to_minor(i.refunded, cur), "settled_at": opt_in(i.settled_at),
            "rev": i.rev,
        }  # fmt: skip

    def invoice(self, row: Row) -> Invoice:
        """The record of a row, made once per distinct row (records are immutable)."""
        try:
            return self._invoices(tuple(row))
        except TypeError:  # a driver's unhashable column value: no memo for this row
            return self._invoice(row)

    def _invoice(self, row: Row) -> Invoice:
        cur = row[8]
        opt_out = self.opt_out
        return Invoice(
            reference=row[0], terminal_id=row[1], reseller_id=row[2], state=State(row[3]),
            version=row[4], payment_mode=PaymentMode(row[5]), ack_mode=AckMode(row[6]),
            issue_date=self.dt_out(row[7]), total=Money.from_minor(row[9], cur),
            created_at=self.dt_out(row[10]), title=row[11], client_invoice_id=row[12],
            rows=json_rows(row[13]), cashier_id=row[14], footer=row[15], back_url=row[16],
            notification_url=row[17], commit_timeout=row[18], tokens=json_tokens(row[19]),
            payer=row[20], payer_terminal_id=row[21], viewed_version=row[22],
            ers_reference=row[23], paid_at=opt_out(row[24]),
            reserved=None if row[25] is None else Money.from_minor(row[25], cur),
            deadline_at=opt_out(row[26]), reason=row[27], acked_version=row[28],
            session_token=row[29], refunded=from_minor(row[30], cur),
            settled_at=opt_out(row[31]), rev=row[32],
        )  # fmt: skip

    # refunds and receipts
    def refund_params(self, r: Refund) -> Params:
        return {
            "ers_reference": r.ers_reference, "payment_reference": r.payment_reference,
            "invoice_reference": r.invoice_reference, "terminal_id": r.terminal_id,
            "reseller_id": r.reseller_id, "currency": r.amount.currency,
            "amount_minor": to_minor(r.amount.amount, r.amount.currency),
            "created_at": self.dt_in(r.created_at), "title": r.title,
            "cashier_id": r.cashier_id, "notification_url": r.notification_url,
        }  # fmt: skip

    def refund(self, row: Row) -> Refund:
        return Refund(
            row[0], row[1], row[2], row[3], row[4], Money.from_minor(row[6], row[5]),
            self.dt_out(row[7]), row[8], row[9], row[10],
        )  # fmt: skip

    def receipt_params(self, d: ReceiptDocument) -> Params:
        return {
            "ers_reference": d.ers_reference, "mime_type": d.mime_type,
            "data": None if d.data is None else bytes(d.data), "receipt_type": d.receipt_type,
            "created_at": self.dt_in(d.created_at),
        }  # fmt: skip

    def receipt(self, row: Row) -> ReceiptDocument:
        data = None if row[2] is None else bytes(row[2])
        return ReceiptDocument(row[0], row[1], data, row[3], self.dt_out(row[4]))

    # notification outbox
    def notification_params(self, n: Notification) -> Params:
        return {
            "notification_id": n.notification_id, "invoice_reference": n.invoice_reference,
            "terminal_id": n.terminal_id, "url": n.url, "body": bytes(n.body),
            "created_at": self.dt_in(n.created_at),
            "next_attempt_at": self.dt_in(n.next_attempt_at), "attempts": n.attempts,
            "max_attempts": n.max_attempts, "status": n.status, "last_error": n.last_error,
        }  # fmt: skip

    def notification(self, row: Row) -> Notification:
        return Notification(
            row[0], row[1], row[2], row[3], bytes(row[4]), self.dt_out(row[5]),
            self.dt_out(row[6]), row[7], row[8], row[9], row[10],
        )  # fmt: skip

    def attempt_params(self, a: DeliveryAttempt) -> Params:
        return {
            "notification_id": a.notification_id, "attempt": a.attempt,
            "started_at": self.dt_in(a.started_at), "duration_ms": float(a.duration_ms),
            "status_code": a.status_code, "error": a.error,
        }  # fmt: skip

    def attempt(self, row: Row) -> DeliveryAttempt:
        return DeliveryAttempt(row[0], row[1], self.dt_out(row[2]), row[3], row[4], row[5])

    # reconciliation, messages
    def period_params(self, p: TransactionPeriod) -> Params:
        return {
            "period_id": p.period_id, "reseller_id": p.reseller_id,
            "terminal_id": p.terminal_id, "start_at": self.dt_in(p.start_at),
            "end_at": self.dt_in(p.end_at),
        }  # fmt: skip

    def period(self, row: Row) -> TransactionPeriod:
        return TransactionPeriod(row[0], row[1], row[2], self.dt_out(row[3]), self.dt_out(row[4]))

    def message_params(self, m: CustomerMessage) -> Params:
        return {
            "subscriber_key": m.subscriber_key, "message_text": m.text,
            "created_at": self.dt_in(m.created_at), "invoice_reference": m.invoice_reference,
        }  # fmt: skip

    def message(self, row: Row) -> CustomerMessage:
        return CustomerMessage(row[0], row[1], self.dt_out(row[2]), row[3])

    # invoice event history
    def event_params(self, e: InvoiceEvent) -> Params:
        return {
            "invoice_reference": e.invoice_reference, "terminal_id": e.terminal_id,
            "at": self.dt_in(e.at), "kind": e.kind, "actor": e.actor, "actor_id": e.actor_id,
            "detail_json": _compact(e.detail) if e.detail else None,
        }  # fmt: skip

    def event(self, row: Row) -> InvoiceEvent:
        detail = {} if row[7] is None else json.loads(row[7])
        return InvoiceEvent(row[0], row[1], row[2], self.dt_out(row[3]), row[4], row[5], row[6],
                            detail)  # fmt: skip

    # External Services and client sessions
    def service_params(self, s: Service) -> Params:
        return {
            "service_id": s.service_id, "name": s.name, "terminal_id": s.terminal_id,
            "order_url": s.order_url, "success_url": s.success_url,
            "failure_url": s.failure_url, "cancel_url": s.cancel_url, "active": s.active,
            "created_at": self.opt_in(s.created_at),
        }  # fmt: skip

    def service(self, row: Row) -> Service:
        return Service(
            row[0], row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7]),
            self.opt_out(row[8]),
        )  # fmt: skip

    def session_params(self, s: ClientSession) -> Params:
        return {
            "token": s.token, "service_id": s.service_id, "terminal_id": s.terminal_id,
            "subscriber_key": s.subscriber_key,
            "params_json": json.dumps([list(p) for p in s.params]) if s.params else None,
            "state": s.state.value, "created_at": self.dt_in(s.created_at),
            "expires_at": self.dt_in(s.expires_at), "invoice_reference": s.invoice_reference,
        }  # fmt: skip

    def session(self, row: Row) -> ClientSession:
        params = () if row[4] is None else tuple((k, v) for k, v in json.loads(row[4]))
        return ClientSession(
            row[0], row[1], row[2], row[3], params, SessionState(row[5]), self.dt_out(row[6]),
            self.dt_out(row[7]), row[8],
        )  # fmt: skip


SQLITE = Mapper(iso_utc, datetime.fromisoformat)
POSTGRES = Mapper(aware_utc, lambda v: v)  # sessions run with TimeZone=UTC
