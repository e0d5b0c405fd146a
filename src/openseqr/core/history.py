"""The invoice event history, decided here: which kind each transition records, and who did it.

`KINDS` is the one table from the lifecycle's events (`core.states.Event`) to what the history
records and who usually causes it; `transition_events` replays a decision's events over the
table to give each one its own resulting status. The other builders cover what happens beside
the transition table: an invoice sent, a receipt submitted, a notification attempt or an
operator's redelivery. Nothing here performs I/O; `service.writes` stores what these return.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from .ledger import Transfer, TransferKind, merchant_account
from .machine import Decision
from .records import (
    Actor,
    DeliveryAttempt,
    EventKind,
    Invoice,
    InvoiceEvent,
    Notification,
    Refund,
)
from .states import WIRE, Event, State, next_state

K, A = EventKind, Actor

#: event -> (what it records, who causes it in the use case that decides it). An event missing
#: here (REQUIRE_ACK) records nothing of its own: the status it leads to shows on the event
#: before it (a view that asks the merchant to acknowledge).
KINDS: dict[Event, tuple[EventKind, Actor]] = {
    Event.VIEW: (K.VIEWED, A.CUSTOMER),
    Event.UPDATE: (K.UPDATED, A.TERMINAL),
    Event.CONFIRM_PIN: (K.PAYING, A.CUSTOMER),
    Event.DEBIT_OK: (K.PAID, A.CUSTOMER),
    Event.RESERVE_OK: (K.RESERVED, A.CUSTOMER),
    Event.DECLINED: (K.FAILED, A.CUSTOMER),
    Event.PROVIDER_UNAVAILABLE: (K.FAILED, A.CUSTOMER),  # the attempt failed; payable again
    Event.PAYING_TIMEOUT: (K.FAILED, A.SYSTEM),
    Event.PIN_LOCKED: (K.FAILED, A.CUSTOMER),
    Event.ACKNOWLEDGE: (K.ACKNOWLEDGED, A.TERMINAL),
    Event.ACK_WINDOW_ELAPSED: (K.REVERSED, A.SYSTEM),
    Event.MERCHANT_CANCEL: (K.CANCELLED, A.TERMINAL),
    Event.SUPERSEDE: (K.CANCELLED, A.TERMINAL),
    Event.USER_CANCEL: (K.CANCELLED, A.CUSTOMER),
    Event.COMMIT: (K.COMMITTED, A.TERMINAL),
    Event.COMMIT_DEADLINE: (K.EXPIRED, A.SYSTEM),
    Event.EXPIRE: (K.EXPIRED, A.SYSTEM),
    Event.TERMINAL_UNREGISTERED: (K.CANCELLED, A.TERMINAL),
    Event.REFUND: (K.REFUNDED, A.TERMINAL),
}

#: kinds whose detail names why (the invoice's `reason`: declined, superseded, expired, ...)
_WITH_REASON = frozenset({K.FAILED, K.CANCELLED, K.EXPIRED, K.REVERSED})


def transition_events(
    before: Invoice,
    decision: Decision,
    at: datetime,
    actor: Actor | None = None,
    actor_id: str | None = None,
) -> list[InvoiceEvent]:
    """The history lines of one decision. `actor` overrides the table's (a deadline is the
    system's, a console action an operator's); the id defaults to the terminal or the payer."""
    after = decision.invoice
    steps: list[tuple[EventKind, Actor, State]] = []
    state = before.state
    for event in decision.events:
        state = next_state(state, event)
        entry = KINDS.get(event)
        if entry is not None:
            steps.append((entry[0], actor or entry[1], state))
        elif steps:  # folded into the line before: it shows the status this event led to
            steps[-1] = (*steps[-1][:2], state)
    if not steps:
        return []
    money = _money_detail(decision.transfers, after.reseller_id)
    version = str(after.version)
    out = []
    for kind, who, reached in steps:
        detail = {"status": _WIRE_TEXT[reached], "version": version}
        if kind in _WITH_REASON and after.reason:
            detail["reason"] = after.reason
        detail.update(money)
        who_id = actor_id if actor_id is not None else _usual_id(who, after)
        out.append(
            InvoiceEvent(
                None,
                after.reference,
                after.terminal_id,
                at,
                _TEXT[kind],
                _TEXT[who],
                who_id,
                detail,
            )
        )
    return out


#: the stored words, looked up once rather than through the enums' `value` on every line
_WIRE_TEXT = {state: wire.value for state, wire in WIRE.items()}
_TEXT: dict[EventKind | Actor, str] = {m: m.value for m in (*EventKind, *Actor)}


def _usual_id(actor: Actor, inv: Invoice) -> str | None:
    if actor is Actor.TERMINAL:
        return inv.terminal_id
    if actor is Actor.CUSTOMER:
        return inv.payer
    return None


def _money_detail(transfers: tuple[Transfer, ...], reseller_id: str) -> dict[str, str]:
    """The amount and ERS reference of the decision's money movement, if it moved any; for a
    commit, what the merchant got (the rest of the reservation went back to the customer)."""
    if not transfers:
        return {}
    first = transfers[0]
    credited = [e for e in first.entries if e.amount > 0]
    if first.kind is TransferKind.COMMIT:
        credited = [e for e in credited if e.account == merchant_account(reseller_id)]
    moved = sum((e.amount for e in credited), start=Decimal(0))
    detail = {"transfer": first.kind.value, "amount": f"{moved} {first.entries[0].currency}"}
    if first.ers_reference:
        detail["ers_reference"] = first.ers_reference
    return detail


def sent_event(inv: Invoice, at: datetime) -> InvoiceEvent:
    """sendInvoice stored a new invoice."""
    detail = {"status": inv.status.value, "total": f"{inv.total.amount} {inv.currency}"}
    if inv.client_invoice_id:
        detail["client_invoice_id"] = inv.client_invoice_id
    return InvoiceEvent(
        None, inv.reference, inv.terminal_id, at, K.SENT.value, A.TERMINAL.value,
        inv.terminal_id, detail,
    )  # fmt: skip


def receipt_event(
    of: Invoice | Refund, by_terminal: str, mime_type: str | None, size: int, at: datetime
) -> InvoiceEvent:
    """submitPaymentReceipt attached a document to a payment or to one of its refunds; any
    terminal of the shop may submit it, so `by_terminal` need not be the invoice's."""
    detail = {"ers_reference": of.ers_reference or "", "bytes": str(size)}
    if mime_type:
        detail["mime_type"] = mime_type[:100]
    reference = of.reference if isinstance(of, Invoice) else of.invoice_reference
    return InvoiceEvent(
        None, reference, of.terminal_id, at, K.RECEIPT_SUBMITTED.value, A.TERMINAL.value,
        by_terminal, detail,
    )  # fmt: skip


