"""SQLite adapter: one connection per thread, WAL, explicit transactions.

* `transaction(write=True)` runs `BEGIN IMMEDIATE`: the write lock is taken up front, so a
  read-modify-write never interleaves with another writer (and `lock_invoice` needs no SQL of
  its own); `write=False` runs a deferred `BEGIN` (a WAL snapshot; readers never block).
* `synchronous=FULL` by default: a commit returns after the WAL is fsynced. With
  `group_commit=True` (the server's default, A-73) commits skip that fsync and
  `group_commit.GroupCommit` syncs many at once; `durable()` says when they are synced.
* Connections are created lazily per thread (`threading.local`), in autocommit mode
  (`isolation_level=None`) so the driver never issues hidden BEGIN/COMMIT.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Literal

from openseqr.core.ports import DuplicateKey
from openseqr.core.records import Notification

from .base import SqlTx
from .group_commit import SAFETY_AUTOCHECKPOINT, GroupCommit
from .queries import load
from .rows import SQLITE

Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
_QUERIES = load("sqlite")


class SqliteTx(SqlTx):
    __slots__ = ()

    @contextmanager
    def _unique_guard(self, what: str) -> Iterator[None]:
        # A failing statement is rolled back on its own in SQLite; the transaction goes on.
        try:
            yield
        except sqlite3.IntegrityError as exc:
            if "UNIQUE constraint failed" in str(exc):
                raise DuplicateKey(f"{what} already exists") from exc
            raise

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self._c.execute("SAVEPOINT apply_transfer")
        try:
            yield
        except BaseException:
            self._c.execute("ROLLBACK TO apply_transfer")
            self._c.execute("RELEASE apply_transfer")
            raise
        self._c.execute("RELEASE apply_transfer")

    def claim_notifications(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[Notification]:
        # Atomic because write transactions hold SQLite's write lock (BEGIN IMMEDIATE).
        m, c = self._m, self._c
        rows = c.execute(_QUERIES.due_notifications, {"now": m.dt_in(now), "limit": limit})
        claimed = [m.notification(r) for r in rows.fetchall()]
        if claimed:
            lease = m.dt_in(lease_until)
            c.executemany(
                _QUERIES.lease_notification,
                [{"lease_until": lease, "notification_id": n.notification_id} for n in claimed],
            )
        return [replace(n, next_attempt_at=lease_until) for n in claimed]


class _Transaction:
    """Context manager for one transaction on this thread's connection (no generator frame).

    Write transactions of one process queue on a mutex before `BEGIN IMMEDIATE`: SQLite's own
    busy handler sleeps between retries (up to 100 ms), so under contention the lock would sit
    free while every waiter sleeps. Other processes still meet SQLite's lock (busy_timeout).
    """

    __slots__ = ("_conn", "_begin", "_mutex", "_group", "_tx")

    def __init__(
        self,
        conn: sqlite3.Connection,
        begin: str,
        mutex: threading.Lock | None,
        group: GroupCommit | None = None,
    ) -> None:
        self._conn = conn
        self._begin = begin
        self._mutex = mutex
        self._group = group

    def __enter__(self) -> SqliteTx:
        if self._mutex is not None:
            self._mutex.acquire()
        try:
            self._conn.execute(self._begin)
        except BaseException:
            if self._mutex is not None:
                self._mutex.release()
            raise
        self._tx = SqliteTx(self._conn, _QUERIES, SQLITE)
        return self._tx

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self._conn
        try:
            if exc_type is None:
                try:
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                if self._group is not None:
                    self._group.committed()
            elif conn.in_transaction:
                conn.execute("ROLLBACK")
        finally:
            if self._mutex is not None:
                self._mutex.release()
        if exc_type is None:
            self._tx.committed()  # after the writer lock is free: observers never hold it


class SqliteStore:
    """`core.ports.Store` on one SQLite file. Run `storage.migrate` first (`open_store` does)."""

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: Synchronous = "FULL",
        busy_timeout: float = 5.0,
        group_commit: bool = False,
    ) -> None:
        if str(path) in ("", ":memory:"):
            raise ValueError("SqliteStore needs a file: each thread opens its own connection")
        if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
        self.path = Path(path).resolve()  # threads connect later; a chdir must not move it
        self.synchronous = synchronous
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._writer = threading.Lock()  # one writer of this process at a time (see _Transaction)
        self._closed = False
        # Group commit keeps FULL's promise (nothing is shown before its fsync) with fewer
        # fsyncs; with NORMAL or OFF there is no fsync to group.
        self._group = (
            GroupCommit(self.path.with_name(self.path.name + "-wal"), self._connect)
            if group_commit and synchronous in ("FULL", "EXTRA")
            else None
        )

    def _connect(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError("store is closed")
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout,
            isolation_level=None,
            check_same_thread=False,  # used by one thread only; close() may run on another
            cached_statements=256,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={'NORMAL' if self._group else self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        if self._group is not None:  # checkpoints run on the group's own thread
            conn.execute(f"PRAGMA wal_autocheckpoint={SAFETY_AUTOCHECKPOINT}")
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        with self._lock:
            self._all.append(conn)
        self._local.conn = conn
        return conn

    def transaction(self, write: bool = True) -> _Transaction:
        conn = getattr(self._local, "conn", None) or self._connect()
        if write:
            return _Transaction(conn, "BEGIN IMMEDIATE", self._writer, self._group)
        return _Transaction(conn, "BEGIN", None)

    def durable(self) -> Awaitable[None] | None:
        """On an event loop: None if every commit of this process is durable, else an awaitable
        that is done once it is. Await it before showing a commit to the outside."""
        return None if self._group is None else self._group.durable()

    def wait_durable(self, timeout: float | None = None) -> bool:
        """Blocking `durable()`, for threads without an event loop."""
        return True if self._group is None else self._group.wait(timeout)

    def close(self) -> None:
        if self._group is not None:
            self._group.close()
        with self._lock:
            self._closed = True
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
