#!/usr/bin/env python3
"""CPU per app payment, in-process: the pay use case alone, or the whole `POST .../pay` request.

The flow benchmark's server CPU per payment moves with whatever else the machine runs; this
measures one path's CPU with `time.process_time` over many calls, on a real SQLite store (in a
temporary directory), with the flow's invoice shape (two rows, backURL, notificationUrl). A
PIN this process has verified, an instant provider and a relay that takes every notification,
as in `openseqr serve`, so what is timed is the event-loop path of A-40.

    .venv/bin/python bench/pay_cpu.py                 # wallet.pay, 2000 payments
    .venv/bin/python bench/pay_cpu.py --http          # the Starlette app's POST /pay (ASGI)
    .venv/bin/python bench/pay_cpu.py --profile       # and the top of a cProfile
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from openseqr.core.invoicing import AmountDraft, InvoiceDraft, RowDraft
from openseqr.server.app import create_app
from openseqr.service import merchant, wallet
from openseqr.service.auth import authenticate
from openseqr.service.bootstrap import build
from openseqr.service.context import Context
from openseqr.settings import Settings

MSISDN, PIN, SOURCE = "46700000001", "1111", "127.0.0.1"


class TakeEverything:
    """The relay port: accepts every notification handed to it, sends nothing."""

    def offer(self, owned: Any) -> bool:
        return True

    def wake(self) -> None:
        pass


def sandbox_context(prefix: str) -> tuple[Context, Settings]:
    """The sandbox on a fresh SQLite file in a temporary directory, with a relay that takes
    every notification (as in `openseqr serve`, nothing sent)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    settings = Settings(database_url=f"sqlite:///{tmp}/bench.db", data_dir=tmp, sandbox=True,
                        worker=False)  # fmt: skip
    ctx = build(settings)
    ctx.relay = TakeEverything()
    return ctx, settings


def draft(i: int) -> InvoiceDraft:
    sek = lambda v: AmountDraft(Decimal(v), "SEK")  # noqa: E731
    return InvoiceDraft(
        payment_mode="IMMEDIATE_DEBIT",
        ack_mode="NO_ACKNOWLEDGMENT",
        title="Bench cafe",
        client_invoice_id=f"order-{i}",
        rows=(RowDraft("Coffee", total=sek("15.00")), RowDraft("Bun", total=sek("5.00"))),
        total=sek("20.00"),
        cashier_id="Till 1",
        footer="Thank you!",
        back_url=f"http://127.0.0.1:9/shop/order/{i}",
        notification_url=f"http://127.0.0.1:9/seqr/notify?order={i}",
    )


def invoices(ctx: Context, count: int) -> list[str]:
    caller = authenticate(ctx, "TERMINALID", "public_test_shop_terminal", None, "12345678")
    return [merchant.send_invoice(ctx, caller, draft(i)).reference for i in range(count)]


def service_pays(ctx: Context, refs: list[str]) -> Callable[[], None]:
    wallet.pay(ctx, refs[0], MSISDN, PIN, source=SOURCE)  # the KDF, once

    def run() -> None:
        for ref in refs[1:]:
            wallet.pay(ctx, ref, MSISDN, PIN, source=SOURCE, kdf=False)

    return run


def http_pays(ctx: Context, settings: Settings, refs: list[str]) -> Callable[[], None]:
    app = create_app(settings, ctx=ctx)
    body = json.dumps({"msisdn": MSISDN, "pin": PIN}).encode()

    async def post(ref: str) -> int:
        sent: list[dict[str, Any]] = []
        path = f"/api/app/v1/invoices/{ref}/pay"
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "client": (SOURCE, 40000),
            "server": ("127.0.0.1", 8000), "state": {},
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())],
        }  # fmt: skip

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return int(sent[0]["status"])

    async def all_of(chosen: list[str]) -> None:
        for ref in chosen:
            if (status := await post(ref)) != 200:
                raise SystemExit(f"POST /pay answered {status}")

    asyncio.run(all_of(refs[:1]))
    return lambda: asyncio.run(all_of(refs[1:]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--payments", type=int, default=2000)
    p.add_argument("--http", action="store_true", help="through the app (middleware and JSON)")
    p.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    args = p.parse_args()
    ctx, settings = sandbox_context("pay-cpu-")
    refs = invoices(ctx, args.payments + 1)
    profile = cProfile.Profile() if args.profile else None
    # the request log line is written as in `serve` (its cost is part of a request), unread
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
        run = http_pays(ctx, settings, refs) if args.http else service_pays(ctx, refs)
        start = time.process_time()
        if profile:
            profile.runcall(run)
        else:
            run()
        used = time.process_time() - start
    what = "POST /pay" if args.http else "wallet.pay"
    print(f"{what}: {used * 1000 / args.payments:.3f} ms CPU per payment ({args.payments})")
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    ctx.store.close()


if __name__ == "__main__":
    main()
