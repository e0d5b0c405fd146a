"""Several processes scan the same deadlines (A-43): a scanner skips an invoice another
transaction holds, instead of waiting for it on its event loop; the row's deadline stays, so
the holder or a later tick decides, once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from openseqr.core.invoicing import AmountDraft, InvoiceDraft
from openseqr.core.states import State
from openseqr.service import merchant
from openseqr.service.auth import authenticate
from openseqr.service.bootstrap import build
from openseqr.service.clock import ManualClock
from openseqr.service.context import Context
from openseqr.service.deadlines import expire_due
from openseqr.settings import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ctx(fresh_postgres_url: str, clock: ManualClock, tmp_path: Path) -> Iterator[Context]:
    context = build(Settings(database_url=fresh_postgres_url, data_dir=tmp_path), clock)
    yield context
    context.store.close()


def scan_in_thread(ctx: Context, timeout: float) -> int | None:
    """`expire_due` on another thread; None if it was still waiting after `timeout` s."""
    done: list[int] = []
    scanner = threading.Thread(target=lambda: done.append(expire_due(ctx)), daemon=True)
    scanner.start()
    scanner.join(timeout)
    return done[0] if done else None


def test_a_scanner_skips_an_invoice_another_transaction_holds(
    ctx: Context, clock: ManualClock
) -> None:
    caller = authenticate(ctx, "TERMINALID", "public_test_shop_terminal", None, "12345678")
    ref = merchant.send_invoice(
        ctx, caller, InvoiceDraft(total=AmountDraft(Decimal("9.00"), "SEK"))
    ).reference
    clock.advance(ctx.policy.online_lifetime.total_seconds() + 1)  # due: it expires
    with ctx.store.transaction() as holder:
        assert holder.lock_invoice(ref) is not None  # e.g. another process's scanner
        assert scan_in_thread(ctx, timeout=10) == 0, "the scanner waited for the row lock"
    assert expire_due(ctx) == 1  # released: decided now, once
    assert expire_due(ctx) == 0
    with ctx.store.transaction(write=False) as tx:
        expired = tx.get_invoice(ref)
    assert expired is not None and (expired.state, expired.reason) == (State.CANCELLED, "expired")
