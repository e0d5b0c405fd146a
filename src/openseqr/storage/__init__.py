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

__all__ = ["DuplicateKey", "NotFound", "migrate", "open_store", "pool_size_for"]

#: PostgreSQL connections one `openseqr serve` opens by default, shared by its processes (A-44)
CONNECTION_BUDGET = 20
#: the fewest a process gets: its event loop, the relay's database thread, two request threads
MIN_POOL_SIZE = 4


def pool_size_for(workers: int) -> int:
    """Default PostgreSQL connections per process for a `serve --workers N` (A-44)."""
    return max(MIN_POOL_SIZE, CONNECTION_BUDGET // max(1, workers))


def open_store(database_url: str, *, migrate_first: bool = True, **options: Any) -> Store:
    """Migrate (unless `migrate_first=False`), then open the adapter for `database_url`.

    Options go to the adapter: `synchronous=` / `busy_timeout=` / `group_commit=` for SQLite
    (also accepted as URL query parameters, e.g. `sqlite:///x.db?synchronous=NORMAL`), and
    `min_size=` / `max_size=` / `prepared_statements=` for the PostgreSQL pool.
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
        if "group_commit" in query:  # the URL wins over the server's default
            options["group_commit"] = _switch("group_commit", query["group_commit"])
        if migrate_first:
            migrate(base_url)
        return SqliteStore(sqlite_path(base_url), **options)

    from .postgres import PostgresStore

    if migrate_first:
        migrate(database_url)
    return PostgresStore(database_url, **options)


def _switch(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "on", "true", "yes"):
        return True
    if lowered in ("0", "off", "false", "no"):
        return False
    raise ValueError(f"{name} must be on or off, not {value!r}")
