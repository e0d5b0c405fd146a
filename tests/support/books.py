"""The books of a live server database, read with SQL in one snapshot (C-18), and the
invariants every end-to-end load test checks on them: the ledger balances, and each invoice has
exactly the transfers its state calls for (never a second debit or reversal)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

QUERIES = {
    "unbalanced": "SELECT currency, SUM(amount_minor) FROM ledger_entries GROUP BY currency"
    " HAVING SUM(amount_minor) <> 0",
    "negative": "SELECT account, currency, balance_minor FROM account_balances"
    " WHERE balance_minor < 0 AND (account LIKE 'customer:%' OR account LIKE 'merchant:%')",
    "balances": "SELECT account, currency, balance_minor FROM account_balances",
    "entry_sums": "SELECT account, currency, SUM(amount_minor) FROM ledger_entries"
    " GROUP BY account, currency",
    "invoices": "SELECT reference, state, rev, total_minor, refunded_minor, notification_url"
    " FROM invoices",
    "transfers": "SELECT invoice_reference, kind, COUNT(DISTINCT transfer_id) FROM ledger_entries"
    " WHERE invoice_reference IS NOT NULL GROUP BY invoice_reference, kind",
    "payer_debits": "SELECT invoice_reference, SUM(amount_minor) FROM ledger_entries"
    " WHERE kind = 'payment' AND account LIKE 'customer:%' GROUP BY invoice_reference",
    "refunds": "SELECT ers_reference, invoice_reference, amount_minor FROM refunds",
    "notifications": "SELECT notification_id, invoice_reference, status FROM notifications",
}


def snapshot(
    database_url: str, queries: Mapping[str, str] = QUERIES
) -> dict[str, list[tuple[Any, ...]]]:
    """Every query of `queries` in one read transaction: a consistent view while load runs."""
    if database_url.startswith("sqlite:///"):
        import sqlite3

        conn: Any = sqlite3.connect(database_url[len("sqlite:///") :], timeout=30)
        conn.isolation_level = None
        try:
            conn.execute("BEGIN")  # WAL: the snapshot is taken at the first read
            return {k: conn.execute(q).fetchall() for k, q in queries.items()}
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(database_url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        out = {k: conn.execute(q).fetchall() for k, q in queries.items()}  # type: ignore[arg-type]
        conn.rollback()
        return out


def ledger_violations(db: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    found = [f"ledger of {cur} sums to {total}, not 0" for cur, total in db["unbalanced"]]
    found += [f"{acc} is negative in {cur}: {bal}" for acc, cur, bal in db["negative"]]
    sums = {(acc, cur): int(total) for acc, cur, total in db["entry_sums"]}
    balances = {(acc, cur): int(bal) for acc, cur, bal in db["balances"]}
    for key in sums.keys() | balances.keys():
        if balances.get(key, 0) != sums.get(key, 0):
            found.append(f"balance of {key} is {balances.get(key)}, its entries {sums.get(key)}")
    return found


#: payment and reversal transfers each state must have: never a second debit
TRANSFERS_OF_STATE = {"paid": (1, 0), "paid_unacked": (1, 0), "reversed": (1, 1)}


def money_violations(db: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    kinds: dict[str, Counter[str]] = {}
    for ref, kind, n in db["transfers"]:
        kinds.setdefault(ref, Counter())[kind] = int(n)
    debits = {ref: int(total) for ref, total in db["payer_debits"]}
    refunds: dict[str, list[int]] = {}
    for _ers, ref, amount in db["refunds"]:
        refunds.setdefault(ref, []).append(int(amount))
    found = []
    for ref, state, _rev, total, refunded, _url in db["invoices"]:
        got = kinds.get(ref, Counter())
        want = TRANSFERS_OF_STATE.get(state, (0, 0))
        if (got["payment"], got["reversal"]) != want:
            found.append(f"{ref} is {state} with transfers {dict(got)}")
        if got["payment"] and debits.get(ref) != -total:
            found.append(f"{ref}: payer debited {debits.get(ref)} for a total of {total}")
        mine = refunds.get(ref, [])
        if refunded > total or refunded != sum(mine) or got["refund"] != len(mine):
            found.append(
                f"{ref}: refunded {refunded} of {total}, refund rows {mine},"
                f" refund transfers {got['refund']}"
            )
        if mine and state != "paid":
            found.append(f"{ref} has refunds but is {state}")
    return found
