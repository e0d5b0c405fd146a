"""The console dashboard's numbers from real payments on a real database (A-59)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from openseqr.core.invoicing import AmountDraft, InvoiceDraft
from openseqr.core.records import DeliveryAttempt, Reseller, Terminal, TerminalKind
from openseqr.service import merchant, wallet
from openseqr.service.auth import authenticate
from openseqr.service.console_dashboard import dashboard
from openseqr.service.deadlines import expire_due
from openseqr.service.security import hash_secret

ALICE = ("46700000001", "1111")
DAVE = ("46700000004", "4444")  # the bank declines
HOOK = "http://127.0.0.1:9/paid"  # never called: no relay runs in these tests


def send(ctx, **kw):
    caller = authenticate(ctx, "TERMINALID", "public_test_shop_terminal", None, "12345678")
    draft = InvoiceDraft(total=AmountDraft(Decimal("10.00"), "SEK"), title="Cafe", **kw)
    return caller, merchant.send_invoice(ctx, caller, draft).reference


def paid_and_acknowledged(ctx, **kw):
    caller, ref = send(ctx, **kw)
    wallet.pay(ctx, ref, *ALICE)
    merchant.get_payment_status(ctx, caller, ref, 0)
    return ref


def test_outcomes_land_in_the_minute_their_invoice_was_created(ctx, clock):
    send(ctx)  # two hours ago: in the day, not in the hour
    clock.advance(2 * 3600)
    paid_and_acknowledged(ctx)
    wallet.pay(ctx, send(ctx)[1], *DAVE)  # declined
    _, unacked = send(ctx)
    wallet.pay(ctx, unacked, *ALICE)
    send(ctx)  # still open
    clock.advance(21)
    assert expire_due(ctx) == 1  # the unacknowledged payment is reversed

    board = dashboard(ctx)
    hour, day = board.hour, board.day
    assert len(hour.buckets) == 60 and len(day.buckets) == 96
    assert hour.total.paid == 1 and hour.total.failed == 1 and hour.total.reversed == 1
    assert hour.total.other == 1
    assert day.total.other == 2  # the open invoice of two hours ago too
    assert hour.rate("paid") == pytest.approx(1 / 3)
    assert hour.rate("failed") == pytest.approx(1 / 3)
    assert hour.rate("reversed") == pytest.approx(1 / 3)
    created = clock.now() - timedelta(seconds=21)
    busy = [b for b in hour.buckets if b.paid or b.failed or b.reversed or b.other]
    assert [b.start for b in busy] == [created.replace(second=0, microsecond=0)]


def test_rates_are_unknown_without_outcomes(ctx):
    send(ctx)
    board = dashboard(ctx)
    assert board.hour.total.other == 1
    assert board.hour.rate("paid") is None
    assert board.hour.per_minute == 0


def test_notification_health_counts_pending_failed_and_the_p99_delay(ctx, clock):
    refs = [paid_and_acknowledged(ctx, notification_url=HOOK) for _ in range(3)]
    with ctx.store.transaction(write=False) as tx:
        rows = [n for ref in refs for n in tx.list_notifications(ref)]
    assert len(rows) == 3 and dashboard(ctx).notifications.pending == 3
    clock.advance(2)
    delivered, retrying, given_up = rows
    with ctx.store.transaction() as tx:  # what the relay writes for each outcome
        tx.record_attempt(DeliveryAttempt(delivered.notification_id, 1, clock.now(), 500.0,
                                          200, None))  # fmt: skip
        tx.update_notification(replace(delivered, status="delivered", attempts=1))
        tx.record_attempt(DeliveryAttempt(retrying.notification_id, 1, clock.now(), 10.0,
                                          503, None))  # fmt: skip
        tx.update_notification(replace(retrying, attempts=1, last_error="HTTP 503"))
        tx.update_notification(replace(given_up, status="failed", attempts=1))
    health = dashboard(ctx).notifications
    assert (health.pending, health.retrying, health.failed_last_day) == (1, 1, 1)
    assert health.deliveries_last_hour == 1
    assert health.p99_delay_last_hour == pytest.approx(2.5, abs=0.01)
    clock.advance(3601)
    later = dashboard(ctx).notifications
    assert later.deliveries_last_hour == 0 and later.p99_delay_last_hour is None
    assert later.failed_last_day == 1


def test_a_merchant_dashboard_counts_only_its_own_invoices(ctx):
    with ctx.store.transaction() as tx:
        tx.upsert_reseller(Reseller("other_shop", "7700", hash_secret("pw"), "Other shop"))
        tx.insert_terminal(Terminal("other_till", "other_shop", TerminalKind.ONLINE, "Other",
                                    hash_secret("till-pw"), created_at=ctx.now()))  # fmt: skip
    other = authenticate(ctx, "TERMINALID", "other_till", None, "till-pw")
    draft = InvoiceDraft(total=AmountDraft(Decimal("3.00"), "SEK"), notification_url=HOOK)
    ref = merchant.send_invoice(ctx, other, draft).reference
    wallet.pay(ctx, ref, *DAVE)  # declined: no notification
    ref = merchant.send_invoice(ctx, other, draft).reference
    wallet.pay(ctx, ref, *ALICE)
    paid_and_acknowledged(ctx)
    everyone, mine = dashboard(ctx), dashboard(ctx, "public_test_shop")
    assert (everyone.hour.total.paid, everyone.hour.total.failed) == (2, 1)
    assert (mine.hour.total.paid, mine.hour.total.failed) == (1, 0)
    assert (everyone.notifications.pending, mine.notifications.pending) == (1, 0)
    assert mine.load_shed is None
