"""Apply pending schema migrations (yoyo-migrations), once per server start.

One migration set per dialect: `sql/migrations/sqlite/` and `sql/migrations/postgres/` hold
the same numbered files (see their headers for why two sets). `migrate()` is idempotent, and
safe when several processes start at once:

* an outer lock serialises migrators: a PostgreSQL session advisory lock, or an `flock` on a
  `<db>.migrate-lock` file next to a SQLite database. Both vanish with the process, so a crash
  never leaves the database locked;
* holding it, a stale `yoyo_lock` row (left by a crashed run) is safe to clear; yoyo's own lock
  is then taken and the pending set is computed *inside* it, so nothing is applied twice.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

from yoyo import get_backend, read_migrations
from yoyo.migrations import MigrationList

_ADVISORY_KEY = 0x6F70656E73657172  # "openseqr" as int64


def sqlite_path(url: str) -> Path:
    """`sqlite:///relative/path.db` -> relative/path.db, `sqlite:////abs/path.db` -> /abs/..."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or parts.netloc:
        raise ValueError(f"not a sqlite URL (sqlite:///path or sqlite:////abs/path): {url!r}")
    path = unquote(parts.path[1:]) if parts.path.startswith("/") else ""
    if path in ("", ":memory:"):
        raise ValueError(f"sqlite URL needs a database file: {url!r}")
    return Path(path)


def dialect_of(url: str) -> str:
    scheme = url.partition("://")[0].split("+")[0].lower()
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgresql", "postgres"):
        return "postgres"
    raise ValueError(f"unsupported database URL scheme {scheme!r} (sqlite, postgresql)")


def migrations_dir(dialect: str) -> Path:
    path = resources.files(__package__).joinpath("sql", "migrations", dialect)
    return Path(str(path))


def migrate(database_url: str) -> list[str]:
    """Apply the pending migrations; returns the ids applied (empty when up to date)."""
    dialect = dialect_of(database_url)
    if dialect == "sqlite":
        path = sqlite_path(database_url).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock(path.with_name(path.name + ".migrate-lock")):
            _enable_wal(path)
            return _apply(f"sqlite:///{path}", dialect)
    rest = database_url.partition("://")[2]
    with _advisory_lock("postgresql://" + rest):
        return _apply("postgresql+psycopg://" + rest, dialect)


@cache
def _migrations(dialect: str) -> MigrationList:
    # Parsed once per process: yoyo splits the SQL with sqlparse, which is slow (~0.15 s).
    return read_migrations(str(migrations_dir(dialect)))


def _apply(yoyo_url: str, dialect: str) -> list[str]:
    migrations = _migrations(dialect)
    backend = get_backend(yoyo_url)
    try:
        backend.break_lock()  # we hold the outer lock: any yoyo_lock row is a crashed run's
        with backend.lock():
            pending = backend.to_apply(migrations)
            backend.apply_migrations(pending)
            return [m.id for m in pending]
    finally:
        backend.connection.close()


def _enable_wal(path: Path) -> None:
    # Persistent per database file; set before yoyo (which uses the rollback journal) so a
    # store opened concurrently never sees the database switch modes under it.
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


@contextmanager
def _file_lock(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+b") as f:  # never the database file: SQLite owns its locks
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(url: str) -> Iterator[None]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_ADVISORY_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_ADVISORY_KEY,))


def pending_migrations(database_url: str, timeout: float = 3.0) -> list[str]:
    """The migration ids not yet applied, read without writing anything (for `/ready`): a
    missing SQLite file or yoyo table means none is. Raises when the database cannot be
    reached within about `timeout` seconds."""
    dialect = dialect_of(database_url)
    wanted = [m.id for m in _migrations(dialect)]
    return [i for i in wanted if i not in _applied(database_url, dialect, timeout)]


_APPLIED = "SELECT migration_id FROM _yoyo_migration"


def _applied(database_url: str, dialect: str, timeout: float) -> set[str]:
    if dialect == "sqlite":
        path = sqlite_path(database_url).resolve()
        if not path.exists():
            return set()
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=timeout)
        try:
            return {row[0] for row in conn.execute(_APPLIED)}
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return set()
            raise
        finally:
            conn.close()
    import psycopg
    from psycopg import errors

    url = "postgresql://" + database_url.partition("://")[2]
    with psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout))) as pg:
        try:
            return {row[0] for row in pg.execute(_APPLIED)}
        except errors.UndefinedTable:
            return set()
