"""Real concurrency, per backend: 20 threads on one store (or separate processes, each with
its own store), a barrier so they collide."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TypeVar

import pytest

from openseqr.core.errors import InsufficientFunds
from openseqr.core.ledger import customer_account, merchant_account
from openseqr.core.ports import Store
from openseqr.core.states import State
from openseqr.storage import open_store
from tests.integration.storage.cas_racer import read_then_save
from tests.integration.storage.storage_factories import (
    at,
    customer,
    fund,
    invoice,
    notification,
    pay,
    reseller,
    terminal,
)

THREADS = 20
T = TypeVar("T")


@pytest.fixture
def shared(storage_url: str) -> Iterator[Store]:
    """A store sized for THREADS concurrent transactions, seeded with one invoice."""
    options = {"max_size": THREADS} if storage_url.startswith("postgres") else {}
    store = open_store(storage_url, **options)
    with store.transaction() as tx:
        tx.upsert_reseller(reseller("r1"))
        tx.insert_terminal(terminal("t1", "r1"))
        tx.insert_customer(customer("c1"))
        tx.insert_invoice(invoice("R1"))
    try:
        yield store
    finally:
        store.close()


def run_together(worker: Callable[[int], T]) -> list[T]:
    barrier = threading.Barrier(THREADS)

    def start(i: int) -> T:
        barrier.wait(timeout=30)
        return worker(i)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(start, range(THREADS)))


def test_lock_invoice_serialises_read_modify_write(shared: Store) -> None:
    # The lock, not the CAS, decides here: every loser must already see the winner's write.
    def worker(i: int) -> str:
        with shared.transaction() as tx:
            inv = tx.lock_invoice("R1")
            assert inv is not None
            if inv.state is not State.ISSUED:
                return "saw the winner"
            return "won" if tx.save_invoice(replace(inv, state=State.PAYING), inv.rev) else "lost"

    results = run_together(worker)
    assert sorted(set(results)) == ["saw the winner", "won"] and results.count("won") == 1
    with shared.transaction(write=False) as tx:
        inv = tx.get_invoice("R1")
    assert inv is not None and inv.state is State.PAYING and inv.rev == 1


RACERS = 6  # processes; each imports openseqr, so keep it small on a shared machine


def test_racing_processes_cas_exactly_one_wins(shared: Store, storage_url: str) -> None:
    # Separate processes, each with its own store, all read rev 0 before anyone writes: the
    # compare-and-set in save_invoice is the only thing that can refuse the stale writers.
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(RACERS), spawn.Queue()
    racers = [
        spawn.Process(target=read_then_save, args=(storage_url, i, barrier, results))
        for i in range(RACERS)
    ]
    for p in racers:
        p.start()
    outcome = dict(results.get(timeout=180) for _ in racers)
    for p in racers:
        p.join(timeout=60)
    assert [p.exitcode for p in racers] == [0] * RACERS
    winners = [racer for racer, won in outcome.items() if won]
    assert len(winners) == 1, f"{len(winners)} of {RACERS} stale writers saved over rev 0"
    with shared.transaction(write=False) as tx:
        inv = tx.get_invoice("R1")
    assert inv is not None and inv.rev == 1 and inv.payer == f"c{winners[0]}"


def test_stale_reads_cas_exactly_one_wins(shared: Store) -> None:
    # Everybody reads rev 0 first (no lock); then all try to write: CAS lets one through.
    with shared.transaction(write=False) as tx:
        seen = tx.get_invoice("R1")
    assert seen is not None

    def worker(i: int) -> bool:
        with shared.transaction() as tx:
            return tx.save_invoice(replace(seen, state=State.VIEWED, payer=f"c{i}"), seen.rev)

    assert run_together(worker).count(True) == 1
    with shared.transaction(write=False) as tx:
        assert tx.get_invoice("R1").rev == 1  # type: ignore[union-attr]


def test_concurrent_debits_never_overdraw(shared: Store) -> None:
    with shared.transaction() as tx:
        tx.apply_transfer(fund("c1", "50.00"))

    def worker(i: int) -> bool:
        try:
            with shared.transaction() as tx:
                tx.apply_transfer(pay("c1", "r1", "10.00", ref=f"R{i}"))
            return True
        except InsufficientFunds:
            return False

    assert run_together(worker).count(True) == 5
    with shared.transaction(write=False) as tx:
        assert tx.balance(customer_account("c1"), "SEK") == 0
        assert tx.balance(merchant_account("r1"), "SEK") == 50
        assert tx.entry_sums() == {"SEK": 0}
        assert tx.balances_match_entries()


def test_concurrent_claims_never_share_a_notification(shared: Store) -> None:
    with shared.transaction() as tx:
        for n in range(60):
            tx.enqueue_notification(notification(f"n{n:02}", "R1", next_attempt_at=at(n)))

    def worker(i: int) -> list[str]:
        with shared.transaction() as tx:
            return [n.notification_id for n in tx.claim_notifications(at(100), at(500), 4)]

    claimed = [nid for batch in run_together(worker) for nid in batch]
    assert len(claimed) == len(set(claimed))  # nobody got a row another relay holds
    # (a relay may come back short while others hold locks; what is left is still claimable)
    with shared.transaction() as tx:
        rest = [n.notification_id for n in tx.claim_notifications(at(100), at(500), 100)]
    assert sorted(claimed + rest) == [f"n{n:02}" for n in range(60)]
