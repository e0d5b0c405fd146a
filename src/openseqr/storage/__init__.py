"""Storage adapters for `core.ports.Store`: SQLite and PostgreSQL behind one contract.

    store = open_store("sqlite:///var/openseqr.db")          # relative path
    store = open_store("sqlite:////var/lib/openseqr/db.sqlite")  # absolute path
    store = open_store("postgresql://user:pw@host/db")       # or postgres://

`open_store` applies pending migrations first. There is no reset: tests use fresh files or
fresh databases. Module map: `migrate` (yoyo, per-dialect SQL in sql/migrations/), `queries`
(named SQL in sql/*.sql), `rows` (rows <-> records), `base` (the Tx methods, once),
`sqlite` / `postgres` (connections, transactions, and what differs by dialect).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from openseqr.core.ports import DuplicateKey, Store

from .base import NotFound
from .migrate import dialect_of, migrate, sqlite_path

__all__ = ["DuplicateKey", "NotFound", "migrate", "open_store"]


def open_store(database_url: str, **options: Any) -> Store:
    """Migrate, then open the adapter for `database_url`.

    Options go to the adapter: `synchronous=` / `busy_timeout=` for SQLite (also accepted as
    URL query parameters, e.g. `sqlite:///x.db?synchronous=NORMAL`), `min_size=` / `max_size=`
    for the PostgreSQL pool.
    """
    dialect = dialect_of(database_url)
    if dialect == "sqlite":
        from .sqlite import SqliteStore

        query = dict(parse_qsl(urlsplit(database_url).query))
        base_url = database_url.split("?", 1)[0]
        if "synchronous" in query:
            options.setdefault("synchronous", query["synchronous"].upper())
        if "busy_timeout" in query:
            options.setdefault("busy_timeout", float(query["busy_timeout"]))
        migrate(base_url)
        return SqliteStore(sqlite_path(base_url), **options)

    from .postgres import PostgresStore

    migrate(database_url)
    return PostgresStore(database_url, **options)
