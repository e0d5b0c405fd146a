#!/usr/bin/env python3
"""The per-merchant ceiling on PostgreSQL: transactions per second that take turns on one row.

Every payment credits its merchant's `account_balances` row and holds that row locked until
its COMMIT (docs/scaling.md, "One merchant is one balance row"). This script models that
hold: each transaction updates one shared row, runs five more inserts, then commits. It works
in a throwaway database, which it drops afterwards.

    .venv/bin/python bench/hot_row.py --database postgresql://u:p@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import secrets
import threading
import time

import psycopg
from psycopg import sql

SCHEMA = (
    "CREATE TABLE bal (account text PRIMARY KEY, balance bigint)",
    "CREATE TABLE log (id bigserial PRIMARY KEY, account text, amount bigint, at timestamptz)",
    "INSERT INTO bal VALUES ('merchant', 0)",
)


def take_turns(url: str, connections: int, seconds: float) -> float:
    """Transactions per second over `seconds`, from `connections` threads on one row."""
    done = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while time.monotonic() < stop:
                with conn.transaction():
                    conn.execute("UPDATE bal SET balance = balance + 1 WHERE account = 'merchant'")
                    for _ in range(5):
                        conn.execute("INSERT INTO log (account, amount, at) VALUES ('m', 1, now())")
                with lock:
                    done[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / (time.monotonic() - started)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database", required=True, help="a URL of a role that may create databases")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10.0)
    args = p.parse_args()
    name = f"bench_hot_row_{secrets.token_hex(4)}"
    with psycopg.connect(args.database, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = args.database.rsplit("/", 1)[0] + "/" + name
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            for statement in SCHEMA:
                conn.execute(statement)
            row = conn.execute(
                "SELECT current_setting('fsync'), current_setting('synchronous_commit')"
            ).fetchone()
        rate = take_turns(url, args.connections, args.seconds)
        print(f"{args.connections} connections, fsync={row[0]}, synchronous_commit={row[1]}:"
              f" {rate:.0f} transactions/s on one row")  # fmt: skip
    finally:
        with psycopg.connect(args.database, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
