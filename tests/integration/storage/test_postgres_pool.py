"""The PostgreSQL pool of a server process: its size follows `serve --workers` (A-44), and behind
a transaction pooler nothing outlives a transaction (A-45)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from openseqr.service.bootstrap import store_options
from openseqr.settings import Settings
from openseqr.storage import migrate, open_store
from openseqr.storage.postgres import PostgresStore

PG = "postgresql://u:p@127.0.0.1:5432/db"


@pytest.mark.parametrize(
    ("workers", "pool_size", "expected"),
    [(1, None, 20), (2, None, 10), (3, None, 6), (8, None, 4), (50, None, 4), (2, 7, 7)],
)
def test_each_process_gets_a_share_of_the_connection_budget(
    workers: int, pool_size: int | None, expected: int
) -> None:
    settings = Settings(database_url=PG, workers=workers, db_pool_size=pool_size)
    assert store_options(settings)["max_size"] == expected


def test_sqlite_has_no_pool_and_groups_commits_only_in_a_lone_server(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert "max_size" not in store_options(Settings(database_url=url, workers=4))
    assert store_options(Settings(database_url=url), serving=True) == {"group_commit": True}
    assert store_options(Settings(database_url=url, workers=4), serving=True) == {
        "group_commit": False
    }
    assert store_options(Settings(database_url=url)) == {"group_commit": False}  # the CLI


def test_transaction_pooling_turns_off_what_spans_transactions() -> None:
    options = store_options(Settings(database_url=PG, db_transaction_pooling=True))
    assert (options["prepared_statements"], options["migrate_first"]) == (False, False)
    direct = store_options(Settings(database_url=PG))
    assert (direct["prepared_statements"], direct["migrate_first"]) == (True, True)


def prepared_after_repeats(store: PostgresStore) -> int:
    """Run one query ten times on one connection; how many statements the session prepared."""
    with store.transaction(write=False) as tx:
        for _ in range(10):
            tx.get_terminal("no-such-terminal")
        conn = tx._c  # the transaction's own connection: prepared statements are per session
        row = conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()
        assert row is not None
        return int(row[0])


@pytest.mark.postgres
def test_prepared_statements_only_when_not_behind_a_transaction_pooler(
    fresh_postgres_url: str,
) -> None:
    migrate(fresh_postgres_url)
    direct = PostgresStore(fresh_postgres_url, max_size=1)
    pooled = PostgresStore(fresh_postgres_url, max_size=1, prepared_statements=False)
    try:
        assert prepared_after_repeats(direct) > 0  # the default: psycopg prepares hot queries
        assert prepared_after_repeats(pooled) == 0
    finally:
        direct.close()
        pooled.close()


@pytest.mark.postgres
def test_no_migration_when_told_so(fresh_postgres_url: str) -> None:
    store = open_store(fresh_postgres_url, migrate_first=False, max_size=1)
    store.close()
    with psycopg.connect(fresh_postgres_url) as conn:
        row = conn.execute("SELECT to_regclass('invoices') IS NULL").fetchone()
    assert row == (True,)
