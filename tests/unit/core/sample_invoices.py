"""The sample invoice and customer the core's unit tests decide on (`an_invoice(**changes)`)."""

from datetime import UTC, datetime

from openseqr.core import machine
from openseqr.core.money import Money
from openseqr.core.records import AckMode, Customer, Invoice, PaymentMode, Reseller
from openseqr.core.states import State

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
POLICY = machine.Policy()
ALICE = Customer("101", "46700000001", "hash", "Alice", "abc")
RESELLER = Reseller("shop", "9900", "hash", "Shop")


def an_invoice(**kw) -> Invoice:
    base = dict(
        reference="20260115000000001",
        terminal_id="t1",
        reseller_id="shop",
        state=State.ISSUED,
        version=1,
        payment_mode=PaymentMode.IMMEDIATE_DEBIT,
        ack_mode=AckMode.NO_ACKNOWLEDGMENT,
        issue_date=T0,
        total=Money.of("500", "SEK"),
        created_at=T0,
    )
    base.update(kw)
    return Invoice(**base)
