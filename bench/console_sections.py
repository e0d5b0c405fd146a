#!/usr/bin/env python3
"""Time the console's dashboard, resellers, customers, reports and settings pages on a loaded
database (issue 10: under 200 ms with 1,000,000 invoices).

    .venv/bin/python bench/load_history.py --database sqlite:///bench/results/h.db
    .venv/bin/python bench/console_sections.py --database sqlite:///bench/results/h.db

It builds the server's app in this process (sandbox profile, no worker), signs in as the demo
operator and as the bench reseller's merchant, and GETs each page `--runs` times through httpx's
ASGI transport: the whole page (session check, queries, template), without a socket. It prints
the median and the maximum per page, and the median CPU time of this process (SQLite runs in it;
on a shared machine that is the steadier number), and fails (exit 1) when a median is over
`--limit-ms`.

`load_history.py` ends its history a day before it runs, so the server's clock is set back
`--days-back` days (default 1): the dashboard's last hour and day are then the history's
busiest, as full as `--invoices / --days` makes them.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from openseqr.server.app import create_app
from openseqr.service.clock import ManualClock
from openseqr.settings import Settings

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
OPERATOR = ("demo", "demo-operator")
MERCHANT = ("bench_history_shop/9900", "bench-reseller")  # bench/load_history.py's reseller
BUSY = "/console/resellers/bench_history_shop/terminals/bench_busy_terminal"
PAGES = {
    "operator": ["/console/dashboard", "/console/resellers", "/console/resellers/bench_history_shop",
                 BUSY, "/console/customers", "/console/reports?reseller=bench_history_shop",
                 "/console/settings", "/console/services"],
    "merchant": ["/console/dashboard", BUSY, "/console/reports"],
}  # fmt: skip


async def signed_in(client: httpx.AsyncClient, who: tuple[str, str]) -> None:
    page = await client.get("/console/login")
    token = CSRF.search(page.text)
    assert token, "no CSRF token on the login page"
    data = {"login": who[0], "password": who[1], "csrf": token.group(1)}
    answer = await client.post("/console/login", data=data)
    assert answer.status_code == 303, answer.text


async def time_pages(
    app: object, who: tuple[str, str], paths: list[str], runs: int
) -> dict[str, tuple[list[float], list[float]]]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await signed_in(client, who)
        out = {}
        for path in paths:
            wall, cpu = [], []
            for _ in range(runs):
                start, start_cpu = time.perf_counter(), time.process_time()
                r = await client.get(path)
                wall.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
                assert r.status_code == 200, (path, r.status_code)
            out[path] = (wall, cpu)
        return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database", required=True)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--limit-ms", type=float, default=200.0)
    p.add_argument("--days-back", type=float, default=1.0)
    args = p.parse_args(argv)
    clock = ManualClock(datetime.now(UTC) - timedelta(days=args.days_back))
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(database_url=args.database, data_dir=Path(data_dir), worker=False,
                            sandbox=True)  # fmt: skip
        app = create_app(settings, clock=clock)
        failed = False
        print("| who | page | median ms | max ms | median CPU ms of this process |")
        print("|---|---|---|---|---|")
        for who, paths in PAGES.items():
            creds = OPERATOR if who == "operator" else MERCHANT
            for path, (wall, cpu) in asyncio.run(time_pages(app, creds, paths, args.runs)).items():
                median = statistics.median(wall)
                failed |= median > args.limit_ms
                print(
                    f"| {who} | `{path}` | {median:.1f} | {max(wall):.1f} "
                    f"| {statistics.median(cpu):.1f} |"
                )
        app.state.ctx.store.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
