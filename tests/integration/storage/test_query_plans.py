"""Hot queries stay bounded by an index as history grows (issue 9).

Each named query on a request's path must search the index that covers its filter, never scan
a table: a scan (or a search on an index that leaves the filter to a row-by-row check) makes
its cost grow with every invoice the database ever held. SQLite answers `EXPLAIN QUERY PLAN`;
PostgreSQL answers `EXPLAIN` with sequential scans disabled, so it shows a `Seq Scan` only when
no index can serve the query at all.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from openseqr.core.states import State
from openseqr.storage import migrate
from openseqr.storage.migrate import sqlite_path
from openseqr.storage.queries import load

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PARAMS: dict[str, Any] = {
    "terminal_id": "t1",
    "reference": "20260101000000001",
    "invoice_reference": "20260101000000001",
    "msisdn": "46700000001",
    "source": "127.0.0.1",
    "subscriber_key": "101",
    "now": NOW,
    "lease_until": NOW,
    "limit": 100,
    "since": NOW,
    "until": NOW,
    "account": "customer:101",
    "reseller_id": None,  # the console's operator scope; a merchant's is below
}
# query name -> (what calls it, index the plan must search: SQLite name, PostgreSQL name)
HOT = {
    "live_invoices": ("sendInvoice: supersede the till's live invoice", "invoices_live",
                      "invoices_live"),
    "get_invoice": ("getPaymentStatus by reference", "sqlite_autoindex_invoices_1",
                    "invoices_pkey"),
    "latest_invoice": ("getPaymentStatus without a reference (a till)",
                       "invoices_terminal_created", "invoices_terminal_created"),
    "lock_invoice": ("pay: the invoice", "sqlite_autoindex_invoices_1", "invoices_pkey"),
    "customer_by_msisdn": ("pay: the customer", "sqlite_autoindex_customers_2",
                           "customers_msisdn_key"),
    "source_failures": ("pay: wrong PINs from this address", "sqlite_autoindex_pin_sources_1",
                        "pin_sources_pkey"),
    "due_invoices": ("deadline scan", "invoices_deadline", "invoices_deadline"),
    "invoice_events": ("an invoice's event history (console, CLI)", "invoice_events_invoice",
                       "invoice_events_invoice"),
    "lock_invoice_unless_busy": ("deadline scan: each due invoice", "sqlite_autoindex_invoices_1",
                                 "invoices_pkey"),
}  # fmt: skip
# The console's reads: bounded by the window or the small set they count, not history.
CONSOLE = {
    "invoice_states_between": ("dashboard: invoices of one bucket", "invoices_state_created",
                               "invoices_created"),
    "failed_notifications_since": ("dashboard: given-up deliveries", "notifications_failed",
                                   "notifications_failed"),
    "delivery_delays_since": ("dashboard: p99 delivery delay", "delivery_attempts_started",
                              "delivery_attempts_started"),
    "balances_of": ("customers page: a wallet's balances", "sqlite_autoindex_account_balances_1",
                    "account_balances_pkey"),
}  # fmt: skip
CONSOLE_MERCHANT = {  # the same with `reseller_id` set: one merchant's portal
    "invoice_states_between_of_reseller": ("merchant dashboard", "invoices_reseller_created",
                                           "invoices_reseller_created"),
    "periods_of_reseller": ("reports page", "transaction_periods_scope",
                            "transaction_periods_scope"),
}  # fmt: skip
OUTBOX = {"sqlite": "due_notifications", "postgres": "claim_notifications"}  # outbox due rows


def sqlite_plan(url: str, sql: str, given: dict[str, Any] | None = None) -> list[str]:
    conn = sqlite3.connect(sqlite_path(url))
    try:
        params = {
            k: v.isoformat() if isinstance(v, datetime) else v
            for k, v in (PARAMS if given is None else given).items()
        }
        return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    finally:
        conn.close()


def postgres_nodes(url: str, sql: str, given: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    with psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        conn.execute("SET enable_seqscan = off")
        params = PARAMS if given is None else given
        raw = conn.execute("EXPLAIN (FORMAT JSON) " + sql, params).fetchone()[0]
    plan = raw if isinstance(raw, list) else json.loads(raw)
    nodes, todo = [], [plan[0]["Plan"]]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo.extend(node.get("Plans", []))
    return nodes


def check_sqlite(
    url: str, name: str, index: str, sql: str | None = None, params: dict[str, Any] | None = None
) -> None:
    plan = sqlite_plan(url, sql or getattr(load("sqlite"), name), params)
    scans = [step for step in plan if step.startswith("SCAN")]
    assert not scans, f"{name} scans: {plan}"
    searches = [s for s in plan if s.startswith("SEARCH") and f"INDEX {index} " in s + " "]
    assert searches, f"{name} does not search {index}: {plan}"


def check_postgres(
    url: str, name: str, index: str, sql: str | None = None, params: dict[str, Any] | None = None
) -> None:
    nodes = postgres_nodes(url, sql or getattr(load("postgres"), name), params)
    kinds = [n["Node Type"] for n in nodes]
    assert "Seq Scan" not in kinds, f"{name} scans a table: {kinds}"
    used = {n.get("Index Name") for n in nodes}
    assert index in used, f"{name} does not search {index}: {kinds} {used}"


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'plans.sqlite3'}"
    migrate(url)
    return url


@pytest.fixture
def postgres_url(fresh_postgres_url: str) -> str:
    migrate(fresh_postgres_url)
    return fresh_postgres_url


@pytest.mark.parametrize("name", HOT)
def test_sqlite_hot_query_searches_its_index(sqlite_url: str, name: str) -> None:
    check_sqlite(sqlite_url, name, HOT[name][1])


def test_sqlite_outbox_due_rows_search_the_pending_index(sqlite_url: str) -> None:
    check_sqlite(sqlite_url, OUTBOX["sqlite"], "notifications_due")


@pytest.mark.postgres
@pytest.mark.parametrize("name", HOT)
def test_postgres_hot_query_searches_its_index(postgres_url: str, name: str) -> None:
    check_postgres(postgres_url, name, HOT[name][2])


@pytest.mark.postgres
def test_postgres_outbox_due_rows_search_the_pending_index(postgres_url: str) -> None:
    check_postgres(postgres_url, OUTBOX["postgres"], "notifications_due")


@pytest.mark.parametrize("name", CONSOLE)
def test_sqlite_console_query_searches_its_index(sqlite_url: str, name: str) -> None:
    check_sqlite(sqlite_url, name, CONSOLE[name][1])


@pytest.mark.postgres
@pytest.mark.parametrize("name", CONSOLE)
def test_postgres_console_query_searches_its_index(postgres_url: str, name: str) -> None:
    check_postgres(postgres_url, name, CONSOLE[name][2])


@pytest.mark.parametrize("name", CONSOLE_MERCHANT)
def test_sqlite_merchant_console_query_searches_its_index(
    sqlite_url: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(PARAMS, "reseller_id", "r1")
    check_sqlite(sqlite_url, name, CONSOLE_MERCHANT[name][1])


@pytest.mark.postgres
@pytest.mark.parametrize("name", CONSOLE_MERCHANT)
def test_postgres_merchant_console_query_searches_its_index(
    postgres_url: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(PARAMS, "reseller_id", "r1")
    check_postgres(postgres_url, name, CONSOLE_MERCHANT[name][2])


UNINDEXED = "SELECT reference FROM invoices WHERE title = 'x'"


def test_sqlite_check_catches_a_scan(sqlite_url: str) -> None:
    with pytest.raises(AssertionError, match="scans"):
        check_sqlite(sqlite_url, "title lookup", "invoices_pkey", UNINDEXED)


@pytest.mark.postgres
def test_postgres_check_catches_a_scan(postgres_url: str) -> None:
    with pytest.raises(AssertionError, match="scans a table"):
        check_postgres(postgres_url, "title lookup", "invoices_pkey", UNINDEXED)


# The retention purge runs in the background, not on a request, but it must not
# read the whole history each minute: it takes the oldest ids from the primary key (a scan that
# stops at LIMIT) and deletes by probing the key.
PURGE_PARAMS = {"cutoff": NOW, "limit": 1000}


def test_sqlite_event_purge_probes_the_primary_key(sqlite_url: str) -> None:
    conn = sqlite3.connect(sqlite_path(sqlite_url))
    try:
        params = {"cutoff": NOW.isoformat(), "limit": 1000}
        plan = [
            r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + load("sqlite").purge_events, params)
        ]
    finally:
        conn.close()
    assert plan[0] == "SEARCH invoice_events USING INTEGER PRIMARY KEY (rowid=?)", plan


@pytest.mark.postgres
def test_postgres_event_purge_probes_the_primary_key(postgres_url: str) -> None:
    """With sequential scans allowed and a history big enough for the planner to prefer one."""
    with psycopg.connect(postgres_url, autocommit=True, cursor_factory=psycopg.ClientCursor) as c:
        c.execute(
            "INSERT INTO invoice_events (invoice_reference, terminal_id, at, kind, actor)"
            " SELECT 'R' || g, 't1', now() - g * interval '1 minute', 'sent', 'terminal'"
            " FROM generate_series(1, 100000) AS g"
        )
        c.execute("ANALYZE invoice_events")
        rows = c.execute("EXPLAIN " + load("postgres").purge_events, PURGE_PARAMS).fetchall()
    plan = "\n".join(r[0] for r in rows)
    assert "Seq Scan" not in plan, plan
    assert "Index Cond: (event_id = ANY" in plan, plan


# `/metrics` counts the owed notifications on every scrape: the count reads only the partial
# index of pending rows (its size is the backlog, not the history), never the table.
def test_sqlite_pending_count_reads_only_the_pending_index(sqlite_url: str) -> None:
    plan = sqlite_plan(sqlite_url, load("sqlite").count_owed_notifications)
    assert plan == ["SCAN notifications USING INDEX notifications_due"], plan


@pytest.mark.postgres
def test_postgres_pending_count_reads_only_the_pending_index(postgres_url: str) -> None:
    check_postgres(postgres_url, "count_owed_notifications", "notifications_due")


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_the_dashboard_query_names_every_state(dialect: str) -> None:
    """A state it did not name would vanish from the dashboard's counts."""
    sql = load(dialect).invoice_states_between
    assert all(f"'{state.value}'" in sql for state in State)


def test_a_query_name_defined_twice_in_the_shared_files_is_refused(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A second file's query of the same name would silently replace the first one's."""
    from openseqr.storage import queries

    real = queries._read
    monkeypatch.setattr(queries, "_read", lambda name: real(name) + (
        "\n-- name: get_invoice\nSELECT 1\n" if name == "console_pages.sql" else ""))  # fmt: skip
    queries.load.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"console_pages.sql defines \['get_invoice'\] again"):
            queries.load("sqlite")
    finally:
        queries.load.cache_clear()
