"""The shared PostgreSQL fixtures work: a fresh database is usable, empty, durable and private."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.helpers import create_postgres_database, drop_postgres_database

pytestmark = pytest.mark.postgres


def test_fresh_database_round_trip(fresh_postgres_url: str) -> None:
    with psycopg.connect(fresh_postgres_url) as conn:
        conn.execute("CREATE TABLE invoices (reference TEXT PRIMARY KEY, status TEXT NOT NULL)")
        conn.execute(
            "INSERT INTO invoices (reference, status) VALUES (%s, %s), (%s, %s)",
            ("R1", "ISSUED", "R2", "PAID"),
        )
        conn.commit()
    with psycopg.connect(fresh_postgres_url) as conn:
        rows = conn.execute("SELECT reference, status FROM invoices ORDER BY reference").fetchall()
    assert rows == [("R1", "ISSUED"), ("R2", "PAID")]


def test_fresh_database_is_empty_and_named_uniquely(fresh_postgres_url: str) -> None:
    dbname = urlsplit(fresh_postgres_url).path.lstrip("/")
    assert dbname.startswith("t_")
    with psycopg.connect(fresh_postgres_url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (dbname,)
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)


def test_server_is_durable(fresh_postgres_url: str) -> None:
    with psycopg.connect(fresh_postgres_url) as conn:
        assert conn.execute("SHOW fsync").fetchone() == ("on",)
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",)


def test_two_fresh_databases_are_isolated(make_postgres_db: Callable[[], str]) -> None:
    first, second = make_postgres_db(), make_postgres_db()
    assert first != second
    with psycopg.connect(first) as conn:
        conn.execute("CREATE TABLE t (x INT)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()
    with psycopg.connect(second) as conn:
        missing = conn.execute("SELECT to_regclass('public.t')").fetchone()
        assert missing == (None,)
        conn.execute("CREATE TABLE t (x INT)")
        conn.execute("INSERT INTO t VALUES (2)")
        conn.commit()
    with psycopg.connect(first) as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_drop_works_with_open_connections(postgres_admin_url: str) -> None:
    # The helpers behind make_postgres_db: a session left open by a test (or by a server
    # under test) must not block the drop.
    url = create_postgres_database(postgres_admin_url)
    name = urlsplit(url).path.lstrip("/")
    lingering = psycopg.connect(url)
    try:
        drop_postgres_database(postgres_admin_url, url)
    finally:
        lingering.close()
    with psycopg.connect(postgres_admin_url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    assert exists is None
