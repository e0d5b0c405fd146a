"""SQLite group commit (A-73): commits are shown only after an fsync covers them, and a burst
of commits shares fsyncs. The real WAL is fsynced; a gate in front of it lets a test hold the
fsync and look at what waits for it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from openseqr.storage import open_store
from openseqr.storage.group_commit import DurabilityLost
from openseqr.storage.sqlite import SqliteStore


class FsyncGate:
    """Stands before the store's real fsync: counts fsyncs, and holds them while closed."""

    def __init__(self, store: SqliteStore) -> None:
        group = store._group
        assert group is not None
        self._real = group._fsync
        self.opened = threading.Event()
        self.opened.set()
        self.entered = threading.Event()
        self.calls = 0
        self.fail: OSError | None = None
        group._fsync = self  # type: ignore[method-assign]

    def __call__(self) -> None:
        self.entered.set()
        self.opened.wait()
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        self._real()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'group.sqlite3'}", group_commit=True)
    assert isinstance(opened, SqliteStore)
    yield opened
    opened.close()


def _commit(store: SqliteStore, name: str) -> None:
    with store.transaction() as tx:
        tx.set_switch(name, "on")


def test_a_commit_is_durable_only_after_its_fsync(store: SqliteStore) -> None:
    gate = FsyncGate(store)
    gate.opened.clear()

    async def scenario() -> tuple[bool, bool]:
        _commit(store, "a")
        waiting = store.durable()
        assert waiting is not None
        await asyncio.sleep(0.2)
        held = not asyncio.ensure_future(waiting).done()
        gate.opened.set()
        await asyncio.wait_for(waiting, 5)
        return held, store.durable() is None

    held, then_durable = asyncio.run(scenario())
    assert held and then_durable
    assert gate.calls >= 1


def test_the_commit_itself_is_visible_and_uses_normal_sync(store: SqliteStore) -> None:
    _commit(store, "visible")
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("SELECT value FROM switches WHERE name='visible'").fetchone() == ("on",)
    finally:
        conn.close()
    with store.transaction(write=False) as tx:
        assert tx._c.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL: no own fsync
    assert store.wait_durable(5)


def test_a_burst_of_commits_shares_fsyncs(store: SqliteStore) -> None:
    gate = FsyncGate(store)
    gate.opened.clear()
    _commit(store, "first")
    assert gate.entered.wait(5)  # the fsync thread is now held inside its first fsync
    threads = [threading.Thread(target=_commit, args=(store, f"s{i}")) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gate.opened.set()
    assert store.wait_durable(5)
    assert gate.calls == 2  # the first commit's fsync, then one for the 40 made meanwhile


def test_a_failed_fsync_fails_every_waiter_and_later_ones(store: SqliteStore) -> None:
    gate = FsyncGate(store)
    gate.fail = OSError(5, "Input/output error")
    gate.opened.clear()

    async def scenario() -> None:
        _commit(store, "lost")
        waiting = store.durable()
        assert waiting is not None
        gate.opened.set()
        with pytest.raises(DurabilityLost):
            await asyncio.wait_for(waiting, 5)
        with pytest.raises(DurabilityLost):
            store.durable()

    asyncio.run(scenario())
    with pytest.raises(DurabilityLost):
        store.wait_durable(1)


def test_close_syncs_what_is_pending(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'close.sqlite3'}", group_commit=True)
    assert isinstance(store, SqliteStore)
    gate = FsyncGate(store)
    _commit(store, "last")
    store.close()
    assert gate.calls >= 1
    assert store._group is not None and store._group._flushed == store._group._committed


def test_without_group_commit_a_commit_is_durable_when_it_returns(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'full.sqlite3'}")
    try:
        _commit(store, "x")
        assert store.wait_durable(0)
        with store.transaction(write=False) as tx:
            assert tx._c.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    finally:
        store.close()


def test_the_url_can_turn_group_commit_off(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'off.sqlite3'}?group_commit=off", group_commit=True)
    try:
        assert isinstance(store, SqliteStore) and store._group is None
    finally:
        store.close()


def test_a_group_commit_value_that_is_neither_on_nor_off_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="group_commit must be on or off"):
        open_store(f"sqlite:///{tmp_path / 'x.sqlite3'}?group_commit=sometimes")
