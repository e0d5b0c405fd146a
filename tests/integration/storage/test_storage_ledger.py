"""Ledger contract: balances move with entries, overdraft is refused without a trace."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from openseqr.core.errors import InsufficientFunds
from openseqr.core.ledger import (
    HOLDS,
    Entry,
    Transfer,
    TransferKind,
    customer_account,
    merchant_account,
    move,
    split,
)
from openseqr.core.money import Money
from openseqr.core.ports import Store, Tx
from tests.integration.storage.storage_factories import at, fund, pay, sek

C1, C2 = customer_account("c1"), customer_account("c2")
M1 = merchant_account("r1")


def snapshot(tx: Tx, accounts: list[str], currency: str = "SEK") -> dict[str, Decimal]:
    return {a: tx.balance(a, currency) for a in accounts}


def test_transfers_move_balances(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.balance(C1, "SEK") == 0 and tx.entry_sums() == {}
        tx.apply_transfer(fund("c1", "100.00"))
        tx.apply_transfer(pay("c1", "r1", "30.25", ref="R1"))
        tx.apply_transfer(fund("c1", "7", currency="JPY"))
    with store.transaction(write=False) as tx:
        assert snapshot(tx, [C1, M1, "provider:SEK"]) == {
            C1: Decimal("69.75"), M1: Decimal("30.25"), "provider:SEK": Decimal("-100.00")
        }  # fmt: skip
        assert str(tx.balance(C1, "SEK")) == "69.75"
        assert tx.balance(C1, "JPY") == Decimal(7) and tx.balance(C1, "EUR") == 0
        assert tx.entry_sums() == {"JPY": 0, "SEK": 0}
        assert tx.balances_match_entries()


def test_reservation_commit_split(store: Store) -> None:
    with store.transaction() as tx:
        tx.apply_transfer(fund("c1", "50.00"))
        tx.apply_transfer(move(TransferKind.RESERVATION, C1, f"{HOLDS}:SEK", sek("40.00")))
        tx.apply_transfer(
            split(TransferKind.COMMIT, f"{HOLDS}:SEK", [(M1, sek("35.00")), (C1, sek("5.00"))])
        )
        assert snapshot(tx, [C1, M1, "holds:SEK"]) == {
            C1: Decimal("15.00"), M1: Decimal("35.00"), "holds:SEK": Decimal(0)
        }  # fmt: skip
        assert tx.balances_match_entries() and tx.entry_sums() == {"SEK": 0}


@pytest.mark.parametrize(
    "transfer",
    [
        pytest.param(pay("c1", "r1", "10.01"), id="customer-debit-first"),
        # merchant:r1 -> customer:c1: the credit to customer:c1 sorts (and is applied) before
        # the failing merchant debit, so this exercises the savepoint path
        pytest.param(move(TransferKind.REFUND, M1, C1, sek("0.01")), id="credit-applied-first"),
        pytest.param(
            Transfer(
                TransferKind.PAYMENT,
                (
                    Entry(C1, Decimal("-5"), "SEK"),
                    Entry(C2, Decimal("-6"), "SEK"),
                    Entry(M1, Decimal("11"), "SEK"),
                ),
            ),
            id="second-debit-fails",
        ),  # fmt: skip
    ],
)
def test_insufficient_funds_changes_nothing(store: Store, transfer: Transfer) -> None:
    with store.transaction() as tx:
        tx.apply_transfer(fund("c1", "10.00"))
        tx.apply_transfer(fund("c2", "5.00"))
    with store.transaction() as tx:
        before = snapshot(tx, [C1, C2, M1, "provider:SEK"])
        with pytest.raises(InsufficientFunds):
            tx.apply_transfer(transfer)
        # the caller may go on in the same transaction (e.g. decline the payment) and commit
        assert snapshot(tx, [C1, C2, M1, "provider:SEK"]) == before
        tx.set_switch("after", "declined")
    with store.transaction(write=False) as tx:
        assert snapshot(tx, [C1, C2, M1, "provider:SEK"]) == before
        assert tx.balances_match_entries() and tx.entry_sums() == {"SEK": 0}
        assert tx.get_switch("after") == "declined"


def test_edge_amounts(store: Store) -> None:
    with store.transaction() as tx:
        tx.apply_transfer(fund("c1", "10.00"))
        tx.apply_transfer(pay("c1", "r1", "10.00"))  # down to exactly zero is fine
        assert tx.balance(C1, "SEK") == 0
        with pytest.raises(InsufficientFunds):
            tx.apply_transfer(pay("c1", "r1", "0.01"))
    odd = Transfer(
        TransferKind.FUNDING,
        (Entry("provider:SEK", Decimal("-0.001"), "SEK"), Entry(C1, Decimal("0.001"), "SEK")),
    )
    with pytest.raises(ValueError, match="minor units"), store.transaction() as tx:
        tx.apply_transfer(odd)


def test_many_random_transfers_stay_consistent(store: Store) -> None:
    rng = random.Random(20240301)
    customers = [customer_account(f"c{i}") for i in range(5)]
    merchants = [merchant_account(f"r{i}") for i in range(2)]
    model: dict[tuple[str, str], int] = {}
    refused = 0
    with store.transaction() as tx:
        for n in range(300):
            cur = rng.choice(["SEK", "EUR"])
            amount = Money.from_minor(rng.randint(1, 5000), cur)
            kind = rng.random()
            if kind < 0.25:
                src, dst, tk = f"provider:{cur}", rng.choice(customers), TransferKind.FUNDING
            elif kind < 0.8:
                src, dst, tk = rng.choice(customers), rng.choice(merchants), TransferKind.PAYMENT
            else:
                src, dst, tk = rng.choice(merchants), rng.choice(customers), TransferKind.REFUND
            src_minor = model.get((src, cur), 0)
            try:
                tx.apply_transfer(move(tk, src, dst, amount, invoice_reference=f"R{n}", at=at(n)))
            except InsufficientFunds:
                refused += 1
                assert not src.startswith("provider:") and src_minor < amount.to_minor()
                continue
            model[(src, cur)] = src_minor - amount.to_minor()
            model[(dst, cur)] = model.get((dst, cur), 0) + amount.to_minor()
    assert 10 < refused < 200
    with store.transaction(write=False) as tx:
        for (account, cur), minor in model.items():
            assert tx.balance(account, cur) == Money.from_minor(minor, cur).amount
            if not account.startswith("provider:"):
                assert minor >= 0
        assert tx.entry_sums() == {"EUR": 0, "SEK": 0}
        assert tx.balances_match_entries()


def test_balances_match_entries_detects_drift(store: Store) -> None:
    with store.transaction() as tx:
        tx.apply_transfer(fund("c1", "10.00"))
        assert tx.balances_match_entries()
        # white-box: corrupt one balance behind the ledger's back (same SQL in both dialects)
        tx._c.execute(  # type: ignore[attr-defined]
            "UPDATE account_balances SET balance_minor = balance_minor + 1 "
            "WHERE account = 'customer:c1'"
        )
        assert not tx.balances_match_entries()
        tx._c.execute(  # type: ignore[attr-defined]
            "DELETE FROM account_balances WHERE account = 'customer:c1'"
        )
        assert not tx.balances_match_entries()  # entries without a balance row
