"""Which invoice changes count in `openseqr_payments_total`, decided for every transition."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from openseqr.core.records import Invoice
from openseqr.core.states import TRANSITIONS, Event, State
from openseqr.observability.metrics import payment_outcome
from tests.unit.core.sample_invoices import an_invoice as invoice_of

E = Event
#: the outcome each event's transition counts as (docs/operations.md); None: not counted
BY_EVENT: dict[Event, str | None] = {
    E.VIEW: None,
    E.REQUIRE_ACK: None,
    E.UPDATE: None,
    E.CONFIRM_PIN: None,
    E.DEBIT_OK: "paid",
    E.RESERVE_OK: "reserved",
    E.DECLINED: "failed",
    E.PROVIDER_UNAVAILABLE: None,
    E.PAYING_TIMEOUT: None,
    E.PIN_LOCKED: "failed",
    E.ACKNOWLEDGE: None,  # already counted as paid by the debit
    E.ACK_WINDOW_ELAPSED: "reversed",
    E.MERCHANT_CANCEL: "cancelled",
    E.SUPERSEDE: "cancelled",
    E.USER_CANCEL: "cancelled",
    E.COMMIT: "paid",  # the reservation's money moves now
    E.COMMIT_DEADLINE: "cancelled",
    E.EXPIRE: "cancelled",
    E.TERMINAL_UNREGISTERED: "cancelled",
    E.REFUND: "refunded",
}


def an_invoice(state: State, refunded: str = "0") -> Invoice:
    return invoice_of(state=state, refunded=Decimal(refunded))


def test_every_event_has_a_decided_outcome() -> None:
    assert set(BY_EVENT) == set(Event)


@pytest.mark.parametrize(("pair", "after"), TRANSITIONS.items(), ids=lambda x: str(x))
def test_each_transition_counts_as_its_event_says(pair: tuple[State, Event], after: State) -> None:
    state, event = pair
    before = an_invoice(state)
    changed = an_invoice(after, refunded="10" if event is E.REFUND else "0")
    assert payment_outcome(before, changed) == BY_EVENT[event]


def test_a_write_that_changes_nothing_counts_nothing() -> None:
    paid = an_invoice(State.PAID, refunded="10")
    assert payment_outcome(paid, replace(paid, version=2)) is None