def attempt_event(attempt: DeliveryAttempt, outcome: Notification) -> InvoiceEvent:
    """One POST of a notification, at the moment it started: outcome, HTTP status or error,
    latency and attempt number. `outcome` is the row after the attempt (delivered, pending for
    a retry, or failed for good)."""
    detail = {
        "notification_id": attempt.notification_id,
        "attempt": str(attempt.attempt),
        "outcome": "retrying" if outcome.status == "pending" else outcome.status,
        "latency_ms": f"{attempt.duration_ms:.1f}",
    }
    if attempt.status_code is not None:
        detail["http_status"] = str(attempt.status_code)
    if attempt.error:
        detail["error"] = attempt.error[:300]
    return InvoiceEvent(
        None, outcome.invoice_reference, outcome.terminal_id, attempt.started_at,
        K.NOTIFICATION_ATTEMPT.value, A.SYSTEM.value, None, detail,
    )  # fmt: skip


def redelivery_event(n: Notification, operator: str | None, at: datetime) -> InvoiceEvent:
    """An operator asked for one more attempt of a notification."""
    detail = {"notification_id": n.notification_id, "attempt": str(n.attempts + 1)}
    return InvoiceEvent(
        None, n.invoice_reference, n.terminal_id, at, K.NOTIFICATION_REDELIVERED.value,
        A.OPERATOR.value, operator, detail,
    )  # fmt: skip
