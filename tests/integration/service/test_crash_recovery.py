"""Crash recovery: an interrupted payment and a killed server lose nothing and pay nothing twice.

1. Service level (SQLite and PostgreSQL, `ManualClock`): `wallet.pay` runs two transactions, the
   PAYING compare-and-set, then the debit and PAID. A "crash" between them is simulated by running
   the first one exactly as `pay` does (`machine.start_payment` + `writes.persist`) and never the
   second. The deadline scanner (`expire_due`) must put the invoice back to payable after the
   paying timeout, with no money moved, and it can then be paid exactly once.
2. Process level (SQLite): a real server is killed with SIGKILL right after a pay request
   returned PAID. Restarted on the same file, it still reverses the unacknowledged payment when
   the acknowledgement window (2 s, stored in the row as `deadline_at`) has passed.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from openseqr.core import errors, machine
from openseqr.core.invoicing import AmountDraft, InvoiceDraft
from openseqr.core.ledger import customer_account, merchant_account
from openseqr.core.states import State, WireStatus
from openseqr.service import merchant, wallet
from openseqr.service.auth import authenticate
from openseqr.service.clock import ManualClock
from openseqr.service.context import Context
from openseqr.service.deadlines import expire_due
from openseqr.service.writes import persist
from openseqr.storage import open_store
from tests.fixtures_server import RunningServer, start_server

ALICE = ("46700000001", "1111")
ALICE_ACCOUNT = customer_account("101")
MERCHANT = merchant_account("public_test_shop")
NOTIFY_URL = "http://127.0.0.1:9/notify"


def terminal(ctx: Context) -> Any:
    return authenticate(ctx, "TERMINALID", "public_test_shop_terminal", None, "12345678")


def balance(store: Any, account: str) -> Decimal:
    with store.transaction(write=False) as tx:
        return tx.balance(account, "SEK")


def ledger_kinds(store: Any, ref: str) -> Counter[str]:
    """Ledger transfers of an invoice by kind: read-only SQL (`Tx` does not list them)."""
    sql = (
        "SELECT kind, COUNT(DISTINCT transfer_id) FROM ledger_entries"
        " WHERE invoice_reference = {p} GROUP BY kind"
    )
    with store.transaction(write=False) as tx:
        conn = tx._c  # the adapter's connection, read-only use inside a read transaction
        p = "?" if type(tx).__name__.startswith("Sqlite") else "%s"
        rows = conn.execute(sql.format(p=p), (ref,)).fetchall()
    return Counter({kind: int(n) for kind, n in rows})


def books_balanced(store: Any) -> bool:
    with store.transaction(write=False) as tx:
        return all(v == 0 for v in tx.entry_sums().values()) and tx.balances_match_entries()


def crash_after_paying_step(ctx: Context, ref: str, msisdn: str) -> Any:
    """The first transaction of `wallet.pay`, verbatim; the process then dies (no second one)."""
    customer = wallet.customer_by_msisdn(ctx, msisdn)
    now = ctx.now()
    with ctx.store.transaction() as tx:
        inv = tx.lock_invoice(ref)
        assert inv is not None
        term = tx.get_terminal(inv.terminal_id)
        assert term is not None
        if inv.state is State.ISSUED:
            inv = persist(ctx, tx, inv, machine.view(inv, customer, now), term)
        return persist(
            ctx, tx, inv, machine.start_payment(inv, customer, None, now, ctx.policy), term
        )


# -- 1. an interrupted payment --------------------------------------------------------------
def test_interrupted_payment_is_recovered_then_paid_once(ctx: Context, clock: ManualClock) -> None:
    caller = terminal(ctx)
    draft = InvoiceDraft(
        total=AmountDraft(Decimal("75.50"), "SEK"), title="Crash shop", notification_url=NOTIFY_URL
    )
    ref = merchant.send_invoice(ctx, caller, draft).reference
    alice, shop = balance(ctx.store, ALICE_ACCOUNT), balance(ctx.store, MERCHANT)

    stuck = crash_after_paying_step(ctx, ref, ALICE[0])
    assert stuck.state is State.PAYING
    assert stuck.deadline_at == clock.now() + ctx.policy.paying_timeout

    # While it is stuck: nothing moved, the merchant sees ISSUED, nobody can change it.
    assert balance(ctx.store, ALICE_ACCOUNT) == alice and balance(ctx.store, MERCHANT) == shop
    assert ledger_kinds(ctx.store, ref) == Counter()
    assert merchant.get_payment_status(ctx, caller, ref, 0).status is WireStatus.ISSUED
    with pytest.raises(errors.CannotCancelInProgress):
        merchant.cancel_invoice(ctx, caller, ref)
    with pytest.raises(errors.PaymentInProgress):
        merchant.update_invoice(
            ctx, caller, ref, InvoiceDraft(total=AmountDraft(Decimal("1.00"), "SEK")), None
        )
    with pytest.raises(errors.PaymentInProgress):
        wallet.pay(ctx, ref, *ALICE)
    with pytest.raises(errors.CannotCancelInProgress):
        wallet.cancel(ctx, ref, *ALICE)

    # Just before the paying timeout the scanner leaves it alone; just after, it recovers it.
    clock.advance(ctx.policy.paying_timeout.total_seconds() - 1)
    assert expire_due(ctx) == 0
    with ctx.store.transaction(write=False) as tx:
        assert tx.get_invoice(ref).state is State.PAYING  # type: ignore[union-attr]
    clock.advance(2)
    assert expire_due(ctx) == 1
    with ctx.store.transaction(write=False) as tx:
        recovered = tx.get_invoice(ref)
        notes = tx.list_notifications(invoice_reference=ref)
    assert recovered is not None and recovered.state is State.VIEWED
    assert recovered.ers_reference is None and recovered.paid_at is None
    assert recovered.deadline_at is not None and recovered.deadline_at > clock.now()  # lifetime
    assert notes == []
    assert ledger_kinds(ctx.store, ref) == Counter()
    assert balance(ctx.store, ALICE_ACCOUNT) == alice and balance(ctx.store, MERCHANT) == shop
    assert merchant.get_payment_status(ctx, caller, ref, 0).status is WireStatus.ISSUED
    assert expire_due(ctx) == 0  # nothing else is due

    # Payable again, exactly once.
    paid = wallet.pay(ctx, ref, *ALICE).invoice
    assert paid.state is State.PAID_UNACKED and paid.total.amount == Decimal("75.50")
    with pytest.raises(errors.NotPayable):
        wallet.pay(ctx, ref, *ALICE)
    assert merchant.get_payment_status(ctx, caller, ref, 0).status is WireStatus.PAID
    assert ledger_kinds(ctx.store, ref) == Counter({"payment": 1})
    assert balance(ctx.store, ALICE_ACCOUNT) == alice - Decimal("75.50")
    assert balance(ctx.store, MERCHANT) == shop + Decimal("75.50")
    with ctx.store.transaction(write=False) as tx:
        assert len(tx.list_notifications(invoice_reference=ref)) == 1
    clock.advance(3600)
    expire_due(ctx)  # acknowledged: nothing is reversed later
    assert ledger_kinds(ctx.store, ref) == Counter({"payment": 1})
    assert books_balanced(ctx.store)


def test_a_late_second_half_of_an_interrupted_payment_does_nothing(
    ctx: Context, clock: ManualClock
) -> None:
    """The stuck process wakes up after recovery and someone else paid meanwhile: its debit
    must be refused by the compare-and-set on `rev`, never applied a second time."""
    caller = terminal(ctx)
    ref = merchant.send_invoice(
        ctx, caller, InvoiceDraft(total=AmountDraft(Decimal("20.00"), "SEK"))
    ).reference
    stuck = crash_after_paying_step(ctx, ref, ALICE[0])
    clock.advance(ctx.policy.paying_timeout.total_seconds() + 1)
    assert expire_due(ctx) == 1
    wallet.pay(ctx, ref, "46700000002", "2222")  # Bob pays it
    alice = balance(ctx.store, ALICE_ACCOUNT)

    # The zombie's second transaction, as `wallet.pay` would write it had it not checked the
    # row first: `persist` applies the transfer, the compare-and-set on `rev` fails, and the
    # exception rolls the whole transaction back.
    with pytest.raises(errors.PaymentInProgress), ctx.store.transaction() as tx:
        now_row = tx.lock_invoice(ref)
        assert now_row is not None and now_row.rev != stuck.rev
        term = tx.get_terminal(now_row.terminal_id)
        decision = machine.debit(stuck, "2026011512000000000000001", clock.now(), ctx.policy)
        persist(ctx, tx, stuck, decision, term)  # type: ignore[arg-type]
    assert balance(ctx.store, ALICE_ACCOUNT) == alice
    assert ledger_kinds(ctx.store, ref) == Counter({"payment": 1})
    assert books_balanced(ctx.store)


def test_a_deadline_is_due_again_after_a_restart(
    ctx: Context, clock: ManualClock, database_url: str
) -> None:
    """The scanner keeps nothing in memory: a new store on the same database finds the stuck
    payment and the unacknowledged one (PAID window) and settles both."""
    caller = terminal(ctx)
    stuck_ref = merchant.send_invoice(
        ctx, caller, InvoiceDraft(total=AmountDraft(Decimal("5.00"), "SEK"))
    ).reference
    paid_ref = merchant.send_invoice(
        ctx, caller, InvoiceDraft(total=AmountDraft(Decimal("7.00"), "SEK"))
    ).reference
    alice = balance(ctx.store, ALICE_ACCOUNT)
    crash_after_paying_step(ctx, stuck_ref, ALICE[0])
    wallet.pay(ctx, paid_ref, *ALICE)
    ctx.store.close()  # the process dies

    ctx.store = open_store(database_url)  # a new process on the same database
    clock.advance(ctx.policy.paying_timeout.total_seconds() + 1)
    assert expire_due(ctx) == 2
    with ctx.store.transaction(write=False) as tx:
        assert tx.get_invoice(stuck_ref).state is State.VIEWED  # type: ignore[union-attr]
        reversed_ = tx.get_invoice(paid_ref)
    assert reversed_ is not None and reversed_.state is State.REVERSED
    assert ledger_kinds(ctx.store, paid_ref) == Counter({"payment": 1, "reversal": 1})
    assert balance(ctx.store, ALICE_ACCOUNT) == alice
    assert books_balanced(ctx.store)


# -- 2. a killed server ------------------------------------------------------------------------
@pytest.mark.slow
def test_killed_server_still_reverses_after_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    env = {"OPENSEQR_ACK_WINDOW_SECONDS": "2"}
    servers: list[RunningServer] = []

    def start() -> RunningServer:
        return start_server(url, tmp_path, extra_env=env)

    try:
        first = start()
        servers.append(first)
        body = (
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
            ' xmlns:ext="http://external.interfaces.ers.seamless.com/"><soapenv:Body>'
            "<ext:sendInvoice><context><initiatorPrincipalId><id>public_test_shop_terminal</id>"
            "<type>TERMINALID</type></initiatorPrincipalId><password>12345678</password>"
            "</context><invoice><title>Killed</title><totalAmount><currency>SEK</currency>"
            f"<value>42.00</value></totalAmount><notificationUrl>{NOTIFY_URL}</notificationUrl>"
            "</invoice></ext:sendInvoice></soapenv:Body></soapenv:Envelope>"
        )
        r = first.soap(body)
        assert r.status_code == 200 and b"<resultCode>0</resultCode>" in r.content, r.text
        ref = r.text.split("<invoiceReference>")[1].split("</invoiceReference>")[0]
        store = open_store(url)
        try:
            alice, shop = balance(store, ALICE_ACCOUNT), balance(store, MERCHANT)
            paid = first.app(
                "POST", f"/invoices/{ref}/pay", json={"msisdn": ALICE[0], "pin": ALICE[1]}
            )
            first.process.kill()  # SIGKILL: no shutdown, no flush, no goodbye
            first.process.wait(10)
            assert paid.status_code == 200 and paid.json()["status"] == "PAID", paid.text
            killed_at = time.monotonic()

            with store.transaction(write=False) as tx:
                row = tx.get_invoice(ref)
                assert row is not None and row.state is State.PAID_UNACKED  # durable
                assert row.deadline_at is not None and row.paid_at is not None
                assert row.deadline_at - row.paid_at == timedelta(seconds=2)
                assert len(tx.list_notifications(invoice_reference=ref)) == 1
            assert balance(store, ALICE_ACCOUNT) == alice - Decimal("42.00")

            second = start()
            servers.append(second)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with store.transaction(write=False) as tx:
                    row = tx.get_invoice(ref)
                if row is not None and row.state is State.REVERSED:
                    break
                time.sleep(0.1)
            assert row is not None and row.state is State.REVERSED, (row, second.log())
            assert time.monotonic() - killed_at >= 1.0  # not before the window (from PAID)
            assert balance(store, ALICE_ACCOUNT) == alice
            assert balance(store, MERCHANT) == shop
            assert ledger_kinds(store, ref) == Counter({"payment": 1, "reversal": 1})
            assert books_balanced(store)
            with store.transaction(write=False) as tx:
                assert any(m.invoice_reference == ref for m in tx.messages_of("101"))
            status = second.soap(
                body.split("<invoice>")[0].replace("sendInvoice", "getPaymentStatus")
                + f"<invoiceReference>{ref}</invoiceReference><invoiceVersion>0</invoiceVersion>"
                "</ext:getPaymentStatus></soapenv:Body></soapenv:Envelope>"
            )
            assert b"<status>CANCELED</status>" in status.content, status.text
        finally:
            store.close()
    finally:
        for s in servers:
            s.stop()
