"""Pure decisions: given an invoice, a command and `now`, return what must change.

A `Decision` carries the new invoice snapshot, the balanced ledger transfers and whether a
merchant notification is owed. The service layer persists all of it in one transaction, so no
caller can forget the ledger or the notification. Nothing here performs I/O or reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from . import errors
from .ledger import HOLDS, Transfer, TransferKind, customer_account, merchant_account, move, split
from .money import Money
from .records import (
    AckMode,
    Customer,
    CustomerMessage,
    Invoice,
    ProviderMode,
    Reseller,
    Token,
)
from .states import (
    LIVE,
    Event,
    State,
    allows,
    can_commit,
    can_refund,
    changes_wire_status,
    is_payable,
    next_state,
)


@dataclass(frozen=True, slots=True)
class Policy:
    """Timings and limits; from settings, never from a clock."""

    ack_window: timedelta | None = timedelta(seconds=20)  # None: never reverse (test mode)
    online_lifetime: timedelta | None = timedelta(hours=24)  # D-45
    cash_register_lifetime: timedelta | None = None  # until superseded
    paying_timeout: timedelta = timedelta(seconds=60)  # recovery of a stuck payment
    default_commit_timeout: int = 3600  # D-16, seconds
    max_amount: Decimal | None = Decimal("1000000")


@dataclass(frozen=True, slots=True)
class Decision:
    invoice: Invoice
    transfers: tuple[Transfer, ...] = ()
    notify: bool = False
    message: CustomerMessage | None = None
    # the table's events this decision applied, in order; `core.history` turns them into the
    # invoice's event history (empty: nothing to record, e.g. a re-fetch of a seen version)
    events: tuple[Event, ...] = ()


def then(first: Decision | None, second: Decision) -> Decision:
    """Two decisions taken one after the other on one invoice (`second` decided on
    `first.invoice`), written as one (A-39): the later snapshot; every tuple field (transfers,
    and whatever else a decision accumulates) joined in order; flags or'ed; other fields from
    `second` unless it has none."""
    if first is None:
        return second
    assert first.message is None or second.message is None, "one message per write"
    joined: dict[str, Any] = {"invoice": second.invoice}
    for name in _JOINED:
        a, b = getattr(first, name), getattr(second, name)
        if isinstance(a, tuple):
            joined[name] = a + b
        elif isinstance(a, bool):
            joined[name] = a or b
        else:
            joined[name] = b if b is not None else a
    return Decision(**joined)


_JOINED = tuple(f.name for f in fields(Decision) if f.name != "invoice")


def _apply(inv: Invoice, event: Event, *, bump: bool = False, **changes: Any) -> Invoice:
    """Move through the table; the version goes up by one when the wire status changes or the
    event itself counts as a change (`bump`, e.g. updateInvoice) (D-13)."""
    version = int(changes.pop("version", inv.version))
    state, version = _through(inv.state, version, (event,), bump)
    return replace(inv, state=state, version=version, **changes)


def _through(
    state: State, version: int, events: tuple[Event, ...], bump: bool = False
) -> tuple[State, int]:
    """The state and version after `events`, one after the other (see `_apply`)."""
    for event in events:
        after = next_state(state, event)
        version += int(bump or changes_wire_status(state, after))
        state = after
    return state, version


def expiry_deadline(now: datetime, policy: Policy, cash_register: bool) -> datetime | None:
    """When an unpaid invoice expires (D-45): online after a lifetime, cash registers never."""
    life = policy.cash_register_lifetime if cash_register else policy.online_lifetime
    return now + life if life is not None else None


# -- the app's side ------------------------------------------------------------------------
def view(inv: Invoice, customer: Customer, now: datetime) -> Decision:
    """T2/T3: an app fetched the invoice. Binds the payer, adds stored tokens (D-64)."""
    version = inv.version
    tokens = inv.tokens
    first_view = inv.state is State.ISSUED
    if first_view or inv.payer != customer.subscriber_key:
        swiped_ids = {t.id for t in inv.tokens}
        new = tuple(
            Token(t.id, t.value, 0, t.description)
            for t in customer.tokens
            if t.id not in swiped_ids and t.identity not in {x.identity for x in inv.tokens}
        )
        if new:
            tokens = inv.tokens + new
            version += 1
    needs_ack = inv.ack_mode is AckMode.REQUIRE_ACKNOWLEDGMENT or (
        inv.ack_mode is AckMode.OPTIONAL_ACKNOWLEDGMENT and bool(tokens)
    )
    events = (Event.VIEW, Event.REQUIRE_ACK) if first_view and needs_ack else (Event.VIEW,)
    state, version = _through(inv.state, version, events)
    # the same customer fetching the version it has already seen is no new fact (app polling)
    news = inv.payer != customer.subscriber_key or inv.viewed_version != version
    viewed = replace(
        inv,
        state=state,
        version=version,
        tokens=tokens,
        payer=customer.subscriber_key,
        payer_terminal_id=customer.payer_terminal_id,
        viewed_version=version,
    )
    return Decision(viewed, events=events if news else ())


def start_payment(
    inv: Invoice, customer: Customer, shown_version: int | None, now: datetime, policy: Policy
) -> Decision:
    """T6: PIN accepted. Only one attempt can win (the store compares-and-sets on `rev`)."""
    if inv.state is State.PAYING:
        raise errors.PaymentInProgress()
    if inv.state is State.AWAITING_ACK:
        raise errors.NotPayable("waiting for the merchant to confirm the amount")
    if not is_payable(inv.state):
        raise errors.NotPayable(f"invoice is {inv.status.value}")
    if shown_version is not None and shown_version != inv.version:
        raise errors.InvoiceChanged()
    paying = _apply(
        inv,
        Event.CONFIRM_PIN,
        payer=customer.subscriber_key,
        payer_terminal_id=customer.payer_terminal_id,
        deadline_at=now + policy.paying_timeout,
    )
    return Decision(paying, events=(Event.CONFIRM_PIN,))


def debit(inv: Invoice, ers_reference: str, now: datetime, policy: Policy) -> Decision:
    """T7: the provider debited the customer. Notification owed; acknowledgement window opens."""
    assert inv.payer is not None
    transfer = move(
        TransferKind.PAYMENT,
        customer_account(inv.payer),
        merchant_account(inv.reseller_id),
        inv.total,
        invoice_reference=inv.reference,
        ers_reference=ers_reference,
        at=now,
    )
    window = policy.ack_window
    paid = _apply(
        inv,
        Event.DEBIT_OK,
        ers_reference=ers_reference,
        paid_at=now,
        deadline_at=now + window if window is not None else None,
    )
    return Decision(paid, (transfer,), notify=True, events=(Event.DEBIT_OK,))


def reserve(inv: Invoice, now: datetime, policy: Policy) -> Decision:
    """T8: the provider reserved the amount; the commit timer starts (D-02: notify)."""
    assert inv.payer is not None
    transfer = move(
        TransferKind.RESERVATION,
        customer_account(inv.payer),
        HOLDS,
        inv.total,
        invoice_reference=inv.reference,
        at=now,
    )
    timeout = inv.commit_timeout or policy.default_commit_timeout
    reserved = _apply(
        inv, Event.RESERVE_OK, reserved=inv.total, deadline_at=now + timedelta(seconds=timeout)
    )
    return Decision(reserved, (transfer,), notify=True, events=(Event.RESERVE_OK,))


def provider_outcome(
    paying: Invoice,
    mode: ProviderMode,
    available: Decimal,
    ers_reference: str,
    now: datetime,
    policy: Policy,
    cash_register: bool,
) -> Decision:
    """T7/T8/T9: what the account provider answers for a customer holding `available`.
    A customer who cannot cover the total is declined here, before anything is written."""
    if mode is ProviderMode.UNAVAILABLE:
        return provider_unavailable(paying, now, policy, cash_register)
    if mode is ProviderMode.DECLINE:
        return decline(paying, "declined by the account provider", now)
    if available < paying.total.amount:
        return decline(paying, "insufficient funds", now)
    if paying.payment_mode.reserves:
        return reserve(paying, now, policy)
    return debit(paying, ers_reference, now, policy)


def decline(inv: Invoice, reason: str, now: datetime) -> Decision:
    """T9: the provider declined; the invoice fails."""
    declined = _apply(inv, Event.DECLINED, reason=reason, deadline_at=None)
    return Decision(declined, events=(Event.DECLINED,))


def pin_locked(inv: Invoice, now: datetime) -> Decision:
    """The third wrong PIN on this invoice fails it (spec 13.7); nothing moved."""
    locked = _apply(inv, Event.PIN_LOCKED, reason="PIN locked", deadline_at=None)
    return Decision(locked, events=(Event.PIN_LOCKED,))


def provider_unavailable(
    inv: Invoice, now: datetime, policy: Policy, cash_register: bool
) -> Decision:
    """Nothing moved; the invoice is payable again."""
    return Decision(
        _apply(
            inv,
            Event.PROVIDER_UNAVAILABLE,
            deadline_at=expiry_deadline(now, policy, cash_register),
        ),
        events=(Event.PROVIDER_UNAVAILABLE,),
    )


def user_cancel(inv: Invoice, now: datetime) -> Decision:
    """T14: the customer pressed cancel in the app (D-28)."""
    if inv.state is State.PAYING:
        raise errors.CannotCancelInProgress()
    if inv.state not in LIVE:
        raise errors.NotPayable(f"invoice is {inv.status.value}")
    cancelled = _apply(inv, Event.USER_CANCEL, reason="user", deadline_at=None)
    return Decision(cancelled, events=(Event.USER_CANCEL,))


# -- the merchant's side -------------------------------------------------------------------
def acknowledge(inv: Invoice, now: datetime) -> Decision:
    """T10: a PAID status was returned to the owning terminal (D-11); the payment settles."""
    acked = _apply(inv, Event.ACKNOWLEDGE, deadline_at=None, settled_at=now)
    return Decision(acked, events=(Event.ACKNOWLEDGE,))


def status_read(
    inv: Invoice, version: int | None, now: datetime, policy: Policy, cash_register: bool
) -> Decision | None:
    """The owning terminal read the status (D-11, D-64): a PAID payment is acknowledged (or,
    past its window, reversed) and tokens up to `version` count as seen. None: no write."""
    decision = None
    if inv.state is State.PAID_UNACKED:
        decision = deadline_passed(inv, now, policy, cash_register) or acknowledge(inv, now)
    current = decision.invoice if decision is not None else inv
    if version is not None and version > current.acked_version and current.tokens:
        seen = replace(current, acked_version=min(version, current.version))
        decision = replace(decision, invoice=seen) if decision is not None else Decision(seen)
    return decision


def merchant_cancel(inv: Invoice, now: datetime) -> Decision:
    """T12/T18 with the result rules of spec 7.7."""
    state = inv.state
    if state in (State.PAID, State.PAID_UNACKED):
        raise errors.CannotCancelPaid()
    if state is State.PAYING:
        raise errors.CannotCancelInProgress()
    if state in (State.CANCELLED, State.REVERSED, State.FAILED):
        raise errors.AlreadyCanceled()
    transfers = (_release(inv, now),) if state is State.RESERVED else ()
    cancelled = _apply(inv, Event.MERCHANT_CANCEL, reason="merchant", deadline_at=None)
    return Decision(cancelled, transfers, events=(Event.MERCHANT_CANCEL,))


def supersede(inv: Invoice, now: datetime) -> Decision:
    """T13: a cash register sent a new invoice; the live one is cancelled without notification."""
    superseded = _apply(inv, Event.SUPERSEDE, reason="superseded", deadline_at=None)
    return Decision(superseded, events=(Event.SUPERSEDE,))


def terminal_unregistered(inv: Invoice, now: datetime) -> Decision:
    """T20."""
    transfers = (_release(inv, now),) if inv.state is State.RESERVED else ()
    return Decision(
        _apply(inv, Event.TERMINAL_UNREGISTERED, reason="terminal_unregistered", deadline_at=None),
        transfers,
        events=(Event.TERMINAL_UNREGISTERED,),
    )


def update(
    inv: Invoice, merge: Callable[[Invoice], Invoice], tokens: tuple[Token, ...] | None
) -> Decision:
    """T4/T5/T15: `merge` validates the merchant's changes into the content (see invoicing);
    it runs only once the state allows an update, so a state error wins over a data error."""
    if inv.state is State.PAYING:
        raise errors.PaymentInProgress()
    if not allows(inv.state, Event.UPDATE):
        raise errors.InvoiceFinal()
    updated = merge(inv)
    if inv.state is State.RESERVED:
        assert inv.reserved is not None
        if inv.reserved < updated.total:
            raise errors.AmountRejected("the new total is above the reserved amount")
    merged_tokens = _merge_tokens(inv.tokens, tokens or ())
    new = _apply(
        replace(updated, state=inv.state, tokens=merged_tokens, version=inv.version),
        Event.UPDATE,
        bump=True,
    )
    return Decision(new, events=(Event.UPDATE,))


def commit(inv: Invoice, amount: Money | None, ers_reference: str, now: datetime) -> Decision:
    """T16: take the final amount from the reservation; the rest goes back (D-16)."""
    if not can_commit(inv.state):
        if inv.state is State.CANCELLED and inv.reason == "expired" and inv.reserved is not None:
            raise errors.ReservationExpired()
        raise errors.NotReserved()
    assert inv.reserved is not None and inv.payer is not None
    final = amount if amount is not None else inv.total
    if final.currency != inv.currency:
        raise errors.InvalidCurrency("commit currency differs from the invoice")
    if not final.is_positive or inv.reserved < final:
        raise errors.AmountRejected(
            "commit amount must be positive and at most the reserved amount"
        )
    transfer = split(
        TransferKind.COMMIT,
        HOLDS,
        [
            (merchant_account(inv.reseller_id), final),
            (customer_account(inv.payer), inv.reserved - final),
        ],
        invoice_reference=inv.reference,
        ers_reference=ers_reference,
        at=now,
    )
    paid = _apply(
        inv,
        Event.COMMIT,
        total=final,
        ers_reference=ers_reference,
        paid_at=now,
        settled_at=now,
        deadline_at=None,
    )
    return Decision(paid, (transfer,), events=(Event.COMMIT,))


def refund(
    inv: Invoice, amount: Money, refund_reference: str, reseller: Reseller, now: datetime
) -> Decision:
    """T21: partial refunds up to the paid amount; the invoice stays PAID (D-51)."""
    if not reseller.refunds_allowed:
        raise errors.RefundNotAllowed()
    if not reseller.receiver_allows_refunds:
        raise errors.ReceiverRefusesRefunds()
    if not can_refund(inv.state) or inv.payer is None:
        raise errors.InvalidErsReference("only acknowledged payments can be refunded")
    if amount.currency != inv.currency:
        raise errors.InvalidCurrency("refund currency differs from the payment")
    if not amount.is_positive:
        raise errors.AmountRejected("refund amount must be positive")
    if inv.refunded + amount.amount > inv.total.amount:
        raise errors.RefundExceedsOriginal()
    transfer = move(
        TransferKind.REFUND,
        merchant_account(inv.reseller_id),
        customer_account(inv.payer),
        amount,
        invoice_reference=inv.reference,
        ers_reference=refund_reference,
        at=now,
    )
    refunded = _apply(inv, Event.REFUND, refunded=inv.refunded + amount.amount)
    return Decision(refunded, (transfer,), events=(Event.REFUND,))


# -- deadlines -----------------------------------------------------------------------------
def deadline_passed(
    inv: Invoice, now: datetime, policy: Policy, cash_register: bool
) -> Decision | None:
    """The one place a stored deadline turns into a transition; None if nothing is due."""
    if inv.deadline_at is None or inv.deadline_at > now:
        return None
    state = inv.state
    if state is State.PAID_UNACKED:
        assert inv.payer is not None
        transfer = move(
            TransferKind.REVERSAL,
            merchant_account(inv.reseller_id),
            customer_account(inv.payer),
            inv.total,
            invoice_reference=inv.reference,
            ers_reference=inv.ers_reference,
            at=now,
        )
        text = (
            f"Your payment of {inv.total} to {inv.title or 'the merchant'} was reversed because the "
            "merchant did not confirm it. The money is back on your account."
        )
        message = CustomerMessage(inv.payer, text, now, inv.reference)
        reversed_ = _apply(inv, Event.ACK_WINDOW_ELAPSED, reason="reversed", deadline_at=None)
        return Decision(reversed_, (transfer,), message=message, events=(Event.ACK_WINDOW_ELAPSED,))
    if state is State.RESERVED:
        return Decision(
            _apply(inv, Event.COMMIT_DEADLINE, reason="expired", deadline_at=None),
            (_release(inv, now),),
            events=(Event.COMMIT_DEADLINE,),
        )
    if state in LIVE:
        expired = _apply(inv, Event.EXPIRE, reason="expired", deadline_at=None)
        return Decision(expired, events=(Event.EXPIRE,))
    if state is State.PAYING:
        return provider_unavailable(inv, now, policy, cash_register)
    return None


def _release(inv: Invoice, now: datetime) -> Transfer:
    assert inv.reserved is not None and inv.payer is not None
    return move(
        TransferKind.RELEASE,
        HOLDS,
        customer_account(inv.payer),
        inv.reserved,
        invoice_reference=inv.reference,
        at=now,
    )


def _merge_tokens(current: tuple[Token, ...], resolved: tuple[Token, ...]) -> tuple[Token, ...]:
    """Tokens the merchant resolved replace ours with the same identity; new ones are added."""
    by_identity = {t.identity: t for t in current}
    for t in resolved:
        by_identity[t.identity] = t
    return tuple(by_identity.values())
