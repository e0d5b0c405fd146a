"""PostgreSQL adapter: a `psycopg_pool.ConnectionPool`, READ COMMITTED, explicit transactions.

* Connections are autocommit; `transaction()` opens `conn.transaction()` (BEGIN READ WRITE ...
  COMMIT / ROLLBACK). A read (`write=False`) opens no transaction block: its statements run one
  by one on a session whose default is read-only, which saves BEGIN and COMMIT (two round trips
  on the event loop) and loses nothing, since under READ COMMITTED each statement takes its own
  snapshot anyway (A-72). Behind a transaction pooler a session setting does not follow the
  client, so there reads keep `BEGIN READ ONLY`. Sessions run with `TimeZone=UTC`, so every
  TIMESTAMPTZ comes back as an aware UTC datetime.
* `lock_invoice` is `SELECT ... FOR UPDATE`; `claim_notifications` uses `FOR UPDATE SKIP LOCKED`;
  `apply_transfer` debits with one conditional UPDATE per account (see storage.base).
* A unique violation inside an UPDATE would abort the whole transaction, so those statements run
  inside a savepoint (`_unique_guard`); inserts use ON CONFLICT DO NOTHING and never abort.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from openseqr.core.ports import DuplicateKey
from openseqr.core.records import Notification

from .base import SqlTx
from .queries import load
from .rows import POSTGRES

_QUERIES = load("postgres")


def conninfo(url: str) -> str:
    """Accept postgresql://, postgres:// and yoyo's postgresql+psycopg:// spellings."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    return "postgresql://" + rest


class PostgresTx(SqlTx):
    __slots__ = ()

    @contextmanager
    def _unique_guard(self, what: str) -> Iterator[None]:
        try:
            with self._c.transaction():  # a savepoint: a violation leaves the tx usable
                yield
        except pg_errors.UniqueViolation as exc:
            raise DuplicateKey(f"{what} already exists") from exc

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        with self._c.transaction():
            yield

    def claim_notifications(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> list[Notification]:
        params = {"now": now, "lease_until": lease_until, "limit": limit}
        rows = self._c.execute(_QUERIES.claim_notifications, params).fetchall()
        rows.sort(key=lambda r: (r[-1], r[0]))  # RETURNING has no order: oldest due first
        return [self._m.notification(r[:-1]) for r in rows]


def _configure(conn: psycopg.Connection) -> None:
    conn.execute("SET TIME ZONE 'UTC'")


def _configure_read_only_default(conn: psycopg.Connection) -> None:
    _configure(conn)
    conn.execute("SET default_transaction_read_only = on")  # a read that writes fails
    conn.read_only = False  # so every transaction block says BEGIN READ WRITE


class PostgresStore:
    """`core.ports.Store` on PostgreSQL. Run `storage.migrate` first (`open_store` does).

    One pool per process, `max_size` connections at most (A-44): a request waits up to `timeout`
    seconds for one. Connections are not checked when taken (no extra round trip); one broken
    by a database restart is discarded when it is returned, so a restart costs one failed
    request per pooled connection."""

    def __init__(
        self,
        url: str,
        min_size: int = 1,
        max_size: int = 10,
        *,
        prepared_statements: bool = True,
        read_only_sessions: bool = True,
        timeout: float = 30.0,
        connect_timeout: float = 30.0,
    ) -> None:
        self.url = url
        self._pool = ConnectionPool(
            conninfo(url),
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            # psycopg prepares a query on its 5th run on a connection; a transaction pooler
            # (pgbouncer before 1.21) cannot keep prepared statements across transactions.
            kwargs={"autocommit": True, "prepare_threshold": 5 if prepared_statements else None},
            configure=_configure_read_only_default if read_only_sessions else _configure,
            name="openseqr",
            open=False,
        )
        self._read_only_sessions = read_only_sessions
        self._pool.open(wait=True, timeout=connect_timeout)

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[PostgresTx]:
        with self._pool.connection() as conn:
            tx = PostgresTx(conn, _QUERIES, POSTGRES)
            if not write and self._read_only_sessions:
                yield tx  # one statement at a time, each read-only and autocommitted
            else:
                conn.read_only = not write
                with conn.transaction():
                    yield tx
        tx.committed()

    def durable(self) -> None:
        """A PostgreSQL commit is durable when it returns (synchronous_commit=on)."""
        return None

    def wait_durable(self, timeout: float | None = None) -> bool:
        return True

    def close(self) -> None:
        self._pool.close()
