"""The `core.ports.Tx` contract, run against SQLite and PostgreSQL (`store` is parametrised)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta, timezone
from decimal import Decimal

import pytest

from openseqr.core.errors import InvalidAmount
from openseqr.core.money import Money
from openseqr.core.ports import DuplicateKey, SettledTransaction, Store
from openseqr.core.records import (
    AckMode,
    CustomerMessage,
    DeliveryAttempt,
    PaymentMode,
    PrincipalStatus,
    ProviderMode,
    ReceiptDocument,
    Refund,
    SessionState,
    TerminalKind,
    TransactionPeriod,
)
from openseqr.core.states import State
from openseqr.storage import NotFound
from tests.integration.storage.storage_factories import (
    at,
    customer,
    invoice,
    notification,
    paid_fields,
    reseller,
    sek,
    service,
    session,
    terminal,
)


@pytest.fixture
def seeded(store: Store) -> Store:
    with store.transaction() as tx:
        tx.upsert_reseller(reseller("r1"))
        tx.upsert_reseller(reseller("r2"))
        tx.insert_terminal(terminal("t1", "r1"))
        tx.insert_terminal(terminal("t2", "r1", created_at=at(1)))
        tx.insert_terminal(terminal("t9", "r2"))
        tx.insert_customer(customer("c1"))
    return store


def assert_utc(value: object) -> None:
    assert value is not None and value.utcoffset() == timedelta(0)  # type: ignore[attr-defined]


# -- transactions ------------------------------------------------------------------------------
def test_exception_rolls_back_everything(seeded: Store) -> None:
    with pytest.raises(RuntimeError), seeded.transaction() as tx:
        tx.insert_invoice(invoice("R1"))
        tx.set_switch("mode", "x")
        tx.upsert_reseller(reseller("r1", name="renamed"))
        raise RuntimeError("boom")
    with seeded.transaction(write=False) as tx:
        assert tx.get_invoice("R1") is None
        assert tx.get_switch("mode") is None
        assert tx.get_reseller("r1") == reseller("r1")
    with pytest.raises(ValueError, match="naive"), seeded.transaction() as tx:
        tx.set_switch("mode", "y")
        tx.insert_invoice(invoice("R1", created_at=at(0).replace(tzinfo=None)))
    with seeded.transaction(write=False) as tx:
        assert tx.get_switch("mode") is None


def test_after_commit_actions_run_once_committed_and_never_on_rollback(store: Store) -> None:
    seen: list[str] = []
    with store.transaction() as tx:
        tx.set_switch("mode", "x")
        tx.after_commit(lambda: seen.append("first"))
        tx.after_commit(lambda: seen.append("second"))
        assert seen == []  # not while the transaction is open
    assert seen == ["first", "second"]
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.after_commit(lambda: seen.append("rolled back"))
        raise RuntimeError("boom")
    with store.transaction() as tx:
        tx.after_commit(lambda: 1 / 0)  # logged; the committed change stands
        tx.set_switch("mode", "y")
    with store.transaction(write=False) as tx:
        assert tx.get_switch("mode") == "y"
    assert seen == ["first", "second"]


# -- principals --------------------------------------------------------------------------------
def test_reseller_upsert_and_round_trip(store: Store) -> None:
    r = reseller("r1", currencies=("SEK",), status=PrincipalStatus.BLOCKED, refunds_allowed=False)
    with store.transaction() as tx:
        assert tx.get_reseller("r1") is None
        tx.upsert_reseller(r)
        assert tx.get_reseller("r1") == r
        tx.upsert_reseller(replace(r, name="New", receiver_allows_refunds=False))
        assert tx.get_reseller("r1") == replace(r, name="New", receiver_allows_refunds=False)


def test_terminal_round_trip_update_and_list(seeded: Store) -> None:
    with seeded.transaction() as tx:
        t1 = tx.get_terminal("t1")
        assert t1 == terminal("t1", "r1")
        assert_utc(t1.created_at)  # type: ignore[union-attr]
        assert tx.get_terminal("nope") is None
        changed = replace(
            terminal("t1", "r1"),
            kind=TerminalKind.ONLINE,
            seqr_id="ShopOne",
            external_terminal_id=None,
            notify_secret=None,
            created_at=None,
        )
        tx.update_terminal(changed)
        assert tx.get_terminal("t1") == changed
        # created_at NULL sorts last; then by created_at, terminal_id
        assert [t.terminal_id for t in tx.list_terminals("r1")] == ["t2", "t1"]
        assert [t.terminal_id for t in tx.list_terminals("r2")] == ["t9"]
        with pytest.raises(NotFound):
            tx.update_terminal(terminal("ghost", "r1"))
        with pytest.raises(DuplicateKey):
            tx.insert_terminal(terminal("t1", "r1"))


def test_seqr_id_is_case_insensitive_and_unique(seeded: Store) -> None:
    with seeded.transaction() as tx:
        tx.insert_terminal(terminal("t3", "r1", seqr_id="MyShop42"))
        assert tx.terminal_by_seqr_id("myshop42").terminal_id == "t3"  # type: ignore[union-attr]
        assert tx.terminal_by_seqr_id("MYSHOP42").seqr_id == "MyShop42"  # type: ignore[union-attr]
        assert tx.terminal_by_seqr_id("other") is None
        with pytest.raises(DuplicateKey):
            tx.insert_terminal(terminal("t4", "r1", seqr_id="myshop42"))
        with pytest.raises(DuplicateKey):
            tx.update_terminal(terminal("t1", "r1", seqr_id="MYSHOP42"))
        # the transaction is still usable after a DuplicateKey (PostgreSQL: savepoint)
        tx.update_terminal(terminal("t1", "r1", seqr_id="another"))
    with seeded.transaction(write=False) as tx:
        assert tx.terminal_by_seqr_id("ANOTHER").terminal_id == "t1"  # type: ignore[union-attr]
        assert tx.get_terminal("t4") is None


def test_customers(seeded: Store) -> None:
    with seeded.transaction() as tx:
        c1 = customer("c1")
        assert tx.get_customer("c1") == c1
        assert tx.customer_by_msisdn("46700000001") == c1
        assert tx.customer_by_msisdn("0") is None
        with pytest.raises(DuplicateKey):
            tx.insert_customer(customer("c2", msisdn="46700000001"))
        with pytest.raises(DuplicateKey):
            tx.insert_customer(customer("c1", msisdn="46700000009"))
        c2 = customer("c2", msisdn="46700000002", tokens=(), created_at=None)
        tx.insert_customer(c2)
        updated = replace(c1, pin_failures=3, tokens=(), msisdn="46700000003")
        tx.update_customer(updated)
        assert tx.get_customer("c1") == updated and tx.get_customer("c1").locked  # type: ignore[union-attr]
        with pytest.raises(DuplicateKey):
            tx.update_customer(replace(c2, msisdn="46700000003"))
        assert tx.list_customers() == [updated, c2]


# -- invoices ----------------------------------------------------------------------------------
def test_invoice_round_trip_is_exact(seeded: Store) -> None:
    fresh = invoice("R1")
    paid = invoice("R2", **paid_fields("ERS-2", at(30), deadline_at=at(40), reason="because"))
    zero = invoice("R3", total=Money.of("0", "JPY"), rows=(), tokens=(), title=None)
    with seeded.transaction() as tx:
        for inv in (fresh, paid, zero):
            tx.insert_invoice(inv)
    with seeded.transaction(write=False) as tx:
        got = tx.get_invoice("R2")
        assert tx.get_invoice("R1") == fresh
        assert got == paid
        assert tx.get_invoice("R3") == zero
        assert tx.get_invoice("missing") is None
    assert got is not None
    assert str(got.total.amount) == "56.50" and str(got.refunded) == "10.25"
    assert got.rows[0].quantity == Decimal("2.000") and str(got.rows[0].quantity) == "2.000"
    assert got.rows[0].discount == sek("1.50")
    for value in (got.issue_date, got.created_at, got.paid_at, got.deadline_at, got.settled_at):
        assert_utc(value)
    assert got.issue_date == paid.issue_date  # same instant, offset normalised to UTC


def test_invoice_unique_keys(seeded: Store) -> None:
    with seeded.transaction() as tx:
        tx.insert_invoice(invoice("R1", ers_reference="E1"))
        with pytest.raises(DuplicateKey):
            tx.insert_invoice(invoice("R1"))
        with pytest.raises(DuplicateKey):
            tx.insert_invoice(invoice("R2", ers_reference="E1"))
        tx.insert_invoice(invoice("R3"))  # still usable
    with seeded.transaction() as tx:
        with pytest.raises(DuplicateKey):
            tx.save_invoice(invoice("R3", ers_reference="E1"), expected_rev=0)
        assert tx.save_invoice(invoice("R3", ers_reference="E2"), expected_rev=0)
    with seeded.transaction(write=False) as tx:
        assert tx.get_invoice("R2") is None
        assert tx.invoice_by_ers_reference("E2").reference == "R3"  # type: ignore[union-attr]
        assert tx.invoice_by_ers_reference("E1").reference == "R1"  # type: ignore[union-attr]
        assert tx.invoice_by_ers_reference("E3") is None


def test_saving_a_read_invoice_checks_only_a_changed_ers_reference(seeded: Store) -> None:
    with seeded.transaction() as tx:
        tx.insert_invoice(invoice("R1", ers_reference="E1"))
        tx.insert_invoice(invoice("R2", ers_reference="E2"))
    with seeded.transaction() as tx:
        read = tx.lock_invoice("R1")
        assert read is not None
        assert tx.save_invoice(replace(read, title="again"), expected_rev=read.rev)
        with pytest.raises(DuplicateKey):  # read with E1, now moved onto R2's reference
            tx.save_invoice(replace(read, ers_reference="E2"), expected_rev=read.rev + 1)
        again = replace(read, title="again", ers_reference="E3")
        assert tx.save_invoice(again, expected_rev=read.rev + 1)
    with seeded.transaction(write=False) as tx:
        saved = tx.get_invoice("R1")
        assert saved is not None and (saved.title, saved.ers_reference) == ("again", "E3")


def test_a_read_invoice_saved_with_any_field_changed_comes_back_exact(seeded: Store) -> None:
    """A save after a read writes only the changed columns (A-69): every field must reach its
    column(s), including the ones stored under another name (money per currency, JSON)."""
    paid = invoice("R9", **paid_fields("ERS-9", at(30), deadline_at=at(40), reason="because"))
    changes = {
        **paid_fields("ERS-8", at(31), deadline_at=at(41), reason="other"),
        "terminal_id": "t2", "version": 7, "payment_mode": PaymentMode.IMMEDIATE_DEBIT,
        "ack_mode": AckMode.NO_ACKNOWLEDGMENT, "issue_date": at(3), "created_at": at(4),
        "title": "Order #2", "client_invoice_id": "client-2", "rows": (), "cashier_id": None,
        "footer": "Tack igen!", "back_url": None, "notification_url": "https://x.example/n",
        "commit_timeout": 60, "tokens": (), "payer": "c2", "payer_terminal_id": "0" * 25,
        "viewed_version": 2, "reserved": sek("50.00"), "acked_version": 2,
        "session_token": "tok2", "refunded": Decimal("1.00"), "state": State.PAID_UNACKED,
    }  # fmt: skip
    with seeded.transaction() as tx:
        tx.insert_invoice(paid)
    for name, value in changes.items():
        with seeded.transaction() as tx:
            read = tx.lock_invoice("R9")
            assert read is not None
            changed = replace(read, **{name: value})
            assert tx.save_invoice(changed, expected_rev=read.rev), name
        with seeded.transaction(write=False) as tx:
            assert tx.get_invoice("R9") == replace(changed, rev=read.rev + 1), name
    with seeded.transaction() as tx:  # the currency moves every amount stored in minor units
        read = tx.lock_invoice("R9")
        assert read is not None
        yen = replace(read, total=Money.of("56", "JPY"), reserved=Money.of("50", "JPY"))
        assert tx.save_invoice(replace(yen, refunded=Decimal(1)), expected_rev=read.rev)
        assert tx.get_invoice("R9") == replace(yen, refunded=Decimal(1), rev=read.rev + 1)


def test_save_invoice_is_compare_and_set(seeded: Store) -> None:
    with seeded.transaction() as tx:
        tx.insert_invoice(invoice("R1"))
    with seeded.transaction() as tx:
        inv = tx.lock_invoice("R1")
        assert inv is not None and inv.rev == 0
        viewed = replace(inv, state=State.VIEWED, payer="c1")
        assert tx.save_invoice(viewed, expected_rev=0) is True
        assert tx.get_invoice("R1") == replace(viewed, rev=1)
    with seeded.transaction() as tx:
        stale = replace(inv, state=State.CANCELLED, reason="stale writer")
        assert tx.save_invoice(stale, expected_rev=0) is False
        assert tx.save_invoice(replace(inv, rev=99), expected_rev=5) is False
    with seeded.transaction(write=False) as tx:
        assert tx.get_invoice("R1") == replace(viewed, rev=1)  # nothing written
    with seeded.transaction() as tx:
        assert tx.save_invoice(replace(viewed, state=State.AWAITING_ACK), expected_rev=1)
        assert tx.get_invoice("R1").rev == 2  # type: ignore[union-attr]
        assert tx.save_invoice(invoice("nope"), expected_rev=0) is False


def test_invoice_queries(seeded: Store) -> None:
    states = list(State)  # issued, viewed, awaiting_ack, paying, reserved, then the rest
    with seeded.transaction() as tx:
        assert tx.latest_invoice("t1") is None
        for n, state in enumerate(states):
            tx.insert_invoice(invoice(f"A{n:02}", state=state, created_at=at(100 + n),
                                      payer="c1" if n % 2 else None))  # fmt: skip
        tx.insert_invoice(invoice("B00", tid="t2", created_at=at(500), payer="c1"))
    with seeded.transaction(write=False) as tx:
        assert tx.latest_invoice("t1").reference == "A09"  # type: ignore[union-attr]
        assert [i.reference for i in tx.live_invoices("t1")] == ["A00", "A01", "A02", "A03", "A04"]
        assert tx.live_invoices("t9") == []
        assert [i.reference for i in tx.invoices_of_customer("c1", 3)] == ["B00", "A09", "A07"]
        assert len(tx.invoices_of_customer("c1", 50)) == 6
        assert tx.invoices_of_customer("c2", 50) == []


def test_a_live_invoice_is_superseded_with_a_narrow_compare_and_set_save(seeded: Store) -> None:
    """sendInvoice on a till saves the live invoices it read with `live_invoices` (T13): only
    the changed columns are written (A-69; on SQLite every index on a SET column is rewritten),
    and the save still refuses a stale rev."""
    with seeded.transaction() as tx:
        tx.insert_invoice(invoice("L1", deadline_at=at(60), client_invoice_id="till-1"))
        tx.insert_invoice(invoice("L2", created_at=at(2)))
    statements: list[str] = []
    with seeded.transaction() as tx:
        connection = getattr(tx, "_c", None)
        if hasattr(connection, "set_trace_callback"):  # SQLite: see the statements sent
            connection.set_trace_callback(statements.append)  # type: ignore[union-attr]
        first, second = tx.live_invoices("t1")
        cancelled = replace(first, state=State.CANCELLED, reason="superseded", deadline_at=None)
        assert tx.save_invoice(cancelled, expected_rev=first.rev)
        assert not tx.save_invoice(replace(second, reason="stale"), expected_rev=second.rev + 1)
        if hasattr(connection, "set_trace_callback"):
            connection.set_trace_callback(None)  # type: ignore[union-attr]
    with seeded.transaction(write=False) as tx:
        assert tx.get_invoice("L1") == replace(cancelled, rev=first.rev + 1)
        assert tx.get_invoice("L2") == second
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE INVOICES")]
    if statements:
        sets = updates[0].split(" SET ", 1)[1].split(" WHERE ", 1)[0]
        assert sorted(c.split("=")[0].strip() for c in sets.split(",")) == [
            "deadline_at", "reason", "rev", "state",
        ]  # fmt: skip


def test_due_invoices_order_and_limit(seeded: Store) -> None:
    with seeded.transaction() as tx:
        tx.insert_invoice(invoice("D1", deadline_at=at(30)))
        tx.insert_invoice(invoice("D2", deadline_at=at(10)))
        tx.insert_invoice(invoice("D3", deadline_at=at(20)))
        tx.insert_invoice(invoice("D4", deadline_at=at(60)))  # not yet due
        tx.insert_invoice(invoice("D5"))  # no deadline
        tx.insert_invoice(
            invoice("D6", deadline_at=at(20).astimezone(timezone(timedelta(hours=5))))
        )
    with seeded.transaction(write=False) as tx:
        assert [i.reference for i in tx.due_invoices(at(30), 10)] == ["D2", "D3", "D6", "D1"]
        assert [i.reference for i in tx.due_invoices(at(30), 2)] == ["D2", "D3"]
        assert [i.reference for i in tx.due_invoices(at(19.999), 10)] == ["D2"]
        assert tx.due_invoices(at(0), 10) == []


# -- refunds and receipt documents -------------------------------------------------------------
def test_refunds_and_receipts(seeded: Store) -> None:
    r1 = Refund("F1", "E1", "R1", "t1", "r1", sek("10.00"), at(50), "Returned", "cashier", None)
    r2 = Refund("F2", "E1", "R1", "t1", "r1", sek("0.25"), at(40))
    with seeded.transaction() as tx:
        tx.insert_invoice(invoice("R1", **paid_fields("E1", at(30))))
        tx.insert_refund(r1)
        tx.insert_refund(r2)
        with pytest.raises(DuplicateKey):
            tx.insert_refund(r2)
        tx.insert_receipt_document(
            ReceiptDocument("E1", "application/pdf", b"%PDF\x00\xff", "A", at(1))
        )
        tx.insert_receipt_document(ReceiptDocument("E1", None, None, None, at(0)))
        tx.insert_receipt_document(ReceiptDocument("E9", "text/plain", b"", "B", at(2)))
    with seeded.transaction(write=False) as tx:
        assert tx.get_refund("F1") == r1 and tx.get_refund("F2") == r2
        assert tx.get_refund("nope") is None
        assert tx.refunds_of_invoice("R1") == [r2, r1]
        assert tx.refunds_of_invoice("R9") == []
        docs = tx.receipt_documents("E1")
        assert docs == [
            ReceiptDocument("E1", "application/pdf", b"%PDF\x00\xff", "A", at(1)),
            ReceiptDocument("E1", None, None, None, at(0)),
        ]  # insertion order
        assert isinstance(docs[0].data, bytes)
        assert tx.receipt_documents("E9")[0].data == b""


# -- notification outbox -----------------------------------------------------------------------
def test_outbox_round_trip_update_and_attempts(seeded: Store) -> None:
    n1, n2 = notification("n1", "R1"), notification("n2", "R1", created_at=at(11))
    n3 = notification("n3", "R2", created_at=at(12))
    with seeded.transaction() as tx:
        tx.insert_invoice(invoice("R1"))
        tx.insert_invoice(invoice("R2"))
        for n in (n3, n1, n2):
            tx.enqueue_notification(n)
        with pytest.raises(DuplicateKey):
            tx.enqueue_notification(n1)
        a1 = DeliveryAttempt("n1", 1, at(20), 12.5, 500, "HTTP 500")
        a2 = DeliveryAttempt("n1", 2, at(30), 3.25, None, "timeout")
        tx.record_attempt(a2)
        tx.record_attempt(a1)
        with pytest.raises(DuplicateKey):
            tx.record_attempt(a1)
        done = replace(
            n1, attempts=2, status="delivered", last_error="HTTP 500", next_attempt_at=at(31)
        )
        tx.update_notification(done)
        with pytest.raises(NotFound):
            tx.update_notification(notification("ghost"))
    with seeded.transaction(write=False) as tx:
        assert tx.get_notification("n1") == done
        assert tx.get_notification("ghost") is None
        assert tx.attempts_of("n1") == [a1, a2]
        assert tx.attempts_of("n2") == []
        assert tx.list_notifications() == [done, n2, n3]
        assert tx.list_notifications("R1") == [done, n2]
        assert tx.list_notifications(limit=1) == [done]
        assert tx.list_notifications("R9") == []


def test_claim_notifications_leases(seeded: Store) -> None:
    with seeded.transaction() as tx:
        tx.insert_invoice(invoice())
        tx.enqueue_notification(notification("late", next_attempt_at=at(20)))
        tx.enqueue_notification(notification("early", next_attempt_at=at(5)))
        tx.enqueue_notification(notification("future", next_attempt_at=at(100)))
        tx.enqueue_notification(notification("done", next_attempt_at=at(1), status="delivered"))
        tx.enqueue_notification(notification("third", next_attempt_at=at(15)))
    with seeded.transaction() as tx:
        claimed = tx.claim_notifications(at(30), at(90), limit=2)
    assert [n.notification_id for n in claimed] == ["early", "third"]
    assert all(n.next_attempt_at == at(90) for n in claimed)
    with seeded.transaction() as tx:  # a second relay before the lease ends
        assert [n.notification_id for n in tx.claim_notifications(at(31), at(91), 10)] == ["late"]
    with seeded.transaction() as tx:
        assert tx.claim_notifications(at(89), at(150), 10) == []
    with seeded.transaction() as tx:  # lease over: claimable again, with `future` now due
        again = tx.claim_notifications(at(100), at(160), 10)
    assert [n.notification_id for n in again] == ["early", "third", "late", "future"]
    with seeded.transaction(write=False) as tx:
        assert tx.get_notification("early").next_attempt_at == at(160)  # type: ignore[union-attr]
        assert tx.get_notification("done").next_attempt_at == at(1)  # type: ignore[union-attr]


# -- reconciliation ----------------------------------------------------------------------------
def test_periods(seeded: Store) -> None:
    p1 = TransactionPeriod("P1", "r1", None, at(0), at(100))
    p2 = TransactionPeriod("P2", "r1", None, at(100), at(200))
    p3 = TransactionPeriod("P3", "r1", "t1", at(0), at(150))
    with seeded.transaction() as tx:
        assert tx.last_period_end("r1", None) is None
        for p in (p2, p1, p3):
            tx.insert_period(p)
        with pytest.raises(DuplicateKey):
            tx.insert_period(p1)
    with seeded.transaction(write=False) as tx:
        assert tx.get_period("P3") == p3 and tx.get_period("nope") is None
        assert tx.last_period_end("r1", None) == at(200)
        assert_utc(tx.last_period_end("r1", None))
        assert tx.last_period_end("r1", "t1") == at(150)
        assert tx.last_period_end("r1", "t2") is None
        assert tx.last_period_end("r2", None) is None


def test_settled_transactions_window(seeded: Store) -> None:
    with seeded.transaction() as tx:
        tx.insert_invoice(invoice("R1", **paid_fields("E1", at(10))))  # start: included
        tx.insert_invoice(invoice("R2", tid="t2", **paid_fields("E2", at(15), cashier_id=None)))
        tx.insert_invoice(invoice("R3", **paid_fields("E3", at(20))))  # end: excluded
        tx.insert_invoice(invoice("R4", **paid_fields("E4", at(12), state=State.REVERSED)))
        tx.insert_invoice(invoice("R5", **paid_fields("E5", at(12), state=State.PAID_UNACKED,
                                                      settled_at=None)))  # fmt: skip
        tx.insert_invoice(invoice("R9", tid="t9", rid="r2", **paid_fields("E9", at(12))))
        tx.insert_refund(Refund("F1", "E1", "R1", "t1", "r1", sek("5.00"), at(13), cashier_id="k"))
        tx.insert_refund(Refund("F2", "E1", "R1", "t1", "r1", sek("1.00"), at(9)))  # before
        tx.insert_refund(Refund("F3", "E2", "R2", "t2", "r1", sek("2.00"), at(19.5)))
    with seeded.transaction(write=False) as tx:
        rows = tx.settled_transactions("r1", None, at(10), at(20))
        only_t1 = tx.settled_transactions("r1", "t1", at(10), at(20))
        assert tx.settled_transactions("r1", None, at(20), at(30))[0].ers_reference == "E3"
    total = sek("56.50")
    assert rows == [
        SettledTransaction("payment", "t1", "cashier-7", total, "E1", at(10)),
        SettledTransaction("refund", "t1", "k", -sek("5.00"), "F1", at(13)),
        SettledTransaction("payment", "t2", None, total, "E2", at(15)),
        SettledTransaction("refund", "t2", None, -sek("2.00"), "F3", at(19.5)),
    ]
    assert [r.ers_reference for r in only_t1] == ["E1", "F1"]
    assert all(r.settled_at.utcoffset() == timedelta(0) for r in rows)


# -- customer messages, services, sessions, switches -------------------------------------------
def test_messages(seeded: Store) -> None:
    m1 = CustomerMessage("c1", "Payment reversed: 56.50 SEK", at(1), "R1")
    m2 = CustomerMessage("c1", "Välkommen 👋", at(2))
    m3 = CustomerMessage("c2", "other", at(3))
    with seeded.transaction() as tx:
        for m in (m1, m2, m3):
            tx.insert_message(m)
    with seeded.transaction(write=False) as tx:
        assert tx.messages_of("c1") == [m2, m1]  # newest first
        assert tx.messages_of("c1", limit=1) == [m2]
        assert tx.messages_of("nobody") == []


def test_services_sessions_and_switches(seeded: Store) -> None:
    s1, s2 = service("svc1"), service("svc0", active=False, created_at=None)
    with seeded.transaction() as tx:
        tx.upsert_service(s1)
        tx.upsert_service(s2)
        tx.upsert_service(replace(s1, name="Renamed"))
        assert tx.get_service("svc1") == replace(s1, name="Renamed")
        assert tx.get_service("nope") is None
        assert tx.list_services() == [s2, replace(s1, name="Renamed")]
        sess = session("tok")
        tx.insert_session(sess)
        with pytest.raises(DuplicateKey):
            tx.insert_session(sess)
        tx.insert_invoice(invoice("R1"))
        active = replace(sess, state=SessionState.ACTIVE, invoice_reference="R1", params=())
        tx.update_session(active)
        with pytest.raises(NotFound):
            tx.update_session(session("ghost"))
        assert tx.get_switch("provider_mode") is None
        tx.set_switch("provider_mode", "unavailable")
        tx.set_switch("provider_mode", "ok")
        tx.set_switch("empty", "")
    with seeded.transaction(write=False) as tx:
        assert tx.get_session("tok") == active
        assert tx.get_session("nope") is None
        assert tx.get_switch("provider_mode") == "ok"
        assert tx.get_switch("empty") == ""


def test_every_enum_value_is_storable_and_others_are_not(seeded: Store) -> None:
    # The CHECK constraints list the enum values; a new value needs a migration.
    with seeded.transaction() as tx:
        n = 0
        for mode, ack, state in zip(
            list(PaymentMode) * 3, list(AckMode) * 4, list(State), strict=False
        ):
            inv = invoice(f"E{n}", payment_mode=mode, ack_mode=ack, state=state)
            tx.insert_invoice(inv)
            assert tx.get_invoice(f"E{n}") == inv
            n += 1
        for kind, status, ack in zip(
            list(TerminalKind) * 3, list(PrincipalStatus), list(AckMode), strict=False
        ):
            t = terminal(f"T{n}", "r1", kind=kind, status=status, ack_mode_default=ack)
            tx.insert_terminal(t)
            assert tx.get_terminal(f"T{n}") == t
            n += 1
        for mode in ProviderMode:
            c = customer(f"C{n}", msisdn=str(n), provider_mode=mode)
            tx.insert_customer(c)
            assert tx.get_customer(f"C{n}") == c
            n += 1
        tx.upsert_service(service("svc1"))
        for state in SessionState:
            s = session(f"S{n}", state=state)
            tx.insert_session(s)
            assert tx.get_session(f"S{n}") == s
            n += 1
    with pytest.raises(Exception, match="(?i)check"), seeded.transaction() as tx:
        tx._c.execute("UPDATE invoices SET state = 'bogus'")  # type: ignore[attr-defined]


def test_amounts_beyond_bigint_are_refused_clearly(seeded: Store) -> None:
    with pytest.raises(InvalidAmount):
        Money.of("999999999999999999.99", "SEK")  # validated money fits 18 minor digits
    huge = Money(Decimal("999999999999999999.99"), "SEK")  # unvalidated: storage still guards
    with pytest.raises(ValueError, match="64-bit"), seeded.transaction() as tx:
        tx.insert_invoice(invoice("BIG", total=huge))
