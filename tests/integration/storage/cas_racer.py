"""Child-process side of the compare-and-set race (its own module so `spawn` can import it)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from openseqr.core.states import State
from openseqr.storage import open_store


def read_then_save(database_url: str, racer: int, barrier: Any, results: Any) -> None:
    """Read invoice R1, wait until every racer has read it, then save over it with a CAS.

    Each racer is a separate process with its own store (connection, pool and writer mutex), so
    nothing in this process orders the racers: only the database's compare-and-set can.
    """
    store = open_store(database_url)
    try:
        with store.transaction(write=False) as tx:
            seen = tx.get_invoice("R1")
        assert seen is not None
        barrier.wait(timeout=120)
        with store.transaction() as tx:
            won = tx.save_invoice(replace(seen, state=State.VIEWED, payer=f"c{racer}"), seen.rev)
        results.put((racer, won))
    finally:
        store.close()
