"""The invoice event history written by the use cases themselves, on SQLite and PostgreSQL, with
a hand-moved clock: what happened, in order, and who did it (A-47); retention (A-49)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from openseqr.core import errors, machine
from openseqr.core.invoicing import AmountDraft, InvoiceDraft
from openseqr.service import admin, merchant, wallet
from openseqr.service.auth import authenticate
from openseqr.service.deadlines import expire_due
from openseqr.service.events import invoice_history, purge_all, purge_batch
from openseqr.service.writes import persist

ALICE = ("46700000001", "1111")
DAVE = ("46700000004", "4444")  # the bank declines
TERMINAL = "public_test_shop_terminal"


def terminal(ctx):
    return authenticate(ctx, "TERMINALID", TERMINAL, None, "12345678")


def draft(value="500.00", **kw):
    return InvoiceDraft(total=AmountDraft(Decimal(value), "SEK"), title="Grand Cinema", **kw)


def story(ctx, reference):
    return [(e.kind, e.actor, e.actor_id) for e in invoice_history(ctx, reference)]


def alice(ctx):
    return wallet.customer_by_msisdn(ctx, ALICE[0])


def test_a_payment_acknowledged_by_the_status_poll(ctx, clock):
    caller = terminal(ctx)
    sent = merchant.send_invoice(ctx, caller, draft(client_invoice_id="order-4711"))
    merchant.get_payment_status(ctx, caller, sent.reference, 0)  # a poll changes nothing
    clock.advance(1)
    wallet.view_invoice(ctx, sent.reference, alice(ctx))
    wallet.view_invoice(ctx, sent.reference, alice(ctx))  # the app fetches again: no new fact
    clock.advance(1)
    wallet.pay(ctx, sent.reference, *ALICE)
    clock.advance(1)
    paid = merchant.get_payment_status(ctx, caller, sent.reference, 1)
    key = alice(ctx).subscriber_key
    assert story(ctx, sent.reference) == [
        ("sent", "terminal", TERMINAL),
        ("viewed", "customer", key),
        ("paying", "customer", key),
        ("paid", "customer", key),
        ("acknowledged", "terminal", TERMINAL),
    ]
    events = invoice_history(ctx, sent.reference)
    t0 = events[0].at
    assert [e.at - t0 for e in events] == [timedelta(seconds=s) for s in (0, 1, 2, 2, 3)]
    assert events[0].detail["client_invoice_id"] == "order-4711"
    assert events[3].detail["ers_reference"] == paid.ers_reference
    assert events[3].detail["amount"] == "500.00 SEK"
    assert [e.detail["status"] for e in events] == ["ISSUED", "ISSUED", "ISSUED", "PAID", "PAID"]


def test_the_acknowledgement_window_reverses_as_the_system(ctx, clock):
    sent = merchant.send_invoice(ctx, terminal(ctx), draft())
    wallet.pay(ctx, sent.reference, *ALICE)  # a deep link: viewed and paid in one call
    clock.advance(21)
    assert expire_due(ctx) == 1
    kinds = story(ctx, sent.reference)
    assert [k for k, _, _ in kinds] == ["sent", "viewed", "paying", "paid", "reversed"]
    reversed_ = invoice_history(ctx, sent.reference)[-1]
    assert (reversed_.actor, reversed_.actor_id, reversed_.at) == ("system", None, clock.now())
    assert reversed_.detail["reason"] == "reversed"


def test_refund_and_receipts(ctx):
    caller = terminal(ctx)
    sent = merchant.send_invoice(ctx, caller, draft("100.00"))
    wallet.pay(ctx, sent.reference, *ALICE)
    inv = merchant.get_payment_status(ctx, caller, sent.reference, 0)
    merchant.submit_payment_receipt(ctx, caller, inv.ers_reference, "text/plain", b"ok", None)
    refund = merchant.refund_payment(ctx, caller, inv.ers_reference, draft("60.00"))
    merchant.submit_payment_receipt(ctx, caller, refund.ers_reference, None, None, None)
    events = invoice_history(ctx, sent.reference)
    assert [e.kind for e in events][-3:] == ["receipt_submitted", "refunded", "receipt_submitted"]
    first, refunded, second = events[-3:]
    assert first.detail == {
        "ers_reference": inv.ers_reference,
        "bytes": "2",
        "mime_type": "text/plain",
    }
    assert (refunded.actor, refunded.detail["amount"]) == ("terminal", "60.00 SEK")
    assert refunded.detail["ers_reference"] == refund.ers_reference
    assert second.detail == {"ers_reference": refund.ers_reference, "bytes": "0"}


def test_failures_cancellations_and_expiry_say_why(ctx, clock):
    caller = terminal(ctx)
    declined = merchant.send_invoice(ctx, caller, draft())
    wallet.pay(ctx, declined.reference, *DAVE)
    failed = invoice_history(ctx, declined.reference)[-1]
    assert (failed.kind, failed.actor, failed.detail["status"]) == ("failed", "customer", "FAILED")
    assert failed.detail["reason"] == "declined by the account provider"

    by_customer = merchant.send_invoice(ctx, caller, draft())
    wallet.cancel(ctx, by_customer.reference, *ALICE)
    by_merchant = merchant.send_invoice(ctx, caller, draft())
    merchant.cancel_invoice(ctx, caller, by_merchant.reference)
    assert story(ctx, by_customer.reference)[-1][:2] == ("cancelled", "customer")
    assert story(ctx, by_merchant.reference)[-1] == ("cancelled", "terminal", TERMINAL)

    forgotten = merchant.send_invoice(ctx, caller, draft())
    clock.advance(24 * 3600 + 1)  # D-45: an online invoice lives a day
    expire_due(ctx)
    assert story(ctx, forgotten.reference)[-1] == ("expired", "system", None)


def test_an_update_is_the_terminals_and_carries_the_new_version(ctx):
    caller = terminal(ctx)
    sent = merchant.send_invoice(ctx, caller, draft())
    merchant.update_invoice(ctx, caller, sent.reference, draft("450.00"), None)
    updated = invoice_history(ctx, sent.reference)[-1]
    assert (updated.kind, updated.actor, updated.detail["version"]) == ("updated", "terminal", "2")


def test_events_are_written_in_the_transaction_of_the_change(ctx):
    """The event and the invoice row commit together or not at all."""
    sent = merchant.send_invoice(ctx, terminal(ctx), draft())
    customer = alice(ctx)
    with pytest.raises(RuntimeError), ctx.store.transaction() as tx:
        inv = tx.lock_invoice(sent.reference)
        term = tx.get_terminal(inv.terminal_id)
        persist(ctx, tx, inv, machine.view(inv, customer, ctx.now()), term)
        assert [e.kind for e in tx.invoice_events(sent.reference)] == ["sent", "viewed"]
        raise RuntimeError("something after the write failed")
    assert story(ctx, sent.reference) == [("sent", "terminal", TERMINAL)]
    with ctx.store.transaction(write=False) as tx:
        assert tx.get_invoice(sent.reference).payer is None


def test_a_lost_compare_and_set_writes_no_event(ctx):
    sent = merchant.send_invoice(ctx, terminal(ctx), draft())
    with ctx.store.transaction(write=False) as tx:
        stale = tx.get_invoice(sent.reference)
        term = tx.get_terminal(stale.terminal_id)
    wallet.view_invoice(ctx, sent.reference, alice(ctx))  # the row moved on meanwhile
    with pytest.raises(errors.PaymentInProgress), ctx.store.transaction() as tx:
        persist(ctx, tx, stale, machine.merchant_cancel(stale, ctx.now()), term)
    assert [k for k, _, _ in story(ctx, sent.reference)] == ["sent", "viewed"]


def test_an_operator_redelivery_is_recorded_with_the_operator(ctx):
    caller = terminal(ctx)
    sent = merchant.send_invoice(ctx, caller, draft(notification_url="http://127.0.0.1:9/n"))
    wallet.pay(ctx, sent.reference, *ALICE)
    (n,) = admin.list_notifications(ctx, sent.reference)
    admin.redeliver_notification(ctx, n.notification_id, operator="ops-anna")
    last = invoice_history(ctx, sent.reference)[-1]
    assert (last.kind, last.actor, last.actor_id) == (
        "notification_redelivered",
        "operator",
        "ops-anna",
    )
    assert last.detail == {"notification_id": n.notification_id, "attempt": "1"}


def test_unknown_reference_is_an_operator_error(ctx):
    with pytest.raises(admin.AdminError, match="no invoice"):
        invoice_history(ctx, "20990101000000000")


def test_retention_purges_old_events_only(ctx, clock):
    caller = terminal(ctx)
    old = merchant.send_invoice(ctx, caller, draft())
    clock.advance(10 * 86400)
    young = merchant.send_invoice(ctx, caller, draft())
    assert purge_batch(ctx, retention=timedelta(days=11)) == 0
    assert purge_all(ctx, timedelta(days=5)) == 1
    assert story(ctx, old.reference) == []  # the invoice stays; its history aged out
    assert [k for k, _, _ in story(ctx, young.reference)] == ["sent"]


def test_retention_off_keeps_everything(ctx, clock):
    ctx.config = replace(ctx.config, event_retention=None)
    sent = merchant.send_invoice(ctx, terminal(ctx), draft())
    clock.advance(10_000 * 86400)
    assert purge_batch(ctx) == 0
    assert [k for k, _, _ in story(ctx, sent.reference)] == ["sent"]
