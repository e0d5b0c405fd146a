"""Invoice lifecycle: internal states (spec 8.2), wire statuses (WSDL), and THE transition table.

Every change of an invoice's state goes through `next_state`; a pair missing from
`TRANSITIONS` is not allowed. `docs/lifecycle.md` is generated from this table.
"""

from __future__ import annotations

from enum import Enum

from .errors import InvalidTransition


class WireStatus(str, Enum):
    """`invoiceStatus` as the WSDL spells it; values are the wire strings, never renamed."""

    ISSUED = "ISSUED"
    PAID = "PAID"
    PENDING_ISSUER_ACKNOWLEDGE = "PENDING_ISSUER_ACKNOWLEDGE"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    RESERVED = "RESERVED"


class State(str, Enum):
    ISSUED = "issued"  # not yet seen by any app
    VIEWED = "viewed"  # an app fetched it
    AWAITING_ACK = "awaiting_ack"  # merchant must acknowledge (updateInvoice)
    PAYING = "paying"  # PIN accepted, account provider working
    RESERVED = "reserved"  # amount held, commit deadline running
    PAID_UNACKED = "paid_unacked"  # acknowledgement window running
    PAID = "paid"  # acknowledged or committed; refundable
    REVERSED = "reversed"  # unacknowledged payment reversed
    CANCELLED = "cancelled"
    FAILED = "failed"


WIRE: dict[State, WireStatus] = {
    State.ISSUED: WireStatus.ISSUED,
    State.VIEWED: WireStatus.ISSUED,
    State.AWAITING_ACK: WireStatus.PENDING_ISSUER_ACKNOWLEDGE,
    State.PAYING: WireStatus.ISSUED,
    State.RESERVED: WireStatus.RESERVED,
    State.PAID_UNACKED: WireStatus.PAID,
    State.PAID: WireStatus.PAID,
    State.REVERSED: WireStatus.CANCELED,
    State.CANCELLED: WireStatus.CANCELED,
    State.FAILED: WireStatus.FAILED,
}


class Event(str, Enum):
    VIEW = "view"  # T2: an app fetched the invoice
    REQUIRE_ACK = "require_ack"  # T3
    UPDATE = "update"  # T4, T5, T15
    CONFIRM_PIN = "confirm_pin"  # T6
    DEBIT_OK = "debit_ok"  # T7
    RESERVE_OK = "reserve_ok"  # T8
    DECLINED = "declined"  # T9
    PROVIDER_UNAVAILABLE = "provider_unavailable"  # paying aborted, nothing moved
    PAYING_TIMEOUT = "paying_timeout"  # recovery: paying without outcome
    PIN_LOCKED = "pin_locked"  # the third wrong PIN fails the attempt (spec 13.7)
    ACKNOWLEDGE = "acknowledge"  # T10
    ACK_WINDOW_ELAPSED = "ack_window_elapsed"  # T11
    MERCHANT_CANCEL = "merchant_cancel"  # T12, T18
    SUPERSEDE = "supersede"  # T13
    USER_CANCEL = "user_cancel"  # T14
    COMMIT = "commit"  # T16
    COMMIT_DEADLINE = "commit_deadline"  # T17
    EXPIRE = "expire"  # T19
    TERMINAL_UNREGISTERED = "terminal_unregistered"  # T20
    REFUND = "refund"  # T21


S, E = State, Event
_UNPAID = (S.ISSUED, S.VIEWED, S.AWAITING_ACK)

TRANSITIONS: dict[tuple[State, Event], State] = {
    (S.ISSUED, E.VIEW): S.VIEWED,
    (S.VIEWED, E.VIEW): S.VIEWED,
    (S.AWAITING_ACK, E.VIEW): S.AWAITING_ACK,
    (S.VIEWED, E.REQUIRE_ACK): S.AWAITING_ACK,
    (S.AWAITING_ACK, E.UPDATE): S.VIEWED,
    (S.ISSUED, E.UPDATE): S.ISSUED,
    (S.VIEWED, E.UPDATE): S.VIEWED,
    (S.RESERVED, E.UPDATE): S.RESERVED,
    (S.ISSUED, E.CONFIRM_PIN): S.PAYING,
    (S.VIEWED, E.CONFIRM_PIN): S.PAYING,
    (S.PAYING, E.DEBIT_OK): S.PAID_UNACKED,
    (S.PAYING, E.RESERVE_OK): S.RESERVED,
    (S.PAYING, E.DECLINED): S.FAILED,
    (S.ISSUED, E.PIN_LOCKED): S.FAILED,
    (S.VIEWED, E.PIN_LOCKED): S.FAILED,
    (S.PAYING, E.PROVIDER_UNAVAILABLE): S.VIEWED,
    (S.PAYING, E.PAYING_TIMEOUT): S.VIEWED,
    (S.PAID_UNACKED, E.ACKNOWLEDGE): S.PAID,
    (S.PAID_UNACKED, E.ACK_WINDOW_ELAPSED): S.REVERSED,
    (S.RESERVED, E.COMMIT): S.PAID,
    (S.RESERVED, E.COMMIT_DEADLINE): S.CANCELLED,
    (S.RESERVED, E.MERCHANT_CANCEL): S.CANCELLED,
    (S.PAID, E.REFUND): S.PAID,
    **{(s, E.MERCHANT_CANCEL): S.CANCELLED for s in _UNPAID},
    **{(s, E.SUPERSEDE): S.CANCELLED for s in _UNPAID},
    **{(s, E.USER_CANCEL): S.CANCELLED for s in _UNPAID},
    **{(s, E.EXPIRE): S.CANCELLED for s in _UNPAID},
    **{(s, E.TERMINAL_UNREGISTERED): S.CANCELLED for s in (*_UNPAID, S.RESERVED)},
}

FINAL = frozenset({S.PAID, S.REVERSED, S.CANCELLED, S.FAILED})
LIVE = frozenset(_UNPAID)  # what a cash register's next sendInvoice supersedes


def next_state(state: State, event: Event) -> State:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise InvalidTransition(f"{event.value} is not allowed in state {state.value}") from None


def allows(state: State, event: Event) -> bool:
    return (state, event) in TRANSITIONS


# Guards asked by name instead of status tuples scattered over handlers.
def can_refund(state: State) -> bool:
    return allows(state, E.REFUND)


def can_commit(state: State) -> bool:
    return allows(state, E.COMMIT)


def is_payable(state: State) -> bool:
    return allows(state, E.CONFIRM_PIN)


def is_final(state: State) -> bool:
    return state in FINAL


def changes_wire_status(before: State, after: State) -> bool:
    return WIRE[before] is not WIRE[after]
