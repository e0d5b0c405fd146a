"""Decisions of the domain core: ledger transfers, notifications, versions (spec 8)."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from openseqr.core import errors, machine
from openseqr.core.ledger import HOLDS, TransferKind
from openseqr.core.money import Money
from openseqr.core.records import (
    AckMode,
    PaymentMode,
    Token,
)
from openseqr.core.states import State, WireStatus
from tests.unit.core.sample_invoices import ALICE, POLICY, RESELLER, T0, an_invoice


def paid(inv=None):
    inv = inv or an_invoice()
    inv = machine.view(inv, ALICE, T0).invoice
    inv = machine.start_payment(inv, ALICE, inv.version, T0, POLICY).invoice
    return machine.debit(inv, "E1", T0, POLICY)


def test_view_keeps_wire_status_and_version_without_tokens():
    d = machine.view(an_invoice(), ALICE, T0)
    assert d.invoice.state is State.VIEWED and d.invoice.status is WireStatus.ISSUED
    assert d.invoice.version == 1 and d.invoice.payer == "101"


def test_debit_moves_money_and_owes_a_notification():
    d = paid()
    assert d.invoice.status is WireStatus.PAID and d.invoice.version == 2
    assert d.notify
    (t,) = d.transfers
    assert t.kind is TransferKind.PAYMENT
    assert {(e.account, e.amount) for e in t.entries} == {
        ("customer:101", Decimal("-500.00")),
        ("merchant:shop", Decimal("500.00")),
    }
    assert d.invoice.deadline_at == T0 + timedelta(seconds=20)


def test_unacknowledged_payment_is_reversed_after_the_window():
    inv = paid().invoice
    assert machine.deadline_passed(inv, T0 + timedelta(seconds=19), POLICY, False) is None
    d = machine.deadline_passed(inv, T0 + timedelta(seconds=20), POLICY, False)
    assert d.invoice.status is WireStatus.CANCELED and d.invoice.reason == "reversed"
    assert d.invoice.version == 3 and not d.notify and d.message is not None
    (t,) = d.transfers
    assert {(e.account, e.amount) for e in t.entries} == {
        ("customer:101", Decimal("500.00")),
        ("merchant:shop", Decimal("-500.00")),
    }


def test_acknowledged_payment_has_no_deadline():
    inv = machine.acknowledge(paid().invoice, T0).invoice
    assert inv.state is State.PAID and inv.deadline_at is None and inv.version == 2


def test_pay_refused_when_the_shown_version_is_stale():
    inv = machine.view(an_invoice(), ALICE, T0).invoice
    with pytest.raises(errors.InvoiceChanged):
        machine.start_payment(inv, ALICE, inv.version - 1, T0, POLICY)


def test_require_ack_blocks_payment_until_update():
    inv = an_invoice(ack_mode=AckMode.REQUIRE_ACKNOWLEDGMENT)
    viewed = machine.view(inv, ALICE, T0).invoice
    assert viewed.status is WireStatus.PENDING_ISSUER_ACKNOWLEDGE and viewed.version == 2
    with pytest.raises(errors.NotPayable):
        machine.start_payment(viewed, ALICE, None, T0, POLICY)
    updated = machine.update(
        viewed, lambda i: replace(i, total=Money.of("450", "SEK")), None
    ).invoice
    assert updated.status is WireStatus.ISSUED and updated.version == 3
    assert machine.start_payment(updated, ALICE, 3, T0, POLICY).invoice.state is State.PAYING


def test_optional_ack_only_with_tokens():
    frida = replace(ALICE, tokens=(Token("X_CARD", "2610411111110", 0, "X Club"),))
    inv = an_invoice(ack_mode=AckMode.OPTIONAL_ACKNOWLEDGMENT)
    assert machine.view(inv, ALICE, T0).invoice.status is WireStatus.ISSUED
    d = machine.view(inv, frida, T0)
    assert d.invoice.status is WireStatus.PENDING_ISSUER_ACKNOWLEDGE
    assert d.invoice.tokens[0].value == "2610411111110" and d.invoice.version == 3


@pytest.mark.parametrize(
    ("state", "error"),
    [
        (State.PAID, errors.CannotCancelPaid),
        (State.PAYING, errors.CannotCancelInProgress),
        (State.CANCELLED, errors.AlreadyCanceled),
        (State.FAILED, errors.AlreadyCanceled),
    ],
)
def test_cancel_rules(state, error):
    with pytest.raises(error):
        machine.merchant_cancel(an_invoice(state=state), T0)


def test_reservation_commit_returns_the_remainder():
    inv = an_invoice(payment_mode=PaymentMode.RESERVATION_REQUIRED, commit_timeout=60)
    inv = machine.start_payment(
        machine.view(inv, ALICE, T0).invoice, ALICE, None, T0, POLICY
    ).invoice
    reserved = machine.reserve(inv, T0, POLICY)
    assert reserved.invoice.status is WireStatus.RESERVED and reserved.notify
    assert reserved.invoice.deadline_at == T0 + timedelta(seconds=60)
    d = machine.commit(reserved.invoice, Money.of("300", "SEK"), "E2", T0)
    assert d.invoice.state is State.PAID and d.invoice.total == Money.of("300", "SEK")
    (t,) = d.transfers
    got = {(e.account, e.amount) for e in t.entries}
    assert got == {
        (HOLDS, Decimal("-500.00")),
        ("merchant:shop", Decimal("300.00")),
        ("customer:101", Decimal("200.00")),
    }
    with pytest.raises(errors.AmountRejected):
        machine.commit(reserved.invoice, Money.of("501", "SEK"), "E3", T0)


def test_expired_reservation_is_released_and_reported_on_commit():
    inv = an_invoice(payment_mode=PaymentMode.RESERVATION_REQUIRED, commit_timeout=60)
    inv = machine.start_payment(
        machine.view(inv, ALICE, T0).invoice, ALICE, None, T0, POLICY
    ).invoice
    reserved = machine.reserve(inv, T0, POLICY).invoice
    d = machine.deadline_passed(reserved, T0 + timedelta(seconds=61), POLICY, False)
    assert d.invoice.status is WireStatus.CANCELED and d.transfers[0].kind is TransferKind.RELEASE
    with pytest.raises(errors.ReservationExpired):
        machine.commit(d.invoice, None, "E9", T0)


def test_refunds_are_partial_and_capped():
    inv = machine.acknowledge(paid().invoice, T0).invoice
    first = machine.refund(inv, Money.of("200", "SEK"), "R1", RESELLER, T0).invoice
    assert first.refunded == Decimal("200.00") and first.status is WireStatus.PAID
    second = machine.refund(first, Money.of("300", "SEK"), "R2", RESELLER, T0).invoice
    with pytest.raises(errors.RefundExceedsOriginal):
        machine.refund(second, Money.of("0.01", "SEK"), "R3", RESELLER, T0)
    with pytest.raises(errors.RefundNotAllowed):
        machine.refund(
            inv, Money.of("1", "SEK"), "R4", replace(RESELLER, refunds_allowed=False), T0
        )


def test_stuck_payment_becomes_payable_again():
    inv = machine.view(an_invoice(), ALICE, T0).invoice
    paying = machine.start_payment(inv, ALICE, None, T0, POLICY).invoice
    d = machine.deadline_passed(paying, T0 + POLICY.paying_timeout, POLICY, False)
    assert d.invoice.state is State.VIEWED and not d.transfers


def test_decisions_in_a_row_are_written_as_one():
    """A-39: view, attempt and debit become one write that keeps what each step owed."""
    viewed = machine.view(an_invoice(), ALICE, T0)
    start = machine.start_payment(viewed.invoice, ALICE, None, T0, POLICY)
    debit = machine.debit(start.invoice, "E1", T0, POLICY)
    one = machine.then(machine.then(viewed, start), debit)
    assert one.invoice == debit.invoice and one.invoice.payer == "101"
    assert one.transfers == debit.transfers and one.notify
    assert machine.then(None, debit) is debit


def test_decisions_in_a_row_keep_both_ledgers():
    inv = machine.view(an_invoice(payment_mode=PaymentMode.RESERVATION_REQUIRED), ALICE, T0).invoice
    inv = machine.start_payment(inv, ALICE, None, T0, POLICY).invoice
    reserved = machine.reserve(inv, T0, POLICY)
    assert reserved.invoice.state is State.RESERVED
    cancel = machine.merchant_cancel(reserved.invoice, T0)
    one = machine.then(reserved, cancel)
    assert one.transfers == reserved.transfers + cancel.transfers
    assert one.invoice.state is State.CANCELLED and one.notify
