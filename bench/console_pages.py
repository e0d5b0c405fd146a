#!/usr/bin/env python3
"""How fast the console's search and list pages answer on a large history (issue 10: under
200 ms at 1,000,000 invoices). A benchmark, not a test: it needs minutes and a quiet machine.

    .venv/bin/python bench/console_pages.py                       # 1,000,000 invoices, SQLite
    .venv/bin/python bench/console_pages.py --invoices 100000     # quicker
    .venv/bin/python bench/console_pages.py --database postgresql://u:p@127.0.0.1:5432/db

It loads the history with `bench/load_history.py` (skipped with `--reuse` when the database
already holds it), starts `openseqr serve` on 127.0.0.1, signs in as the sandbox's demo
operator and as the history's merchant, and times each page `--repeat` times over HTTP (one
request at a time, so the numbers are latency, not throughput): the newest invoices, every
search filter, a page deep in the keyset pagination, an invoice's detail page, the
notifications and the audit log. It prints a markdown table with p50, p99 and max.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.load_history import (  # noqa: E402
    BUSY_TERMINAL,
    RESELLER_ID,
    RESELLER_PASSWORD,
    RESELLER_USER,
    Plan,
    load,
)
from bench.run import free_port  # noqa: E402

LIMIT_MS = 200.0
LINK = re.compile(r'href="/console/invoices/(\d+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def sign_in(base: str, login: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = CSRF.search(client.get("/console/login").text).group(1)  # type: ignore[union-attr]
    r = client.post("/console/login", data={"login": login, "password": password, "csrf": token})
    assert r.status_code == 303, r.text
    return client


def timed(client: httpx.Client, path: str, repeat: int) -> list[float]:
    client.get(path)  # warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    return times


def deep_page(client: httpx.Client, pages: int) -> str:
    """The URL of page `pages` of the newest-first list, found by following 'Older' links."""
    path = "/console/invoices"
    for _ in range(pages):
        found = re.search(r'href="(\?[^"]*before=[^"]+)"', client.get(path).text)
        assert found, "fewer pages than asked for"
        path = "/console/invoices" + found.group(1).replace("&amp;", "&")
    return path


def month_ago(months: int) -> str:
    """A day inside the loaded history (which ends yesterday and spans a year)."""
    return (date.today() - timedelta(days=30 * months)).isoformat()


def pages(operator: httpx.Client) -> dict[str, str]:
    busy = operator.get(f"/console/invoices?terminal={BUSY_TERMINAL}").text
    reference = LINK.search(busy).group(1)  # type: ignore[union-attr]
    detail = operator.get(f"/console/invoices/{reference}").text
    ers = re.search(r"ERS reference</dt><dd class=\"mono\">(\d*)", detail)
    return {
        "newest invoices": "/console/invoices",
        "page 20 (keyset)": deep_page(operator, 20),
        "by reference": f"/console/invoices?reference={reference}",
        "by ersReference": f"/console/invoices?ers_reference={ers.group(1) if ers else ''}",
        "by clientInvoiceId": "/console/invoices?client_invoice_id=h123456",
        "by terminal": f"/console/invoices?terminal={BUSY_TERMINAL}",
        "by state (failed)": "/console/invoices?state=failed",
        "by date range (a month)": f"/console/invoices?from={month_ago(2)}&to={month_ago(1)}",
        "invoice detail": f"/console/invoices/{reference}",
        "notifications": "/console/notifications",
        "audit log": "/console/audit",
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database", default=None, help="default: a SQLite file in a temp dir")
    p.add_argument("--invoices", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--reuse", action="store_true", help="the database already holds history")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="console-bench-"))
    url = args.database or f"sqlite:///{work / 'console.sqlite3'}"
    if not args.reuse:
        seconds = load(url, Plan(args.invoices, 10_000, 1000, 20, 365.0), progress=True)
        print(f"loaded {args.invoices:,} invoices in {seconds:.0f} s", file=sys.stderr)
    port = free_port()
    env = {**os.environ, "OPENSEQR_DATA_DIR": str(work)}
    server = subprocess.Popen(
        [sys.executable, "-m", "openseqr", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--database", url], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        operator = sign_in(base, "demo", "demo-operator")
        merchant = sign_in(base, f"{RESELLER_ID}/{RESELLER_USER}", RESELLER_PASSWORD)
        rows = [
            (name, timed(operator, path, args.repeat)) for name, path in pages(operator).items()
        ]
        rows.append(
            ("merchant: newest invoices", timed(merchant, "/console/invoices", args.repeat))
        )
        rows.append(("merchant: by state (failed)",
                     timed(merchant, "/console/invoices?state=failed", args.repeat)))  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)
    print(f"\n{args.invoices:,} invoices, {url.split(':')[0]}, {args.repeat} requests each\n")
    print("| page | p50 ms | p99 ms | max ms | under 200 ms |\n|---|---|---|---|---|")
    worst = 0.0
    for name, times in rows:
        p99 = (
            statistics.quantiles(times, n=100, method="inclusive")[98]
            if len(times) > 1
            else times[0]
        )
        worst = max(worst, p99)
        print(f"| {name} | {statistics.median(times):.1f} | {p99:.1f} | {max(times):.1f} | "
              f"{'yes' if p99 < LIMIT_MS else 'NO'} |")  # fmt: skip
    return 0 if worst < LIMIT_MS else 1


if __name__ == "__main__":
    sys.exit(main())
