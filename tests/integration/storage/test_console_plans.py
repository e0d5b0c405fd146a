"""The console's searches stay index-bound at a million invoices (A-55): every filter of the
Invoices page, alone or with the merchant scope and a page cursor, and the Notifications and
audit lists read an index and never scan a table.

Unlike the hot queries of test_query_plans, a list with no filter (newest invoices, failed
notifications) may *walk* its index in order (SQLite: `SCAN … USING INDEX`): it stops after
one page, so its cost does not grow with history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from openseqr.core.console import InvoiceSearch
from openseqr.storage.console import invoice_search_sql
from openseqr.storage.queries import load
from tests.integration.storage.test_query_plans import (
    postgres_nodes,
    postgres_url,  # noqa: F401 (fixture)
    sqlite_plan,
    sqlite_url,  # noqa: F401 (fixture)
)

DAY = datetime(2026, 1, 1, tzinfo=UTC)
CURSOR = (DAY, "20260101000000001")
# filters -> (SQLite index, PostgreSQL index) the search must use
SEARCHES: dict[str, tuple[dict[str, Any], str, str]] = {
    "newest": ({}, "invoices_created", "invoices_created"),
    "newest, next page": ({"before": CURSOR}, "invoices_created", "invoices_created"),
    "merchant": ({"reseller_id": "r1"}, "invoices_reseller_created",
                 "invoices_reseller_created"),
    "merchant, next page": ({"reseller_id": "r1", "before": CURSOR},
                            "invoices_reseller_created", "invoices_reseller_created"),
    "reference": ({"reference": "20260101000000001"}, "sqlite_autoindex_invoices_1",
                  "invoices_pkey"),
    "merchant, reference": ({"reseller_id": "r1", "reference": "20260101000000001"},
                            "sqlite_autoindex_invoices_1",
                            "invoices_pkey|invoices_reseller_created"),  # planner's pick
    "ersReference": ({"ers_reference": "1" * 25}, "invoices_ers_reference",
                     "invoices_ers_reference"),
    "clientInvoiceId": ({"client_invoice_id": "order-1"}, "invoices_client_invoice_id",
                        "invoices_client_invoice_id"),
    "terminal": ({"terminal_id": "t1"}, "invoices_terminal_created",
                 "invoices_terminal_created"),
    "state": ({"state": "paid"}, "invoices_state_created", "invoices_state_created"),
    "date range": ({"created_from": DAY, "created_to": DAY}, "invoices_created",
                   "invoices_created"),
}  # fmt: skip
LISTS = {  # named query -> (params, SQLite index, PostgreSQL index)
    "failed_notifications": ({"limit": 100}, "notifications_failed", "notifications_failed"),
    "pending_notifications": ({"limit": 100}, "notifications_due", "notifications_due"),
    "failed_notifications_of_reseller": ({"limit": 100, "reseller_id": "r1"},
                                         "notifications_failed", "notifications_failed"),
    "pending_notifications_of_reseller": ({"limit": 100, "reseller_id": "r1"},
                                          "notifications_due", "notifications_due"),
    "audit_entries_of_reseller": ({"limit": 100, "reseller_id": "r1", "before_id": 9},
                                  "console_audit_reseller", "console_audit_reseller"),
    "ledger_of_invoice": ({"reference": "20260101000000001"}, "ledger_entries_invoice",
                          "ledger_entries_invoice"),
}  # fmt: skip


def check_sqlite(url: str, name: str, index: str, sql: str, params: dict[str, Any]) -> None:
    plan = sqlite_plan(url, sql, params)
    reads = [s for s in plan if s.startswith(("SCAN", "SEARCH"))]
    walks = [s for s in reads if s.startswith("SCAN") and f"INDEX {index} " not in s + " "]
    assert not walks, f"{name} scans a table: {plan}"  # only its own index may be walked
    assert any(f"INDEX {index} " in s + " " for s in reads), f"{name} does not use {index}: {plan}"


def check_postgres(url: str, name: str, indexes: str, sql: str, params: dict[str, Any]) -> None:
    nodes = postgres_nodes(url, sql, params)
    kinds = [n["Node Type"] for n in nodes]
    assert "Seq Scan" not in kinds, f"{name} scans a table: {kinds}"
    used = {n.get("Index Name") for n in nodes}
    assert used & set(indexes.split("|")), f"{name} does not use {indexes}: {kinds} {used}"


def _search(name: str, dialect: str) -> tuple[str, dict[str, Any]]:
    return invoice_search_sql(InvoiceSearch(**SEARCHES[name][0]), dialect)


@pytest.mark.parametrize("name", SEARCHES)
def test_sqlite_invoice_search_uses_an_index(sqlite_url: str, name: str) -> None:  # noqa: F811
    sql, params = _search(name, "sqlite")
    check_sqlite(sqlite_url, name, SEARCHES[name][1], sql, params)


@pytest.mark.postgres
@pytest.mark.parametrize("name", SEARCHES)
def test_postgres_invoice_search_uses_an_index(postgres_url: str, name: str) -> None:  # noqa: F811
    sql, params = _search(name, "postgres")
    check_postgres(postgres_url, name, SEARCHES[name][2], sql, params)


@pytest.mark.parametrize("name", LISTS)
def test_sqlite_console_list_uses_an_index(sqlite_url: str, name: str) -> None:  # noqa: F811
    check_sqlite(sqlite_url, name, LISTS[name][1], getattr(load("sqlite"), name), LISTS[name][0])


@pytest.mark.postgres
@pytest.mark.parametrize("name", LISTS)
def test_postgres_console_list_uses_an_index(postgres_url: str, name: str) -> None:  # noqa: F811
    sql = getattr(load("postgres"), name)
    check_postgres(postgres_url, name, LISTS[name][2], sql, LISTS[name][0])


def test_sqlite_check_catches_a_scan(sqlite_url: str) -> None:  # noqa: F811
    sql = "SELECT reference FROM invoices WHERE title = :t"
    with pytest.raises(AssertionError, match="scans a table"):
        check_sqlite(sqlite_url, "title", "invoices_created", sql, {"t": "x"})
    with pytest.raises(AssertionError, match="scans a table"):  # a walk of the wrong index
        check_sqlite(sqlite_url, "title", "invoices_created", sql + " ORDER BY reference",
                     {"t": "x"})  # fmt: skip
