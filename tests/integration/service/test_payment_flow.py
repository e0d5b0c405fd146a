"""The payment lifecycle through the service layer on a real database, with a moved clock."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openseqr.core import errors
from openseqr.core.invoicing import AmountDraft, InvoiceDraft
from openseqr.core.ledger import customer_account, merchant_account
from openseqr.core.states import WireStatus
from openseqr.service import merchant, wallet
from openseqr.service.auth import authenticate
from openseqr.service.deadlines import expire_due

ALICE = ("46700000001", "1111")
CAROL = ("46700000003", "3333")  # empty SEK account
DAVE = ("46700000004", "4444")  # the bank declines


def terminal(ctx):
    return authenticate(ctx, "TERMINALID", "public_test_shop_terminal", None, "12345678")


def draft(value="500.00", currency="SEK", **kw):
    return InvoiceDraft(total=AmountDraft(Decimal(value), currency), title="Grand Cinema", **kw)


def balance(ctx, account, currency="SEK"):
    with ctx.store.transaction(write=False) as tx:
        return tx.balance(account, currency)


def ledger_is_balanced(ctx):
    with ctx.store.transaction(write=False) as tx:
        return all(v == 0 for v in tx.entry_sums().values()) and tx.balances_match_entries()


def test_pay_then_acknowledge_by_polling(ctx, clock):
    caller = terminal(ctx)
    sent = merchant.send_invoice(ctx, caller, draft())
    assert sent.qr_code == f"HTTP://SEQR.SE/R{sent.reference}"
    inv = merchant.get_payment_status(ctx, caller, sent.reference, 0)
    assert inv.status is WireStatus.ISSUED and inv.version == 1
    before = balance(ctx, "customer:101")
    wallet.pay(ctx, sent.reference, *ALICE)
    clock.advance(1)
    inv = merchant.get_payment_status(ctx, caller, sent.reference, 1)
    assert inv.status is WireStatus.PAID and inv.ers_reference and len(inv.ers_reference) == 25
    clock.advance(60)
    expire_due(ctx)
    assert merchant.get_payment_status(ctx, caller, sent.reference, 2).status is WireStatus.PAID
    assert balance(ctx, "customer:101") == before - Decimal("500.00")
    assert balance(ctx, merchant_account("public_test_shop")) == Decimal("500.00")
    assert ledger_is_balanced(ctx)


def test_unacknowledged_payment_is_reversed_and_refunded(ctx, clock):
    caller = terminal(ctx)
    sent = merchant.send_invoice(ctx, caller, draft())
    before = balance(ctx, customer_account("101"))
    wallet.pay(ctx, sent.reference, *ALICE)
    assert balance(ctx, customer_account("101")) == before - Decimal("500.00")
    clock.advance(19)
    assert expire_due(ctx) == 0
    clock.advance(2)
    assert expire_due(ctx) == 1
    inv = merchant.get_payment_status(ctx, caller, sent.reference, 0)
    assert inv.status is WireStatus.CANCELED and inv.reason == "reversed"
    assert balance(ctx, customer_account("101")) == before
    assert balance(ctx, merchant_account("public_test_shop")) == 0
    customer = wallet.customer_by_msisdn(ctx, ALICE[0])
    assert any("reversed" in m.text for m in wallet.wallet(ctx, customer).messages)
    assert ledger_is_balanced(ctx)


def test_a_late_poll_after_the_window_does_not_acknowledge(ctx, clock):
    caller = terminal(ctx)
    sent = merchant.send_invoice(ctx, caller, draft())
    wallet.pay(ctx, sent.reference, *ALICE)
    clock.advance(25)  # the scanner has not run yet: the poll itself must not save the payment
    assert merchant.get_payment_status(ctx, caller, sent.reference, 0).status is WireStatus.CANCELED
    assert ledger_is_balanced(ctx)


def test_empty_account_fails_and_declined_fails(ctx):
    caller = terminal(ctx)
    for who in (CAROL, DAVE):
        sent = merchant.send_invoice(ctx, caller, draft())
        view = wallet.pay(ctx, sent.reference, *who)
        assert view.invoice.status is WireStatus.FAILED
        assert (
            merchant.get_payment_status(ctx, caller, sent.reference, 0).status is WireStatus.FAILED
        )
    assert ledger_is_balanced(ctx)


def test_wrong_pin_three_times_locks_and_fails_the_payment(ctx):
    caller = terminal(ctx)
    sent = merchant.send_invoice(ctx, caller, draft())
    # D-46b: the invoice Bob opened in his own session fails with the PIN that locks his wallet.
    wallet.view_invoice(ctx, sent.reference, wallet.customer_by_msisdn(ctx, "46700000002"))
    for _ in range(2):
        with pytest.raises(errors.WrongPin):
            wallet.pay(ctx, sent.reference, "46700000002", "0000", opened_by="102")
    assert merchant.get_payment_status(ctx, caller, sent.reference, 0).status is WireStatus.ISSUED
    with pytest.raises(errors.PinLocked):
        wallet.pay(ctx, sent.reference, "46700000002", "0000", opened_by="102")
    assert merchant.get_payment_status(ctx, caller, sent.reference, 0).status is WireStatus.FAILED
    other = merchant.send_invoice(ctx, caller, draft())
    with pytest.raises(errors.PinLocked):
        wallet.pay(ctx, other.reference, "46700000002", "2222")  # even the right PIN now
    assert merchant.get_payment_status(ctx, caller, other.reference, 0).status is WireStatus.ISSUED


def test_another_terminal_never_sees_the_invoice(ctx):
    caller = terminal(ctx)
    sent = merchant.send_invoice(ctx, caller, draft())
    reseller = authenticate(ctx, "RESELLERUSER", "public_test_shop", "9900", "1234")
    till = merchant.register_terminal(ctx, reseller, "Store 1/Till 1", "secret-pw", "Till 1")
    other = authenticate(ctx, "TERMINALID", till.terminal_id, None, "secret-pw")
    with pytest.raises(errors.InvoiceNotFound):
        merchant.get_payment_status(ctx, other, sent.reference, 0)
    with pytest.raises(errors.InvoiceNotFound):
        merchant.cancel_invoice(ctx, other, sent.reference)


def test_refunds_partial_and_capped(ctx):
    caller = terminal(ctx)
    sent = merchant.send_invoice(ctx, caller, draft("100.00"))
    wallet.pay(ctx, sent.reference, *ALICE)
    inv = merchant.get_payment_status(ctx, caller, sent.reference, 0)
    r1 = merchant.refund_payment(ctx, caller, inv.ers_reference, draft("60.00"))
    assert r1.ers_reference != inv.ers_reference
    with pytest.raises(errors.RefundExceedsOriginal):
        merchant.refund_payment(ctx, caller, inv.ers_reference, draft("40.01"))
    merchant.refund_payment(ctx, caller, inv.ers_reference, draft("40.00"))
    assert balance(ctx, merchant_account("public_test_shop")) == 0
    assert ledger_is_balanced(ctx)
