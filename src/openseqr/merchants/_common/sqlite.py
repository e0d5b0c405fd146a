"""`MerchantDatabase`: the connection handling of the merchants' own small databases (stdlib sqlite3)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


def record(cls: type[R], row: sqlite3.Row, **convert: Callable[[Any], Any]) -> R:
    """The dataclass `cls` from a row with one column per field; `convert` turns a column's
    stored text into the field's type (``amount=Decimal``)."""
    values = {f.name: row[f.name] for f in fields(cls)}
    return cls(**{k: convert[k](v) if k in convert else v for k, v in values.items()})


class MerchantDatabase:
    """Thread-safe; one connection in autocommit mode, used under `self._lock`.

    A subclass sets `SCHEMA` (``CREATE TABLE IF NOT EXISTS …``, run on open). `path=None` keeps
    the data in memory (tests, demos); a file gets WAL journaling and its folder is created.
    """

    SCHEMA: ClassVar[str] = ""

    def __init__(self, path: str | Path | None = None) -> None:
        target = ":memory:"
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            target = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        if target != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(self.SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, *args: object) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    def _row(self, sql: str, *args: object) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _rows(self, sql: str, *args: object) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _update(self, sql: str, *args: object) -> bool:
        """Run a write; True if it changed exactly one row (a compare-and-set that won)."""
        return self._exec(sql, *args).rowcount == 1

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on an error), holding the lock."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except Exception:
                self._db.execute("ROLLBACK")
                raise
