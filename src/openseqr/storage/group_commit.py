"""Group commit for SQLite (A-73): many commits, one fsync, and nothing shown before it.

With `synchronous=FULL` every COMMIT fsyncs the WAL on the calling thread, which is the
server's event loop: four fsyncs per payment, each blocking every other request. Here the
connections commit with `synchronous=NORMAL` (the WAL is written, not synced: still consistent
after a crash, and a SIGKILL loses nothing since the OS keeps the pages) and one thread fsyncs
the WAL for all commits made since its last fsync. Whatever would show a commit to the outside
waits for the fsync that covers it: the edge holds every HTTP response (`durable()`), the relay
holds every notification. So an answer or a notification never reports what a power cut could
undo, exactly as with FULL, and a burst of N commits costs one fsync instead of N.

Only commits of this process are tracked: a second process writing the same file must not
rely on this process's fsyncs (`serve --workers N` on SQLite turns group commit off).

Checkpoints move off the committing threads too: SQLite's automatic checkpoint runs inside
whichever COMMIT crosses `wal_autocheckpoint` pages (copying the WAL into the database and
fsyncing both, on the event loop); here a `Checkpointer` thread runs a PASSIVE checkpoint every
`CHECKPOINT_EVERY` commits, and the connections' own threshold is raised to a safety net.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

log = logging.getLogger("openseqr.storage")


class DurabilityLost(RuntimeError):
    """An fsync of the WAL failed: what was committed since the last good one may be lost."""


_Waiter = tuple[int, asyncio.AbstractEventLoop, "asyncio.Future[None]"]

#: how long the fsync thread gathers commits before an fsync. Without it nearly every commit
#: got its own fsync (39,065 for 39,689 commits at 300 payments/s), and every fsync costs the
#: event loop a hand-over of the GIL; with 1 ms, 21,687, and p50 of a payment 67 -> 13 ms.
GATHER_SECONDS = 0.001
#: commits between two background checkpoints (each commit writes a few WAL pages)
CHECKPOINT_EVERY = 256
#: `PRAGMA wal_autocheckpoint` of the serving connections: only if the checkpointer lags
SAFETY_AUTOCHECKPOINT = 20_000


class GroupCommit:
    def __init__(self, wal: Path, connect: Callable[[], sqlite3.Connection]) -> None:
        self._wal = wal
        self._checkpointer = Checkpointer(connect)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)  # for `wait()`: blocking waiters
        # The fsync thread parks on `_wake` (held while it sleeps) and only a parked thread is
        # woken, so a COMMIT costs a plain lock and a flag, not a Condition's notify (several
        # Python-level calls) every time.
        self._wake = threading.Lock()
        self._wake.acquire()
        self._parked = False
        self._committed = 0  # commits made (their WAL frames written) by this process
        self._flushed = 0  # the first `_flushed` commits are fsynced
        self._waiters: list[_Waiter] = []
        self._failure: DurabilityLost | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="openseqr-fsync", daemon=True)
        self._thread.start()

    # -- writers (any thread, right after COMMIT returned) ------------------------------------
    def committed(self) -> None:
        with self._lock:
            self._committed += 1
            due = self._committed % CHECKPOINT_EVERY == 0
            parked, self._parked = self._parked, False
        if parked:
            self._wake.release()
        if due:
            self._checkpointer.wake()

    # -- whoever shows a commit to the outside ------------------------------------------------
    def durable(self) -> Awaitable[None] | None:
        """On an event loop: None when every commit so far is fsynced, else a future that is
        done once they are (or fails with `DurabilityLost`)."""
        if self._flushed >= self._committed and self._failure is None:  # ints: no lock needed
            return None
        loop = asyncio.get_running_loop()
        with self._cond:
            if self._failure is not None:
                raise self._failure
            target = self._committed
            if self._flushed >= target:
                return None
            future: asyncio.Future[None] = loop.create_future()
            self._waiters.append((target, loop, future))
        return future

    def wait(self, timeout: float | None = None) -> bool:
        """Blocking twin of `durable()` for threads without a loop; False on timeout."""
        with self._cond:
            target = self._committed
            done = self._cond.wait_for(
                lambda: self._flushed >= target or self._failure is not None, timeout
            )
            if self._failure is not None:
                raise self._failure
            return done

    def close(self) -> None:
        """Fsync what is pending, then stop the thread."""
        with self._lock:
            self._closing = True
            parked, self._parked = self._parked, False
        if parked:
            self._wake.release()
        self._thread.join()
        self._checkpointer.close()

    # -- the fsync thread ---------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._lock:
                idle = self._flushed >= self._committed
                if idle and self._closing:
                    return
                self._parked = idle
            if idle:
                self._wake.acquire()  # until a commit (or close) releases it
                continue
            if not self._closing:
                time.sleep(GATHER_SECONDS)
            with self._cond:
                target = self._committed
            try:
                self._fsync()
            except OSError as exc:
                log.critical("fsync of %s failed: commits may be lost", self._wal, exc_info=True)
                self._fail(DurabilityLost(f"fsync of the SQLite WAL failed: {exc}"))
                return
            with self._cond:
                self._flushed = target
                ready = [w for w in self._waiters if w[0] <= target]
                self._waiters = [w for w in self._waiters if w[0] > target]
                self._cond.notify_all()
            _settle(ready, None)

    def _fsync(self) -> None:
        # Opened each time: SQLite deletes the WAL when its last connection closes (after a
        # checkpoint that synced the database) and creates a new one later.
        try:
            fd = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _fail(self, failure: DurabilityLost) -> None:
        with self._cond:
            self._failure = failure
            waiters, self._waiters = self._waiters, []
            self._cond.notify_all()
        _settle(waiters, failure)


class Checkpointer:
    """A thread that runs PASSIVE checkpoints on its own connection when woken: it never
    waits for readers or writers, and copies what it can."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._due = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="openseqr-checkpoint", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._due.set()

    def close(self) -> None:
        self._closing = True
        self._due.set()
        self._thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while True:
            self._due.wait()
            self._due.clear()
            if self._closing:
                return
            try:
                conn = conn or self._connect()
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:  # the store is closing, or busy: the next wake retries
                log.warning("background checkpoint failed", exc_info=True)


def _settle(waiters: list[_Waiter], failure: DurabilityLost | None) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for _, loop, future in waiters:
        by_loop.setdefault(loop, []).append(future)
    for loop, futures in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, futures, failure)
        except RuntimeError:  # that loop is closed: nobody waits there any more
            pass


def _resolve(futures: list[asyncio.Future[None]], failure: DurabilityLost | None) -> None:
    for future in futures:
        if not future.done():  # a cancelled request (the client went away)
            if failure is None:
                future.set_result(None)
            else:
                future.set_exception(failure)
