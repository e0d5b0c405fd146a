"""Migrations (idempotent, concurrent-safe, same schema in both dialects) and `open_store` URLs."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from openseqr.core.ports import Store
from openseqr.storage import migrate, open_store
from openseqr.storage.migrate import sqlite_path

YOYO_TABLES = {"_yoyo_log", "_yoyo_migration", "_yoyo_version", "yoyo_lock"}

Schema = dict[str, set[tuple[str, bool]]]  # table -> {(column, nullable)}

# Both dialects have the same migration ids, in order.
MIGRATIONS = sorted(
    p.stem
    for p in (Path(__file__).parents[3] / "src/openseqr/storage/sql/migrations/sqlite").glob(
        "*.sql"
    )
)


def sqlite_schema(path: Path) -> Schema:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            t: {(r[1], not r[3]) for r in conn.execute(f"PRAGMA table_info({t})")}
            for t in tables
            if t not in YOYO_TABLES and not t.startswith("sqlite_")
        }
    finally:
        conn.close()


def postgres_schema(url: str) -> Schema:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, is_nullable = 'YES' FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        ).fetchall()
    schema: Schema = {}
    for table, column, nullable in rows:
        if table not in YOYO_TABLES:
            schema.setdefault(table, set()).add((column, nullable))
    return schema


def schema_of(url: str) -> Schema:
    if url.startswith("sqlite"):
        return sqlite_schema(sqlite_path(url))
    return postgres_schema(url)


def test_migrate_is_idempotent(storage_url: str) -> None:
    assert migrate(storage_url) == MIGRATIONS
    first = schema_of(storage_url)
    assert migrate(storage_url) == []
    assert schema_of(storage_url) == first
    assert "invoices" in first and ("seqr_id_norm", True) in first["terminals"]


@pytest.mark.postgres
def test_sqlite_and_postgres_schemas_agree(tmp_path: Path, fresh_postgres_url: str) -> None:
    lite = f"sqlite:///{tmp_path / 'a.db'}"
    migrate(lite)
    migrate(fresh_postgres_url)
    a, b = sqlite_schema(tmp_path / "a.db"), postgres_schema(fresh_postgres_url)
    assert sorted(a) == sorted(b)
    for table in a:
        assert a[table] == b[table], table
    assert len(a) == 19  # 0005 invoice_events; 0006 console_operators, console_audit


def test_concurrent_migrate_applies_once(storage_url: str) -> None:
    # Separate processes started together, like several server workers booting at once.
    code = "import sys; from openseqr.storage import migrate; print(migrate(sys.argv[1]))"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, storage_url], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]  # fmt: skip
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outputs]
    assert sorted(out.strip() for out, _ in outputs) == [str(MIGRATIONS), "[]", "[]"]
    open_store(storage_url).close()  # and the result is usable


def test_open_store_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for url, made in [
        ("sqlite:///rel/dir/a.db", tmp_path / "rel" / "dir" / "a.db"),
        (f"sqlite:///{tmp_path / 'abs.db'}", tmp_path / "abs.db"),
        (f"sqlite:///{tmp_path / 'n.db'}?synchronous=normal", tmp_path / "n.db"),
    ]:
        store = open_store(url)
        try:
            with store.transaction() as tx:
                tx.set_switch("k", url)
        finally:
            store.close()
        assert made.exists()
    for bad in ["sqlite:///:memory:", "sqlite://", "mysql://x/y", "sqlite://host/x.db"]:
        with pytest.raises(ValueError):
            open_store(bad)


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    normal = open_store(f"sqlite:///{tmp_path / 's.db'}?synchronous=NORMAL")
    try:
        with store.transaction(write=False) as tx:
            c = tx._c  # type: ignore[attr-defined]
            assert c.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            assert c.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
            assert c.execute("PRAGMA foreign_keys").fetchone() == (1,)
            assert c.execute("PRAGMA busy_timeout").fetchone() == (5000,)
        with normal.transaction(write=False) as tx:
            assert tx._c.execute("PRAGMA synchronous").fetchone() == (1,)  # type: ignore[attr-defined]
    finally:
        store.close()
        normal.close()


@pytest.mark.postgres
def test_postgres_url_spellings_and_read_only(fresh_postgres_url: str) -> None:
    store: Store = open_store(fresh_postgres_url.replace("postgresql://", "postgres://", 1))
    try:
        with (
            pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
            store.transaction(write=False) as tx,
        ):
            tx.set_switch("k", "v")
        with store.transaction() as tx:  # the pooled connection is fine afterwards
            tx.set_switch("k", "v")
            assert tx.get_switch("k") == "v"
    finally:
        store.close()
