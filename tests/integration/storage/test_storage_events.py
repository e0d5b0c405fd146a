"""The invoice event history in the store, on SQLite and PostgreSQL (`store` is parametrised):
append-only rows that commit and roll back with the change, read in time order, purged by age."""

from __future__ import annotations

from datetime import timedelta

import pytest

from openseqr.core.ports import Store
from openseqr.core.records import InvoiceEvent
from tests.integration.storage.storage_factories import CEST, at


def event(reference: str, seconds: float, kind: str = "viewed", **detail: str) -> InvoiceEvent:
    return InvoiceEvent(None, reference, "t1", at(seconds), kind, "customer", "c1", detail)


def history(store: Store, reference: str) -> list[InvoiceEvent]:
    with store.transaction(write=False) as tx:
        return tx.invoice_events(reference)


def test_events_round_trip_in_time_order_with_ids(store: Store) -> None:
    with store.transaction() as tx:
        tx.append_event(event("R1", 5, "paid", amount="500.00 SEK", note="åäö \u2603"))
        tx.append_event(event("R1", 1, "sent"))
        tx.append_event(event("R2", 2, "sent"))
        tx.append_event(event("R1", 5, "notification_attempt"))  # same instant: id order
    got = history(store, "R1")
    assert [(e.kind, e.at) for e in got] == [
        ("sent", at(1)),
        ("paid", at(5)),
        ("notification_attempt", at(5)),
    ]
    assert all(e.event_id is not None for e in got)
    assert got[1].event_id < got[2].event_id  # type: ignore[operator]
    paid = got[1]
    assert paid.detail == {"amount": "500.00 SEK", "note": "åäö \u2603"}
    assert (paid.invoice_reference, paid.terminal_id, paid.actor, paid.actor_id) == (
        "R1",
        "t1",
        "customer",
        "c1",
    )
    assert paid.at.utcoffset() == timedelta(0)
    assert got[0].detail == {}  # stored as NULL, read back empty
    assert history(store, "nobody") == []


def test_events_appended_together_keep_their_order_and_fields(store: Store) -> None:
    """One transition writes its events in one call (one round trip on PostgreSQL): same
    instant, so only the ids tell the order, which must be the order given."""
    batch = [
        event("R3", 7, kind, step=str(n)) for n, kind in enumerate(("viewed", "paying", "paid"))
    ]
    with store.transaction() as tx:
        tx.append_events(batch)
        tx.append_events([event("R3", 8, "acknowledged")])
        tx.append_events([])
    got = history(store, "R3")
    assert [(e.kind, e.at, e.detail) for e in got] == [
        (e.kind, e.at, e.detail) for e in (*batch, event("R3", 8, "acknowledged"))
    ]
    ids = [e.event_id for e in got]
    assert None not in ids and ids == sorted(ids)  # type: ignore[type-var]


def test_times_in_other_offsets_order_as_instants(store: Store) -> None:
    with store.transaction() as tx:
        tx.append_event(event("R1", 10, "paid"))
        earlier = InvoiceEvent(None, "R1", "t1", at(3).astimezone(CEST), "sent", "terminal", None)
        tx.append_event(earlier)
    assert [(e.kind, e.at) for e in history(store, "R1")] == [("sent", at(3)), ("paid", at(10))]


def test_a_rolled_back_transaction_leaves_no_event(store: Store) -> None:
    with store.transaction() as tx:
        tx.append_event(event("R1", 1, "sent"))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.append_event(event("R1", 2, "paid"))
        raise RuntimeError("the change failed after its event was written")
    assert [e.kind for e in history(store, "R1")] == ["sent"]


def test_purge_deletes_only_rows_older_than_the_cutoff_in_batches(store: Store) -> None:
    with store.transaction() as tx:
        for second in range(10):
            tx.append_event(event("R1", second))
    with store.transaction() as tx:
        assert tx.purge_events(at(6), 4) == 4  # the four oldest
    with store.transaction() as tx:
        assert tx.purge_events(at(6), 4) == 2  # of the next four, two are young enough to stay
    with store.transaction() as tx:
        assert tx.purge_events(at(6), 4) == 0
    assert [e.at for e in history(store, "R1")] == [at(s) for s in range(6, 10)]
