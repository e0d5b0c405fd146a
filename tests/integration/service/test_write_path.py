"""Issue 9: one transaction decides and records each payment step, and writes the invoice once.

The store is the real one (SQLite and PostgreSQL); a thin recorder counts the transactions a
use case opens and the invoice rows it writes, so a change that splits the pay path into
several transactions again, or writes the same row twice, fails here.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest

from openseqr.core import errors
from openseqr.core.invoicing import AmountDraft, InvoiceDraft
from openseqr.core.states import WireStatus
from openseqr.service import merchant, wallet
from openseqr.service.auth import authenticate

ALICE = ("46700000001", "1111")
SOURCE = "198.51.100.7"
ROW_WRITES = ("save_invoice", "insert_invoice")


class RecordingStore:
    """The real store; counts transactions (by kind) and the `Tx` calls made in them."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.transactions: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    @contextmanager
    def transaction(self, write: bool = True):  # type: ignore[no-untyped-def]
        self.transactions["write" if write else "read"] += 1
        with self._store.transaction(write) as tx:
            yield _RecordingTx(tx, self.calls)

    def durable(self) -> Any:
        return self._store.durable()

    def wait_durable(self, timeout: float | None = None) -> bool:
        return self._store.wait_durable(timeout)

    def close(self) -> None:
        self._store.close()

    def reset(self) -> None:
        self.transactions.clear()
        self.calls.clear()

    @property
    def row_writes(self) -> int:
        return sum(self.calls[name] for name in ROW_WRITES)


class _RecordingTx:
    def __init__(self, tx: Any, calls: Counter[str]) -> None:
        self._tx, self._calls = tx, calls

    def __getattr__(self, name: str) -> Any:
        self._calls[name] += 1
        return getattr(self._tx, name)


@pytest.fixture
def recorder(ctx) -> RecordingStore:
    ctx.store = recording = RecordingStore(ctx.store)
    return recording


def terminal(ctx):
    return authenticate(ctx, "TERMINALID", "public_test_shop_terminal", None, "12345678")


def send(ctx, caller, value="500.00", mode=None):
    draft = InvoiceDraft(total=AmountDraft(Decimal(value), "SEK"), title="T", payment_mode=mode)
    return merchant.send_invoice(ctx, caller, draft).reference


def test_a_payment_is_one_transaction_and_one_row_write(ctx, recorder):
    caller = terminal(ctx)
    wallet.pay(ctx, send(ctx, caller), *ALICE, source=SOURCE)  # the KDF runs once, first
    reference = send(ctx, caller)
    recorder.reset()
    view = wallet.pay(ctx, reference, *ALICE, source=SOURCE)
    assert view.invoice.status is WireStatus.PAID
    assert recorder.transactions == {"write": 1}
    assert recorder.row_writes == 1


def test_a_pin_not_yet_verified_runs_the_kdf_between_two_transactions(ctx, recorder):
    caller = terminal(ctx)
    reference = send(ctx, caller)
    recorder.reset()
    assert wallet.pay(ctx, reference, *ALICE).invoice.status is WireStatus.PAID
    assert recorder.transactions == {"write": 2}  # the first one writes nothing
    assert recorder.row_writes == 1


def test_a_wrong_pin_is_counted_even_though_the_payment_is_refused(ctx, recorder):
    caller = terminal(ctx)
    reference = send(ctx, caller)
    recorder.reset()
    with pytest.raises(errors.WrongPin):
        wallet.pay(ctx, reference, ALICE[0], "9999", source=SOURCE)
    assert recorder.row_writes == 0  # nobody else's invoice changes
    customer = wallet.customer_by_msisdn(ctx, ALICE[0])
    assert customer.pin_failures == 1
    wallet.pay(ctx, reference, *ALICE, source=SOURCE)
    assert wallet.customer_by_msisdn(ctx, ALICE[0]).pin_failures == 0


def test_acknowledge_commit_cancel_and_refund_write_once(ctx, recorder):
    caller = terminal(ctx)
    paid, reserved = send(ctx, caller), send(ctx, caller, mode="RESERVATION_REQUIRED")
    wallet.pay(ctx, paid, *ALICE)
    wallet.pay(ctx, reserved, *ALICE)
    live = send(ctx, caller)

    def one_write(call, reads=0):  # type: ignore[no-untyped-def]
        recorder.reset()
        result = call()
        assert recorder.transactions == ({"write": 1, "read": reads} if reads else {"write": 1})
        assert recorder.row_writes == 1
        return result

    # the poll reads first, so that a status read that changes nothing never writes
    acked = one_write(lambda: merchant.get_payment_status(ctx, caller, paid, None), reads=1)
    assert acked.status is WireStatus.PAID
    one_write(lambda: merchant.commit_reservation(ctx, caller, reserved, None))
    one_write(lambda: merchant.cancel_invoice(ctx, caller, live))
    amount = InvoiceDraft(total=AmountDraft(Decimal("10.00"), "SEK"))
    one_write(lambda: merchant.refund_payment(ctx, caller, acked.ers_reference, amount))


def test_without_the_kdf_an_unverified_pin_is_refused_before_any_write(ctx, recorder):
    """A-40: the event loop pays only with a PIN this process has verified; anything else
    (a first payment, any wrong PIN) goes to a thread, and nothing was written meanwhile."""
    caller = terminal(ctx)
    reference = send(ctx, caller)
    for pin in (ALICE[1], "9999"):
        recorder.reset()
        with pytest.raises(wallet.NeedsKdf):
            wallet.pay(ctx, reference, ALICE[0], pin, source=SOURCE, kdf=False)
        assert recorder.row_writes == 0 and not recorder.calls["update_customer"]
    assert wallet.customer_by_msisdn(ctx, ALICE[0]).pin_failures == 0
    wallet.pay(ctx, send(ctx, caller), *ALICE, source=SOURCE)  # verified once, on a thread
    view = wallet.pay(ctx, reference, *ALICE, source=SOURCE, kdf=False)
    assert view.invoice.status is WireStatus.PAID


def test_one_write_keeps_a_history_line_per_step(ctx):
    """The composed pay writes the row once, but its history reads as the steps it took."""
    caller = terminal(ctx)
    reference = send(ctx, caller)
    wallet.pay(ctx, reference, *ALICE, source=SOURCE)
    with ctx.store.transaction(write=False) as tx:
        lines = [(e.kind, e.detail.get("version"), "transfer" in e.detail)
                 for e in tx.invoice_events(reference)]  # fmt: skip
    assert lines == [("sent", None, False), ("viewed", "1", False), ("paying", "1", False),
                     ("paid", "2", True)]  # fmt: skip
