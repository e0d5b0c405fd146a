"""The console's storage (migration 0006) on SQLite and PostgreSQL: operator accounts, the audit
log, invoice search with keyset pages, an invoice's ledger lines and the notifications that need
care, each within a merchant's scope."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from openseqr.core.console import AuditEntry, InvoiceSearch, Operator
from openseqr.core.ports import DuplicateKey
from openseqr.core.states import State
from tests.integration.storage.storage_factories import (
    at,
    fund,
    invoice,
    notification,
    paid_fields,
    pay,
    reseller,
    terminal,
)


def _two_merchants(store: Any) -> None:
    with store.transaction() as tx:
        for rid, tid in (("r1", "t1"), ("r2", "t2")):
            tx.upsert_reseller(reseller(rid))
            tx.insert_terminal(terminal(tid, rid))


def test_operator_accounts_round_trip(store: Any) -> None:
    alice = Operator("alice", "argon2$a", True, at(0))
    with store.transaction() as tx:
        tx.insert_operator(alice)
        with pytest.raises(DuplicateKey):
            tx.insert_operator(replace(alice, password_hash="other"))
        tx.insert_operator(Operator("bob", "argon2$b", True, at(1)))
    with store.transaction() as tx:
        assert tx.get_operator("alice") == alice
        tx.update_operator(replace(alice, active=False))
        assert tx.get_operator("alice").active is False
        assert [o.name for o in tx.list_operators()] == ["alice", "bob"]
        assert tx.delete_operator("bob") and not tx.delete_operator("bob")
        assert tx.get_operator("bob") is None


def test_audit_log_is_newest_first_and_scoped(store: Any) -> None:
    with store.transaction() as tx:
        for i in range(5):
            rid = "r1" if i % 2 == 0 else "r2"
            tx.append_audit(
                AuditEntry(None, at(i), "operator", "alice", f"act{i}", f"T{i}", {"n": str(i)}, rid)
            )
    with store.transaction(write=False) as tx:
        everything = tx.audit_entries(None, None, 10)
        assert [e.action for e in everything] == ["act4", "act3", "act2", "act1", "act0"]
        assert everything[0].detail == {"n": "4"} and everything[0].at == at(4)
        older = tx.audit_entries(None, everything[1].entry_id, 2)
        assert [e.action for e in older] == ["act2", "act1"]
        assert [e.action for e in tx.audit_entries("r2", None, 10)] == ["act3", "act1"]


def _history(store: Any) -> list[str]:
    """Seven invoices, one second apart: r1 t1 gets 0, 2, 4, 6 (6 paid), r2 t2 the others."""
    _two_merchants(store)
    refs = [f"2024030100000000{i}" for i in range(7)]
    with store.transaction() as tx:
        for i, ref in enumerate(refs):
            tid, rid = ("t1", "r1") if i % 2 == 0 else ("t2", "r2")
            extra: dict[str, object] = {"client_invoice_id": f"order-{i}"}
            if i == 6:
                extra = {**extra, **paid_fields("1" * 25, at(60))}
            tx.insert_invoice(invoice(ref, tid, rid, created_at=at(i), **extra))
    return refs


def test_invoice_search_filters_scope_and_pages(store: Any) -> None:
    refs = _history(store)

    def search(**kw: Any) -> list[str]:
        with store.transaction(write=False) as tx:
            return [i.reference for i in tx.search_invoices(InvoiceSearch(**kw))]

    assert search() == refs[::-1]
    assert search(reseller_id="r1") == [refs[6], refs[4], refs[2], refs[0]]
    assert search(reseller_id="r2", reference=refs[6]) == []  # another merchant's invoice
    assert search(ers_reference="1" * 25) == [refs[6]]
    assert search(client_invoice_id="order-3") == [refs[3]]
    assert search(terminal_id="t2") == [refs[5], refs[3], refs[1]]
    assert search(state=State.PAID.value) == [refs[6]]
    assert search(created_from=at(2), created_to=at(4)) == [refs[3], refs[2]]
    first = search(limit=3)
    assert first == [refs[6], refs[5], refs[4]]
    assert search(limit=3, before=(at(4), refs[4])) == [refs[3], refs[2], refs[1]]


def test_ledger_lines_of_an_invoice(store: Any) -> None:
    refs = _history(store)
    with store.transaction() as tx:
        tx.apply_transfer(fund("c1", "100"))
        tx.apply_transfer(pay("c1", "r1", "56.50", refs[6]))
    with store.transaction(write=False) as tx:
        lines = tx.ledger_of_invoice(refs[6])
        assert tx.ledger_of_invoice(refs[0]) == []
    assert sorted(line.amount for line in lines) == [Decimal("-56.50"), Decimal("56.50")]
    assert {line.kind for line in lines} == {"payment"}


def test_notifications_needing_care_by_status_and_scope(store: Any) -> None:
    refs = _history(store)
    with store.transaction() as tx:
        tx.enqueue_notification(notification("n1", refs[6], status="failed", attempts=4))
        tx.enqueue_notification(
            notification(
                "n2", refs[5], terminal_id="t2", created_at=at(20), next_attempt_at=at(20)
            )  # fmt: skip
        )
        tx.enqueue_notification(notification("n3", refs[4], status="delivered", attempts=1))
    with store.transaction(write=False) as tx:
        assert [n.notification_id for n in tx.notifications_needing_care(None, "failed", 10)] == [
            "n1"
        ]
        assert [n.notification_id for n in tx.notifications_needing_care(None, "pending", 10)] == [
            "n2"
        ]
        assert tx.notifications_needing_care("r1", "pending", 10) == []
        assert [n.notification_id for n in tx.notifications_needing_care("r2", "pending", 9)] == [
            "n2"
        ]
        with pytest.raises(ValueError):
            tx.notifications_needing_care(None, "delivered", 10)


def test_console_secret_is_created_once(store: Any) -> None:
    with store.transaction() as tx:
        first = tx.console_secret("one")
    with store.transaction() as tx:
        assert tx.console_secret("two") == first == "one"


def test_search_keeps_the_date_range_inclusive_of_its_start(store: Any) -> None:
    refs = _history(store)
    with store.transaction(write=False) as tx:
        found = tx.search_invoices(
            InvoiceSearch(created_from=at(6), created_to=at(6) + timedelta(microseconds=1))
        )
    assert [i.reference for i in found] == [refs[6]]
